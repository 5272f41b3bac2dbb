//! Settings → Partners → **Groups** (SPEC §12): each partnership is in exactly one group; the
//! group "Partners" always exists and new partnerships start there. A group has a name, a
//! description and optional **default access** (products, API × environment) granted to each
//! partnership that joins it: **Move to group** on a partner's General tab previews what the
//! target group would grant and moves it, granting that access if asked, in one transaction.
//! The grants go through Add Products' and Add APIs' own functions (their rules, audit event,
//! emails and webhooks; an environment that requires approval holds its grant).

use std::collections::BTreeSet;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::{Connection, PgConnection};
use serde::Deserialize;

use crate::{
    auth::{
        actor::Actor,
        guards::{EnterpriseAdmin, EnterpriseEditor},
    },
    config::Settings,
    db::{self, audit, grants, groups},
    domain::{ApiId, AuditAction, EnvironmentId, FlashKind, PartnerId, ProductId},
    error::AppError,
    render::{render_status, see_other, Layout},
    routes::partners::{
        grants::{
            apis, products,
            shared::{form_fields, form_id, lock_changeable},
        },
        header::{load_header, record_event, PartnerHeader},
    },
    state::AppState,
};

const MENU_KEY: &str = "partners";
const LIST: &str = "/settings/partners/groups";
const NAME_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 500;

// ---- the list ---------------------------------------------------------------------------------

/// The new-group form as typed.
#[derive(Default)]
pub struct GroupForm {
    pub name: String,
    pub description: String,
    pub name_error: Option<String>,
    pub description_error: Option<String>,
}

#[derive(Template)]
#[template(path = "partners/groups/list.html")]
struct ListPage {
    layout: Layout,
    groups: Vec<groups::Listed>,
    form: GroupForm,
}

async fn show_list(
    user: &EnterpriseAdmin,
    state: &AppState,
    form: GroupForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(groups::list(conn, enterprise_id)?)).await?;
    Ok(render_status(status, &ListPage { layout: user.layout("Groups", MENU_KEY)?, groups: rows, form }))
}

