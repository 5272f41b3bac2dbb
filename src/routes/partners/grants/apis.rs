//! The APIs tab (`/settings/partners/{id}/apis`): the APIs granted to the partner with their
//! environments, **Revoke** per environment and **Revoke all** per API, and **Add APIs**: an
//! API × environment matrix whose Save sets the grants to exactly the checked cells.

use crate::auth::actor::Actor;
use crate::domain::{ApiId, EnterpriseId, EnvironmentId, PartnerId};
use std::collections::{BTreeMap, BTreeSet};

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::db::grants::Expiry;
use crate::db::partners::Partner;
use crate::domain::expiry;
use crate::routes::partners::grants::review::{self, with_end, Change, Review, Reviewed};
use crate::routes::partners::grants::shared::bad_form;
use crate::routes::partners::grants::shared::form_fields;
use crate::routes::partners::grants::shared::form_id;
use crate::routes::partners::grants::shared::group_api_grants;
use crate::routes::partners::grants::shared::join_names;
use crate::routes::partners::grants::shared::lock_changeable;
use crate::routes::partners::grants::shared::read_expiry;
use crate::routes::partners::grants::shared::record;
use crate::routes::partners::grants::shared::ApiGrantView;
use crate::routes::partners::header::change_refusal;
use crate::routes::partners::header::load_header;
use crate::routes::partners::header::PartnerHeader;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    config::Settings,
    db::{self, grants, held_grants},
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
    /// Grants waiting for a second Enterprise admin's approval.
    held: Vec<held_grants::Held>,
}

pub async fn tab(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let (header, rows, held) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        let held = held_grants::of_partner(conn, enterprise_id, partner.id)?;
        Ok((header, grants::api_grants(conn, partner.id)?, held))
    })
    .await?;
    let apis = group_api_grants(rows);
    let layout = user.layout(format!("APIs · {}", header.name), "partners")?;
    Ok(render(&ApisPage { layout, tab: "apis", header, apis, held }))
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
    /// Waiting for approval.
    held: bool,
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
    /// *Expires on* as typed, and why it was refused.
    expires_on: String,
    expires_error: Option<String>,
    zone: &'static str,
}

struct MatrixData {
    header: PartnerHeader,
    environments: Vec<grants::Environment>,
    apis: Vec<grants::Api>,
    offered: BTreeSet<Cell>,
    granted: BTreeSet<Cell>,
    held: BTreeSet<Cell>,
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
        held: held_grants::cells(conn, partner.id, None)?,
        archived_granted,
    })
}

/// The matrix with the partner's grants ticked, or with `checked` when a refused form comes
/// back; `expires` is *Expires on* as typed and its error.
async fn matrix_page(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    checked: Option<BTreeSet<Cell>>,
    errors: Vec<String>,
    (expires_on, expires_error): (String, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let data = db::run(&state.pool, move |conn| load_matrix(conn, enterprise_id, id)).await?;
    let ticked = checked.unwrap_or_else(|| data.granted.union(&data.held).copied().collect());
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
                    held: data.held.contains(&(api.id, env.id)),
                })
                .collect(),
        })
        .collect();
    let columns = data.environments.into_iter().map(|e| ColumnView { name: e.name }).collect();
    let header = data.header;
    let layout = user.layout(format!("Add APIs · {}", header.name), "partners")?;
    let zone = layout.clock.zone_name();
    let page = MatrixPage {
        layout,
        tab: "apis",
        header,
        columns,
        rows,
        archived_granted: data.archived_granted,
        errors,
        expires_on,
        expires_error,
        zone,
    };
    Ok(render_status(status, &page))
}

pub async fn add_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
    matrix_page(&user, &state, id, None, Vec::new(), (String::new(), None), StatusCode::OK).await
}

/// What the matrix form sent: the APIs it showed (`api=ID`) and the checked cells
/// (`grant=API_ID:ENV_ID`).
struct MatrixForm {
    apis: BTreeSet<ApiId>,
    cells: BTreeSet<Cell>,
    /// *Expires on* for the cells this save grants, as typed.
    expires_on: String,
}

fn read_matrix(body: &[u8]) -> Result<MatrixForm, AppError> {
    let mut form = MatrixForm { apis: BTreeSet::new(), cells: BTreeSet::new(), expires_on: String::new() };
    for (name, value) in form_fields(body) {
        match name.as_str() {
            "api" => {
                form.apis.insert(form_id(&value)?);
            }
            "grant" => {
                let (api, env) = value.split_once(':').ok_or_else(bad_form)?;
                form.cells.insert((form_id(api)?, form_id(env)?));
            }
            "expires_on" => form.expires_on = value.trim().chars().take(20).collect(),
            _ => {}
        }
    }
    Ok(form)
}

