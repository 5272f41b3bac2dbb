//! `/`: sends each person to their start page.

use actix_web::HttpResponse;

use crate::{auth::guards::Visitor, error::AppError, render::see_other};

pub async fn home(visitor: Visitor) -> Result<HttpResponse, AppError> {
    Ok(match visitor.user {
        Some(user) => see_other(user.home()),
        None if visitor.session.person().is_some() => see_other("/organisations"),
        None => see_other("/login"),
    })
}
