//! **Delete application** (Admins), after a confirmation page: the application goes with its
//! credentials, secrets and tokens, so every token it obtained stops working at once.

use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::{
    auth::guards::PartnerAdmin,
    db::{self, applications},
    domain::{ApplicationId, AuditAction, FlashKind},
    error::AppError,
    render::{render, see_other, Layout},
    routes::{
        applications::{lock_application, record, MENU_KEY},
        members::list::partner_of,
    },
    state::AppState,
};

#[derive(Template)]
#[template(path = "applications/delete.html")]
struct DeletePage {
    layout: Layout,
    id: ApplicationId,
    name: String,
    /// Environments it holds live credentials in.
    environments: Vec<String>,
}

pub async fn confirm_delete(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<ApplicationId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let (app, creds) = db::run(&state.pool, move |conn| {
        let app = applications::find(conn, actor.enterprise_id, partner_of(&actor)?, id)?.ok_or(AppError::NotFound)?;
        let creds = applications::credentials_of(conn, actor.enterprise_id, &[app.id])?;
        Ok((app, creds))
    })
    .await?;
    let page = DeletePage {
        layout: user.layout(format!("Delete {}?", app.name), MENU_KEY)?,
        id: app.id,
        name: app.name,
        environments: creds.into_iter().map(|c| c.environment_name).collect(),
    };
    Ok(render(&page))
}

pub async fn delete(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<ApplicationId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let name = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let (partner, app) = lock_application(conn, &actor, id)?;
            let client_ids: Vec<String> = applications::credentials_of(conn, actor.enterprise_id, &[app.id])?
                .into_iter()
                .map(|c| c.client_id)
                .collect();
            applications::delete(conn, actor.enterprise_id, app.id)?;
            record(
                conn,
                &actor,
                &partner,
                AuditAction::PartnerApplicationDeleted,
                serde_json::json!({ "application_id": app.id, "application": app.name, "client_ids": client_ids }),
            )?;
            Ok(app.name)
        })
    })
    .await?;
    tracing::info!(application_id = %id, "application deleted");
    user.flash(
        FlashKind::Success,
        format!("Application {name} deleted; its credentials and every access token it obtained stopped working."),
    )?;
    Ok(see_other("/partner/applications"))
}
