//! The Products tab (`/settings/partners/{id}/products`): the products granted to the
//! partner, **Add Products** (a searchable checkbox list of what can still be granted) and
//! **Revoke**.

use crate::auth::actor::Actor;
use crate::domain::{PartnerId, ProductId};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::config::Settings;
use crate::db::grants::Expiry;
use crate::db::partners::Partner;
use crate::domain::expiry;
use crate::domain::EnterpriseId;
use crate::routes::partners::grants::review::{self, with_end, Change, Review, Reviewed};
use crate::routes::partners::grants::shared::bad_form;
use crate::routes::partners::grants::shared::form_fields;
use crate::routes::partners::grants::shared::form_id;
use crate::routes::partners::grants::shared::join_names;
use crate::routes::partners::grants::shared::lock_changeable;
use crate::routes::partners::grants::shared::read_expiry;
use crate::routes::partners::grants::shared::record;
use crate::routes::partners::header::change_refusal;
use crate::routes::partners::header::load_header;
use crate::routes::partners::header::PartnerHeader;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, grants},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::see_other,
    render::{render, render_status, Layout},
    state::AppState,
};

/// Longest search text kept (longer input is cut, not refused).
const SEARCH_MAX: usize = 100;

fn tab_path(id: PartnerId) -> String {
    format!("/settings/partners/{id}/products")
}

// ---- the tab -------------------------------------------------------------------------------

struct GrantedView {
    id: ProductId,
    name: String,
    description: String,
    archived: bool,
    granted: DateTime<Utc>,
    /// "31 Jan 2027" for a grant that ends.
    ends: Option<String>,
}

#[derive(Template)]
#[template(path = "partners/grants/products.html")]
struct ProductsPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    products: Vec<GrantedView>,
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
        Ok((header, grants::granted_products(conn, partner.id)?))
    })
    .await?;
    let products = rows
        .into_iter()
        .map(|p| GrantedView {
            id: p.product_id,
            archived: p.archived_at.is_some(),
            granted: p.granted_at,
            ends: p.expires_on.map(expiry::day_text),
            name: p.name,
            description: p.description,
        })
        .collect();
    let layout = user.layout(format!("Products · {}", header.name), "partners")?;
    Ok(render(&ProductsPage { layout, tab: "products", header, products }))
}

// ---- Add Products ----------------------------------------------------------------------------

struct OptionView {
    id: ProductId,
    name: String,
    description: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "partners/grants/products_add.html")]
struct AddPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    q: String,
    options: Vec<OptionView>,
    errors: Vec<String>,
    /// *Expires on* as typed, and why it was refused.
    expires_on: String,
    expires_error: Option<String>,
    /// The enterprise's time zone, named in the field's hint.
    zone: &'static str,
}

/// What an Add Products form sent: the products ticked, the search and *Expires on*.
#[derive(Default)]
struct Chosen {
    products: BTreeSet<ProductId>,
    q: String,
    expires_on: String,
}

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

fn clean_search(raw: &str) -> String {
    raw.trim().chars().filter(|c| !c.is_control()).take(SEARCH_MAX).collect()
}

/// The add page: what can still be granted (matching the search), with the chosen ticked;
/// `expires_error` marks the *Expires on* field.
async fn add_page(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    chosen: Chosen,
    (errors, expires_error): (Vec<String>, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let Chosen { products: checked, q, expires_on } = chosen;
    let search = q.clone();
    let (header, rows) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        if let Some(refusal) = change_refusal(&partner) {
            return Err(AppError::Conflict(refusal.into()));
        }
        Ok((header, grants::grantable_products(conn, enterprise_id, partner.id, &search)?))
    })
    .await?;
    let options = rows
        .into_iter()
        .map(|p| OptionView { checked: checked.contains(&p.id), id: p.id, name: p.name, description: p.description })
        .collect();
    let layout = user.layout(format!("Add Products · {}", header.name), "partners")?;
    let zone = layout.clock.zone_name();
    let page = AddPage { layout, tab: "products", header, q, options, errors, expires_on, expires_error, zone };
    Ok(render_status(status, &page))
}

pub async fn add_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    query: web::Query<Search>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
    let chosen = Chosen { q: clean_search(query.q.as_deref().unwrap_or("")), ..Chosen::default() };
    add_page(&user, &state, id, chosen, (Vec::new(), None), StatusCode::OK).await
}

/// What saving the chosen products would change, worked out under the partner row lock.
enum Plan {
    /// Nothing can be changed; the reasons, for the page.
    Refused(Vec<String>),
    /// The products to grant (those of the choice not granted yet), by name.
    Grant { partner: Partner, products: Vec<grants::Product> },
}

