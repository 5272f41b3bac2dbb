//! A partner's page: the header and tabs every tab shares, the General tab and the logo.
//! The other tabs live in `page_tabs`, editing in `page_edit`, domains in `page_domains`.

use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::PgConnection;

use super::{administrator, page_domains, page_edit, page_tabs, parse_id};
use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    db::{self, audit, invitations, partners},
    error::AppError,
    render::{render_status, Layout},
    startup::AppState,
};

pub const DEACTIVATED_MESSAGE: &str = "This partner is deactivated and can no longer be changed.";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(page_edit::multipart_config())
        .route("/settings/partners/{id}", web::get().to(general))
        .route("/settings/partners/{id}/logo", web::get().to(logo));
    page_tabs::configure(cfg);
    page_edit::configure(cfg);
    page_domains::configure(cfg);
    administrator::configure(cfg);
}

// ---- shared by every tab -------------------------------------------------------------------

/// What the header above the tabs shows.
#[derive(Clone)]
pub struct PartnerHeader {
    pub id: i64,
    pub name: String,
    pub initials: String,
    /// `/settings/partners/{id}/logo?v=…` (the version defeats the browser cache after a change).
    pub logo_url: Option<String>,
    pub status: String,
    pub status_label: &'static str,
    pub deactivated: bool,
    pub registered: String,
}

impl PartnerHeader {
    pub fn new(partner: &partners::Partner, logo_updated: Option<DateTime<Utc>>) -> Self {
        PartnerHeader {
            id: partner.id,
            name: partner.name.clone(),
            initials: initials(&partner.name),
            logo_url: logo_updated.map(|t| logo_url(partner.id, t)),
            status: partner.status.clone(),
            status_label: status_label(&partner.status),
            deactivated: partner.is_deactivated(),
            registered: date(partner.created_at),
        }
    }
}

/// The logo's address, versioned by when it was saved so a browser never shows a stale one
/// (the logo itself may be cached for long).
pub fn logo_url(partner_id: i64, updated_at: DateTime<Utc>) -> String {
    format!("/settings/partners/{partner_id}/logo?v={}", updated_at.timestamp_micros())
}

/// The partner of the admin's enterprise with this id, or 404.
pub fn load_header(
    conn: &mut PgConnection,
    enterprise_id: i64,
    id: i64,
) -> Result<(partners::Partner, PartnerHeader), AppError> {
    let (partner, logo) = partners::find_with_logo(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
    let header = PartnerHeader::new(&partner, logo);
    Ok((partner, header))
}

/// Up to two letters for the avatar of a partner without a logo: "Acme Corp" → "AC".
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let firsts: String = words.iter().filter_map(|w| w.chars().find(|c| c.is_alphanumeric())).take(2).collect();
    let picked = if firsts.chars().count() >= 2 {
        firsts
    } else {
        name.chars().filter(|c| c.is_alphanumeric()).take(2).collect()
    };
    let upper = picked.to_uppercase();
    if upper.is_empty() {
        "?".to_string()
    } else {
        upper
    }
}

pub fn status_label(status: &str) -> &'static str {
    match status {
        partners::STATUS_INVITED => "Invited",
        partners::STATUS_ACTIVE => "Active",
        partners::STATUS_DEACTIVATED => "Deactivated",
        _ => "Unknown",
    }
}

pub fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

pub fn date_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn role_label(role: &str) -> &'static str {
    match role {
        "admin" => "Admin",
        "member" => "Member",
        _ => "Enterprise admin",
    }
}

/// One audit event about a partner, targeted "Partner NAME".
pub fn record_event(
    conn: &mut PgConnection,
    actor: &Principal,
    label: &str,
    partner_id: i64,
    action: &str,
    partner_name: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: actor.enterprise_id,
            partner_id: Some(partner_id),
            actor_user_id: Some(actor.user_id),
            actor_label: label,
            action,
            target: &format!("Partner {partner_name}"),
            details,
        },
    )?;
    Ok(())
}

// ---- General -------------------------------------------------------------------------------

pub struct PersonView {
    pub first_name: String,
    pub surname: String,
    pub email: String,
}

pub struct InvitationView {
    pub id: i64,
    /// Still actionable: pending or expired (it can be resent or revoked).
    pub open: bool,
    /// What became of its email, e.g. "Email sent".
    pub delivery: Option<&'static str>,
    pub delivery_badge: &'static str,
    pub delivery_error: Option<String>,
    pub first_name: String,
    pub surname: String,
    pub email: String,
    pub role_label: &'static str,
    pub state_label: &'static str,
    pub state_badge: &'static str,
    pub sent: String,
    pub expires: String,
}

