//! **Approvals** (`/settings/approvals`, SPEC §15): API grants held in environments that
//! *Require approval*, each with **Approve** (by an Enterprise admin other than the one who
//! asked) and **Decline**. An answer is one transaction under the partner row lock (the lock
//! grants and deactivation take, so an approval never gives a deactivated partner access),
//! then the held row's lock; approving moves the grant into force, audits it and tells the
//! partner's Admins what changed.

use crate::auth::actor::Actor;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::routes::partners::grants::review::{self, Change};
use crate::routes::partners::grants::shared::{lock_changeable, record};
use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    config::Settings,
    db::{self, grants, held_grants},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::{render, see_other, Layout},
    state::AppState,
};

const HOME: &str = "/settings/approvals";

#[derive(Template)]
#[template(path = "approvals/list.html")]
struct ListPage {
    layout: Layout,
    held: Vec<held_grants::Held>,
    me: crate::domain::UserId,
}

pub async fn list(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let held = db::run(&state.pool, move |conn| Ok(held_grants::queue(conn, enterprise_id)?)).await?;
    let layout = user.layout("Approvals", "approvals")?;
    Ok(render(&ListPage { layout, held, me: user.user.user_id }))
}

/// Who can't approve a held grant: the Enterprise admin who asked for it.
pub const OWN_REQUEST: &str =
    "You asked for this grant, so another Enterprise admin must approve it. Nothing was changed.";

fn answer_tx(
    conn: &mut PgConnection,
    actor: &Principal,
    settings: &Settings,
    id: i64,
    approve: bool,
) -> Result<String, AppError> {
    let found = held_grants::find(conn, actor.enterprise_id, id, false)?.ok_or(AppError::NotFound)?;
    let partner = lock_changeable(conn, actor, found.partner_id)?;
    // Answered by someone else meanwhile: gone.
    let held = held_grants::find(conn, actor.enterprise_id, id, true)?.ok_or(AppError::NotFound)?;
    let details = serde_json::json!({
        "what": held.what, "api_id": held.api_id, "environment_id": held.environment_id,
        "requested_by": held.requested_by, "expires_on": held.expires_on,
    });
    if !approve {
        held_grants::delete(conn, actor.enterprise_id, id)?;
        record(conn, actor, &partner, AuditAction::PartnerGrantDeclined, &held.what, details)?;
        return Ok(format!("Declined: {} won't get {}.", partner.name, held.what));
    }
    if held.requested_by == Some(actor.user_id) {
        return Err(AppError::Conflict(OWN_REQUEST.into()));
    }
    let expiry = held.expiry();
    grants::grant_api_environment(conn, partner.id, held.api_id, held.environment_id, actor.user_id(), expiry)?;
    held_grants::delete(conn, actor.enterprise_id, id)?;
    record(conn, actor, &partner, AuditAction::PartnerGrantApproved, &held.what, details)?;
    // The partner's Admins hear of it as of any other change of their access.
    let line = review::with_end(&held.what, expiry);
    let items = vec![serde_json::json!({ "change": "added", "what": held.what, "approved_hold": id })];
    review::record_and_tell(conn, actor, settings, &partner, &[Change::added(line)], items)?;
    Ok(format!("Approved: {} can now use {}.", partner.name, held.what))
}

async fn answer(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    id: i64,
    approve: bool,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let message =
        db::run(&state.pool, move |conn| conn.transaction(|conn| answer_tx(conn, &actor, &settings, id, approve)))
            .await?;
    user.flash(FlashKind::Success, message)?;
    Ok(see_other(HOME))
}

pub async fn approve(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    answer(user, state, path.into_inner(), true).await
}

pub async fn decline(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    answer(user, state, path.into_inner(), false).await
}
