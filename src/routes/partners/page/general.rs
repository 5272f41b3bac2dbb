//! A partner's page: the General tab (`/settings/partners/{id}`) and the logo.

use crate::domain::{DomainId, EnterpriseId, InvitationId, PartnerId};
use crate::domain::{EmailStatus, InvitationStatus};
use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::routes::partners::header::PartnerHeader;
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, invitations, partners},
    error::AppError,
    render::{render_status, Layout},
    routes::note::NoteField,
    state::AppState,
};

// ---- General -------------------------------------------------------------------------------

pub struct PersonView {
    pub first_name: String,
    pub surname: String,
    pub email: String,
}

pub struct InvitationView {
    pub id: InvitationId,
    /// Still actionable: pending or expired (it can be resent or revoked).
    pub open: bool,
    /// What became of its email, e.g. "Email sent".
    pub delivery: Option<&'static str>,
    pub delivery_badge: &'static str,
    pub delivery_error: Option<String>,
    /// Open, but never emailed: made by Add Partner while the enterprise requires verified
    /// domains, or by Import partners with *Send invitation emails* off; **Resend invitation**
    /// sends it (once the domain is verified, where that is required).
    pub held: bool,
    pub first_name: String,
    pub surname: String,
    pub email: String,
    pub role_label: &'static str,
    pub state_label: &'static str,
    pub state_badge: &'static str,
    pub sent: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

impl InvitationView {
    pub fn new(i: &invitations::Invitation, now: DateTime<Utc>) -> Self {
        let (state_label, state_badge) = match i.status {
            InvitationStatus::Accepted => (i.status.label(), "badge-active"),
            InvitationStatus::Revoked => (i.status.label(), "badge-neutral"),
            InvitationStatus::Pending if i.is_expired(now) => ("Expired", "badge-failed"),
            InvitationStatus::Pending => (i.status.label(), "badge-invited"),
        };
        InvitationView {
            id: i.id,
            open: i.status == InvitationStatus::Pending,
            delivery: None,
            delivery_badge: "badge-neutral",
            delivery_error: None,
            held: false,
            first_name: i.first_name.clone(),
            surname: i.surname.clone(),
            email: i.email.clone(),
            role_label: i.role.label(),
            state_label,
            state_badge,
            sent: i.created_at,
            expires: i.expires_at,
        }
    }
}

/// A registered domain and its verification (SPEC §17): the TXT record to publish and what
/// the last check found.
pub struct DomainView {
    pub id: DomainId,
    pub domain: String,
    /// `_partner-portal.<domain>`.
    pub record_name: String,
    pub record_value: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub last_checked: Option<DateTime<Utc>>,
    /// Why the last check did not find the value, in plain words.
    pub problem: Option<String>,
}

impl DomainView {
    pub fn new(d: partners::GeneralDomain) -> Self {
        DomainView {
            id: d.id,
            record_name: crate::dns::record_name(&d.domain),
            domain: d.domain,
            record_value: d.verification_token,
            verified_at: d.verified_at,
            last_checked: d.last_checked_at,
            problem: d.last_check_error,
        }
    }

    pub fn verified(&self) -> bool {
        self.verified_at.is_some()
    }
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
    /// The partner organisation's Partner ID (SPEC §11).
    pub partner_code: String,
    /// The partner's group (SPEC §12): id and name.
    pub group: (i64, String),
    /// The enterprise's default *Personal note* (pre-fills the administrator form).
    pub default_note: Option<String>,
}

pub fn load_general(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: PartnerId,
) -> Result<GeneralData, AppError> {
    // One statement for the whole tab (`partners::general`).
    let g = partners::general(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
    let header = PartnerHeader::new(&g.partner, g.logo_updated_at);
    let domains = g.domains.into_iter().map(DomainView::new).collect();
    let latest = g.latest_admin_invitation;
    let delivery = g.delivery;
    let now = Utc::now();
    let view = |i: &invitations::Invitation| {
        let mut v = InvitationView::new(i, now);
        v.delivery = delivery.as_ref().map(|d| d.label());
        v.delivery_badge = match delivery.as_ref().map(|d| d.status) {
            Some(EmailStatus::Sent) => "badge-active",
            Some(EmailStatus::Failed) => "badge-failed",
            _ => "badge-neutral",
        };
        v.delivery_error = delivery.as_ref().and_then(|d| d.last_error.clone());
        v.held = v.open && delivery.is_none();
        v
    };
    let (admin_invitation, replacement) = match (&g.admin, &latest) {
        (None, Some(i)) => (Some(view(i)), None),
        (Some((_, _, email)), Some(i)) if i.status == InvitationStatus::Pending && &i.email != email => {
            (None, Some(view(i)))
        }
        _ => (None, None),
    };
    Ok(GeneralData {
        default_note: g.enterprise_note,
        partner_code: g.partner_code,
        group: g.group,
        next_steps: g.grants.products == 0 && g.grants.apis == 0 && !header.locked,
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
    /// The *Personal note* as typed; None on a fresh form (the enterprise's default shows).
    pub note: Option<NoteField>,
}

#[derive(Template)]
#[template(path = "partners/page/general.html")]
struct GeneralPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    data: GeneralData,
    form: DomainForm,
    admin_form: AdminForm,
    note: NoteField,
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
    let note = admin_form.note.clone().unwrap_or_else(|| NoteField::prefilled(data.default_note.clone()));
    Ok(render_status(status, &GeneralPage { layout, tab: "general", header, data, form, admin_form, note }))
}

pub async fn general(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let data = db::run(&state.pool, move |conn| load_general(conn, enterprise_id, id)).await?;
    render_general(&user, data, DomainForm::default(), StatusCode::OK)
}

// ---- Logo ----------------------------------------------------------------------------------

/// The stored logo, served so it can't be turned into a page: its own restrictive CSP,
/// nosniff (global) and a private cache.
pub async fn logo(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
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