/// Every chosen product must be a non-archived product of the enterprise, or nothing is
/// granted. Products already granted are left as they are.
fn plan_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    id: PartnerId,
    chosen: &BTreeSet<ProductId>,
) -> Result<Plan, AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let found = grants::lock_products(conn, actor.enterprise_id(), chosen)?;
    let mut problems = Vec::new();
    if found.len() != chosen.len() {
        problems.push(
            "One of the chosen products is not in your catalog (it may have been deleted). Nothing was granted."
                .to_string(),
        );
    }
    for p in found.iter().filter(|p| p.archived_at.is_some()) {
        problems.push(format!("{} is archived and can't be granted. Nothing was granted.", p.name));
    }
    if !problems.is_empty() {
        return Ok(Plan::Refused(problems));
    }
    let granted: BTreeSet<ProductId> =
        grants::granted_products(conn, partner.id)?.into_iter().map(|g| g.product_id).collect();
    let mut products: Vec<grants::Product> = found.into_iter().filter(|p| !granted.contains(&p.id)).collect();
    products.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(Plan::Grant { partner, products })
}

fn changes_of(products: &[grants::Product], expiry: Option<Expiry>) -> Vec<Change> {
    products.iter().map(|p| Change::added(with_end(&p.name, expiry))).collect()
}

/// The review of granting `products`: the page's header and the Admins who will be told.
fn review_of(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner: &Partner,
    (products, expiry): (&[grants::Product], Option<Expiry>),
    notice: Option<String>,
) -> Result<(PartnerHeader, Review, Vec<String>), AppError> {
    let (_, header) = load_header(conn, enterprise_id, partner.id)?;
    let admins = review::admins(conn, partner)?.iter().map(|m| m.display_name()).collect();
    let mut fields: Vec<(String, String)> =
        products.iter().map(|p| ("product".to_string(), p.id.to_string())).collect();
    if let Some(e) = expiry {
        fields.push(("expires_on".to_string(), e.on.to_string()));
    }
    let review = Review {
        title: "Add Products",
        tab: "products",
        changes: changes_of(products, expiry),
        confirm_action: format!("/settings/partners/{}/products/add/confirm", partner.id),
        fields,
        cancel: tab_path(partner.id),
        notice,
    };
    Ok((header, review, admins))
}

/// The chosen products (`product=ID`, repeated), the search text and *Expires on* of an Add
/// Products form.
fn read_choice(fields: &[(String, String)]) -> Result<Chosen, AppError> {
    let mut chosen = Chosen::default();
    for (name, value) in fields {
        match name.as_str() {
            "product" => {
                chosen.products.insert(form_id(value)?);
            }
            "q" => chosen.q = clean_search(value),
            "expires_on" => chosen.expires_on = value.trim().chars().take(20).collect(),
            _ => {}
        }
    }
    Ok(chosen)
}

enum Step {
    Refused(Vec<String>),
    /// Everything chosen was granted already.
    NothingToDo,
    Review(Box<Reviewed>),
}

/// **Save**: the review of what the choice would grant (nothing is written).
pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let chosen = read_choice(&form_fields(&body))?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if chosen.products.is_empty() {
        let errors = vec!["Choose at least one product to grant.".to_string()];
        return add_page(&user, &state, id, chosen, (errors, None), unprocessable).await;
    }
    let expiry = match read_expiry(&user.user, &chosen.expires_on) {
        Ok(expiry) => expiry,
        Err(e) => return add_page(&user, &state, id, chosen, (vec![e.clone()], Some(e)), unprocessable).await,
    };
    let actor = user.user.clone();
    let ids = chosen.products.clone();
    let step = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| match plan_tx(conn, &actor, id, &ids)? {
            Plan::Refused(errors) => Ok(Step::Refused(errors)),
            Plan::Grant { products, .. } if products.is_empty() => Ok(Step::NothingToDo),
            Plan::Grant { partner, products } => {
                let reviewed = review_of(conn, actor.enterprise_id(), &partner, (&products, expiry), None)?;
                Ok(Step::Review(Box::new(reviewed)))
            }
        })
    })
    .await?;
    answer_step(&user, &state, id, step, chosen, StatusCode::OK).await
}

