//! **Regenerate link** (`POST /partner/profile/link`): a new connection link; the old one
//! stops working at once.

use actix_web::{web, HttpResponse};
use diesel::prelude::*;

use crate::{
    auth::guards::PartnerAdmin,
    db::{self, audit, organisations},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::see_other,
    routes::profile::organisation_of,
    state::AppState,
};

pub async fn regenerate(user: PartnerAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let org = organisation_of(conn, &actor)?;
            organisations::regenerate_link(conn, org.id)?;
            audit::record(
                conn,
                &audit::NewAuditEvent {
                    enterprise_id: actor.enterprise_id,
                    partner_id: actor.partner_id,
                    actor_user_id: Some(actor.user_id),
                    actor_label: &actor.actor_label(),
                    actor_membership: &actor.membership_label(),
                    action: AuditAction::PartnerConnectionLinkRegenerated,
                    target: &format!("Partner organisation {} ({})", org.name, org.partner_code),
                    details: serde_json::json!({ "organisation_id": org.id }),
                },
            )?;
            Ok(())
        })
    })
    .await?;
    user.flash(FlashKind::Success, "A new connection link was made. The previous link no longer works.")?;
    Ok(see_other("/partner/profile"))
}