pub async fn list(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    show_list(&user, &state, GroupForm::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct GroupFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

/// The name and description checked: (name, description) or the form with its errors.
fn check(fields: GroupFields) -> Result<(String, String), GroupForm> {
    let name = fields.name.trim().to_string();
    let description = fields.description.trim().to_string();
    let mut form = GroupForm { name: fields.name, description: fields.description, ..GroupForm::default() };
    if name.is_empty() {
        form.name_error = Some("Give the group a name.".into());
    } else if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        form.name_error = Some(format!("Keep the name on one line, under {NAME_MAX} characters."));
    }
    if description.chars().count() > DESCRIPTION_MAX {
        form.description_error = Some(format!("Keep the description under {DESCRIPTION_MAX} characters."));
    }
    if form.name_error.is_some() || form.description_error.is_some() {
        return Err(form);
    }
    Ok((name, description))
}

fn taken(name: &str) -> String {
    format!("Another group is already called “{name}”. Choose a different name.")
}

pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    fields: web::Form<GroupFields>,
) -> Result<HttpResponse, AppError> {
    let (name, description) = match check(fields.into_inner()) {
        Ok(ok) => ok,
        Err(form) => return show_list(&user, &state, form, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let actor = user.user.clone();
    let (n, d) = (name.clone(), description.clone());
    let created = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            crate::db::enterprises::lock(conn, actor.enterprise_id)?;
            if groups::name_taken(conn, actor.enterprise_id, &n, None)? {
                return Ok(None);
            }
            let group = groups::insert(conn, actor.enterprise_id, &n, &d)?;
            let details = serde_json::json!({ "group_id": group.id, "name": n, "description": d });
            audit::record_for_enterprise(conn, &actor, AuditAction::GroupCreated, &format!("Group {n}"), details)?;
            Ok(Some(group.id))
        })
    })
    .await?;
    match created {
        Some(id) => {
            user.flash(FlashKind::Success, format!("Group {name} created. Choose the access it gives its partners."))?;
            Ok(see_other(&format!("{LIST}/{id}")))
        }
        None => {
            let form = GroupForm { name_error: Some(taken(&name)), name, description, ..GroupForm::default() };
            show_list(&user, &state, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

// ---- one group ------------------------------------------------------------------------------

pub struct Choice {
    /// The checkbox's id suffix.
    pub key: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct ApiRow {
    pub name: String,
    pub cells: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "partners/groups/group.html")]
struct GroupPage {
    layout: Layout,
    group: groups::Group,
    form: GroupForm,
    products: Vec<Choice>,
    apis: Vec<ApiRow>,
    access_error: Option<String>,
    partners: Vec<(PartnerId, String)>,
    /// The application form and the join link (SPEC §12).
    program: crate::routes::programs::sections::Sections,
}

struct Loaded {
    group: groups::Group,
    catalog_products: Vec<grants::Product>,
    catalog_apis: Vec<grants::Api>,
    environments: Vec<grants::Environment>,
    offered: BTreeSet<(ApiId, EnvironmentId)>,
    chosen_products: BTreeSet<ProductId>,
    chosen_cells: BTreeSet<(ApiId, EnvironmentId)>,
    partners: Vec<(PartnerId, String)>,
    program: crate::routes::programs::sections::Sections,
}

fn load(conn: &mut PgConnection, enterprise_id: crate::domain::EnterpriseId, id: i64) -> Result<Loaded, AppError> {
    let group = groups::find(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
    Ok(Loaded {
        catalog_products: live_products(conn, enterprise_id)?,
        catalog_apis: grants::live_apis(conn, enterprise_id)?,
        environments: grants::environments(conn, enterprise_id)?,
        offered: grants::offered(conn, enterprise_id, None)?,
        chosen_products: groups::default_products(conn, enterprise_id, id)?,
        chosen_cells: groups::default_cells(conn, enterprise_id, id)?,
        partners: groups::partner_names(conn, enterprise_id, id)?,
        program: crate::routes::programs::sections::load(conn, enterprise_id, &group)?,
        group,
    })
}

/// The enterprise's products that can be granted (not archived), by name.
fn live_products(
    conn: &mut PgConnection,
    enterprise_id: crate::domain::EnterpriseId,
) -> Result<Vec<grants::Product>, AppError> {
    use crate::db::schema::products as pr;
    use diesel::prelude::*;
    Ok(pr::table
        .filter(pr::enterprise_id.eq(enterprise_id))
        .filter(pr::archived_at.is_null())
        .order((crate::db::lower(pr::name), pr::id))
        .select((pr::id, pr::name, pr::description, pr::archived_at))
        .load(conn)?)
}

fn page_of(layout: Layout, data: Loaded, form: GroupForm, access_error: Option<String>) -> GroupPage {
    let products = data
        .catalog_products
        .iter()
        .map(|p| Choice {
            key: p.id.to_string(),
            value: p.id.to_string(),
            label: p.name.clone(),
            checked: data.chosen_products.contains(&p.id),
        })
        .collect();
    let apis = data
        .catalog_apis
        .iter()
        .filter_map(|a| {
            let cells: Vec<Choice> = data
                .environments
                .iter()
                .filter(|e| data.offered.contains(&(a.id, e.id)))
                .map(|e| Choice {
                    key: format!("{}-{}", a.id, e.id),
                    value: format!("{}:{}", a.id, e.id),
                    label: format!("{} — {}", a.name, e.name),
                    checked: data.chosen_cells.contains(&(a.id, e.id)),
                })
                .collect();
            (!cells.is_empty()).then(|| ApiRow { name: a.name.clone(), cells })
        })
        .collect();
    GroupPage {
        layout,
        group: data.group,
        form,
        products,
        apis,
        access_error,
        partners: data.partners,
        program: data.program,
    }
}

async fn show_group(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: i64,
    form: Option<GroupForm>,
    access_error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let mut data = db::run(&state.pool, move |conn| load(conn, enterprise_id, id)).await?;
    data.program.link_from(&state.settings);
    let form = form.unwrap_or_else(|| GroupForm {
        name: data.group.name.clone(),
        description: data.group.description.clone(),
        ..GroupForm::default()
    });
    let layout = user.layout(format!("Group {}", data.group.name), MENU_KEY)?;
    Ok(render_status(status, &page_of(layout, data, form, access_error)))
}

pub async fn group(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show_group(&user, &state, path.into_inner(), None, None, StatusCode::OK).await
}

pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    fields: web::Form<GroupFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (name, description) = match check(fields.into_inner()) {
        Ok(ok) => ok,
        Err(form) => return show_group(&user, &state, id, Some(form), None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let actor = user.user.clone();
    let (n, d) = (name.clone(), description.clone());
    let saved = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let group = groups::lock(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            if groups::name_taken(conn, actor.enterprise_id, &n, Some(id))? {
                return Ok(false);
            }
            if group.name != n || group.description != d {
                groups::update(conn, actor.enterprise_id, id, &n, &d)?;
                let details = serde_json::json!({
                    "group_id": id, "from": { "name": group.name, "description": group.description },
                    "to": { "name": n, "description": d },
                });
                audit::record_for_enterprise(conn, &actor, AuditAction::GroupChanged, &format!("Group {n}"), details)?;
            }
            Ok(true)
        })
    })
    .await?;
    if !saved {
        let form = GroupForm { name_error: Some(taken(&name)), name, description, ..GroupForm::default() };
        return show_group(&user, &state, id, Some(form), None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    user.flash(FlashKind::Success, format!("Group {name} saved."))?;
    Ok(see_other(&format!("{LIST}/{id}")))
}

/// `product` and `cell` (`api:environment`) fields of the default access form.
type Access = (BTreeSet<ProductId>, BTreeSet<groups::Cell>);

fn read_access(body: &[u8]) -> Result<Access, AppError> {
    let mut products = BTreeSet::new();
    let mut cells = BTreeSet::new();
    for (name, value) in form_fields(body) {
        match name.as_str() {
            "product" => {
                products.insert(form_id::<ProductId>(&value)?);
            }
            "cell" => {
                let (a, e) = value.split_once(':').ok_or_else(crate::routes::partners::grants::shared::bad_form)?;
                cells.insert((form_id::<ApiId>(a)?, form_id::<EnvironmentId>(e)?));
            }
            _ => {}
        }
    }
    Ok((products, cells))
}

pub async fn save_access(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (chosen_products, chosen_cells) = read_access(&body)?;
    let actor = user.user.clone();
    let refused = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let group = groups::lock(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            let live: BTreeSet<ProductId> = live_products(conn, actor.enterprise_id)?.iter().map(|p| p.id).collect();
            let live_apis: BTreeSet<ApiId> = grants::live_apis(conn, actor.enterprise_id)?.iter().map(|a| a.id).collect();
            let offered = grants::offered(conn, actor.enterprise_id, None)?;
            if !chosen_products.is_subset(&live) {
                return Ok(Some("One of the chosen products is not in your catalog or is archived. Nothing was saved."));
            }
            if chosen_cells.iter().any(|c| !offered.contains(c) || !live_apis.contains(&c.0)) {
                return Ok(Some(
                    "One of the chosen APIs is archived or not offered in that environment. Nothing was saved.",
                ));
            }
            groups::set_default_access(conn, actor.enterprise_id, id, &chosen_products, &chosen_cells)?;
            let details = serde_json::json!({
                "group_id": id,
                "products": chosen_products,
                "api_environments": chosen_cells.iter().map(|(a, e)| serde_json::json!({ "api_id": a, "environment_id": e })).collect::<Vec<_>>(),
            });
            audit::record_for_enterprise(
                conn,
                &actor,
                AuditAction::GroupAccessChanged,
                &format!("Group {}", group.name),
                details,
            )?;
            Ok(None)
        })
    })
    .await?;
    if let Some(message) = refused {
        return show_group(&user, &state, id, None, Some(message.to_string()), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    user.flash(
        FlashKind::Success,
        "Default access saved. Partners that join the group from now on are offered it; partners already in it keep the access they have.",
    )?;
    Ok(see_other(&format!("{LIST}/{id}")))
}

pub async fn delete(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let group = groups::lock(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            if group.is_default {
                return Ok(Err(format!("{} is where new partnerships start: it can't be deleted.", group.name)));
            }
            let members = groups::partner_names(conn, actor.enterprise_id, id)?.len();
            if members > 0 {
                return Ok(Err(format!(
                    "{} still has {members} partner{}: move them to another group first.",
                    group.name,
                    if members == 1 { "" } else { "s" }
                )));
            }
            groups::delete(conn, actor.enterprise_id, id)?;
            let details = serde_json::json!({ "group_id": id, "name": group.name });
            audit::record_for_enterprise(
                conn,
                &actor,
                AuditAction::GroupDeleted,
                &format!("Group {}", group.name),
                details,
            )?;
            Ok(Ok(group.name))
        })
    })
    .await?;
    match outcome {
        Ok(name) => {
            user.flash(FlashKind::Success, format!("Group {name} deleted."))?;
            Ok(see_other(LIST))
        }
        Err(message) => {
            user.flash(FlashKind::Error, message)?;
            Ok(see_other(&format!("{LIST}/{id}")))
        }
    }
}