/// What a step that changed nothing shows: the review (with `review_status`), "nothing
/// changed", or the add page again with the reasons.
async fn answer_step(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    step: Step,
    chosen: Chosen,
    review_status: StatusCode,
) -> Result<HttpResponse, AppError> {
    match step {
        Step::Refused(errors) => {
            add_page(user, state, id, chosen, (errors, None), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Step::NothingToDo => {
            user.flash(FlashKind::Info, "Those products were already granted; nothing changed.")?;
            Ok(see_other(&tab_path(id)))
        }
        Step::Review(reviewed) => review::page(user, *reviewed, review_status),
    }
}

enum Confirmed {
    Step(Step),
    Granted(Vec<String>),
}

/// **Confirm changes**: grants the reviewed products, with one audit event holding the list
/// and an email to each of the partner's Admins; when the list is no longer the one
/// reviewed, the new one is shown instead and nothing is written.
pub async fn confirm(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let fields = form_fields(&body);
    let chosen = read_choice(&fields)?;
    let reviewed = review::reviewed_lines(&fields);
    if chosen.products.is_empty() || reviewed.is_empty() {
        return Err(bad_form());
    }
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    // The day may have become today or past while the review was open.
    let expiry = match read_expiry(&user.user, &chosen.expires_on) {
        Ok(expiry) => expiry,
        Err(e) => return add_page(&user, &state, id, chosen, (vec![e.clone()], Some(e)), unprocessable).await,
    };
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let ids = chosen.products.clone();
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| match plan_tx(conn, &actor, id, &ids)? {
            Plan::Refused(errors) => Ok(Confirmed::Step(Step::Refused(errors))),
            Plan::Grant { products, .. } if products.is_empty() => Ok(Confirmed::Step(Step::NothingToDo)),
            Plan::Grant { partner, products } => {
                let changes = changes_of(&products, expiry);
                if review::lines(&changes) != reviewed {
                    let notice = Some(review::CHANGED_SINCE_REVIEW.to_string());
                    let again = review_of(conn, actor.enterprise_id(), &partner, (&products, expiry), notice)?;
                    return Ok(Confirmed::Step(Step::Review(Box::new(again))));
                }
                apply_tx(conn, &actor, &settings, &partner, &products, expiry, &changes)?;
                Ok(Confirmed::Granted(products.into_iter().map(|p| p.name).collect()))
            }
        })
    })
    .await?;
    match outcome {
        Confirmed::Granted(names) => {
            let noun = if names.len() == 1 { "Product" } else { "Products" };
            let until = expiry.map(|e| format!(" until {}", expiry::day_text(e.on))).unwrap_or_default();
            user.flash(FlashKind::Success, format!("{noun} granted{until}: {}.", join_names(&names)))?;
            Ok(see_other(&tab_path(id)))
        }
        // The list changed since it was reviewed: shown again, 409.
        Confirmed::Step(step) => answer_step(&user, &state, id, step, chosen, StatusCode::CONFLICT).await,
    }
}

/// Grants `products` (planned by `plan_tx`): one audit event with the list and "What changed
/// in your access" to the partner's Admins.
fn apply_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    partner: &Partner,
    products: &[grants::Product],
    expiry: Option<Expiry>,
    changes: &[Change],
) -> Result<(), AppError> {
    let mut items = Vec::new();
    for p in products {
        grants::grant_product(conn, partner.id, p.id, actor.user_id(), expiry)?;
        items.push(serde_json::json!({
            "change": "added",
            "product_id": p.id,
            "product": p.name,
            "expires_on": expiry.map(|e| e.on),
        }));
    }
    review::record_and_tell(conn, actor, settings, partner, changes, items)
}

/// `POST /api/v1/partners/{id}/grants/products`: grants the chosen products by Add Products'
/// rules; Ok holds the names newly granted (those granted already are left as they are), Err
/// Add Products' refusals.
pub(crate) fn grant_products(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    id: PartnerId,
    chosen: &BTreeSet<ProductId>,
    expiry: Option<Expiry>,
) -> Result<Result<Vec<String>, Vec<String>>, AppError> {
    match plan_tx(conn, actor, id, chosen)? {
        Plan::Refused(errors) => Ok(Err(errors)),
        Plan::Grant { partner, products } => {
            if !products.is_empty() {
                let changes = changes_of(&products, expiry);
                apply_tx(conn, actor, settings, &partner, &products, expiry, &changes)?;
            }
            Ok(Ok(products.into_iter().map(|p| p.name).collect()))
        }
    }
}

// ---- Revoke ----------------------------------------------------------------------------------

pub(crate) fn revoke_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    id: PartnerId,
    product_id: ProductId,
) -> Result<(FlashKind, String), AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let product = grants::find_product(conn, actor.enterprise_id(), product_id)?.ok_or(AppError::NotFound)?;
    if !grants::revoke_product(conn, partner.id, product.id)? {
        return Ok((
            FlashKind::Info,
            format!("{} was not granted to {}; nothing changed.", product.name, partner.name),
        ));
    }
    record(
        conn,
        actor,
        &partner,
        AuditAction::PartnerProductRevoked,
        &product.name,
        serde_json::json!({ "product_id": product.id, "product": product.name }),
    )?;
    Ok((FlashKind::Success, format!("{} revoked: {} can no longer use it.", product.name, partner.name)))
}

pub async fn revoke(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, ProductId)>,
) -> Result<HttpResponse, AppError> {
    let (id, product_id) = path.into_inner();
    let actor = user.user.clone();
    let (kind, message) =
        db::run(&state.pool, move |conn| conn.transaction(|conn| revoke_tx(conn, &actor, id, product_id))).await?;
    user.flash(kind, message)?;
    Ok(see_other(&tab_path(id)))
}
