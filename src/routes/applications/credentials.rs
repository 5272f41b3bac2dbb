//! An application's client credentials: **Create credentials** in a granted environment and
//! **Rotate secret** (both answer with the secret, shown once), **Revoke** (after a
//! confirmation page). All take `PartnerAdmin`; each is one transaction under the partner
//! row lock with its audit event.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::{
        credentials::{self, ClientKind},
        guards::PartnerAdmin,
        session::Principal,
    },
    db::{self, applications},
    domain::{ApplicationId, AuditAction, CredentialId, EnvironmentId, FlashKind},
    error::AppError,
    render::{error_page, render, see_other, Layout},
    routes::{
        applications::{
            app_path, lock_application, record, refuse_unless_active,
            secret::{shown_once, SecretPage},
            Overlap, MENU_KEY,
        },
        members::list::partner_of,
    },
    state::AppState,
};

pub const NOT_GRANTED_MESSAGE: &str = "Your partnership holds no API grant in that environment, so credentials there would open nothing. Nothing was changed.";

/// A new secret and what the database keeps of it.
struct Generated {
    secret: String,
    hash: Vec<u8>,
    hint: String,
}

fn generate(state: &AppState) -> Generated {
    let secret = credentials::new_secret();
    Generated {
        hash: credentials::hash(state.settings.oauth.credential_key.expose(), &secret),
        hint: credentials::hint(&secret),
        secret,
    }
}

/// The application's live credential `id` with its environment's name; 404 for anything else.
fn live_credential(
    conn: &mut PgConnection,
    actor: &Principal,
    app: &applications::Application,
    id: CredentialId,
) -> Result<applications::Credential, AppError> {
    applications::credentials_of(conn, actor.enterprise_id, &[app.id])?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
pub struct CreateFields {
    environment_id: EnvironmentId,
}

enum Created {
    Done { app: applications::Application, environment: String, client_id: String },
    NotGranted,
    Exists { environment: String },
}

fn create_tx(
    conn: &mut PgConnection,
    actor: &Principal,
    id: ApplicationId,
    environment_id: EnvironmentId,
    secret: &applications::NewSecret<'_>,
) -> Result<Created, AppError> {
    let (partner, app) = lock_application(conn, actor, id)?;
    refuse_unless_active(&partner)?;
    let Some(environment) = applications::granted_environments(conn, actor.enterprise_id, partner.id)?
        .into_iter()
        .find(|e| e.id == environment_id)
    else {
        return Ok(Created::NotGranted);
    };
    let client_id = credentials::new_client_id(ClientKind::Application, actor.enterprise_id);
    let made = applications::create_credential(
        conn,
        actor.enterprise_id,
        app.id,
        environment.id,
        &client_id,
        secret,
        actor.user_id,
    )?;
    if made.is_none() {
        return Ok(Created::Exists { environment: environment.name });
    }
    record(
        conn,
        actor,
        &partner,
        AuditAction::PartnerCredentialsCreated,
        serde_json::json!({
            "application_id": app.id, "application": app.name,
            "environment_id": environment.id, "environment": environment.name,
            "client_id": client_id,
        }),
    )?;
    Ok(Created::Done { app, environment: environment.name, client_id })
}

/// **Create credentials**: 201 with the page that shows the secret once; 422 for an
/// environment without a grant, 409 when live credentials exist there or the partnership is
/// not active.
pub async fn create(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<ApplicationId>,
    form: web::Form<CreateFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let environment_id = form.into_inner().environment_id;
    let Generated { secret, hash, hint } = generate(&state);
    let actor = user.user.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let stored = applications::NewSecret { hash: &hash, hint: &hint };
        conn.transaction(|conn| create_tx(conn, &actor, id, environment_id, &stored))
    })
    .await?;
    match outcome {
        Created::NotGranted => Ok(error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "No API grant in that environment",
            NOT_GRANTED_MESSAGE,
        )),
        Created::Exists { environment } => Err(AppError::Conflict(format!(
            "This application already has client credentials in {environment}. Rotate their secret or revoke them first. Nothing was changed."
        ))),
        Created::Done { app, environment, client_id } => {
            tracing::info!(application_id = %app.id, %client_id, "client credentials created");
            let page = SecretPage {
                layout: user.layout(format!("Client credentials · {}", app.name), MENU_KEY)?,
                application_id: app.id,
                application_name: app.name,
                environment_name: environment,
                client_id,
                secret,
                token_url: state.settings.link("/oauth/token"),
                rotated: None,
            };
            Ok(shown_once(StatusCode::CREATED, &page))
        }
    }
}

