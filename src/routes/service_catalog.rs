//! Service Catalog (`/service-catalog`, every partner user): the products and the APIs, with
//! their environments, granted to the person's partner, and nothing else of the enterprise's
//! catalog. Two statements besides the session, whatever the number of grants.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::{
    auth::guards::PartnerUser,
    db::{self, catalog},
    error::AppError,
    render::{render, Layout},
    startup::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/service-catalog", web::get().to(page));
}

pub struct ProductCard {
    pub name: String,
    pub description: String,
    /// Archived but still granted: the enterprise is phasing it out.
    pub retiring: bool,
}

pub struct ApiCard {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub base_path: String,
    pub retiring: bool,
    /// Environments granted, in environment order.
    pub environments: Vec<String>,
}

#[derive(Template)]
#[template(path = "service_catalog.html")]
struct ServiceCatalogPage {
    layout: Layout,
    partner_name: String,
    enterprise_name: String,
    products: Vec<ProductCard>,
    apis: Vec<ApiCard>,
}

/// Folds the (API, environment) rows, consecutive per API, into one card per API.
fn api_cards(rows: Vec<catalog::GrantedApiRow>) -> Vec<ApiCard> {
    let mut cards: Vec<ApiCard> = Vec::new();
    for row in rows {
        match cards.last_mut() {
            Some(card) if card.id == row.api_id => card.environments.push(row.environment),
            _ => cards.push(ApiCard {
                id: row.api_id,
                name: row.name,
                description: row.description,
                base_path: row.base_path,
                retiring: row.archived_at.is_some(),
                environments: vec![row.environment],
            }),
        }
    }
    cards
}

async fn page(user: PartnerUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let partner_id = user.user.partner_id.ok_or(AppError::Forbidden)?;
    let (products, apis) = db::run(&state.pool, move |conn| {
        let products = catalog::granted_products(conn, enterprise_id, partner_id)?;
        let apis = catalog::granted_apis(conn, enterprise_id, partner_id)?;
        Ok((products, apis))
    })
    .await?;
    let products = products
        .into_iter()
        .map(|p| ProductCard { retiring: p.archived(), name: p.name, description: p.description })
        .collect();
    Ok(render(&ServiceCatalogPage {
        layout: user.layout("Service Catalog", "service-catalog")?,
        partner_name: user.user.partner_name.clone().unwrap_or_default(),
        enterprise_name: user.user.enterprise_name.clone(),
        products,
        apis: api_cards(apis),
    }))
}