// ---- Move to group --------------------------------------------------------------------------

/// What moving a partner to a group would grant: the group's default access it lacks, in the
/// words of the review lists ("Product One", "API One — Production").
pub struct Offer {
    pub products: BTreeSet<ProductId>,
    pub cells: BTreeSet<(ApiId, EnvironmentId)>,
    pub lines: Vec<String>,
}

/// The group's default access that the partner doesn't have yet (archived items and cells no
/// longer offered are left out: they can't be granted).
pub fn offer(
    conn: &mut PgConnection,
    enterprise_id: crate::domain::EnterpriseId,
    partner: PartnerId,
    group: i64,
) -> Result<Offer, AppError> {
    let granted: BTreeSet<ProductId> =
        grants::granted_products(conn, partner)?.into_iter().map(|g| g.product_id).collect();
    let have_cells = grants::granted_cells(conn, partner, None)?;
    let held = crate::db::held_grants::cells(conn, partner, None)?;
    let live = live_products(conn, enterprise_id)?;
    let apis = grants::live_apis(conn, enterprise_id)?;
    let environments = grants::environments(conn, enterprise_id)?;
    let offered = grants::offered(conn, enterprise_id, None)?;
    let want_products = groups::default_products(conn, enterprise_id, group)?;
    let want_cells = groups::default_cells(conn, enterprise_id, group)?;
    let mut lines = Vec::new();
    let mut products = BTreeSet::new();
    for p in live.iter().filter(|p| want_products.contains(&p.id) && !granted.contains(&p.id)) {
        products.insert(p.id);
        lines.push(p.name.clone());
    }
    let mut cells = BTreeSet::new();
    for a in &apis {
        for e in &environments {
            let cell = (a.id, e.id);
            if want_cells.contains(&cell)
                && offered.contains(&cell)
                && !have_cells.contains(&cell)
                && !held.contains(&cell)
            {
                cells.insert(cell);
                lines.push(format!(
                    "{} — {}{}",
                    a.name,
                    e.name,
                    if e.requires_approval { " (needs approval)" } else { "" }
                ));
            }
        }
    }
    Ok(Offer { products, cells, lines })
}

