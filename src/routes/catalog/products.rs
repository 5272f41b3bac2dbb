//! Catalog → Products: *New product*, *Edit*, **Archive** / **Unarchive** and **Delete**
//! (only for a product never granted to a partner). Each change is one transaction with its
//! audit event; the product row is locked first so concurrent changes queue.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::domain::parse_id;
use crate::render::see_other;
use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    db::{self, catalog},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::{render, render_status, Layout},
    routes::catalog::tabs::{
        changes, granted_conflict, is_foreign_key_violation, is_unique_violation, parse_description, parse_name,
        partners_phrase, record, MENU_KEY, NAME_MAX,
    },
    state::AppState,
};

const LIST: &str = "/catalog";

fn target(name: &str) -> String {
    format!("Product {name}")
}

// ---- the form --------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ProductInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "catalog/products/form.html")]
struct FormPage {
    layout: Layout,
    /// The product being edited; None for *New product*.
    id: Option<i64>,
    archived: bool,
    name: String,
    description: String,
    name_error: Option<String>,
    description_error: Option<String>,
}

impl FormPage {
    pub fn has_errors(&self) -> bool {
        self.name_error.is_some() || self.description_error.is_some()
    }
}

struct Valid {
    name: String,
    description: String,
}

/// The messages next to *Name* and *Description*.
type FieldErrors = (Option<String>, Option<String>);

/// The input checked against the rules and the other products' names.
fn check(
    conn: &mut PgConnection,
    enterprise_id: i64,
    input: &ProductInput,
    except: Option<i64>,
) -> Result<Result<Valid, FieldErrors>, AppError> {
    let name = parse_name(&input.name, NAME_MAX);
    let description = parse_description(&input.description);
    let name = match name {
        Ok(n) if catalog::product_name_taken(conn, enterprise_id, &n, except)? => Err(taken(&n)),
        other => other,
    };
    Ok(match (name, description) {
        (Ok(name), Ok(description)) => Ok(Valid { name, description }),
        (name, description) => Err((name.err(), description.err())),
    })
}

fn taken(name: &str) -> String {
    format!("Another product is already called “{name}”. Choose a different name.")
}

fn form(user: &EnterpriseAdmin, id: Option<i64>, archived: bool, input: ProductInput) -> Result<FormPage, AppError> {
    let title = if id.is_some() { "Edit product" } else { "New product" };
    Ok(FormPage {
        layout: user.layout(format!("{title} · Catalog"), MENU_KEY)?,
        id,
        archived,
        name: input.name,
        description: input.description,
        name_error: None,
        description_error: None,
    })
}

enum Outcome {
    Saved(String),
    Invalid(Option<String>, Option<String>),
}

/// A unique violation means another admin saved the same name a moment ago.
fn or_taken(result: Result<Outcome, AppError>, name: &str) -> Result<Outcome, AppError> {
    match result {
        Err(e) if is_unique_violation(&e) => Ok(Outcome::Invalid(Some(taken(name.trim())), None)),
        other => other,
    }
}

fn respond(
    user: &EnterpriseAdmin,
    outcome: Outcome,
    id: Option<i64>,
    archived: bool,
    input: ProductInput,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Saved(message) => {
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(LIST))
        }
        Outcome::Invalid(name_error, description_error) => {
            let mut page = form(user, id, archived, input)?;
            page.name_error = name_error;
            page.description_error = description_error;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

pub async fn new_form(user: EnterpriseAdmin) -> Result<HttpResponse, AppError> {
    let page = form(&user, None, false, ProductInput { name: String::new(), description: String::new() })?;
    Ok(render(&page))
}

pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    input: web::Form<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let actor = user.user.clone();
    let fields = ProductInput { name: input.name.clone(), description: input.description.clone() };
    let outcome = db::run(&state.pool, move |conn| {
        let result = conn.transaction(|conn| {
            let v = match check(conn, actor.enterprise_id, &fields, None)? {
                Ok(v) => v,
                Err((n, d)) => return Ok(Outcome::Invalid(n, d)),
            };
            let fields_ = catalog::ItemFields { name: &v.name, description: &v.description, base_path: "" };
            let product = catalog::insert_product(conn, actor.enterprise_id, &fields_)?;
            record(
                conn,
                &actor,
                AuditAction::CatalogProductCreated,
                target(&product.name),
                serde_json::json!({ "name": product.name, "description": product.description }),
            )?;
            Ok(Outcome::Saved(format!("Product “{}” created.", product.name)))
        });
        or_taken(result, &fields.name)
    })
    .await?;
    respond(&user, outcome, None, false, input)
}

