//! The route table: one module per screen area, wired here and nowhere else.

pub mod health;
pub mod home;
pub mod login;
pub mod partners;
pub mod password;

use actix_web::web;

/// Every route that needs a session (health checks are wired outside the session layer).
pub fn configure(cfg: &mut web::ServiceConfig) {
    home::configure(cfg);
    login::configure(cfg);
    password::configure(cfg);
    partners::configure(cfg);
}
