//! Catalog → Environments: *New environment*, *Edit* (*Name*, *Position*) and **Delete** (only
//! while no partner is granted an API in it; the APIs offered there stop being offered there).

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::domain::parse_id;
use crate::render::see_other;
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, catalog},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::{render, render_status, Layout},
    routes::{
        catalog::products::DeletePage,
        catalog::tabs::{
            changes, is_foreign_key_violation, is_unique_violation, parse_name, parse_position, partners_phrase,
            record, ENVIRONMENT_NAME_MAX, MENU_KEY,
        },
    },
    state::AppState,
};

const LIST: &str = "/catalog/environments";

fn target(name: &str) -> String {
    format!("Environment {name}")
}

#[derive(Deserialize, Clone)]
pub struct EnvironmentInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    position: String,
}

#[derive(Template)]
#[template(path = "catalog/environments/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    name: String,
    position: String,
    name_error: Option<String>,
    position_error: Option<String>,
}

impl FormPage {
    pub fn has_errors(&self) -> bool {
        self.name_error.is_some() || self.position_error.is_some()
    }
}

fn page(
    user: &EnterpriseAdmin,
    id: Option<i64>,
    input: EnvironmentInput,
    errors: (Option<String>, Option<String>),
) -> Result<FormPage, AppError> {
    let title = if id.is_some() { "Edit environment" } else { "New environment" };
    Ok(FormPage {
        layout: user.layout(format!("{title} · Catalog"), MENU_KEY)?,
        id,
        name: input.name,
        position: input.position,
        name_error: errors.0,
        position_error: errors.1,
    })
}

fn taken(name: &str) -> String {
    format!("Another environment is already called “{name}”. Choose a different name.")
}

enum Outcome {
    Saved(String),
    Invalid(Option<String>, Option<String>),
}

fn check(
    conn: &mut PgConnection,
    enterprise_id: i64,
    input: &EnvironmentInput,
    except: Option<i64>,
) -> Result<Result<(String, i32), Outcome>, AppError> {
    let name = match parse_name(&input.name, ENVIRONMENT_NAME_MAX) {
        Ok(n) if catalog::environment_name_taken(conn, enterprise_id, &n, except)? => Err(taken(&n)),
        other => other,
    };
    Ok(match (name, parse_position(&input.position)) {
        (Ok(n), Ok(p)) => Ok((n, p)),
        (n, p) => Err(Outcome::Invalid(n.err(), p.err())),
    })
}

fn respond(
    user: &EnterpriseAdmin,
    outcome: Outcome,
    id: Option<i64>,
    input: EnvironmentInput,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Saved(message) => {
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(LIST))
        }
        Outcome::Invalid(n, p) => Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(user, id, input, (n, p))?)),
    }
}

fn or_taken(result: Result<Outcome, AppError>, name: &str) -> Result<Outcome, AppError> {
    match result {
        Err(e) if is_unique_violation(&e) => Ok(Outcome::Invalid(Some(taken(name.trim())), None)),
        other => other,
    }
}

pub async fn new_form(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let next = db::run(&state.pool, move |conn| Ok(catalog::next_environment_position(conn, enterprise_id)?)).await?;
    let input = EnvironmentInput { name: String::new(), position: next.to_string() };
    Ok(render(&page(&user, None, input, (None, None))?))
}

pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    input: web::Form<EnvironmentInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let actor = user.user.clone();
    let typed = input.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let result = conn.transaction(|conn| {
            let (name, position) = match check(conn, actor.enterprise_id, &typed, None)? {
                Ok(v) => v,
                Err(invalid) => return Ok(invalid),
            };
            let env = catalog::insert_environment(conn, actor.enterprise_id, &name, position)?;
            record(
                conn,
                &actor,
                AuditAction::CatalogEnvironmentCreated,
                target(&env.name),
                serde_json::json!({ "name": env.name, "position": env.position }),
            )?;
            Ok(Outcome::Saved(format!("Environment “{}” created.", env.name)))
        });
        or_taken(result, &typed.name)
    })
    .await?;
    respond(&user, outcome, None, input)
}

