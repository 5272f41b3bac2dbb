//! `/partner/applications/{id}`: one application, its **Rename** form, and per environment
//! the partnership holds an API grant in its live credentials (client id, secrets by their
//! last four characters, **Rotate secret**, **Revoke**) or **Create credentials**. Members
//! see it without a form. Credentials left in an environment whose grants were revoked since
//! are listed too, so they can be revoked.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::{
        guards::{Auth, PartnerAdmin, PartnerUser, Rule},
        session::Principal,
    },
    db::{self, applications},
    domain::{ApplicationId, AuditAction, EnvironmentId, FlashKind},
    error::AppError,
    render::{render_status, see_other, Layout},
    routes::{
        applications::{
            app_path, lock_application, parse_name, record, CredentialView, Overlap, MENU_KEY, NAME_TAKEN_MESSAGE,
            OVERLAPS,
        },
        members::list::partner_of,
    },
    state::AppState,
};

use super::list::NameForm;

/// One environment of the page: granted (credentials may be made) or holding credentials.
pub struct EnvironmentView {
    pub id: EnvironmentId,
    pub name: String,
    pub granted: bool,
    pub credential: Option<CredentialView>,
    /// What a token for this environment carries: "API One (/one/v1)", in name order.
    pub apis: Vec<String>,
}

#[derive(Template)]
#[template(path = "applications/page.html")]
struct AppPage {
    layout: Layout,
    id: ApplicationId,
    name: String,
    created: DateTime<Utc>,
    can_manage: bool,
    environments: Vec<EnvironmentView>,
    overlaps: [Overlap; 4],
    form: NameForm,
}

struct Loaded {
    app: applications::Application,
    environments: Vec<EnvironmentView>,
}

/// The application (404 for another partnership's), the granted environments and its live
/// credentials with their secrets, and the APIs granted per environment: four statements.
fn load(conn: &mut PgConnection, actor: &Principal, id: ApplicationId) -> Result<Loaded, AppError> {
    let partner_id = partner_of(actor)?;
    let app = applications::find(conn, actor.enterprise_id, partner_id, id)?.ok_or(AppError::NotFound)?;
    let granted = applications::granted_apis(conn, actor.enterprise_id, partner_id)?;
    let mut creds = applications::credentials_of(conn, actor.enterprise_id, &[app.id])?;
    // The grants come in environment order, consecutive per environment.
    let mut environments: Vec<EnvironmentView> = Vec::new();
    for g in granted {
        let api = if g.base_path.is_empty() { g.name } else { format!("{} ({})", g.name, g.base_path) };
        match environments.last_mut() {
            Some(e) if e.id == g.environment_id => e.apis.push(api),
            _ => {
                let credential = creds
                    .iter()
                    .position(|c| c.environment_id == g.environment_id)
                    .map(|i| CredentialView::new(&creds.remove(i)));
                environments.push(EnvironmentView {
                    id: g.environment_id,
                    name: g.environment_name,
                    granted: true,
                    credential,
                    apis: vec![api],
                });
            }
        }
    }
    // Credentials in an environment no longer granted: they obtain no token, but stay revocable.
    environments.extend(creds.iter().map(|c| EnvironmentView {
        id: c.environment_id,
        name: c.environment_name.clone(),
        granted: false,
        credential: Some(CredentialView::new(c)),
        apis: Vec::new(),
    }));
    Ok(Loaded { app, environments })
}

async fn show<R: Rule>(
    user: &Auth<R>,
    state: &AppState,
    id: ApplicationId,
    form: Option<NameForm>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let loaded = db::run(&state.pool, move |conn| load(conn, &actor, id)).await?;
    let form = form.unwrap_or_else(|| NameForm { name: loaded.app.name.clone(), error: None });
    let page = AppPage {
        layout: user.layout(format!("{} · Applications", loaded.app.name), MENU_KEY)?,
        id: loaded.app.id,
        created: loaded.app.created_at,
        name: loaded.app.name,
        can_manage: user.user.is_partner_admin(),
        environments: loaded.environments,
        overlaps: OVERLAPS,
        form,
    };
    Ok(render_status(status, &page))
}

pub async fn page(
    user: PartnerUser,
    state: web::Data<AppState>,
    path: web::Path<ApplicationId>,
) -> Result<HttpResponse, AppError> {
    show(&user, &state, path.into_inner(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct RenameFields {
    name: String,
}

/// **Rename**: a bad or taken name shows the page again (422) with the name kept.
pub async fn rename(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<ApplicationId>,
    form: web::Form<RenameFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let raw = form.into_inner().name;
    let name = match parse_name(&raw) {
        Ok(name) => name,
        Err(e) => {
            let form = NameForm { name: raw, error: Some(e.to_string()) };
            return show(&user, &state, id, Some(form), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = user.user.clone();
    let wanted = name.clone();
    // Some(old name) when renamed, None when the name is taken.
    let renamed = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let (partner, app) = lock_application(conn, &actor, id)?;
            if app.name == wanted.as_str() {
                return Ok(Some(app.name));
            }
            if applications::name_taken(conn, actor.enterprise_id, partner.id, wanted.as_str(), Some(app.id))? {
                return Ok(None);
            }
            applications::rename(conn, actor.enterprise_id, app.id, wanted.as_str())?;
            record(
                conn,
                &actor,
                &partner,
                AuditAction::PartnerApplicationRenamed,
                serde_json::json!({ "application_id": app.id, "from": app.name, "to": wanted.as_str() }),
            )?;
            Ok(Some(app.name))
        })
    })
    .await?;
    match renamed {
        None => {
            let form = NameForm { name: raw, error: Some(NAME_TAKEN_MESSAGE.into()) };
            show(&user, &state, id, Some(form), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Some(old) if old == name.as_str() => {
            user.flash(FlashKind::Info, "The application already has that name; nothing changed.")?;
            Ok(see_other(&app_path(id)))
        }
        Some(old) => {
            user.flash(FlashKind::Success, format!("Application {old} renamed to {}.", name.as_str()))?;
            Ok(see_other(&app_path(id)))
        }
    }
}
