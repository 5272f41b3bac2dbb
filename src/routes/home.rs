//! `/`: sends each person to their start page; placeholder screens of later capabilities.

use actix_web::{http::header, web, HttpResponse};
use askama::Template;

use crate::{
    auth::guards::{EnterpriseAdmin, PartnerUser, Visitor},
    error::AppError,
    render::{render, Layout},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/settings/activity", web::get().to(activity))
        .route("/catalog", web::get().to(catalog))
        .route("/service-catalog", web::get().to(service_catalog));
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

#[derive(Template)]
#[template(path = "coming_soon.html")]
struct ComingSoon {
    layout: Layout,
    heading: &'static str,
    message: &'static str,
}

fn coming_soon(layout: Layout, heading: &'static str, message: &'static str) -> HttpResponse {
    render(&ComingSoon { layout, heading, message })
}

async fn activity(user: EnterpriseAdmin) -> Result<HttpResponse, AppError> {
    Ok(coming_soon(user.layout("Activity", "activity")?, "Activity", "The enterprise-wide activity log arrives with the Catalog capability."))
}

async fn catalog(user: EnterpriseAdmin) -> Result<HttpResponse, AppError> {
    Ok(coming_soon(user.layout("Catalog", "catalog")?, "Catalog", "Products, APIs and environments arrive with the Catalog capability."))
}

async fn service_catalog(user: PartnerUser) -> Result<HttpResponse, AppError> {
    Ok(coming_soon(user.layout("Service Catalog", "service-catalog")?, "Service Catalog", "The products and APIs granted to your company will be listed here."))
}