/// Grants `offer` to the partner through Add Products' and Add APIs' functions. Err: their
/// refusals (the catalog changed since the preview).
pub fn grant_offer(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    partner: PartnerId,
    offer: &Offer,
) -> Result<Result<(), Vec<String>>, AppError> {
    if !offer.products.is_empty() {
        if let Err(errors) = products::grant_products(conn, actor, settings, partner, &offer.products, None)? {
            return Ok(Err(errors));
        }
    }
    let apis: BTreeSet<ApiId> = offer.cells.iter().map(|c| c.0).collect();
    for api in apis {
        let mut environments: BTreeSet<EnvironmentId> =
            grants::granted_cells(conn, partner, Some(&BTreeSet::from([api])))?
                .into_iter()
                .chain(crate::db::held_grants::cells(conn, partner, Some(&BTreeSet::from([api])))?)
                .map(|c| c.1)
                .collect();
        environments.extend(offer.cells.iter().filter(|c| c.0 == api).map(|c| c.1));
        if let Err(errors) = apis::set_api_environments(conn, actor, settings, partner, api, &environments, None)? {
            return Ok(Err(errors));
        }
    }
    Ok(Ok(()))
}

/// A new partnership joins the enterprise's default group: it is granted that group's default
/// access (the wizard, the REST API; `db::registration::create`).
pub fn grant_default_access(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    partner: PartnerId,
) -> Result<(), AppError> {
    let group = groups::default_group(conn, actor.enterprise_id())?;
    grant_group_access(conn, actor, settings, partner, group.id)
}

/// A new partnership placed in `group` (Import partners' `group` column) is granted that
/// group's default access, as the default group's is granted by `grant_default_access`.
pub fn grant_group_access(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    partner: PartnerId,
    group: i64,
) -> Result<(), AppError> {
    // Most groups give nothing: two keyed reads, not the whole catalog, per new partner.
    if groups::default_products(conn, actor.enterprise_id(), group)?.is_empty()
        && groups::default_cells(conn, actor.enterprise_id(), group)?.is_empty()
    {
        return Ok(());
    }
    let offer = offer(conn, actor.enterprise_id(), partner, group)?;
    if offer.lines.is_empty() {
        return Ok(());
    }
    match grant_offer(conn, actor, settings, partner, &offer)? {
        Ok(()) => Ok(()),
        // The offer holds only what can be granted, under the same locks: a refusal here is a bug.
        Err(errors) => Err(AppError::Unexpected(anyhow::anyhow!("default access refused: {}", errors.join(" ")))),
    }
}

#[derive(Template)]
#[template(path = "partners/groups/move.html")]
struct MovePage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    groups: Vec<groups::Listed>,
    current: i64,
    /// The chosen group and what it would grant, once one is chosen.
    target: Option<(groups::Listed, Vec<String>)>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct MoveQuery {
    group: Option<String>,
}