impl InvitationView {
    pub fn new(i: &invitations::Invitation, now: DateTime<Utc>) -> Self {
        let (state_label, state_badge) = match i.state(now) {
            "accepted" => ("Accepted", "badge-active"),
            "revoked" => ("Revoked", "badge-neutral"),
            "expired" => ("Expired", "badge-failed"),
            _ => ("Pending", "badge-invited"),
        };
        InvitationView {
            id: i.id,
            open: i.status == invitations::STATUS_PENDING,
            delivery: None,
            delivery_badge: "badge-neutral",
            delivery_error: None,
            first_name: i.first_name.clone(),
            surname: i.surname.clone(),
            email: i.email.clone(),
            role_label: role_label(&i.role),
            state_label,
            state_badge,
            sent: date(i.created_at),
            expires: date(i.expires_at),
        }
    }
}

pub struct DomainView {
    pub id: i64,
    pub domain: String,
}

/// Everything General shows, loaded in one go (also for the domain forms' error pages).
pub struct GeneralData {
    pub header: PartnerHeader,
    pub domains: Vec<DomainView>,
    pub admin: Option<PersonView>,
    /// The latest administrator invitation when there is no administrator yet.
    pub admin_invitation: Option<InvitationView>,
    /// A pending invitation of a new administrator while the current one stays in place.
    pub replacement: Option<InvitationView>,
    pub next_steps: bool,
}

pub fn load_general(conn: &mut PgConnection, enterprise_id: i64, id: i64) -> Result<GeneralData, AppError> {
    // One statement for the whole tab (`partners::general`).
    let g = partners::general(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
    let header = PartnerHeader::new(&g.partner, g.logo_updated_at);
    let domains = g.domains.into_iter().map(|(id, domain)| DomainView { id, domain }).collect();
    let latest = g.latest_admin_invitation;
    let delivery = g.delivery;
    let now = Utc::now();
    let view = |i: &invitations::Invitation| {
        let mut v = InvitationView::new(i, now);
        v.delivery = delivery.as_ref().map(|d| d.label());
        v.delivery_badge = match delivery.as_ref().map(|d| d.status.as_str()) {
            Some("sent") => "badge-active",
            Some("failed") => "badge-failed",
            _ => "badge-neutral",
        };
        v.delivery_error = delivery.as_ref().and_then(|d| d.last_error.clone());
        v
    };
    let (admin_invitation, replacement) = match (&g.admin, &latest) {
        (None, Some(i)) => (Some(view(i)), None),
        (Some((_, _, email)), Some(i)) if i.status == invitations::STATUS_PENDING && &i.email != email => {
            (None, Some(view(i)))
        }
        _ => (None, None),
    };
    Ok(GeneralData {
        next_steps: g.grants.products == 0 && g.grants.apis == 0 && !header.deactivated,
        header,
        domains,
        admin: g.admin.map(|(first_name, surname, email)| PersonView { first_name, surname, email }),
        admin_invitation,
        replacement,
    })
}

/// The *Add domain* field and the domain list's message, when a domain form was refused.
#[derive(Default)]
pub struct DomainForm {
    pub value: String,
    pub error: Option<String>,
    pub list_error: Option<String>,
}

/// The "Partner administrator account" form (*First Name*, *Surname*, *Email*).
#[derive(Default)]
pub struct AdminForm {
    pub first_name: String,
    pub surname: String,
    pub email: String,
    pub first_name_error: Option<String>,
    pub surname_error: Option<String>,
    pub email_error: Option<String>,
}

#[derive(Template)]
#[template(path = "partners/page_general.html")]
struct GeneralPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    data: GeneralData,
    form: DomainForm,
    admin_form: AdminForm,
}

pub fn render_general(
    user: &EnterpriseAdmin,
    data: GeneralData,
    form: DomainForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    render_general_with(user, data, form, AdminForm::default(), status)
}

pub fn render_general_with(
    user: &EnterpriseAdmin,
    data: GeneralData,
    form: DomainForm,
    admin_form: AdminForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let layout = user.layout(data.header.name.clone(), "partners")?;
    let header = data.header.clone();
    Ok(render_status(status, &GeneralPage { layout, tab: "general", header, data, form, admin_form }))
}

async fn general(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let data = db::run(&state.pool, move |conn| load_general(conn, enterprise_id, id)).await?;
    render_general(&user, data, DomainForm::default(), StatusCode::OK)
}

// ---- Logo ----------------------------------------------------------------------------------

/// The stored logo, served so it can't be turned into a page: its own restrictive CSP,
/// nosniff (global) and a private cache.
async fn logo(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let stored = db::run(&state.pool, move |conn| Ok(partners::logo(conn, enterprise_id, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let etag = format!("\"logo-{id}-{}\"", stored.updated_at.timestamp_micros());
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"));
    if fresh {
        return Ok(response.finish());
    }
    Ok(response.content_type(stored.content_type).body(stored.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("Acme Corp"), "AC");
        assert_eq!(initials("acme"), "AC");
        assert_eq!(initials("Zoë ärger GmbH"), "ZÄ");
        assert_eq!(initials("<script>"), "SC");
        assert_eq!(initials("--"), "?");
    }
}
