//! The APIs tab (`/settings/partners/{id}/apis`): the APIs granted to the partner with their
//! environments, **Revoke** per environment and **Revoke all** per API, and **Add APIs**: an
//! API × environment matrix whose Save sets the grants to exactly the checked cells.

use crate::domain::{ApiId, EnterpriseId, EnvironmentId, PartnerId};
use std::collections::{BTreeMap, BTreeSet};

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::routes::partners::grants::shared::bad_form;
use crate::routes::partners::grants::shared::form_fields;
use crate::routes::partners::grants::shared::form_id;
use crate::routes::partners::grants::shared::group_api_grants;
use crate::routes::partners::grants::shared::join_names;
use crate::routes::partners::grants::shared::lock_changeable;
use crate::routes::partners::grants::shared::record;
use crate::routes::partners::grants::shared::ApiGrantView;
use crate::routes::partners::header::change_refusal;
use crate::routes::partners::header::load_header;
use crate::routes::partners::header::PartnerHeader;
use crate::{
    auth::{
        guards::{EnterpriseAdmin, EnterpriseEditor},
        session::Principal,
    },
    db::{self, grants},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::see_other,
    render::{render, render_status, Layout},
    state::AppState,
};

fn tab_path(id: PartnerId) -> String {
    format!("/settings/partners/{id}/apis")
}

type Cell = (ApiId, EnvironmentId);

// ---- the tab -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "partners/grants/apis.html")]
struct ApisPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    apis: Vec<ApiGrantView>,
}

pub async fn tab(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let (header, rows) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        Ok((header, grants::api_grants(conn, partner.id)?))
    })
    .await?;
    let apis = group_api_grants(rows);
    let layout = user.layout(format!("APIs · {}", header.name), "partners")?;
    Ok(render(&ApisPage { layout, tab: "apis", header, apis }))
}

// ---- Add APIs: the matrix ------------------------------------------------------------------

struct ColumnView {
    name: String,
}

struct CellView {
    api_id: ApiId,
    environment_id: EnvironmentId,
    /// "Payments API in Production": the checkbox's label.
    label: String,
    offered: bool,
    checked: bool,
}

struct RowView {
    id: ApiId,
    name: String,
    base_path: String,
    cells: Vec<CellView>,
}

#[derive(Template)]
#[template(path = "partners/grants/apis_add.html")]
struct MatrixPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    columns: Vec<ColumnView>,
    rows: Vec<RowView>,
    /// Archived APIs still granted: not in the matrix, their access is kept.
    archived_granted: Vec<String>,
    errors: Vec<String>,
}

struct MatrixData {
    header: PartnerHeader,
    environments: Vec<grants::Environment>,
    apis: Vec<grants::Api>,
    offered: BTreeSet<Cell>,
    granted: BTreeSet<Cell>,
    archived_granted: Vec<String>,
}

fn load_matrix(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: PartnerId) -> Result<MatrixData, AppError> {
    let (partner, header) = load_header(conn, enterprise_id, id)?;
    if let Some(refusal) = change_refusal(&partner) {
        return Err(AppError::Conflict(refusal.into()));
    }
    let mut archived_granted: Vec<String> = grants::api_grants(conn, partner.id)?
        .into_iter()
        .filter(|g| g.api_archived_at.is_some())
        .map(|g| g.api_name)
        .collect();
    archived_granted.dedup();
    Ok(MatrixData {
        header,
        environments: grants::environments(conn, enterprise_id)?,
        apis: grants::live_apis(conn, enterprise_id)?,
        offered: grants::offered(conn, enterprise_id, None)?,
        granted: grants::granted_cells(conn, partner.id, None)?,
        archived_granted,
    })
}

/// The matrix with the partner's grants ticked, or with `checked` when a refused form comes back.
async fn matrix_page(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    checked: Option<BTreeSet<Cell>>,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let data = db::run(&state.pool, move |conn| load_matrix(conn, enterprise_id, id)).await?;
    let ticked = checked.unwrap_or(data.granted);
    let rows = data
        .apis
        .iter()
        .map(|api| RowView {
            id: api.id,
            name: api.name.clone(),
            base_path: api.base_path.clone(),
            cells: data
                .environments
                .iter()
                .map(|env| CellView {
                    api_id: api.id,
                    environment_id: env.id,
                    label: format!("{} in {}", api.name, env.name),
                    offered: data.offered.contains(&(api.id, env.id)),
                    checked: ticked.contains(&(api.id, env.id)),
                })
                .collect(),
        })
        .collect();
    let columns = data.environments.into_iter().map(|e| ColumnView { name: e.name }).collect();
    let header = data.header;
    let layout = user.layout(format!("Add APIs · {}", header.name), "partners")?;
    let page =
        MatrixPage { layout, tab: "apis", header, columns, rows, archived_granted: data.archived_granted, errors };
    Ok(render_status(status, &page))
}