async fn show_move(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    target: Option<i64>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let (header, all, current, offer) = db::run(&state.pool, move |conn| {
        let (_, header) = load_header(conn, enterprise_id, id)?;
        let all = groups::list(conn, enterprise_id)?;
        let current = groups::of_partner(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        let offer = match target {
            Some(g) if all.iter().any(|x| x.id == g) => Some((g, offer(conn, enterprise_id, id, g)?.lines)),
            Some(_) => return Err(AppError::NotFound),
            None => None,
        };
        Ok((header, all, current, offer))
    })
    .await?;
    let target = offer.and_then(|(g, lines)| all.iter().find(|x| x.id == g).cloned().map(|x| (x, lines)));
    let page = MovePage {
        layout: user.layout(format!("Move {} to a group", header.name), MENU_KEY)?,
        tab: "general",
        header,
        groups: all,
        current,
        target,
        error,
    };
    Ok(render_status(status, &page))
}

/// `GET /settings/partners/{id}/group[?group=G]`: the form, and with a group chosen, the
/// preview of the move.
pub async fn move_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    query: web::Query<MoveQuery>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let target = match query.into_inner().group.as_deref().filter(|g| !g.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| AppError::NotFound)?),
    };
    show_move(&user, &state, path.into_inner(), target, None, StatusCode::OK).await
}

/// **Move to group**: moves the partner and, with *Grant the group's default access* checked,
/// grants what the preview listed, all in one transaction.
pub async fn move_partner(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let mut target = None;
    let mut grant = false;
    for (name, value) in form_fields(&body) {
        match name.as_str() {
            "group" => target = Some(form_id::<i64>(&value)?),
            "grant_access" => grant = value == "on" || value == "yes",
            _ => {}
        }
    }
    let Some(target) = target else { return Err(crate::routes::partners::grants::shared::bad_form()) };
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let outcome = db::run(&state.pool, move |conn| move_tx(conn, &actor, &settings, id, target, grant)).await?;
    match outcome {
        Ok((partner, group, granted)) => {
            let mut message = format!("{partner} moved to {group}.");
            if !granted.is_empty() {
                message.push_str(&format!(" Granted: {}.", granted.join(", ")));
            }
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(&format!("/settings/partners/{id}")))
        }
        Err(message) => show_move(&user, &state, id, Some(target), Some(message), StatusCode::CONFLICT).await,
    }
}

/// A move done: the partner's name, the group's, and what was granted.
pub(crate) type Moved = (String, String, Vec<String>);

/// Moves the partner to group `target` (and with `grant`, grants what the preview offered), in
/// a transaction of its own: (partner, group, what was granted), or why not (rolled back).
/// The page's **Move to group** and `POST /api/v1/partners/{id}/group`.
pub(crate) fn move_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    id: PartnerId,
    target: i64,
    grant: bool,
) -> Result<Result<Moved, String>, AppError> {
    let result = conn.transaction::<_, MoveError, _>(|conn| {
        let enterprise_id = actor.enterprise_id();
        let partner = lock_changeable(conn, actor, id)?;
        let group = groups::find(conn, enterprise_id, target)?.ok_or(AppError::NotFound)?;
        let current = groups::of_partner(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        if current == group.id {
            return Err(MoveError::Refused(format!("{} is already in {}.", partner.name, group.name)));
        }
        let from = groups::find(conn, enterprise_id, current)?.map(|g| g.name).unwrap_or_default();
        groups::move_partner(conn, enterprise_id, id, group.id)?;
        record_event(
            conn,
            actor,
            &actor.actor_label(),
            id,
            AuditAction::PartnerGroupChanged,
            &partner.name,
            serde_json::json!({ "from": from, "to": group.name, "group_id": group.id, "access_granted": grant }),
        )?;
        let mut granted = Vec::new();
        if grant {
            let offer = offer(conn, enterprise_id, id, group.id)?;
            if let Err(errors) = grant_offer(conn, actor, settings, id, &offer)? {
                return Err(MoveError::Refused(errors.join(" ")));
            }
            granted = offer.lines;
        }
        Ok((partner.name, group.name, granted))
    });
    match result {
        Ok(done) => Ok(Ok(done)),
        Err(MoveError::Refused(message)) => Ok(Err(message)),
        Err(MoveError::App(e)) => Err(e),
    }
}

enum MoveError {
    Refused(String),
    App(AppError),
}

impl From<AppError> for MoveError {
    fn from(e: AppError) -> Self {
        MoveError::App(e)
    }
}

impl From<diesel::result::Error> for MoveError {
    fn from(e: diesel::result::Error) -> Self {
        MoveError::App(AppError::Database(e))
    }
}
