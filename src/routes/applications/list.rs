//! `/partner/applications`: the partnership's applications with the environments they hold
//! live credentials in, and for Admins the *Create application* form. Every partner user
//! reads it; creating takes `PartnerAdmin` (a Member's POST answers 403).

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::{
        guards::{PartnerAdmin, PartnerUser},
        session::Principal,
    },
    db::{self, applications},
    domain::{ApplicationId, AuditAction, FlashKind},
    error::AppError,
    render::{render_status, see_other, Layout},
    routes::{
        applications::{app_path, lock_partner, parse_name, record, MENU_KEY, NAME_TAKEN_MESSAGE},
        members::list::partner_of,
    },
    state::AppState,
};

pub struct ApplicationRow {
    pub id: ApplicationId,
    pub name: String,
    pub created: DateTime<Utc>,
    /// Environments with live credentials, in environment order.
    pub environments: Vec<String>,
}

/// The *Create application* form: what was typed and what is wrong with it.
#[derive(Default)]
pub struct NameForm {
    pub name: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "applications/list.html")]
struct ListPage {
    layout: Layout,
    partner_name: String,
    enterprise_name: String,
    can_manage: bool,
    applications: Vec<ApplicationRow>,
    /// The partnership holds an API grant somewhere: credentials can be made.
    has_grants: bool,
    form: NameForm,
}

struct Loaded {
    applications: Vec<ApplicationRow>,
    has_grants: bool,
}

/// Four statements whatever the number of applications: applications, their credentials
/// (two), the granted environments.
fn load(conn: &mut PgConnection, actor: &Principal) -> Result<Loaded, AppError> {
    let partner_id = partner_of(actor)?;
    let apps = applications::list(conn, actor.enterprise_id, partner_id)?;
    let ids: Vec<ApplicationId> = apps.iter().map(|a| a.id).collect();
    let creds =
        if ids.is_empty() { Vec::new() } else { applications::credentials_of(conn, actor.enterprise_id, &ids)? };
    let has_grants = !applications::granted_environments(conn, actor.enterprise_id, partner_id)?.is_empty();
    Ok(Loaded {
        applications: apps
            .into_iter()
            .map(|a| ApplicationRow {
                environments: creds
                    .iter()
                    .filter(|c| c.application_id == a.id)
                    .map(|c| c.environment_name.clone())
                    .collect(),
                id: a.id,
                created: a.created_at,
                name: a.name,
            })
            .collect(),
        has_grants,
    })
}

async fn show<R: crate::auth::guards::Rule>(
    user: &crate::auth::guards::Auth<R>,
    state: &AppState,
    form: NameForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let loaded = db::run(&state.pool, move |conn| load(conn, &actor)).await?;
    let page = ListPage {
        layout: user.layout("Applications", MENU_KEY)?,
        partner_name: user.user.partner_name.clone().unwrap_or_default(),
        enterprise_name: user.user.enterprise_name.clone(),
        can_manage: user.user.is_partner_admin(),
        applications: loaded.applications,
        has_grants: loaded.has_grants,
        form,
    };
    Ok(render_status(status, &page))
}

pub async fn list(user: PartnerUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    show(&user, &state, NameForm::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NameFields {
    name: String,
}

/// **Create application**: a bad or taken name shows the form again (422) with the name kept.
pub async fn create(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    form: web::Form<NameFields>,
) -> Result<HttpResponse, AppError> {
    let raw = form.into_inner().name;
    let name = match parse_name(&raw) {
        Ok(name) => name,
        Err(e) => {
            let form = NameForm { name: raw, error: Some(e.to_string()) };
            return show(&user, &state, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = user.user.clone();
    let wanted = name.clone();
    let created = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let partner = lock_partner(conn, &actor)?;
            if applications::name_taken(conn, actor.enterprise_id, partner.id, wanted.as_str(), None)? {
                return Ok(None);
            }
            let id = applications::create(conn, actor.enterprise_id, partner.id, wanted.as_str(), actor.user_id)?;
            record(
                conn,
                &actor,
                &partner,
                AuditAction::PartnerApplicationCreated,
                serde_json::json!({ "application_id": id, "application": wanted.as_str() }),
            )?;
            Ok(Some(id))
        })
    })
    .await?;
    let Some(id) = created else {
        let form = NameForm { name: raw, error: Some(NAME_TAKEN_MESSAGE.into()) };
        return show(&user, &state, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    tracing::info!(application_id = %id, "application created");
    user.flash(FlashKind::Success, format!("Application {} created.", name.as_str()))?;
    Ok(see_other(&app_path(id)))
}
