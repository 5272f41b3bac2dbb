//! A partner's Users, Activity, and (for now) Products, APIs and Delete partner tabs.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::{
    page::{date, date_time, load_header, role_label, InvitationView, PartnerHeader},
    parse_id,
};
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, audit, invitations, users},
    error::AppError,
    render::{render, Layout},
    startup::AppState,
};

/// Activity shows the latest events only until pagination arrives.
const ACTIVITY_LIMIT: i64 = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/partners/{id}/products", web::get().to(products))
        .route("/settings/partners/{id}/apis", web::get().to(apis))
        .route("/settings/partners/{id}/users", web::get().to(users_tab))
        .route("/settings/partners/{id}/activity", web::get().to(activity))
        .route("/settings/partners/{id}/delete", web::get().to(delete));
}

// ---- Users ---------------------------------------------------------------------------------

struct UserView {
    name: String,
    email: String,
    role_label: &'static str,
    is_account_admin: bool,
    disabled: bool,
    since: String,
}

#[derive(Template)]
#[template(path = "partners/page_users.html")]
struct UsersPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    users: Vec<UserView>,
    invitations: Vec<InvitationView>,
}

async fn users_tab(user: EnterpriseAdmin, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let (partner, header, people, invites) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        let people = users::for_partner(conn, partner.id)?;
        let invites = invitations::for_partner(conn, partner.id)?;
        Ok((partner, header, people, invites))
    })
    .await?;
    let now = Utc::now();
    let users = people
        .into_iter()
        .map(|u| UserView {
            name: format!("{} {}", u.first_name, u.surname),
            is_account_admin: partner.account_admin_user_id == Some(u.id),
            role_label: role_label(&u.role),
            disabled: u.disabled_at.is_some(),
            since: date(u.created_at),
            email: u.email,
        })
        .collect();
    let invitations = invites.iter().map(|i| InvitationView::new(i, now)).collect();
    let layout = user.layout(format!("Users · {}", header.name), "partners")?;
    Ok(render(&UsersPage { layout, tab: "users", header, users, invitations }))
}

// ---- Activity ------------------------------------------------------------------------------

struct EventView {
    when: String,
    when_iso: String,
    who: String,
    what: String,
    detail: Option<String>,
    target: String,
}

#[derive(Template)]
#[template(path = "partners/page_activity.html")]
struct ActivityPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    events: Vec<EventView>,
    limit: i64,
}

/// A sentence for an audit action; unknown actions show their code.
fn describe(action: &str) -> String {
    match action {
        "partner.registered" => "Registered the partner",
        "partner.renamed" => "Renamed the partner",
        "partner.logo_changed" => "Changed the logo",
        "partner.logo_removed" => "Removed the logo",
        "partner.domain_added" => "Added a domain",
        "partner.domain_removed" => "Removed a domain",
        "partner.deactivated" => "Deactivated the partner",
        "partner.activated" => "The partner became active",
        "invitation.created" | "invitation.sent" => "Sent an invitation",
        "invitation.resent" => "Resent an invitation",
        "invitation.revoked" => "Revoked an invitation",
        "invitation.accepted" => "Accepted the invitation",
        other => other,
    }
    .to_string()
}

fn detail(action: &str, details: &serde_json::Value) -> Option<String> {
    let text = |key: &str| details.get(key).and_then(|v| v.as_str()).map(str::to_string);
    match action {
        "partner.renamed" => Some(format!("From “{}” to “{}”", text("from")?, text("to")?)),
        "partner.domain_added" | "partner.domain_removed" => text("domain"),
        "partner.registered" => {
            let domains: Vec<&str> = details.get("domains")?.as_array()?.iter().filter_map(|d| d.as_str()).collect();
            Some(format!("Domains: {}", domains.join(", ")))
        }
        _ => text("email"),
    }
}

async fn activity(user: EnterpriseAdmin, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let (header, rows) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        Ok((header, audit::for_partner(conn, enterprise_id, partner.id, ACTIVITY_LIMIT)?))
    })
    .await?;
    let events = rows
        .into_iter()
        .map(|e| EventView {
            when: date_time(e.created_at),
            when_iso: e.created_at.to_rfc3339(),
            what: describe(&e.action),
            detail: detail(&e.action, &e.details),
            who: e.actor_label,
            target: e.target,
        })
        .collect();
    let layout = user.layout(format!("Activity · {}", header.name), "partners")?;
    Ok(render(&ActivityPage { layout, tab: "activity", header, events, limit: ACTIVITY_LIMIT }))
}

// ---- Products, APIs, Delete partner (later capabilities) ------------------------------------

#[derive(Template)]
#[template(path = "partners/page_placeholder.html")]
struct PlaceholderPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    heading: &'static str,
    message: &'static str,
}

async fn placeholder(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    tab: &'static str,
    heading: &'static str,
    message: &'static str,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let (_, header) = db::run(&state.pool, move |conn| load_header(conn, enterprise_id, id)).await?;
    let layout = user.layout(format!("{heading} · {}", header.name), "partners")?;
    Ok(render(&PlaceholderPage { layout, tab, header, heading, message }))
}

async fn products(user: EnterpriseAdmin, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    placeholder(user, state, path, "products", "Products", "Granting products arrives with the Catalog capability.").await
}

async fn apis(user: EnterpriseAdmin, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    placeholder(user, state, path, "apis", "APIs", "Granting APIs and their environments arrives with the Catalog capability.").await
}

async fn delete(user: EnterpriseAdmin, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    placeholder(user, state, path, "delete", "Delete partner", "Deactivating a partner arrives with the partner lifecycle capability.").await
}
