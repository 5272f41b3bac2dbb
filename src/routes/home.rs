//! `/`: sends each person to their start page; the redirect helper every form uses.

use actix_web::{http::header, web, HttpResponse};

use crate::{auth::guards::Visitor, error::AppError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

async fn home(visitor: Visitor) -> Result<HttpResponse, AppError> {
    Ok(match visitor.user {
        Some(user) => see_other(user.home()),
        None => see_other("/login"),
    })
}
