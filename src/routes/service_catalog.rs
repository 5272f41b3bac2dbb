//! Service Catalog (`/service-catalog`, every partner user): the products and the APIs, with
//! their environments, granted to the person's partner, and nothing else of the enterprise's
//! catalog. One statement besides the session, whatever the number of grants.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::{
    auth::guards::PartnerUser,
    db::{self, catalog},
    domain::expiry,
    error::AppError,
    render::{render, Layout},
    state::AppState,
};

pub struct ProductCard {
    pub name: String,
    pub description: String,
    /// Archived but still granted: the enterprise is phasing it out.
    pub retiring: bool,
    /// "31 Jan 2027" when the access ends.
    pub ends: Option<String>,
}

pub struct ApiCard {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub base_path: String,
    pub retiring: bool,
    /// Environments granted, in environment order.
    pub environments: Vec<EnvironmentChip>,
}

/// An environment of an API card: until when, and whether it still waits for approval.
pub struct EnvironmentChip {
    pub name: String,
    pub ends: Option<String>,
    pub pending: bool,
}

impl EnvironmentChip {
    fn of(row: &catalog::GrantedRow) -> Self {
        EnvironmentChip {
            name: row.environment.clone(),
            ends: row.expires_on.map(expiry::day_text),
            pending: row.pending,
        }
    }
}

#[derive(Template)]
#[template(path = "service_catalog/page.html")]
struct ServiceCatalogPage {
    layout: Layout,
    partner_name: String,
    enterprise_name: String,
    role_label: &'static str,
    products: Vec<ProductCard>,
    apis: Vec<ApiCard>,
}

/// Splits the granted rows into product cards and API cards, folding the (API, environment)
/// rows, consecutive per API, into one card per API.
fn cards(rows: Vec<catalog::GrantedRow>) -> (Vec<ProductCard>, Vec<ApiCard>) {
    let mut products = Vec::new();
    let mut cards: Vec<ApiCard> = Vec::new();
    for row in rows {
        if row.is_product {
            let ends = row.expires_on.map(expiry::day_text);
            products.push(ProductCard { retiring: row.retiring, name: row.name, description: row.description, ends });
            continue;
        }
        let chip = EnvironmentChip::of(&row);
        match cards.last_mut() {
            Some(card) if card.id == row.id => card.environments.push(chip),
            _ => cards.push(ApiCard {
                id: row.id,
                name: row.name,
                description: row.description,
                base_path: row.base_path,
                retiring: row.retiring,
                environments: vec![chip],
            }),
        }
    }
    (products, cards)
}

pub async fn page(user: PartnerUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let partner_id = user.user.partner_id.ok_or(AppError::Forbidden)?;
    let rows = db::run(&state.pool, move |conn| catalog::granted(conn, enterprise_id, partner_id)).await?;
    let (products, apis) = cards(rows);
    Ok(render(&ServiceCatalogPage {
        layout: user.layout("Service Catalog", "service-catalog")?,
        partner_name: user.user.partner_name.clone().unwrap_or_default(),
        enterprise_name: user.user.enterprise_name.clone(),
        role_label: user.user.role.label(),
        products,
        apis,
    }))
}
