//! Catalog → Environments: *New environment*, *Edit* (*Name*, *Position*) and **Delete** (only
//! while no partner is granted an API in it; the APIs offered there stop being offered there).

use crate::domain::{AuditAction, FlashKind};
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, catalog},
    domain::{EnterpriseId, EnvironmentId, EnvironmentName, Position},
    error::{AppError, FieldErrors},
    render::{render, render_status, see_other, Layout},
    routes::catalog::{
        items::DeletePage,
        tabs::{changes, partners_phrase, record, MENU_KEY},
    },
    state::AppState,
};

/// The unique index on `(enterprise_id, lower(name))` (migration 000002).
const NAME_INDEX: &str = "environments_name_ci";
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
    /// The *Requires approval* checkbox (sent only when ticked).
    #[serde(default)]
    requires_approval: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog/environments/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<EnvironmentId>,
    name: String,
    position: String,
    requires_approval: bool,
    errors: FieldErrors,
}

fn page(
    user: &EnterpriseAdmin,
    id: Option<EnvironmentId>,
    input: EnvironmentInput,
    errors: FieldErrors,
) -> Result<FormPage, AppError> {
    let title = if id.is_some() { "Edit environment" } else { "New environment" };
    Ok(FormPage {
        layout: user.layout(format!("{title} · Catalog"), MENU_KEY)?,
        id,
        name: input.name,
        position: input.position,
        requires_approval: input.requires_approval.is_some(),
        errors,
    })
}

fn taken(name: &str) -> String {
    format!("Another environment is already called “{name}”. Choose a different name.")
}

enum Outcome {
    Saved(String),
    Invalid(FieldErrors),
}

fn check(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    input: &EnvironmentInput,
    except: Option<EnvironmentId>,
) -> Result<Result<(EnvironmentName, Position), Outcome>, AppError> {
    let mut errors = FieldErrors::default();
    let name = match errors.check("name", EnvironmentName::parse(&input.name)) {
        Some(n) if catalog::environment_name_taken(conn, enterprise_id, n.as_str(), except)? => {
            errors.add("name", taken(n.as_str()));
            None
        }
        other => other,
    };
    let position = errors.check("position", Position::parse(&input.position));
    Ok(match (name, position) {
        (Some(n), Some(p)) => Ok((n, p)),
        _ => Err(Outcome::Invalid(errors)),
    })
}

fn respond(
    user: &EnterpriseAdmin,
    outcome: Outcome,
    id: Option<EnvironmentId>,
    input: EnvironmentInput,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Saved(message) => {
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(LIST))
        }
        Outcome::Invalid(errors) => {
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(user, id, input, errors)?))
        }
    }
}

/// A unique violation means another admin saved the same name a moment ago.
fn or_taken(result: Result<Outcome, AppError>, name: &str) -> Result<Outcome, AppError> {
    result.or_else(|e| e.unique_as_field(NAME_INDEX, "name", || taken(name.trim())).map(Outcome::Invalid))
}

pub async fn new_form(editor: EnterpriseEditor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let enterprise_id = user.user.enterprise_id;
    let next = db::run(&state.pool, move |conn| Ok(catalog::next_environment_position(conn, enterprise_id)?)).await?;
    let input = EnvironmentInput { name: String::new(), position: next.to_string(), requires_approval: None };
    Ok(render(&page(&user, None, input, FieldErrors::default())?))
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
            let approval = typed.requires_approval.is_some();
            let env = catalog::insert_environment(conn, actor.enterprise_id, name.as_str(), position.get(), approval)?;
            record(
                conn,
                &actor,
                AuditAction::CatalogEnvironmentCreated,
                target(&env.name),
                serde_json::json!({ "name": env.name, "position": env.position, "requires_approval": approval }),
            )?;
            Ok(Outcome::Saved(format!("Environment “{}” created.", env.name)))
        });
        or_taken(result, &typed.name)
    })
    .await?;
    respond(&user, outcome, None, input)
}

pub async fn edit_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<EnvironmentId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let env =
        db::run(&state.pool, move |conn| catalog::find_environment(conn, enterprise_id, id)?.ok_or(AppError::NotFound))
            .await?;
    let input = EnvironmentInput {
        name: env.name,
        position: env.position.to_string(),
        requires_approval: env.requires_approval.then(|| "on".to_string()),
    };
    Ok(render(&page(&user, Some(id), input, FieldErrors::default())?))
}

pub async fn update(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<EnvironmentId>,
    input: web::Form<EnvironmentInput>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
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
            let (name, from_pos, to_pos) = (name.as_str(), env.position.to_string(), position.to_string());
            let approval = typed.requires_approval.is_some();
            let yes_no = |b: bool| if b { "yes" } else { "no" };
            let diff = changes(&[
                ("name", &env.name, name),
                ("position", &from_pos, &to_pos),
                ("requires_approval", yes_no(env.requires_approval), yes_no(approval)),
            ]);
            if diff.as_object().is_some_and(|m| !m.is_empty()) {
                catalog::update_environment(conn, id, name, position.get(), approval)?;
                record(conn, &actor, AuditAction::CatalogEnvironmentUpdated, target(name), diff)?;
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
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<EnvironmentId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
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
    path: web::Path<EnvironmentId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let name = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
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
        })
        .map_err(|e| {
            e.foreign_key_as_conflict(|| {
                "A partner was just granted an API in this environment. Nothing was changed.".into()
            })
        })
    })
    .await?;
    user.flash(FlashKind::Success, format!("Environment “{name}” deleted."))?;
    Ok(see_other(LIST))
}
