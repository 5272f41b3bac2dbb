//! **Accept** and **Decline** a connection request (`POST /partner/connections/{id}/accept`,
//! `/decline`), each one transaction under the partnership's row lock, so two Admins
//! answering at once can't both succeed.
//!
//! Accepting makes the partnership active with the organisation's name, and the logo and
//! domains of the partnership the accepting Admin works in now as its starting point (a
//! domain another live partner of that enterprise already has is left out, and the Admin is
//! told); the Admin becomes its Admin and account administrator and chooses the rest of the
//! staff next, on **Staff access**.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;

use crate::{
    auth::guards::PartnerAdmin,
    db::{self, connections, memberships, partners},
    domain::{AuditAction, FlashKind, PartnerId, PartnerStatus, UserRole},
    error::AppError,
    render::see_other,
    routes::profile::{enterprise_name, lock_partnership, record},
    state::AppState,
};

pub const ANSWERED_MESSAGE: &str = "This connection request was already answered. Nothing was changed.";

/// The organisation's request `id`, locked; 409 once it was answered.
fn lock_request(
    conn: &mut PgConnection,
    actor: &crate::auth::session::Principal,
    id: PartnerId,
) -> Result<partners::Partner, AppError> {
    let (_, partner) = lock_partnership(conn, actor, id)?;
    if partner.status != PartnerStatus::Requested {
        return Err(AppError::Conflict(ANSWERED_MESSAGE.into()));
    }
    Ok(partner)
}

pub async fn accept(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let source = user.user.partner_id.ok_or(AppError::Forbidden)?;
    let (enterprise, copied, skipped) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let partner = lock_request(conn, &actor, id)?;
            let enterprise = enterprise_name(conn, partner.enterprise_id)?;
            partners::set_status(conn, partner.id, PartnerStatus::Active)?;
            let data = serde_json::json!({ "via": "connection" });
            crate::webhooks::emit_for_partner(conn, partner.id, crate::domain::WebhookEvent::PartnerActivated, data)?;
            connections::copy_logo(conn, source, partner.id)?;
            let wanted: Vec<String> =
                partners::domains(conn, source)?.into_iter().filter(|d| d.active).map(|d| d.domain).collect();
            let taken = partners::domains_taken(conn, partner.enterprise_id, &wanted, Some(partner.id))?;
            let mut copied = Vec::new();
            for domain in wanted.iter().filter(|d| !taken.contains(d)) {
                partners::add_domain(conn, partner.enterprise_id, partner.id, domain)?;
                copied.push(domain.clone());
            }
            memberships::grant(
                conn,
                &memberships::NewMembership {
                    user_id: actor.user_id,
                    enterprise_id: partner.enterprise_id,
                    partner_id: Some(partner.id),
                    role: UserRole::Admin,
                },
            )?;
            partners::set_account_admin(conn, partner.id, actor.user_id)?;
            record(
                conn,
                &actor,
                &partner,
                AuditAction::PartnerConnectionAccepted,
                serde_json::json!({
                    "account_administrator": actor.actor_label(),
                    "domains_copied": copied,
                    "domains_skipped": taken,
                    "from_partnership": source,
                }),
            )?;
            Ok((enterprise, copied, taken))
        })
    })
    .await?;
    tracing::info!(partner_id = %id, domains = copied.len(), "connection accepted");
    user.flash(
        FlashKind::Success,
        format!("You accepted {enterprise}'s connection request. Choose who of your people work with {enterprise}."),
    )?;
    if !skipped.is_empty() {
        user.flash(
            FlashKind::Warning,
            format!(
                "These domains were not added because another partner of {enterprise} already has them: {}.",
                skipped.join(", ")
            ),
        )?;
    }
    Ok(see_other(&format!("/partner/partnerships/{id}/staff")))
}

pub async fn decline(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let enterprise = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let partner = lock_request(conn, &actor, id)?;
            // Final, like a deactivation: a later request makes a new partnership.
            partners::set_status(conn, partner.id, PartnerStatus::Declined)?;
            record(conn, &actor, &partner, AuditAction::PartnerConnectionDeclined, serde_json::json!({}))?;
            enterprise_name(conn, partner.enterprise_id)
        })
    })
    .await?;
    tracing::info!(partner_id = %id, "connection declined");
    user.flash(FlashKind::Success, format!("You declined {enterprise}'s connection request."))?;
    Ok(see_other("/partner/profile"))
}
