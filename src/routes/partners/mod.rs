//! Settings → Partners: the list, the register wizard and each partner's page.

pub mod administrator;
pub mod deactivate;
pub mod grants;
pub mod grants_apis;
pub mod grants_products;
pub mod info_form;
pub mod list;
pub mod page;
pub mod page_domains;
pub mod page_edit;
pub mod page_tabs;
pub mod wizard;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The wizard's fixed paths (`/settings/partners/drafts…`) come before `{id}` routes.
    wizard::configure(cfg);
    list::configure(cfg);
    page::configure(cfg);
    grants::configure(cfg);
    deactivate::configure(cfg);
}

/// Parses a path id; anything that isn't a positive number is simply not found.
pub fn parse_id(raw: &str) -> Result<i64, crate::error::AppError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(crate::error::AppError::NotFound)
}