/// One grant to give or take away, with its names.
struct CellChange {
    cell: Cell,
    api: String,
    environment: String,
    /// The environment's place in the catalog, for the list's order.
    position: usize,
    /// Held for approval: a grant that will wait for a second Enterprise admin, or (taken
    /// away) a waiting one withdrawn.
    held: bool,
}

impl CellChange {
    /// "Payments API — Production".
    fn what(&self) -> String {
        format!("{} — {}", self.api, self.environment)
    }

    /// "Payments API in Production", for a sentence.
    fn sentence(&self) -> String {
        format!("{} in {}", self.api, self.environment)
    }

    fn item(&self, change: &str) -> serde_json::Value {
        serde_json::json!({
            "change": change,
            "api_id": self.cell.0,
            "api": self.api,
            "environment_id": self.cell.1,
            "environment": self.environment,
            "held_for_approval": self.held,
        })
    }
}

/// What saving the matrix would change, worked out under the partner row lock.
enum Plan {
    /// Nothing can be changed; the reasons, for the page.
    Refused(Vec<String>),
    Change {
        partner: Partner,
        grant: Vec<CellChange>,
        revoke: Vec<CellChange>,
    },
}

impl Plan {
    /// "+ Payments API — Production (until 31 Jan 2027, waits for approval)", "− Accounts API —
    /// Staging", "− Payments API — Production (was waiting for approval)".
    fn changes(grant: &[CellChange], revoke: &[CellChange], expiry: Option<Expiry>) -> Vec<Change> {
        let added = grant.iter().map(|c| {
            let what = with_end(&c.what(), expiry);
            Change::added(match (c.held, what.strip_suffix(')')) {
                (false, _) => what,
                (true, Some(open)) => format!("{open}, waits for approval)"),
                (true, None) => format!("{what} (waits for approval)"),
            })
        });
        let removed = revoke.iter().map(|c| {
            Change::removed(if c.held { format!("{} (was waiting for approval)", c.what()) } else { c.what() })
        });
        added.chain(removed).collect()
    }
}

/// Setting the partner's grants for the APIs of the form to exactly its checked cells: the
/// grants to give and to take away, or the reasons nothing can change (a cell that is not
/// this enterprise's API, an environment the API isn't offered in, or a new grant of an
/// archived API).
fn plan_tx(conn: &mut PgConnection, actor: &dyn Actor, id: PartnerId, form: &MatrixForm) -> Result<Plan, AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let scope: BTreeSet<ApiId> = form.apis.iter().copied().chain(form.cells.iter().map(|c| c.0)).collect();
    let apis: BTreeMap<ApiId, grants::Api> =
        grants::lock_apis(conn, actor.enterprise_id(), &scope)?.into_iter().map(|a| (a.id, a)).collect();
    let catalog_environments = grants::environments(conn, actor.enterprise_id())?;
    let approval: BTreeSet<EnvironmentId> =
        catalog_environments.iter().filter(|e| e.requires_approval).map(|e| e.id).collect();
    let environments: BTreeMap<EnvironmentId, (usize, String)> =
        catalog_environments.into_iter().enumerate().map(|(i, e)| (e.id, (i, e.name))).collect();
    let offered = grants::offered(conn, actor.enterprise_id(), Some(&scope))?;
    let current = grants::granted_cells(conn, partner.id, Some(&scope))?;
    let held = held_grants::cells(conn, partner.id, Some(&scope))?;
    let have: BTreeSet<Cell> = current.union(&held).copied().collect();

    let mut problems = Vec::new();
    if apis.len() != scope.len() {
        problems.push("One of the APIs in the form is not in your catalog (it may have been deleted).".to_string());
    }
    for cell @ (api_id, env_id) in &form.cells {
        let Some(api) = apis.get(api_id) else { continue };
        let env = environments.get(env_id).map(|(_, name)| name.as_str());
        if !offered.contains(cell) {
            problems.push(match env {
                Some(env) => format!("{} is not offered in {env}.", api.name),
                None => format!("{} was checked in an environment that is not in your catalog.", api.name),
            });
        } else if api.is_archived() && !have.contains(cell) {
            problems.push(format!(
                "{} is archived: it can't be granted in {}.",
                api.name,
                env.unwrap_or("another environment")
            ));
        }
    }
    if !problems.is_empty() {
        problems.dedup();
        return Ok(Plan::Refused(problems));
    }

    let named = |cell: &Cell, held: bool| {
        let (position, environment) = environments.get(&cell.1).cloned().unwrap_or((usize::MAX, "?".to_string()));
        let api = apis.get(&cell.0).map(|a| a.name.clone()).unwrap_or_else(|| "?".to_string());
        CellChange { cell: *cell, api, environment, position, held }
    };
    let in_order = |mut v: Vec<CellChange>| {
        v.sort_by(|a, b| a.api.cmp(&b.api).then(a.cell.0.cmp(&b.cell.0)).then(a.position.cmp(&b.position)));
        v
    };
    // New grants in an environment that requires approval are held; unchecking a held one
    // withdraws it.
    let grant = in_order(form.cells.difference(&have).map(|c| named(c, approval.contains(&c.1))).collect());
    let revoke = in_order(
        current
            .difference(&form.cells)
            .map(|c| named(c, false))
            .chain(held.difference(&form.cells).map(|c| named(c, true)))
            .collect(),
    );
    Ok(Plan::Change { partner, grant, revoke })
}

