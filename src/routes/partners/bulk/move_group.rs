//! Bulk **Move to group**: `GET /settings/partners/bulk/move?partner=…[&group=G]` chooses the
//! group and previews, per partner, the move and the group's default access it would grant
//! (the single move's preview, `groups::offer`); `POST /settings/partners/bulk/move` moves
//! them through the single move's `move_tx`, each in a savepoint of the action's one
//! transaction: a partner the move refuses is left alone and named, the others are moved.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use diesel::Connection;

use super::{
    layout, load_selected, partners, selected_ids, show, summary, unchangeable, ConfirmPage, GroupChoice, Outcome,
};
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, groups},
    domain::{FlashKind, PartnerId},
    error::AppError,
    render::see_other,
    routes::partners::{
        grants::shared::{form_fields, form_id},
        groups::{move_tx, offer},
    },
    state::AppState,
};

const ACTION: &str = "/settings/partners/bulk/move";

/// The `group` field: a group id, or none yet.
fn group_field(raw: &[u8]) -> Result<Option<i64>, AppError> {
    match form_fields(raw).into_iter().find(|(n, _)| n == "group").map(|(_, v)| v) {
        Some(v) if !v.trim().is_empty() => Ok(Some(form_id::<i64>(&v)?)),
        _ => Ok(None),
    }
}

/// "Payments Hub, API One — Production".
fn grants_text(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!(" (grants {})", lines.join(", "))
    }
}

async fn page(
    user: &EnterpriseAdmin,
    state: &AppState,
    ids: Vec<PartnerId>,
    target: Option<i64>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let (outcomes, groups, offers) = db::run(&state.pool, move |conn| {
        let selected = load_selected(conn, enterprise_id, &ids)?;
        let groups: Vec<(i64, String)> =
            groups::list(conn, enterprise_id)?.into_iter().map(|g| (g.id, g.name)).collect();
        let Some(target) = target else {
            let outcomes = selected.iter().map(|p| Outcome::wont(p, format!("is in {}.", p.group_name))).collect();
            return Ok((outcomes, groups, false));
        };
        let name = groups.iter().find(|g| g.0 == target).map(|g| g.1.clone()).ok_or(AppError::NotFound)?;
        let mut offers = false;
        let mut outcomes = Vec::new();
        for p in &selected {
            let outcome = if let Some(why) = unchangeable(p.status) {
                Outcome::wont(p, why)
            } else if p.group_id == target {
                Outcome::wont(p, format!("is already in {name}."))
            } else {
                let lines = offer(conn, enterprise_id, p.id, target)?.lines;
                offers |= !lines.is_empty();
                Outcome::will(p, format!("will be moved to {name}{}.", grants_text(&lines)))
            };
            outcomes.push(outcome);
        }
        Ok((outcomes, groups, offers))
    })
    .await?;
    let confirm = ConfirmPage {
        layout: layout(user, "Move to group")?,
        heading: format!("Move {} to a group", partners(outcomes.len())),
        outcomes,
        action: ACTION,
        button: "Move to group",
        undo_box: None,
        group_choice: Some(GroupChoice { groups, target, offers }),
        error,
    };
    Ok(show(&confirm, status))
}

/// `GET /settings/partners/bulk/move`: the group to choose, then the preview per partner.
pub async fn confirm(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let raw = req.query_string().as_bytes();
    let ids = selected_ids(raw)?;
    let target = group_field(raw)?;
    page(&user, &state, ids, target, None, StatusCode::OK).await
}

/// **Move to group**: moves the partners that can be moved, in one transaction.
pub async fn apply(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let ids = selected_ids(&body)?;
    let shown = ids.clone();
    let target = group_field(&body)?.ok_or_else(crate::routes::partners::grants::shared::bad_form)?;
    let grant = form_fields(&body).iter().any(|(n, v)| n == "grant_access" && (v == "on" || v == "yes"));
    let (actor, settings) = (user.user.clone(), state.settings.clone());
    let enterprise_id = actor.enterprise_id;
    let (group, moved, left) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let group = groups::find(conn, enterprise_id, target)?.ok_or(AppError::NotFound)?;
            let mut selected = load_selected(conn, enterprise_id, &ids)?;
            // Locked in id order (move_tx locks each), like every other multi-partner change.
            selected.sort_by_key(|p| p.id);
            let (mut moved, mut left) = (Vec::new(), Vec::new());
            for p in &selected {
                if let Some(why) = unchangeable(p.status) {
                    left.push((p.name.clone(), why.to_string()));
                    continue;
                }
                if p.group_id == target {
                    left.push((p.name.clone(), format!("is already in {}.", group.name)));
                    continue;
                }
                // A savepoint each: a refused move rolls back only itself.
                match move_tx(conn, &actor, &settings, p.id, target, grant) {
                    Ok(Ok(_)) => moved.push(p.name.clone()),
                    Ok(Err(why)) => left.push((p.name.clone(), format!("was not moved: {why}"))),
                    Err(AppError::Conflict(_)) => {
                        left.push((p.name.clone(), unchangeable(p.status).unwrap_or("can't be changed.").into()))
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok((group.name, moved, left))
        })
    })
    .await?;
    if moved.is_empty() {
        let message = summary(&format!("No partner was moved to {group}."), &left);
        return page(&user, &state, shown, Some(target), Some(message), StatusCode::CONFLICT).await;
    }
    let done =
        format!("{} moved to {group}{}.", partners(moved.len()), if grant { " with its default access" } else { "" });
    user.flash(FlashKind::Success, summary(&done, &left))?;
    Ok(see_other("/settings/partners"))
}
