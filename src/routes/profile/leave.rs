//! **Leave enterprise** (`GET/POST /partner/partnerships/{id}/leave`): the organisation ends
//! one of its partnerships, with the effects of the enterprise's Deactivate partner
//! (`connections::end_partnership`) but without its "no API access left" precondition: the
//! partner may always walk away. One transaction under the partner row lock; sessions acting
//! through that partnership lose access at their next request.

use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::{
    auth::{guards::PartnerAdmin, session::Principal},
    db::{self, connections, memberships},
    domain::{AuditAction, EndedBy, FlashKind, PartnerId},
    error::AppError,
    render::{render, see_other, Layout},
    routes::profile::{enterprise_name, lock_partnership, record},
    state::AppState,
};

#[derive(Template)]
#[template(path = "profile/leave.html")]
struct LeavePage {
    layout: Layout,
    id: PartnerId,
    enterprise_name: String,
    organisation_name: String,
    people: i64,
    current: bool,
}

/// The organisation's partnership `id` that still gives access, locked; 404 otherwise.
fn lock_live(
    conn: &mut PgConnection,
    actor: &Principal,
    id: PartnerId,
) -> Result<(String, crate::db::partners::Partner), AppError> {
    let (org, partner) = lock_partnership(conn, actor, id)?;
    if !connections::WITH_ACCESS.contains(&partner.status) {
        return Err(AppError::NotFound);
    }
    Ok((org.name, partner))
}

pub async fn confirm(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let (organisation_name, enterprise_name, people) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let (org, partner) = lock_live(conn, &actor, id)?;
            let people = memberships::count_live_in_partner(conn, partner.id)?;
            Ok((org, enterprise_name(conn, partner.enterprise_id)?, people))
        })
    })
    .await?;
    Ok(render(&LeavePage {
        layout: user.layout(format!("Leave {enterprise_name}?"), super::MENU_KEY)?,
        id,
        enterprise_name,
        organisation_name,
        people,
        current: user.user.partner_id == Some(id),
    }))
}

pub async fn leave(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let (enterprise, ended) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let (_, partner) = lock_live(conn, &actor, id)?;
            let ended = connections::end_partnership(conn, partner.id, EndedBy::Organisation)?;
            record(
                conn,
                &actor,
                &partner,
                AuditAction::PartnerLeftEnterprise,
                serde_json::json!({
                    "users_disabled": ended.memberships_ended,
                    "invitations_revoked": ended.invitations_revoked,
                    "emails_cancelled": ended.emails_cancelled,
                    "domains_released": ended.domains_released,
                }),
            )?;
            Ok((enterprise_name(conn, partner.enterprise_id)?, ended))
        })
    })
    .await?;
    tracing::info!(partner_id = %id, users = ended.memberships_ended, "left enterprise");
    user.flash(
        FlashKind::Success,
        format!("You left {enterprise}. {} of your people no longer have access to it.", ended.memberships_ended),
    )?;
    // Leaving the partnership this session works in ends its access: the next request picks
    // another organisation or logs in again.
    Ok(see_other(if user.user.partner_id == Some(id) { "/" } else { "/partner/profile" }))
}