#[derive(Deserialize)]
pub struct RotateFields {
    overlap: String,
}

/// **Rotate secret**: 200 with the new secret, shown once; the secrets in use so far keep
/// working for the chosen overlap (none: they, and the tokens they obtained, stop now).
pub async fn rotate(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<(ApplicationId, CredentialId)>,
    form: web::Form<RotateFields>,
) -> Result<HttpResponse, AppError> {
    let (id, credential_id) = path.into_inner();
    let overlap = Overlap::parse(&form.overlap)?;
    let Generated { secret, hash, hint } = generate(&state);
    let actor = user.user.clone();
    let (app, credential) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let (partner, app) = lock_application(conn, &actor, id)?;
            refuse_unless_active(&partner)?;
            let credential = live_credential(conn, &actor, &app, credential_id)?;
            let stored = applications::NewSecret { hash: &hash, hint: &hint };
            applications::rotate(conn, actor.enterprise_id, credential.id, &stored, overlap.duration())?;
            record(
                conn,
                &actor,
                &partner,
                AuditAction::PartnerSecretRotated,
                serde_json::json!({
                    "application_id": app.id, "application": app.name,
                    "environment_id": credential.environment_id, "environment": credential.environment_name,
                    "client_id": credential.client_id, "overlap": overlap.label,
                }),
            )?;
            Ok((app, credential))
        })
    })
    .await?;
    tracing::info!(application_id = %app.id, client_id = %credential.client_id, "client secret rotated");
    let rotated = if overlap.minutes == 0 {
        "The previous secret stopped working now, and so did the access tokens it obtained.".to_string()
    } else {
        let until = chrono::Utc::now() + overlap.duration();
        format!("The previous secret keeps working until {}; then it stops.", user.user.clock().at(until))
    };
    let page = SecretPage {
        layout: user.layout(format!("New secret · {}", app.name), MENU_KEY)?,
        application_id: app.id,
        application_name: app.name,
        environment_name: credential.environment_name,
        client_id: credential.client_id,
        secret,
        token_url: state.settings.link("/oauth/token"),
        rotated: Some(rotated),
    };
    Ok(shown_once(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "applications/revoke.html")]
struct RevokePage {
    layout: Layout,
    application_id: ApplicationId,
    application_name: String,
    credential_id: CredentialId,
    environment_name: String,
    client_id: String,
}

/// The confirmation page of **Revoke** (a form only: Admins).
pub async fn confirm_revoke(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<(ApplicationId, CredentialId)>,
) -> Result<HttpResponse, AppError> {
    let (id, credential_id) = path.into_inner();
    let actor = user.user.clone();
    let (app, credential) = db::run(&state.pool, move |conn| {
        let app = applications::find(conn, actor.enterprise_id, partner_of(&actor)?, id)?.ok_or(AppError::NotFound)?;
        let credential = live_credential(conn, &actor, &app, credential_id)?;
        Ok((app, credential))
    })
    .await?;
    let page = RevokePage {
        layout: user.layout(format!("Revoke credentials · {}", app.name), MENU_KEY)?,
        application_id: app.id,
        application_name: app.name,
        credential_id: credential.id,
        environment_name: credential.environment_name,
        client_id: credential.client_id,
    };
    Ok(render(&page))
}

/// **Revoke**: the credentials, their secrets and every token they obtained stop working.
pub async fn revoke(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<(ApplicationId, CredentialId)>,
) -> Result<HttpResponse, AppError> {
    let (id, credential_id) = path.into_inner();
    let actor = user.user.clone();
    let (app, credential) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let (partner, app) = lock_application(conn, &actor, id)?;
            let credential = live_credential(conn, &actor, &app, credential_id)?;
            applications::revoke_credential(conn, actor.enterprise_id, credential.id)?;
            record(
                conn,
                &actor,
                &partner,
                AuditAction::PartnerCredentialsRevoked,
                serde_json::json!({
                    "application_id": app.id, "application": app.name,
                    "environment_id": credential.environment_id, "environment": credential.environment_name,
                    "client_id": credential.client_id,
                }),
            )?;
            Ok((app, credential))
        })
    })
    .await?;
    tracing::info!(application_id = %app.id, client_id = %credential.client_id, "client credentials revoked");
    user.flash(
        FlashKind::Success,
        format!(
            "The client credentials of {} in {} were revoked; every access token they obtained stopped working.",
            app.name, credential.environment_name
        ),
    )?;
    Ok(see_other(&app_path(id)))
}
