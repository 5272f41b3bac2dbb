//! Catalog → Products: *New product* and *Edit*. Archiving and deleting a product is the flow
//! it shares with APIs, in `items`. Each change is one transaction with its audit event; the
//! product row is locked first so concurrent changes queue.

use crate::domain::FlashKind;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::{
        guards::{EnterpriseAdmin, EnterpriseEditor},
        session::Principal,
    },
    db::{self, catalog},
    domain::{CatalogName, Description, EnterpriseId, ItemEvent, ItemId, ItemKind, ProductId},
    error::{AppError, FieldErrors},
    render::{render, render_status, see_other, Layout},
    routes::catalog::items::{check_name, name_race, save_edit},
    routes::catalog::tabs::{record, MENU_KEY},
    state::AppState,
};

const KIND: ItemKind = ItemKind::Product;

#[derive(Deserialize, Clone)]
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
    id: Option<ProductId>,
    archived: bool,
    name: String,
    description: String,
    errors: FieldErrors,
}

struct Valid {
    name: CatalogName,
    description: Description,
}

impl Valid {
    fn fields(&self) -> catalog::ItemFields<'_> {
        catalog::ItemFields { name: self.name.as_str(), description: self.description.as_str(), base_path: "" }
    }
}

/// The input checked against the rules and the other products' names.
fn check(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    input: &ProductInput,
    except: Option<ProductId>,
) -> Result<Result<Valid, FieldErrors>, AppError> {
    let mut errors = FieldErrors::default();
    let name = check_name(conn, enterprise_id, KIND, &input.name, except.map(ItemId::from), &mut errors)?;
    let description = errors.check("description", Description::parse(&input.description));
    Ok(match (name, description) {
        (Some(name), Some(description)) => Ok(Valid { name, description }),
        _ => Err(errors),
    })
}

enum Outcome {
    Saved(String),
    Invalid(FieldErrors),
}

fn respond(
    user: &EnterpriseAdmin,
    outcome: Outcome,
    id: Option<ProductId>,
    archived: bool,
    input: ProductInput,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Saved(message) => {
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(KIND.list_path()))
        }
        Outcome::Invalid(errors) => {
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &form(user, id, archived, input, errors)?))
        }
    }
}

fn form(
    user: &EnterpriseAdmin,
    id: Option<ProductId>,
    archived: bool,
    input: ProductInput,
    errors: FieldErrors,
) -> Result<FormPage, AppError> {
    let title = if id.is_some() { "Edit product" } else { "New product" };
    Ok(FormPage {
        layout: user.layout(format!("{title} · Catalog"), MENU_KEY)?,
        id,
        archived,
        name: input.name,
        description: input.description,
        errors,
    })
}

pub async fn new_form(editor: EnterpriseEditor) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let input = ProductInput { name: String::new(), description: String::new() };
    Ok(render(&form(&user, None, false, input, FieldErrors::default())?))
}

pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    input: web::Form<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let actor = user.user.clone();
    let typed = input.clone();
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| insert(conn, &actor, &typed))
            .or_else(|e| name_race(e, KIND, &typed.name).map(Outcome::Invalid))
    })
    .await?;
    respond(&user, outcome, None, false, input)
}

fn insert(conn: &mut PgConnection, actor: &Principal, input: &ProductInput) -> Result<Outcome, AppError> {
    let v = match check(conn, actor.enterprise_id, input, None)? {
        Ok(v) => v,
        Err(errors) => return Ok(Outcome::Invalid(errors)),
    };
    catalog::insert_product(conn, actor.enterprise_id, &v.fields())?;
    let (name, description) = (v.name.as_str(), v.description.as_str());
    let details = serde_json::json!({ "name": name, "description": description });
    record(conn, actor, KIND.action(ItemEvent::Created), KIND.target(name), details)?;
    Ok(Outcome::Saved(format!("Product “{name}” created.")))
}

pub async fn edit_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<ProductId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let product =
        db::run(&state.pool, move |conn| catalog::find_item(conn, enterprise_id, id.into())?.ok_or(AppError::NotFound))
            .await?;
    let archived = product.archived();
    let input = ProductInput { name: product.name, description: product.description };
    Ok(render(&form(&user, Some(id), archived, input, FieldErrors::default())?))
}

pub async fn update(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<ProductId>,
    input: web::Form<ProductInput>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = input.into_inner();
    let actor = user.user.clone();
    let typed = input.clone();
    let (outcome, archived) = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let product = catalog::lock_item(conn, actor.enterprise_id, id.into())?.ok_or(AppError::NotFound)?;
            let v = match check(conn, actor.enterprise_id, &typed, Some(id))? {
                Ok(v) => v,
                Err(errors) => return Ok((Outcome::Invalid(errors), product.archived())),
            };
            save_edit(conn, &actor, id.into(), &product, &v.fields(), serde_json::Map::new())?;
            Ok((Outcome::Saved(format!("Product “{}” saved.", v.name.as_str())), product.archived()))
        })
        .or_else(|e| name_race(e, KIND, &typed.name).map(|errors| (Outcome::Invalid(errors), false)))
    })
    .await?;
    respond(&user, outcome, Some(id), archived, input)
}
