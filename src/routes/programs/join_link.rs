//! A group's join link on its page (SPEC §12): **Turn on**, **Turn off**, **Regenerate** (a new
//! code: the old link stops working at once). Audited as `enterprise.group_join_link_changed`.

use actix_web::{web, HttpResponse};
use diesel::Connection;
use serde::Deserialize;

use crate::{
    auth::{guards::EnterpriseAdmin, tokens::random_token},
    db::{self, audit, groups, join_links},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::see_other,
    state::AppState,
};

#[derive(Deserialize)]
pub struct SwitchFields {
    /// `on` or `off`.
    #[serde(default)]
    state: String,
}

enum Change {
    On,
    Off,
    Regenerate,
}

async fn apply(
    user: EnterpriseAdmin,
    state: &AppState,
    group_id: i64,
    change: Change,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let what = match change {
        Change::On => "turned on",
        Change::Off => "turned off",
        Change::Regenerate => "regenerated",
    };
    let message = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let group = groups::lock(conn, actor.enterprise_id, group_id)?.ok_or(AppError::NotFound)?;
            let (code, open) = match change {
                Change::On => (group.join_code.clone().unwrap_or_else(random_token), true),
                Change::Off => match group.join_code.clone() {
                    Some(code) => (code, false),
                    None => return Ok("The join link is already off.".to_string()),
                },
                // A new code, whatever the state: an old link that leaked stops working.
                Change::Regenerate => (random_token(), group.join_open),
            };
            join_links::set(conn, actor.enterprise_id, group_id, Some(&code), open)?;
            let details = serde_json::json!({ "group_id": group_id, "change": what, "open": open });
            audit::record_for_enterprise(
                conn,
                &actor,
                AuditAction::GroupJoinLinkChanged,
                &format!("Group {}", group.name),
                details,
            )?;
            Ok(match change {
                Change::On => "Join link turned on: anyone with the link can apply.".to_string(),
                Change::Off => "Join link turned off: the link now says it is closed.".to_string(),
                Change::Regenerate => "New join link made: the old link no longer works.".to_string(),
            })
        })
    })
    .await?;
    user.flash(FlashKind::Success, message)?;
    Ok(see_other(&format!("/settings/partners/groups/{group_id}#join-link")))
}

/// `POST /settings/partners/groups/{id}/join-link` with `state=on|off`.
pub async fn switch(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    fields: web::Form<SwitchFields>,
) -> Result<HttpResponse, AppError> {
    let group_id = path.into_inner();
    let change = match fields.state.as_str() {
        "on" => Change::On,
        "off" => Change::Off,
        _ => {
            // Another enterprise's (or no) group is "not found" whatever was posted.
            let enterprise_id = user.user.enterprise_id;
            db::run(&state.pool, move |conn| Ok(groups::find(conn, enterprise_id, group_id)?))
                .await?
                .ok_or(AppError::NotFound)?;
            return Err(AppError::bad_request("Choose on or off."));
        }
    };
    apply(user, &state, group_id, change).await
}

/// `POST /settings/partners/groups/{id}/join-link/regenerate`: **Regenerate**.
pub async fn regenerate(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    apply(user, &state, path.into_inner(), Change::Regenerate).await
}