pub async fn add_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
    matrix_page(&user, &state, id, None, Vec::new(), StatusCode::OK).await
}

/// What the matrix form sent: the APIs it showed (`api=ID`) and the checked cells
/// (`grant=API_ID:ENV_ID`).
struct MatrixForm {
    apis: BTreeSet<ApiId>,
    cells: BTreeSet<Cell>,
}

fn read_matrix(body: &[u8]) -> Result<MatrixForm, AppError> {
    let mut form = MatrixForm { apis: BTreeSet::new(), cells: BTreeSet::new() };
    for (name, value) in form_fields(body) {
        match name.as_str() {
            "api" => {
                form.apis.insert(form_id(&value)?);
            }
            "grant" => {
                let (api, env) = value.split_once(':').ok_or_else(bad_form)?;
                form.cells.insert((form_id(api)?, form_id(env)?));
            }
            _ => {}
        }
    }
    Ok(form)
}

enum Outcome {
    Saved { granted: Vec<String>, revoked: Vec<String> },
    Refused(Vec<String>),
}

/// Sets the partner's grants for the APIs of the form to exactly its checked cells, or
/// changes nothing when any cell is not allowed (not this enterprise's API, an environment
/// the API isn't offered in, or a new grant of an archived API).
fn save_tx(conn: &mut PgConnection, actor: &Principal, id: PartnerId, form: &MatrixForm) -> Result<Outcome, AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let scope: BTreeSet<ApiId> = form.apis.iter().copied().chain(form.cells.iter().map(|c| c.0)).collect();
    let apis: BTreeMap<ApiId, grants::Api> =
        grants::lock_apis(conn, actor.enterprise_id, &scope)?.into_iter().map(|a| (a.id, a)).collect();
    let environments: BTreeMap<EnvironmentId, String> =
        grants::environments(conn, actor.enterprise_id)?.into_iter().map(|e| (e.id, e.name)).collect();
    let offered = grants::offered(conn, actor.enterprise_id, Some(&scope))?;
    let current = grants::granted_cells(conn, partner.id, Some(&scope))?;

    let mut problems = Vec::new();
    if apis.len() != scope.len() {
        problems.push("One of the APIs in the form is not in your catalog (it may have been deleted).".to_string());
    }
    for cell @ (api_id, env_id) in &form.cells {
        let Some(api) = apis.get(api_id) else { continue };
        let env = environments.get(env_id).map(String::as_str);
        if !offered.contains(cell) {
            problems.push(match env {
                Some(env) => format!("{} is not offered in {env}.", api.name),
                None => format!("{} was checked in an environment that is not in your catalog.", api.name),
            });
        } else if api.is_archived() && !current.contains(cell) {
            problems.push(format!(
                "{} is archived: it can't be granted in {}.",
                api.name,
                env.unwrap_or("another environment")
            ));
        }
    }
    if !problems.is_empty() {
        problems.dedup();
        return Ok(Outcome::Refused(problems));
    }

    let name = |(api_id, env_id): &Cell| {
        let api = apis.get(api_id).map(|a| a.name.as_str()).unwrap_or("?");
        let env = environments.get(env_id).map(String::as_str).unwrap_or("?");
        (api.to_string(), env.to_string())
    };
    let mut granted = Vec::new();
    for cell in form.cells.difference(&current) {
        if grants::grant_api_environment(conn, partner.id, cell.0, cell.1, actor.user_id)? {
            let (api, env) = name(cell);
            let target = format!("{api} in {env}");
            let details =
                serde_json::json!({ "api_id": cell.0, "api": api, "environment_id": cell.1, "environment": env });
            record(conn, actor, &partner, AuditAction::PartnerApiEnvironmentGranted, &target, details)?;
            granted.push(target);
        }
    }
    let mut revoked = Vec::new();
    for cell in current.difference(&form.cells) {
        if grants::revoke_api_environment(conn, partner.id, cell.0, cell.1)? {
            let (api, env) = name(cell);
            let target = format!("{api} in {env}");
            let details =
                serde_json::json!({ "api_id": cell.0, "api": api, "environment_id": cell.1, "environment": env });
            record(conn, actor, &partner, AuditAction::PartnerApiEnvironmentRevoked, &target, details)?;
            revoked.push(target);
        }
    }
    Ok(Outcome::Saved { granted, revoked })
}

pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = read_matrix(&body)?;
    let actor = user.user.clone();
    let (outcome, form) = db::run(&state.pool, move |conn| {
        let outcome = conn.transaction(|conn| save_tx(conn, &actor, id, &form))?;
        Ok((outcome, form))
    })
    .await?;
    match outcome {
        Outcome::Saved { granted, revoked } => {
            let message = match (granted.is_empty(), revoked.is_empty()) {
                (true, true) => None,
                (false, true) => Some(format!("API access granted: {}.", join_names(&granted))),
                (true, false) => Some(format!("API access revoked: {}.", join_names(&revoked))),
                (false, false) => {
                    Some(format!("API access granted: {}. Revoked: {}.", join_names(&granted), join_names(&revoked)))
                }
            };
            match message {
                Some(m) => user.flash(FlashKind::Success, m)?,
                None => user.flash(FlashKind::Info, "No changes: API access is as it was.")?,
            }
            Ok(see_other(&tab_path(id)))
        }
        Outcome::Refused(errors) => {
            let mut errors = errors;
            errors.push("Nothing was saved.".to_string());
            matrix_page(&user, &state, id, Some(form.cells), errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ---- Revoke ----------------------------------------------------------------------------------

fn revoke_one_tx(
    conn: &mut PgConnection,
    actor: &Principal,
    id: PartnerId,
    api_id: ApiId,
    env_id: EnvironmentId,
) -> Result<(FlashKind, String), AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let api = grants::find_api(conn, actor.enterprise_id, api_id)?.ok_or(AppError::NotFound)?;
    let env = grants::find_environment(conn, actor.enterprise_id, env_id)?.ok_or(AppError::NotFound)?;
    let target = format!("{} in {}", api.name, env.name);
    if !grants::revoke_api_environment(conn, partner.id, api.id, env.id)? {
        return Ok((FlashKind::Info, format!("{target} was not granted to {}; nothing changed.", partner.name)));
    }
    let details =
        serde_json::json!({ "api_id": api.id, "api": api.name, "environment_id": env.id, "environment": env.name });
    record(conn, actor, &partner, AuditAction::PartnerApiEnvironmentRevoked, &target, details)?;
    Ok((FlashKind::Success, format!("API access revoked: {target}.")))
}

pub async fn revoke_one(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, ApiId, EnvironmentId)>,
) -> Result<HttpResponse, AppError> {
    let (id, api_id, env_id) = path.into_inner();
    let actor = user.user.clone();
    let (kind, message) =
        db::run(&state.pool, move |conn| conn.transaction(|conn| revoke_one_tx(conn, &actor, id, api_id, env_id)))
            .await?;
    user.flash(kind, message)?;
    Ok(see_other(&tab_path(id)))
}

fn revoke_all_tx(
    conn: &mut PgConnection,
    actor: &Principal,
    id: PartnerId,
    api_id: ApiId,
) -> Result<(FlashKind, String), AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let api = grants::find_api(conn, actor.enterprise_id, api_id)?.ok_or(AppError::NotFound)?;
    let gone = grants::revoke_api(conn, partner.id, api.id)?;
    if gone.is_empty() {
        return Ok((FlashKind::Info, format!("{} was not granted to {}; nothing changed.", api.name, partner.name)));
    }
    let names: Vec<String> = grants::environments(conn, actor.enterprise_id)?
        .into_iter()
        .filter(|e| gone.contains(&e.id))
        .map(|e| e.name)
        .collect();
    let details =
        serde_json::json!({ "api_id": api.id, "api": api.name, "environment_ids": gone, "environments": names });
    record(conn, actor, &partner, AuditAction::PartnerApiRevoked, &api.name, details)?;
    Ok((FlashKind::Success, format!("API access revoked: {} in {}.", api.name, join_names(&names))))
}

pub async fn revoke_all(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, ApiId)>,
) -> Result<HttpResponse, AppError> {
    let (id, api_id) = path.into_inner();
    let actor = user.user.clone();
    let (kind, message) =
        db::run(&state.pool, move |conn| conn.transaction(|conn| revoke_all_tx(conn, &actor, id, api_id))).await?;
    user.flash(kind, message)?;
    Ok(see_other(&tab_path(id)))
}