/// The review of a matrix change: the page's header and the Admins who will be told. The
/// form carries the APIs of the change and the cells that stay or become granted.
fn review_of(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner: &Partner,
    form: &MatrixForm,
    (title, tab): (&'static str, &'static str),
    changes: Vec<Change>,
    notice: Option<String>,
) -> Result<(PartnerHeader, Review, Vec<String>), AppError> {
    let (_, header) = load_header(conn, enterprise_id, partner.id)?;
    let admins = review::admins(conn, partner)?.iter().map(|m| m.display_name()).collect();
    let mut fields: Vec<(String, String)> = form
        .apis
        .iter()
        .map(|a| ("api".to_string(), a.to_string()))
        .chain(form.cells.iter().map(|(a, e)| ("grant".to_string(), format!("{a}:{e}"))))
        .collect();
    if !form.expires_on.is_empty() {
        fields.push(("expires_on".to_string(), form.expires_on.clone()));
    }
    let cancel =
        if tab == "delete" { format!("/settings/partners/{}/delete", partner.id) } else { tab_path(partner.id) };
    let review = Review {
        title,
        tab,
        changes,
        confirm_action: format!("/settings/partners/{}/apis/add/confirm", partner.id),
        fields,
        cancel,
        notice,
    };
    Ok((header, review, admins))
}

enum Step {
    Refused(Vec<String>),
    NoChange,
    Review(Box<Reviewed>),
}

/// The review of `form` (nothing is written), titled `page` ("Add APIs" on its tab, or
/// "Revoke all API access" on the Delete partner tab).
async fn review_step(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    (form, expiry): (MatrixForm, Option<Expiry>),
    page: (&'static str, &'static str),
) -> Result<(Step, MatrixForm), AppError> {
    let actor = user.user.clone();
    db::run(&state.pool, move |conn| {
        let step = conn.transaction(|conn| -> Result<Step, AppError> {
            match plan_tx(conn, &actor, id, &form)? {
                Plan::Refused(errors) => Ok(Step::Refused(errors)),
                Plan::Change { grant, revoke, .. } if grant.is_empty() && revoke.is_empty() => Ok(Step::NoChange),
                Plan::Change { partner, grant, revoke } => {
                    let changes = Plan::changes(&grant, &revoke, expiry);
                    let (header, review, admins) =
                        review_of(conn, actor.enterprise_id(), &partner, &form, page, changes, None)?;
                    Ok(Step::Review(Box::new((header, review, admins))))
                }
            }
        })?;
        Ok((step, form))
    })
    .await
}

/// **Save**: the review of what the matrix would change (nothing is written).
pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = read_matrix(&body)?;
    let expiry = match read_expiry(&user.user, &form.expires_on) {
        Ok(expiry) => expiry,
        Err(e) => return refused_expiry(&user, &state, id, form, e).await,
    };
    let (step, form) = review_step(&user, &state, id, (form, expiry), ("Add APIs", "apis")).await?;
    answer_step(&user, &state, id, step, form, StatusCode::OK).await
}

