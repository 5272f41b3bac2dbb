//! Catalog → APIs: *New API* and *Edit* (with the *Environments* it is offered in). An
//! environment in which a partner is granted the API can't be removed from it. Archiving and
//! deleting an API is the flow it shares with products, in `items`.

use crate::domain::FlashKind;
use std::collections::{HashMap, HashSet};

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::{
    auth::{
        guards::{EnterpriseAdmin, EnterpriseEditor},
        session::Principal,
    },
    db::{self, catalog},
    domain::{ApiId, BasePath, CatalogName, Description, EnterpriseId, EnvironmentId, ItemEvent, ItemKind},
    error::{AppError, FieldErrors},
    render::{render, render_status, see_other, Layout},
    routes::catalog::{
        items::{check_name, name_race, save_edit},
        tabs::{partners_phrase, record, MENU_KEY},
    },
    state::AppState,
};

const KIND: ItemKind = ItemKind::Api;

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
    pub id: EnvironmentId,
    pub name: String,
    pub checked: bool,
    /// Partners granted the API in this environment (edit only).
    pub granted: i64,
}

#[derive(Template)]
#[template(path = "catalog/apis/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<ApiId>,
    archived: bool,
    name: String,
    description: String,
    base_path: String,
    environments: Vec<EnvironmentChoice>,
    errors: FieldErrors,
}

/// What the form needs from the database besides the input.
struct Context {
    archived: bool,
    environments: Vec<catalog::Environment>,
    granted: HashMap<EnvironmentId, i64>,
}

fn page(
    user: &EnterpriseAdmin,
    id: Option<ApiId>,
    input: ApiInput,
    ctx: Context,
    errors: FieldErrors,
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
    name: CatalogName,
    description: Description,
    base_path: BasePath,
    environments: Vec<EnvironmentId>,
}

impl Valid {
    fn fields(&self) -> catalog::ItemFields<'_> {
        catalog::ItemFields {
            name: self.name.as_str(),
            description: self.description.as_str(),
            base_path: self.base_path.as_str(),
        }
    }
}

fn check(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    input: &ApiInput,
    envs: &[catalog::Environment],
    except: Option<ApiId>,
) -> Result<Result<Valid, FieldErrors>, AppError> {
    let mut errors = FieldErrors::default();
    let name = check_name(conn, enterprise_id, KIND, &input.name, except.map(Into::into), &mut errors)?;
    let description = errors.check("description", Description::parse(&input.description));
    let base_path = errors.check("base_path", BasePath::parse(&input.base_path));
    let known: HashSet<EnvironmentId> = envs.iter().map(|e| e.id).collect();
    let chosen: Option<Vec<EnvironmentId>> =
        input.environments.iter().map(|raw| raw.parse().ok().filter(|id| known.contains(id))).collect();
    let environments = match chosen {
        None => Err("Choose environments from the list."),
        Some(ids) if ids.is_empty() => Err("Choose at least one environment the API is offered in."),
        Some(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        }
    };
    let environments = errors.check("environments", environments);
    Ok(match (name, description, base_path, environments) {
        (Some(name), Some(description), Some(base_path), Some(environments)) => {
            Ok(Valid { name, description, base_path, environments })
        }
        _ => Err(errors),
    })
}

enum Outcome {
    Saved(String),
    /// 422: the input is wrong; 409: it would remove an environment still granted.
    Invalid(StatusCode, FieldErrors, Context),
}

fn names_of(envs: &[catalog::Environment], ids: &[EnvironmentId]) -> Vec<String> {
    envs.iter().filter(|e| ids.contains(&e.id)).map(|e| e.name.clone()).collect()
}

fn respond(
    user: &EnterpriseAdmin,
    outcome: Outcome,
    id: Option<ApiId>,
    input: ApiInput,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Saved(message) => {
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(KIND.list_path()))
        }
        Outcome::Invalid(status, errors, ctx) => Ok(render_status(status, &page(user, id, input, ctx, errors)?)),
    }
}

/// Another admin saved the same name a moment ago (`errors` says so): the form again, with what
/// it shows read afresh.
fn form_after_race(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: Option<ApiId>,
    errors: FieldErrors,
) -> Result<Outcome, AppError> {
    let environments = catalog::environments(conn, enterprise_id)?;
    let archived = match id {
        Some(id) => catalog::find_item(conn, enterprise_id, id.into())?.is_some_and(|a| a.archived()),
        None => false,
    };
    Ok(Outcome::Invalid(
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        Context { archived, environments, granted: HashMap::new() },
    ))
}

pub async fn new_form(editor: EnterpriseEditor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let enterprise_id = user.user.enterprise_id;
    let environments = db::run(&state.pool, move |conn| Ok(catalog::environments(conn, enterprise_id)?)).await?;
    let ctx = Context { archived: false, environments, granted: HashMap::new() };
    Ok(render(&page(&user, None, ApiInput::default(), ctx, FieldErrors::default())?))
}

pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let input = ApiInput::from_pairs(form.into_inner());
    let actor = user.user.clone();
    let typed = input.clone();
    let outcome = db::run(&state.pool, move |conn| match conn.transaction(|conn| insert(conn, &actor, &typed)) {
        Err(e) => form_after_race(conn, actor.enterprise_id, None, name_race(e, KIND, &typed.name)?),
        saved => saved,
    })
    .await?;
    respond(&user, outcome, None, input)
}

fn insert(conn: &mut PgConnection, actor: &Principal, input: &ApiInput) -> Result<Outcome, AppError> {
    let envs = catalog::environments(conn, actor.enterprise_id)?;
    let v = match check(conn, actor.enterprise_id, input, &envs, None)? {
        Ok(v) => v,
        Err(errors) => {
            let ctx = Context { archived: false, environments: envs, granted: HashMap::new() };
            return Ok(Outcome::Invalid(StatusCode::UNPROCESSABLE_ENTITY, errors, ctx));
        }
    };
    let fields = v.fields();
    let id = catalog::insert_api(conn, actor.enterprise_id, &fields)?;
    catalog::add_api_environments(conn, id, &v.environments)?;
    let details = serde_json::json!({
        "name": fields.name, "description": fields.description, "base_path": fields.base_path,
        "environments": names_of(&envs, &v.environments),
    });
    record(conn, actor, KIND.action(ItemEvent::Created), KIND.target(fields.name), details)?;
    Ok(Outcome::Saved(format!("API “{}” created.", fields.name)))
}

pub async fn edit_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<ApiId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let (api, offered, ctx) = db::run(&state.pool, move |conn| {
        let api = catalog::find_item(conn, enterprise_id, id.into())?.ok_or(AppError::NotFound)?;
        let offered = catalog::api_environment_ids(conn, id)?;
        let environments = catalog::environments(conn, enterprise_id)?;
        let granted = catalog::api_grants_by_environment(conn, id, &offered)?.into_iter().collect();
        let archived = api.archived();
        Ok((api, offered, Context { archived, environments, granted }))
    })
    .await?;
    let input = ApiInput {
        name: api.name,
        description: api.description,
        base_path: api.base_path,
        environments: offered.iter().map(EnvironmentId::to_string).collect(),
    };
    Ok(render(&page(&user, Some(id), input, ctx, FieldErrors::default())?))
}

pub async fn update(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<ApiId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = ApiInput::from_pairs(form.into_inner());
    let actor = user.user.clone();
    let typed = input.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let result = conn.transaction(|conn| apply(conn, &actor, id, &typed)).map_err(|e| {
            e.foreign_key_as_conflict(|| {
                "A partner was just granted this API in an environment you removed. Nothing was changed.".into()
            })
        });
        match result {
            Err(e) => form_after_race(conn, actor.enterprise_id, Some(id), name_race(e, KIND, &typed.name)?),
            saved => saved,
        }
    })
    .await?;
    respond(&user, outcome, Some(id), input)
}

/// Saves an edit against the locked API: refused (409) when it removes an environment in which
/// a partner is granted the API.
fn apply(conn: &mut PgConnection, actor: &Principal, id: ApiId, input: &ApiInput) -> Result<Outcome, AppError> {
    let enterprise_id = actor.enterprise_id;
    let api = catalog::lock_item(conn, enterprise_id, id.into())?.ok_or(AppError::NotFound)?;
    let envs = catalog::environments(conn, enterprise_id)?;
    let offered = catalog::api_environment_ids(conn, id)?;
    let granted: HashMap<EnvironmentId, i64> =
        catalog::api_grants_by_environment(conn, id, &offered)?.into_iter().collect();
    let v = match check(conn, enterprise_id, input, &envs, Some(id))? {
        Ok(v) => v,
        Err(errors) => {
            let ctx = Context { archived: api.archived(), environments: envs, granted };
            return Ok(Outcome::Invalid(StatusCode::UNPROCESSABLE_ENTITY, errors, ctx));
        }
    };
    let removed: Vec<EnvironmentId> = offered.iter().copied().filter(|e| !v.environments.contains(e)).collect();
    let added: Vec<EnvironmentId> = v.environments.iter().copied().filter(|e| !offered.contains(e)).collect();
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
        return Ok(Outcome::Invalid(
            StatusCode::CONFLICT,
            FieldErrors::one("environments", message),
            Context { archived: api.archived(), environments: envs, granted },
        ));
    }

    let mut offers = serde_json::Map::new();
    if !added.is_empty() {
        offers.insert("environments_added".into(), serde_json::json!(names_of(&envs, &added)));
    }
    if !removed.is_empty() {
        offers.insert("environments_removed".into(), serde_json::json!(names_of(&envs, &removed)));
    }
    if save_edit(conn, actor, id.into(), &api, &v.fields(), offers)? {
        catalog::remove_api_environments(conn, id, &removed)?;
        catalog::add_api_environments(conn, id, &added)?;
    }
    Ok(Outcome::Saved(format!("API “{}” saved.", v.name.as_str())))
}
