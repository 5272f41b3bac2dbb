//! Catalog → APIs: *New API*, *Edit* (with the *Environments* it is offered in), **Archive** /
//! **Unarchive** and **Delete** (only for an API never granted to a partner). An environment
//! in which a partner is granted the API can't be removed from it.

use std::collections::{HashMap, HashSet};

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::domain::parse_id;
use crate::render::see_other;
use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    db::{self, catalog},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::{render, render_status, Layout},
    routes::{
        catalog::products::DeletePage,
        catalog::tabs::{
            changes, granted_conflict, is_foreign_key_violation, is_unique_violation, parse_base_path,
            parse_description, parse_name, partners_phrase, record, MENU_KEY, NAME_MAX,
        },
    },
    state::AppState,
};

const LIST: &str = "/catalog/apis";

fn target(name: &str) -> String {
    format!("API {name}")
}

// ---- the form --------------------------------------------------------------------------------

/// The form as typed; `environments` repeats once per ticked box, so the body is read as pairs.
#[derive(Default, Clone)]
struct ApiInput {
    name: String,
    description: String,
    base_path: String,
    environments: Vec<String>,
}

impl ApiInput {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut input = ApiInput::default();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => input.name = value,
                "description" => input.description = value,
                "base_path" => input.base_path = value,
                "environments" => input.environments.push(value),
                _ => {}
            }
        }
        input
    }
}

pub struct EnvironmentChoice {
    pub id: i64,
    pub name: String,
    pub checked: bool,
    /// Partners granted the API in this environment (edit only).
    pub granted: i64,
}

#[derive(Default)]
struct Errors {
    name: Option<String>,
    description: Option<String>,
    base_path: Option<String>,
    environments: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog/apis/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    archived: bool,
    name: String,
    description: String,
    base_path: String,
    environments: Vec<EnvironmentChoice>,
    errors: Errors,
}

impl FormPage {
    pub fn has_errors(&self) -> bool {
        let e = &self.errors;
        e.name.is_some() || e.description.is_some() || e.base_path.is_some() || e.environments.is_some()
    }
}

/// What the form needs from the database besides the input.
struct Context {
    archived: bool,
    environments: Vec<catalog::Environment>,
    granted: HashMap<i64, i64>,
}

fn page(
    user: &EnterpriseAdmin,
    id: Option<i64>,
    input: ApiInput,
    ctx: Context,
    errors: Errors,
) -> Result<FormPage, AppError> {
    let title = if id.is_some() { "Edit API" } else { "New API" };
    let ticked: HashSet<&str> = input.environments.iter().map(String::as_str).collect();
    let environments = ctx
        .environments
        .into_iter()
        .map(|e| EnvironmentChoice {
            checked: ticked.contains(e.id.to_string().as_str()),
            granted: ctx.granted.get(&e.id).copied().unwrap_or(0),
            id: e.id,
            name: e.name,
        })
        .collect();
    Ok(FormPage {
        layout: user.layout(format!("{title} · Catalog"), MENU_KEY)?,
        id,
        archived: ctx.archived,
        name: input.name,
        description: input.description,
        base_path: input.base_path,
        environments,
        errors,
    })
}

struct Valid {
    name: String,
    description: String,
    base_path: String,
    environments: Vec<i64>,
}

fn taken(name: &str) -> String {
    format!("Another API is already called “{name}”. Choose a different name.")
}

fn check(
    conn: &mut PgConnection,
    enterprise_id: i64,
    input: &ApiInput,
    envs: &[catalog::Environment],
    except: Option<i64>,
) -> Result<Result<Valid, Errors>, AppError> {
    let name = match parse_name(&input.name, NAME_MAX) {
        Ok(n) if catalog::api_name_taken(conn, enterprise_id, &n, except)? => Err(taken(&n)),
        other => other,
    };
    let known: HashSet<i64> = envs.iter().map(|e| e.id).collect();
    let chosen: Option<Vec<i64>> =
        input.environments.iter().map(|raw| raw.parse::<i64>().ok().filter(|id| known.contains(id))).collect();
    let environments = match chosen {
        None => Err("Choose environments from the list.".to_string()),
        Some(ids) if ids.is_empty() => Err("Choose at least one environment the API is offered in.".to_string()),
        Some(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        }
    };
    let (description, base_path) = (parse_description(&input.description), parse_base_path(&input.base_path));
    Ok(match (name, description, base_path, environments) {
        (Ok(name), Ok(description), Ok(base_path), Ok(environments)) => {
            Ok(Valid { name, description, base_path, environments })
        }
        (n, d, b, e) => Err(Errors { name: n.err(), description: d.err(), base_path: b.err(), environments: e.err() }),
    })
}

enum Outcome {
    Saved(String),
    /// 422: the input is wrong; 409: it would remove an environment still granted.
    Invalid(StatusCode, Errors, Context),
}