pub async fn edit_form(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let env =
        db::run(&state.pool, move |conn| catalog::find_environment(conn, enterprise_id, id)?.ok_or(AppError::NotFound))
            .await?;
    let input = EnvironmentInput { name: env.name, position: env.position.to_string() };
    Ok(render(&page(&user, Some(id), input, (None, None))?))
}

pub async fn update(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<EnvironmentInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let input = input.into_inner();
    let actor = user.user.clone();
    let typed = input.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let result = conn.transaction(|conn| {
            let env = catalog::lock_environment(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            let (name, position) = match check(conn, actor.enterprise_id, &typed, Some(id))? {
                Ok(v) => v,
                Err(invalid) => return Ok(invalid),
            };
            let (from_pos, to_pos) = (env.position.to_string(), position.to_string());
            let diff = changes(&[("name", &env.name, &name), ("position", &from_pos, &to_pos)]);
            if diff.as_object().is_some_and(|m| !m.is_empty()) {
                catalog::update_environment(conn, id, &name, position)?;
                record(conn, &actor, AuditAction::CatalogEnvironmentUpdated, target(&name), diff)?;
            }
            Ok(Outcome::Saved(format!("Environment “{name}” saved.")))
        });
        or_taken(result, &typed.name)
    })
    .await?;
    respond(&user, outcome, Some(id), input)
}

fn in_use_conflict(name: &str, partners: i64) -> AppError {
    AppError::Conflict(format!(
        "“{name}” can't be deleted: {} granted APIs in it. Revoke those grants on the partners' APIs tab first.",
        if partners == 1 { "1 partner is".to_string() } else { format!("{partners} partners are") }
    ))
}

pub async fn confirm_delete(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let (env, partners, apis) = db::run(&state.pool, move |conn| {
        let env = catalog::find_environment(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        let partners = catalog::environment_partner_count(conn, id)?;
        let apis = catalog::environment_api_count(conn, id)?;
        Ok((env, partners, apis))
    })
    .await?;
    let refusal = (partners > 0).then(|| {
        format!(
            "“{}” can't be deleted: {} granted APIs in it. Revoke those grants on the partners' APIs tab first.",
            env.name,
            partners_phrase(partners)
        )
    });
    let note = (apis > 0).then(|| {
        format!(
            "{} offered in “{}”; {} no longer be offered there.",
            if apis == 1 { "1 API is".to_string() } else { format!("{apis} APIs are") },
            env.name,
            if apis == 1 { "it will" } else { "they will" }
        )
    });
    let page = DeletePage {
        layout: user.layout(format!("Delete {} · Catalog", env.name), MENU_KEY)?,
        kind: "environment",
        action: format!("/catalog/environments/{id}/delete"),
        back: LIST,
        archive_action: None,
        refusal,
        note,
        name: env.name,
    };
    Ok(render(&page))
}

pub async fn delete(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let actor = user.user.clone();
    let name = db::run(&state.pool, move |conn| {
        let result = conn.transaction(|conn| {
            let env = catalog::lock_environment(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            let partners = catalog::environment_partner_count(conn, id)?;
            if partners > 0 {
                return Err(in_use_conflict(&env.name, partners));
            }
            catalog::delete_environment(conn, id)?;
            record(
                conn,
                &actor,
                AuditAction::CatalogEnvironmentDeleted,
                target(&env.name),
                serde_json::json!({ "name": env.name, "position": env.position }),
            )?;
            Ok(env.name)
        });
        match result {
            Err(e) if is_foreign_key_violation(&e) => Err(AppError::Conflict(
                "A partner was just granted an API in this environment. Nothing was changed.".into(),
            )),
            other => other,
        }
    })
    .await?;
    user.flash(FlashKind::Success, format!("Environment “{name}” deleted."))?;
    Ok(see_other(LIST))
}
