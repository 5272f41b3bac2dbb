//! The Delete partner tab (`/settings/partners/{id}/delete`) and **Deactivate partner**
//! (`POST /settings/partners/{id}/deactivate`), SPEC §2 "Restrict partner access".
//!
//! Deactivation is one transaction under the partner row lock, the lock every grant route
//! takes too: it is refused while any API access remains (whatever the page showed), and
//! otherwise disables the partner's users and ends their sessions, revokes its pending
//! invitations and cancels their unsent emails, releases its domains and records the event.
//! Product grants are kept as a record of what the partner had: nobody can use them once
//! its users are disabled, and the Service Catalog of a deactivated partner can't be opened.
//!
//! The typed confirmation must equal the partner's name after trimming, **case-sensitively**:
//! this is irreversible, so the admin types the name exactly as shown.

use crate::auth::actor::Actor;
use crate::domain::PartnerId;
use crate::domain::{AuditAction, EndedBy, FlashKind};
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::routes::partners::grants::shared::group_api_grants;
use crate::routes::partners::grants::shared::ApiGrantView;
use crate::routes::partners::header::load_header;
use crate::routes::partners::header::record_event;
use crate::routes::partners::header::PartnerHeader;
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, connections, grants, invitations, memberships, partners, sessions},
    error::AppError,
    render::see_other,
    render::{render_status, Layout},
    state::AppState,
};

#[derive(Template)]
#[template(path = "partners/deactivate/delete.html")]
struct DeletePage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    /// When it was deactivated (then the page only says so).
    deactivated_on: Option<DateTime<Utc>>,
    api_grants: Vec<ApiGrantView>,
    users: i64,
    /// Open sessions of its people in this partnership (they end with it).
    sessions: i64,
    pending_invitations: i64,
    /// What was typed into *Partner name*, kept when refused.
    confirm: String,
    confirm_error: Option<String>,
    /// Why the whole request was refused (409).
    page_error: Option<String>,
}

/// What a refused deactivation shows.
#[derive(Default)]
pub(crate) struct Refusal {
    pub(crate) confirm: String,
    pub(crate) confirm_error: Option<String>,
    pub(crate) page_error: Option<String>,
}

async fn page(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    refusal: Refusal,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let (partner, header, rows, people, sessions, pending) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        let rows = grants::api_grants(conn, partner.id)?;
        let people = memberships::count_live_in_partner(conn, partner.id)?;
        let open = sessions::count_live_for_partner(conn, enterprise_id, partner.id)?;
        let pending = invitations::count_pending(conn, partner.id)?;
        Ok((partner, header, rows, people, open, pending))
    })
    .await?;
    let layout = user.layout(format!("Delete partner · {}", header.name), "partners")?;
    let page = DeletePage {
        layout,
        tab: "delete",
        deactivated_on: partner.is_deactivated().then(|| partner.deactivated_at.unwrap_or(partner.updated_at)),
        header,
        api_grants: group_api_grants(rows),
        users: people,
        sessions,
        pending_invitations: pending,
        confirm: refusal.confirm,
        confirm_error: refusal.confirm_error,
        page_error: refusal.page_error,
    };
    Ok(render_status(status, &page))
}

/// The Delete partner tab: what deactivating would do (a Viewer reads it too, without the
/// form: SPEC §16 "sees every enterprise page").
pub async fn delete_tab(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    page(&user, &state, id, Refusal::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm_name: String,
}

pub(crate) enum Outcome {
    Deactivated { name: String, users: usize, invitations: usize },
    Refused(StatusCode, Refusal),
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Deactivates the partner in the caller's transaction. `typed` is the name typed to confirm
/// (the Delete partner tab); the API confirms by calling, so it passes None.
pub(crate) fn deactivate_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    id: PartnerId,
    typed: Option<&str>,
) -> Result<Outcome, AppError> {
    let partner = partners::lock(conn, actor.enterprise_id(), id)?.ok_or(AppError::NotFound)?;
    let refuse = |status, confirm_error: Option<String>, page_error: Option<String>| {
        Ok(Outcome::Refused(
            status,
            Refusal { confirm: typed.unwrap_or_default().to_string(), confirm_error, page_error },
        ))
    };
    if partner.is_deactivated() {
        return refuse(
            StatusCode::CONFLICT,
            None,
            Some(format!("{} is already deactivated. Nothing was changed.", partner.name)),
        );
    }
    if grants::has_api_access(conn, partner.id)? {
        return refuse(
            StatusCode::CONFLICT,
            None,
            Some(format!(
                "{} still has access to APIs, so it can't be deactivated. Revoke its API access first. Nothing was changed.",
                partner.name
            )),
        );
    }
    if let Some(typed) = typed.map(str::trim).filter(|t| *t != partner.name) {
        let message = if typed.is_empty() {
            "Type the partner's name to confirm.".to_string()
        } else {
            format!("That is not the partner's name. Type {} exactly as shown.", partner.name)
        };
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, Some(message), None);
    }

    // The same effects as the organisation's Leave enterprise (`connections::end_partnership`).
    let ended = connections::end_partnership(conn, partner.id, EndedBy::Enterprise)?;
    record_event(
        conn,
        actor,
        &actor.actor_label(),
        partner.id,
        AuditAction::PartnerDeactivated,
        &partner.name,
        serde_json::json!({
            "users_disabled": ended.memberships_ended,
            "invitations_revoked": ended.invitations_revoked,
            "emails_cancelled": ended.emails_cancelled,
            "domains_released": ended.domains_released,
        }),
    )?;
    Ok(Outcome::Deactivated {
        name: partner.name,
        users: ended.memberships_ended,
        invitations: ended.invitations_revoked,
    })
}

pub async fn deactivate(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.into_inner().confirm_name;
    let actor = user.user.clone();
    // Accepting an invitation locks the partner first too, so the two serialise on the partner
    // row instead of deadlocking.
    let outcome =
        db::run(&state.pool, move |conn| conn.transaction(|conn| deactivate_tx(conn, &actor, id, Some(&typed))))
            .await?;
    match outcome {
        Outcome::Deactivated { name, users, invitations } => {
            tracing::info!(partner_id = %id, users, invitations, "partner deactivated");
            user.flash(
                FlashKind::Success,
                format!(
                    "{name} was deactivated: {} can no longer log in and {} revoked.",
                    plural(users, "user", "users"),
                    plural(invitations, "pending invitation was", "pending invitations were"),
                ),
            )?;
            Ok(see_other(&format!("/settings/partners/{id}")))
        }
        Outcome::Refused(status, refusal) => page(&user, &state, id, refusal, status).await,
    }
}