pub async fn edit_form(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let product =
        db::run(&state.pool, move |conn| catalog::find_product(conn, enterprise_id, id)?.ok_or(AppError::NotFound))
            .await?;
    let archived = product.archived();
    let page = form(&user, Some(id), archived, ProductInput { name: product.name, description: product.description })?;
    Ok(render(&page))
}

pub async fn update(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let input = input.into_inner();
    let actor = user.user.clone();
    let fields = ProductInput { name: input.name.clone(), description: input.description.clone() };
    let (outcome, archived) = db::run(&state.pool, move |conn| {
        let result = conn.transaction(|conn| {
            let product = catalog::lock_product(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            let v = match check(conn, actor.enterprise_id, &fields, Some(id))? {
                Ok(v) => v,
                Err((n, d)) => return Ok((Outcome::Invalid(n, d), product.archived())),
            };
            let diff =
                changes(&[("name", &product.name, &v.name), ("description", &product.description, &v.description)]);
            if diff.as_object().is_some_and(|m| !m.is_empty()) {
                let fields_ = catalog::ItemFields { name: &v.name, description: &v.description, base_path: "" };
                catalog::update_product(conn, id, &fields_)?;
                record(conn, &actor, AuditAction::CatalogProductUpdated, target(&v.name), diff)?;
            }
            Ok((Outcome::Saved(format!("Product “{}” saved.", v.name)), product.archived()))
        });
        match result {
            Err(e) if is_unique_violation(&e) => Ok((or_taken(Err(e), &fields.name)?, false)),
            other => other,
        }
    })
    .await?;
    respond(&user, outcome, Some(id), archived, input)
}

// ---- archive, unarchive, delete ----------------------------------------------------------------

/// Archives (or unarchives) the product; doing it twice changes nothing the second time.
fn set_archived(conn: &mut PgConnection, actor: &Principal, id: i64, archive: bool) -> Result<String, AppError> {
    conn.transaction(|conn| {
        let product = catalog::lock_product(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
        if product.archived() != archive {
            catalog::set_product_archived(conn, id, archive)?;
            let action = if archive { AuditAction::CatalogProductArchived } else { AuditAction::CatalogProductUnarchived };
            record(conn, actor, action, target(&product.name), serde_json::json!({}))?;
        }
        Ok(if archive {
            format!(
                "Product “{}” archived: partners who have it keep it, and it can't be granted to anyone else until you unarchive it.",
                product.name
            )
        } else {
            format!("Product “{}” unarchived: it can be granted to partners again.", product.name)
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

#[derive(Template)]
#[template(path = "catalog/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    /// "product", "API", "environment".
    pub kind: &'static str,
    pub name: String,
    pub action: String,
    pub back: &'static str,
    /// Why it can't be deleted (it is granted); None when it can.
    pub refusal: Option<String>,
    /// Where archiving is the alternative: the archive action.
    pub archive_action: Option<String>,
    /// What else goes with it, e.g. "It is offered in 2 environments…".
    pub note: Option<String>,
}

pub async fn confirm_delete(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let enterprise_id = user.user.enterprise_id;
    let (product, partners) = db::run(&state.pool, move |conn| {
        let product = catalog::find_product(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        let partners = catalog::product_partner_count(conn, id)?;
        Ok((product, partners))
    })
    .await?;
    let refusal = (partners > 0).then(|| {
        format!("“{}” is granted to {}, so it can't be deleted. Archive it instead: partners who have it keep it, and nobody else can be granted it.", product.name, partners_phrase(partners))
    });
    let page = DeletePage {
        layout: user.layout(format!("Delete {} · Catalog", product.name), MENU_KEY)?,
        kind: "product",
        action: format!("/catalog/products/{id}/delete"),
        back: LIST,
        archive_action: (partners > 0 && !product.archived()).then(|| format!("/catalog/products/{id}/archive")),
        refusal,
        note: None,
        name: product.name,
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
            let product = catalog::lock_product(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            let partners = catalog::product_partner_count(conn, id)?;
            if partners > 0 {
                return Err(granted_conflict(&product.name, partners));
            }
            catalog::delete_product(conn, id)?;
            record(
                conn,
                &actor,
                AuditAction::CatalogProductDeleted,
                target(&product.name),
                serde_json::json!({ "name": product.name, "description": product.description }),
            )?;
            Ok(product.name)
        });
        match result {
            // A grant was added between our count and our delete.
            Err(e) if is_foreign_key_violation(&e) => {
                Err(AppError::Conflict("The product was just granted to a partner; archive it instead.".into()))
            }
            other => other,
        }
    })
    .await?;
    user.flash(FlashKind::Success, format!("Product “{name}” deleted."))?;
    Ok(see_other(LIST))
}
