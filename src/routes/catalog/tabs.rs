//! Catalog (enterprise admins): `/catalog` lists the enterprise's Products, `/catalog/apis`
//! its APIs and `/catalog/environments` its Environments, each tab one statement whatever the
//! size of the catalog. Creating and editing live in `products`, `apis` and `environments`,
//! archiving and deleting a product or an API in `items`; the audit they share is here. The
//! fields' rules are the types in `domain::catalog`.

use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::PgConnection;

use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    db::{self, audit, catalog},
    domain::{ApiId, ProductId},
    error::AppError,
    render::{render, Layout},
    state::AppState,
};

pub const MENU_KEY: &str = "catalog";

// ---- the three tabs ------------------------------------------------------------------------

pub struct ProductView {
    pub id: ProductId,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub partners: i64,
}

pub struct ApiView {
    pub id: ApiId,
    pub name: String,
    pub description: String,
    pub base_path: String,
    pub archived: bool,
    pub partners: i64,
    pub environments: Vec<String>,
}

#[derive(Template)]
#[template(path = "catalog/products/list.html")]
struct ProductsPage {
    layout: Layout,
    tab: &'static str,
    enterprise_name: String,
    products: Vec<ProductView>,
}

#[derive(Template)]
#[template(path = "catalog/apis/list.html")]
struct ApisPage {
    layout: Layout,
    tab: &'static str,
    enterprise_name: String,
    apis: Vec<ApiView>,
}

#[derive(Template)]
#[template(path = "catalog/environments/list.html")]
struct EnvironmentsPage {
    layout: Layout,
    tab: &'static str,
    enterprise_name: String,
    environments: Vec<catalog::EnvironmentRow>,
}

pub async fn products_tab(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(catalog::product_rows(conn, enterprise_id)?)).await?;
    let products = rows
        .into_iter()
        .map(|r| ProductView {
            archived: r.archived_at.is_some(),
            id: r.id,
            name: r.name,
            description: r.description,
            partners: r.partners,
        })
        .collect();
    Ok(render(&ProductsPage {
        layout: user.layout("Catalog · Products", MENU_KEY)?,
        tab: "products",
        enterprise_name: user.user.enterprise_name.clone(),
        products,
    }))
}

pub async fn apis_tab(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(catalog::api_rows(conn, enterprise_id)?)).await?;
    let apis = rows
        .into_iter()
        .map(|r| ApiView {
            archived: r.archived_at.is_some(),
            id: r.id,
            name: r.name,
            description: r.description,
            base_path: r.base_path,
            partners: r.partners,
            environments: r.environments,
        })
        .collect();
    Ok(render(&ApisPage {
        layout: user.layout("Catalog · APIs", MENU_KEY)?,
        tab: "apis",
        enterprise_name: user.user.enterprise_name.clone(),
        apis,
    }))
}

pub async fn environments_tab(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let environments = db::run(&state.pool, move |conn| Ok(catalog::environment_rows(conn, enterprise_id)?)).await?;
    Ok(render(&EnvironmentsPage {
        layout: user.layout("Catalog · Environments", MENU_KEY)?,
        tab: "environments",
        enterprise_name: user.user.enterprise_name.clone(),
        environments,
    }))
}

// ---- shared by the forms ---------------------------------------------------------------------

/// "1 partner", "3 partners".
pub fn partners_phrase(n: i64) -> String {
    if n == 1 {
        "1 partner".to_string()
    } else {
        format!("{n} partners")
    }
}

/// The 409 a delete of something still granted gets.
pub fn granted_conflict(name: &str, partners: i64) -> AppError {
    AppError::Conflict(format!("“{name}” is granted to {}; archive it instead.", partners_phrase(partners)))
}

/// One catalog audit event (never about a partner).
pub fn record(
    conn: &mut PgConnection,
    actor: &Principal,
    action: crate::domain::AuditAction,
    target: String,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record_for_enterprise(conn, actor, action, &target, details)?;
    Ok(())
}

/// `{"name": {"from": …, "to": …}, …}` for the fields that changed.
pub fn changes(pairs: &[(&str, &str, &str)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (field, from, to) in pairs {
        if from != to {
            map.insert((*field).to_string(), serde_json::json!({ "from": from, "to": to }));
        }
    }
    serde_json::Value::Object(map)
}
