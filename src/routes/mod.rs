//! The route table: one module per screen area, wired here and nowhere else.

pub mod activity;
pub mod activity_csv;
pub mod catalog;
pub mod catalog_apis;
pub mod catalog_environments;
pub mod catalog_products;
pub mod dev_mailbox;
pub mod forgot_password;
pub mod health;
pub mod home;
pub mod invitations;
pub mod login;
pub mod members;
pub mod members_manage;
pub mod partners;
pub mod password;
pub mod service_catalog;

use actix_web::web;

/// Every route that needs a session (health checks are wired outside the session layer).
pub fn configure(cfg: &mut web::ServiceConfig) {
    home::configure(cfg);
    login::configure(cfg);
    password::configure(cfg);
    forgot_password::configure(cfg);
    partners::configure(cfg);
    dev_mailbox::configure(cfg);
    invitations::configure(cfg);
    members::configure(cfg);
    catalog::configure(cfg);
    service_catalog::configure(cfg);
    activity::configure(cfg);
}