/// What a step that changed nothing shows: the review (with `review_status`), "no changes",
/// or the matrix again with the reasons.
async fn answer_step(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    step: Step,
    form: MatrixForm,
    review_status: StatusCode,
) -> Result<HttpResponse, AppError> {
    match step {
        Step::Review(reviewed) => review::page(user, *reviewed, review_status),
        Step::NoChange => {
            user.flash(FlashKind::Info, "No changes: API access is as it was.")?;
            Ok(see_other(&tab_path(id)))
        }
        Step::Refused(mut errors) => {
            errors.push("Nothing was saved.".to_string());
            let expires = (form.expires_on, None);
            matrix_page(user, state, id, Some(form.cells), errors, expires, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The matrix again with *Expires on* marked (nothing was saved).
async fn refused_expiry(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    form: MatrixForm,
    error: String,
) -> Result<HttpResponse, AppError> {
    let errors = vec![error.clone(), "Nothing was saved.".to_string()];
    let expires = (form.expires_on, Some(error));
    matrix_page(user, state, id, Some(form.cells), errors, expires, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// **Revoke all API access** (the Delete partner tab): the review of taking away every API
/// grant the partner has; **Confirm changes** then goes through the matrix's confirmation.
pub async fn revoke_all_access(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let apis = db::run(&state.pool, move |conn| {
        let (partner, _) = load_header(conn, enterprise_id, id)?;
        let granted = grants::api_grants(conn, partner.id)?.into_iter().map(|g| g.api_id);
        let held = held_grants::cells(conn, partner.id, None)?.into_iter().map(|c| c.0);
        Ok(granted.chain(held).collect::<BTreeSet<ApiId>>())
    })
    .await?;
    let form = MatrixForm { apis, cells: BTreeSet::new(), expires_on: String::new() };
    let (step, _) = review_step(&user, &state, id, (form, None), ("Revoke all API access", "delete")).await?;
    match step {
        Step::Review(reviewed) => review::page(&user, *reviewed, StatusCode::OK),
        Step::NoChange => {
            user.flash(FlashKind::Info, "This partner has no API access; nothing changed.")?;
            Ok(see_other(&format!("/settings/partners/{id}/delete")))
        }
        // Taking access away is never refused for the cells' sake; only a catalog change
        // racing this request can get here.
        Step::Refused(errors) => Err(AppError::Conflict(errors.join(" "))),
    }
}

enum Confirmed {
    Step(Step),
    Saved { granted: Vec<String>, held: Vec<String>, revoked: Vec<String> },
}

/// The flash after a confirmed change: what was granted (until when), held for approval, and
/// revoked or withdrawn.
fn saved_message(granted: &[String], held: &[String], revoked: &[String], until: &str) -> String {
    let mut parts = Vec::new();
    if !granted.is_empty() {
        parts.push(format!("API access granted{until}: {}.", join_names(granted)));
    }
    if !held.is_empty() {
        parts.push(format!("Waiting for a second Enterprise admin's approval: {}.", join_names(held)));
    }
    if !revoked.is_empty() {
        let lead = if parts.is_empty() { "API access revoked" } else { "Revoked" };
        parts.push(format!("{lead}: {}.", join_names(revoked)));
    }
    parts.join(" ")
}

/// **Confirm changes**: applies the reviewed matrix change in one transaction, with one
/// audit event holding the list and an email to each of the partner's Admins; when the list
/// is no longer the one reviewed, the new one is shown instead and nothing is written.
pub async fn confirm(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = read_matrix(&body)?;
    let reviewed = review::reviewed_lines(&form_fields(&body));
    if reviewed.is_empty() {
        return Err(bad_form());
    }
    // The day may have become today or past while the review was open.
    let expiry = match read_expiry(&user.user, &form.expires_on) {
        Ok(expiry) => expiry,
        Err(e) => return refused_expiry(&user, &state, id, form, e).await,
    };
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let (outcome, form) = db::run(&state.pool, move |conn| {
        let outcome = conn.transaction(|conn| -> Result<Confirmed, AppError> {
            match plan_tx(conn, &actor, id, &form)? {
                Plan::Refused(errors) => Ok(Confirmed::Step(Step::Refused(errors))),
                Plan::Change { grant, revoke, .. } if grant.is_empty() && revoke.is_empty() => {
                    Ok(Confirmed::Step(Step::NoChange))
                }
                Plan::Change { partner, grant, revoke } => {
                    let changes = Plan::changes(&grant, &revoke, expiry);
                    if review::lines(&changes) != reviewed {
                        let notice = Some(review::CHANGED_SINCE_REVIEW.to_string());
                        let page = ("Review changes", "apis");
                        let (header, review, admins) =
                            review_of(conn, actor.enterprise_id(), &partner, &form, page, changes, notice)?;
                        return Ok(Confirmed::Step(Step::Review(Box::new((header, review, admins)))));
                    }
                    apply_tx(conn, &actor, &settings, &partner, (&grant, &revoke), expiry, &changes)?;
                    let (held, granted): (Vec<&CellChange>, Vec<&CellChange>) = grant.iter().partition(|c| c.held);
                    Ok(Confirmed::Saved {
                        granted: granted.into_iter().map(CellChange::sentence).collect(),
                        held: held.into_iter().map(CellChange::sentence).collect(),
                        revoked: revoke.iter().map(CellChange::sentence).collect(),
                    })
                }
            }
        })?;
        Ok((outcome, form))
    })
    .await?;
    match outcome {
        Confirmed::Saved { granted, held, revoked } => {
            let until = expiry.map(|e| format!(" until {}", expiry::day_text(e.on))).unwrap_or_default();
            user.flash(FlashKind::Success, saved_message(&granted, &held, &revoked, &until))?;
            Ok(see_other(&tab_path(id)))
        }
        // The list changed since it was reviewed: shown again, 409.
        Confirmed::Step(step) => answer_step(&user, &state, id, step, form, StatusCode::CONFLICT).await,
    }
}

/// Writes a planned change: each grant given (or held for approval) and taken away, one audit
/// event with the list, and "What changed in your access" to the partner's Admins.
fn apply_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    partner: &Partner,
    (grant, revoke): (&[CellChange], &[CellChange]),
    expiry: Option<Expiry>,
    changes: &[Change],
) -> Result<(), AppError> {
    let mut items = Vec::new();
    for c in grant {
        if c.held {
            held_grants::hold(conn, actor.enterprise_id(), partner.id, c.cell, actor.user_id(), expiry)?;
        } else {
            grants::grant_api_environment(conn, partner.id, c.cell.0, c.cell.1, actor.user_id(), expiry)?;
        }
        let mut item = c.item("added");
        item["expires_on"] = serde_json::json!(expiry.map(|e| e.on));
        items.push(item);
    }
    for c in revoke {
        if c.held {
            held_grants::withdraw(conn, partner.id, c.cell)?;
        } else {
            grants::revoke_api_environment(conn, partner.id, c.cell.0, c.cell.1)?;
        }
        items.push(c.item("removed"));
    }
    review::record_and_tell(conn, actor, settings, partner, changes, items)
}

/// What an API call changed in one API's environments.
pub(crate) struct ApiAccessSet {
    /// "Payments API — Production", as the UI's messages name them.
    pub granted: Vec<String>,
    pub held: Vec<String>,
    pub revoked: Vec<String>,
}

/// `PUT /api/v1/partners/{id}/grants/apis/{api_id}`: the partner's environments of `api_id`
/// become exactly `environments`, by the Add APIs matrix's rules (its plan and its writes);
/// Err holds the matrix's refusals.
pub(crate) fn set_api_environments(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    id: PartnerId,
    api_id: ApiId,
    environments: &BTreeSet<EnvironmentId>,
    expiry: Option<Expiry>,
) -> Result<Result<ApiAccessSet, Vec<String>>, AppError> {
    let form = MatrixForm {
        apis: BTreeSet::from([api_id]),
        cells: environments.iter().map(|e| (api_id, *e)).collect(),
        expires_on: String::new(),
    };
    match plan_tx(conn, actor, id, &form)? {
        Plan::Refused(errors) => Ok(Err(errors)),
        Plan::Change { partner, grant, revoke } => {
            if !grant.is_empty() || !revoke.is_empty() {
                let changes = Plan::changes(&grant, &revoke, expiry);
                apply_tx(conn, actor, settings, &partner, (&grant, &revoke), expiry, &changes)?;
            }
            let (held, granted): (Vec<&CellChange>, Vec<&CellChange>) = grant.iter().partition(|c| c.held);
            Ok(Ok(ApiAccessSet {
                granted: granted.into_iter().map(CellChange::what).collect(),
                held: held.into_iter().map(CellChange::what).collect(),
                revoked: revoke.iter().map(CellChange::what).collect(),
            }))
        }
    }
}

// ---- Revoke ----------------------------------------------------------------------------------

pub(crate) fn revoke_one_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    id: PartnerId,
    api_id: ApiId,
    env_id: EnvironmentId,
) -> Result<(FlashKind, String), AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let api = grants::find_api(conn, actor.enterprise_id(), api_id)?.ok_or(AppError::NotFound)?;
    let env = grants::find_environment(conn, actor.enterprise_id(), env_id)?.ok_or(AppError::NotFound)?;
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
    actor: &dyn Actor,
    id: PartnerId,
    api_id: ApiId,
) -> Result<(FlashKind, String), AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let api = grants::find_api(conn, actor.enterprise_id(), api_id)?.ok_or(AppError::NotFound)?;
    let gone = grants::revoke_api(conn, partner.id, api.id)?;
    if gone.is_empty() {
        return Ok((FlashKind::Info, format!("{} was not granted to {}; nothing changed.", api.name, partner.name)));
    }
    let names: Vec<String> = grants::environments(conn, actor.enterprise_id())?
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