fn names_of(envs: &[catalog::Environment], ids: &[i64]) -> Vec<String> {
    envs.iter().filter(|e| ids.contains(&e.id)).map(|e| e.name.clone()).collect()
}

fn respond(
    user: &EnterpriseAdmin,
    outcome: Outcome,
    id: Option<i64>,
    input: ApiInput,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Saved(message) => {
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(LIST))
        }
        Outcome::Invalid(status, errors, ctx) => Ok(render_status(status, &page(user, id, input, ctx, errors)?)),
    }
}

/// A unique violation means another admin saved the same name a moment ago.
fn name_race(conn: &mut PgConnection, enterprise_id: i64, id: Option<i64>, name: &str) -> Result<Outcome, AppError> {
    let environments = catalog::environments(conn, enterprise_id)?;
    let errors = Errors { name: Some(taken(name.trim())), ..Errors::default() };
    let archived = match id {
        Some(id) => catalog::find_api(conn, enterprise_id, id)?.is_some_and(|a| a.archived()),
        None => false,
    };
    Ok(Outcome::Invalid(
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        Context { archived, environments, granted: HashMap::new() },
    ))
}

pub async fn new_form(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let environments = db::run(&state.pool, move |conn| Ok(catalog::environments(conn, enterprise_id)?)).await?;
    let ctx = Context { archived: false, environments, granted: HashMap::new() };
    Ok(render(&page(&user, None, ApiInput::default(), ctx, Errors::default())?))
}

pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let input = ApiInput::from_pairs(form.into_inner());
    let actor = user.user.clone();
    let typed = input.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let result = conn.transaction(|conn| {
            let envs = catalog::environments(conn, actor.enterprise_id)?;
            let v = match check(conn, actor.enterprise_id, &typed, &envs, None)? {
                Ok(v) => v,
                Err(errors) => {
                    let ctx = Context { archived: false, environments: envs, granted: HashMap::new() };
                    return Ok(Outcome::Invalid(StatusCode::UNPROCESSABLE_ENTITY, errors, ctx));
                }
            };
            let fields = catalog::ItemFields { name: &v.name, description: &v.description, base_path: &v.base_path };
            let api = catalog::insert_api(conn, actor.enterprise_id, &fields)?;
            catalog::add_api_environments(conn, api.id, &v.environments)?;
            let details = serde_json::json!({
                "name": api.name, "description": api.description, "base_path": api.base_path,
                "environments": names_of(&envs, &v.environments),
            });
            record(conn, &actor, AuditAction::CatalogApiCreated, target(&api.name), details)?;
            Ok(Outcome::Saved(format!("API “{}” created.", api.name)))
        });
        match result {
            Err(e) if is_unique_violation(&e) => name_race(conn, actor.enterprise_id, None, &typed.name),
            other => other,
        }
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
    let (api, offered, ctx) = db::run(&state.pool, move |conn| {
        let api = catalog::find_api(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        let offered = catalog::api_environment_ids(conn, id)?;
        let environments = catalog::environments(conn, enterprise_id)?;
        let granted = catalog::api_grants_by_environment(conn, id, &offered)?.into_iter().collect();
        Ok((api.clone(), offered, Context { archived: api.archived(), environments, granted }))
    })
    .await?;
    let input = ApiInput {
        name: api.name,
        description: api.description,
        base_path: api.base_path,
        environments: offered.iter().map(i64::to_string).collect(),
    };
    Ok(render(&page(&user, Some(id), input, ctx, Errors::default())?))
}

pub async fn update(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let input = ApiInput::from_pairs(form.into_inner());
    let actor = user.user.clone();
    let typed = input.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let result = conn.transaction(|conn| apply(conn, &actor, id, &typed));
        match result {
            Err(e) if is_unique_violation(&e) => name_race(conn, actor.enterprise_id, Some(id), &typed.name),
            Err(e) if is_foreign_key_violation(&e) => Err(AppError::Conflict(
                "A partner was just granted this API in an environment you removed. Nothing was changed.".into(),
            )),
            other => other,
        }
    })
    .await?;
    respond(&user, outcome, Some(id), input)
}

