//! Team changes: a member's role, removing a member (after a confirmation page), resending
//! or revoking a team invitation. Each is one transaction with its audit event (`db::team`);
//! the POSTs take `EnterpriseAdmin` (a Viewer's answer 403), the confirmation page
//! `EnterpriseEditor` (it is only a form, so a Viewer gets 403 too).

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, team},
    domain::{FlashKind, InvitationId, UserId, UserRole},
    error::AppError,
    render::{render_status, see_other, Layout},
    routes::team::list::{parse_role, MENU_KEY},
    state::AppState,
};

const TEAM: &str = "/settings/team";

fn article_role(role: UserRole) -> &'static str {
    match role {
        UserRole::EnterpriseAdmin => "an Enterprise admin",
        _ => "a Viewer",
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let role = parse_role(&form.role).map_err(AppError::bad_request)?;
    let actor = user.user.clone();
    let (member, changed) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| team::change_role(conn, &actor, id, role))
    })
    .await?;
    let name = member.display_name();
    if changed {
        tracing::info!(user_id = %id, role = role.as_str(), "team role changed");
        user.flash(FlashKind::Success, format!("{name} is now {}.", article_role(role)))?;
    } else {
        user.flash(FlashKind::Info, format!("{name} is already {}.", article_role(role)))?;
    }
    Ok(see_other(TEAM))
}

#[derive(Template)]
#[template(path = "team/remove.html")]
struct RemovePage {
    layout: Layout,
    id: UserId,
    name: String,
    email: String,
    role_label: &'static str,
    enterprise_name: String,
}

/// Read-only, but through the same checks as the removal (itself, the last Enterprise
/// admin: 409), so the page never offers a button that can only fail.
pub async fn confirm_remove(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = editor.user.clone();
    let member = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| team::check_remove(conn, &actor, id))
    })
    .await?;
    let name = member.display_name();
    let page = RemovePage {
        layout: editor.layout(format!("Remove {name}?"), MENU_KEY)?,
        id: member.id,
        role_label: member.role.label(),
        email: member.email,
        enterprise_name: editor.user.enterprise_name.clone(),
        name,
    };
    Ok(render_status(StatusCode::OK, &page))
}

pub async fn remove(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let member =
        db::run(&state.pool, move |conn| conn.transaction::<_, AppError, _>(|conn| team::remove(conn, &actor, id)))
            .await?;
    tracing::info!(user_id = %id, "team member removed");
    user.flash(
        FlashKind::Success,
        format!(
            "{} was removed from the team and no longer has access to {}.",
            member.display_name(),
            user.user.enterprise_name
        ),
    )?;
    Ok(see_other(TEAM))
}

pub async fn resend(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<InvitationId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let invitation = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| team::resend(conn, &settings, &actor, id))
    })
    .await?;
    user.flash(
        FlashKind::Success,
        format!("Invitation resent to {}. The previous link no longer works.", invitation.email),
    )?;
    Ok(see_other(TEAM))
}

pub async fn revoke(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<InvitationId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let email =
        db::run(&state.pool, move |conn| conn.transaction::<_, AppError, _>(|conn| team::revoke(conn, &actor, id)))
            .await?;
    user.flash(FlashKind::Success, format!("The invitation to {email} was revoked. Its link no longer works."))?;
    Ok(see_other(TEAM))
}
