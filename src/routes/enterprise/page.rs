//! `GET /settings/enterprise`: the Enterprise settings page. Each section's state is loaded
//! by its own part of `Sections`; the page itself only frames them.
//!
//! The time zone section needs no statement: the zone comes with the session's principal.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use crate::{
    auth::guards::EnterpriseAdmin,
    error::AppError,
    render::{render_status, Layout},
    routes::enterprise::{time_zone::TimeZoneSection, MENU_KEY},
    state::AppState,
};

/// Every section of the page, each built by its own module.
pub struct Sections {
    pub time_zone: TimeZoneSection,
}

#[derive(Template)]
#[template(path = "enterprise/settings.html")]
struct SettingsPage {
    layout: Layout,
    enterprise_name: String,
    sections: Sections,
}

/// Renders the page with the sections as given (a section's form with errors keeps them).
pub fn show(user: &EnterpriseAdmin, sections: Sections, status: StatusCode) -> Result<HttpResponse, AppError> {
    let page = SettingsPage {
        layout: user.layout("Enterprise settings", MENU_KEY)?,
        enterprise_name: user.user.enterprise_name.clone(),
        sections,
    };
    Ok(render_status(status, &page))
}

pub async fn page(user: EnterpriseAdmin, _state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let sections = Sections { time_zone: TimeZoneSection::current(&user.user) };
    show(&user, sections, StatusCode::OK)
}