/// Saves an edit against the locked API: refused (409) when it removes an environment in which
/// a partner is granted the API.
fn apply(conn: &mut PgConnection, actor: &Principal, id: i64, input: &ApiInput) -> Result<Outcome, AppError> {
    let api = catalog::lock_api(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
    let envs = catalog::environments(conn, actor.enterprise_id)?;
    let offered = catalog::api_environment_ids(conn, id)?;
    let granted: HashMap<i64, i64> = catalog::api_grants_by_environment(conn, id, &offered)?.into_iter().collect();
    let v = match check(conn, actor.enterprise_id, input, &envs, Some(id))? {
        Ok(v) => v,
        Err(errors) => {
            let ctx = Context { archived: api.archived(), environments: envs, granted };
            return Ok(Outcome::Invalid(StatusCode::UNPROCESSABLE_ENTITY, errors, ctx));
        }
    };
    let removed: Vec<i64> = offered.iter().copied().filter(|e| !v.environments.contains(e)).collect();
    let added: Vec<i64> = v.environments.iter().copied().filter(|e| !offered.contains(e)).collect();
    let still_granted: Vec<String> = envs
        .iter()
        .filter(|e| removed.contains(&e.id))
        .filter_map(|e| granted.get(&e.id).map(|n| format!("{} ({})", e.name, partners_phrase(*n))))
        .collect();
    if !still_granted.is_empty() {
        let message = format!(
            "“{}” is granted to partners in {}. Revoke those grants on the partners' APIs tab before removing the environment; nothing was changed.",
            api.name,
            still_granted.join(", ")
        );
        let errors = Errors { environments: Some(message), ..Errors::default() };
        return Ok(Outcome::Invalid(
            StatusCode::CONFLICT,
            errors,
            Context { archived: api.archived(), environments: envs, granted },
        ));
    }

    let mut details = changes(&[
        ("name", &api.name, &v.name),
        ("description", &api.description, &v.description),
        ("base_path", &api.base_path, &v.base_path),
    ]);
    if let Some(map) = details.as_object_mut() {
        if !added.is_empty() {
            map.insert("environments_added".into(), serde_json::json!(names_of(&envs, &added)));
        }
        if !removed.is_empty() {
            map.insert("environments_removed".into(), serde_json::json!(names_of(&envs, &removed)));
        }
    }
    if details.as_object().is_some_and(|m| !m.is_empty()) {
        let fields = catalog::ItemFields { name: &v.name, description: &v.description, base_path: &v.base_path };
        catalog::update_api(conn, id, &fields)?;
        catalog::remove_api_environments(conn, id, &removed)?;
        catalog::add_api_environments(conn, id, &added)?;
        record(conn, actor, AuditAction::CatalogApiUpdated, target(&v.name), details)?;
    }
    Ok(Outcome::Saved(format!("API “{}” saved.", v.name)))
}

// ---- archive, unarchive, delete ----------------------------------------------------------------

fn set_archived(conn: &mut PgConnection, actor: &Principal, id: i64, archive: bool) -> Result<String, AppError> {
    conn.transaction(|conn| {
        let api = catalog::lock_api(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
        if api.archived() != archive {
            catalog::set_api_archived(conn, id, archive)?;
            let action = if archive { AuditAction::CatalogApiArchived } else { AuditAction::CatalogApiUnarchived };
            record(conn, actor, action, target(&api.name), serde_json::json!({}))?;
        }
        Ok(if archive {
            format!(
                "API “{}” archived: partners who have it keep it, and it can't be granted to anyone else until you unarchive it.",
                api.name
            )
        } else {
            format!("API “{}” unarchived: it can be granted to partners again.", api.name)
        })
    })
}

pub async fn archive(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let actor = user.user.clone();
    let message = db::run(&state.pool, move |conn| set_archived(conn, &actor, id, true)).await?;
    user.flash(FlashKind::Success, message)?;
    Ok(see_other(LIST))
}

pub async fn unarchive(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let actor = user.user.clone();
    let message = db::run(&state.pool, move |conn| set_archived(conn, &actor, id, false)).await?;
    user.flash(FlashKind::Success, message)?;
    Ok(see_other(LIST))
}

pub async fn confirm_delete(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let (api, partners) = db::run(&state.pool, move |conn| {
        let api = catalog::find_api(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        Ok((api, catalog::api_partner_count(conn, id)?))
    })
    .await?;
    let refusal = (partners > 0).then(|| {
        format!("“{}” is granted to {}, so it can't be deleted. Archive it instead: partners who have it keep it, and nobody else can be granted it.", api.name, partners_phrase(partners))
    });
    let page = DeletePage {
        layout: user.layout(format!("Delete {} · Catalog", api.name), MENU_KEY)?,
        kind: "API",
        action: format!("/catalog/apis/{id}/delete"),
        back: LIST,
        archive_action: (partners > 0 && !api.archived()).then(|| format!("/catalog/apis/{id}/archive")),
        refusal,
        note: None,
        name: api.name,
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
            let api = catalog::lock_api(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            let partners = catalog::api_partner_count(conn, id)?;
            if partners > 0 {
                return Err(granted_conflict(&api.name, partners));
            }
            catalog::delete_api(conn, id)?;
            let details =
                serde_json::json!({ "name": api.name, "description": api.description, "base_path": api.base_path });
            record(conn, &actor, AuditAction::CatalogApiDeleted, target(&api.name), details)?;
            Ok(api.name)
        });
        match result {
            Err(e) if is_foreign_key_violation(&e) => {
                Err(AppError::Conflict("The API was just granted to a partner; archive it instead.".into()))
            }
            other => other,
        }
    })
    .await?;
    user.flash(FlashKind::Success, format!("API “{name}” deleted."))?;
    Ok(see_other(LIST))
}
