//! Settings → Partners → **Applications** (SPEC §12): the enterprise's pending applications
//! with their answers, **Approve** and **Decline** (optional reason, emailed). Viewers see the
//! list without the buttons; their POSTs answer 403 (the `EnterpriseAdmin` guard).

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, partners, program_applications as apps},
    domain::FlashKind,
    error::AppError,
    render::{render_status, see_other, Layout},
    routes::programs::decide,
    state::AppState,
};

const MENU_KEY: &str = "partners";
const LIST: &str = "/settings/partners/applications";
pub const REASON_MAX: usize = 1000;

#[derive(Template)]
#[template(path = "programs/applications.html")]
struct ApplicationsPage {
    layout: Layout,
    applications: Vec<apps::Listed>,
    usage: partners::Usage,
    /// A refusal shown above the list (the limit, a name taken meanwhile), with its application.
    error: Option<(i64, String)>,
    reason: String,
}

async fn show(
    user: &EnterpriseAdmin,
    state: &AppState,
    error: Option<(i64, String)>,
    reason: String,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let (applications, usage) = db::run(&state.pool, move |conn| {
        Ok((apps::pending(conn, enterprise_id)?, partners::usage(conn, enterprise_id)?))
    })
    .await?;
    let layout = user.layout("Applications", MENU_KEY)?;
    Ok(render_status(status, &ApplicationsPage { layout, applications, usage, error, reason }))
}

/// `GET /settings/partners/applications`
pub async fn list(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    show(&user, &state, None, String::new(), StatusCode::OK).await
}

/// `POST /settings/partners/applications/{id}/approve`: **Approve**.
pub async fn approve(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let outcome = db::run(&state.pool, move |conn| decide::approve(conn, &settings, &actor, id)).await?;
    match outcome {
        Ok((partner, name)) => {
            user.flash(FlashKind::Success, format!("{name} approved: it is now an active partner."))?;
            Ok(see_other(&format!("/settings/partners/{partner}")))
        }
        Err(message) => show(&user, &state, Some((id, message)), String::new(), StatusCode::CONFLICT).await,
    }
}

#[derive(Deserialize)]
pub struct DeclineFields {
    #[serde(default)]
    reason: String,
}

/// `POST /settings/partners/applications/{id}/decline`: **Decline**, with an optional reason.
pub async fn decline(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    fields: web::Form<DeclineFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = fields.into_inner().reason.trim().replace("\r\n", "\n");
    let hidden = reason.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
    if reason.chars().count() > REASON_MAX || hidden {
        let message = format!("Keep the reason under {REASON_MAX} characters, without hidden characters.");
        return show(&user, &state, Some((id, message)), reason, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let actor = user.user.clone();
    let r = reason.clone();
    let outcome = db::run(&state.pool, move |conn| decide::decline(conn, &actor, id, &r)).await?;
    match outcome {
        Ok(name) => {
            user.flash(
                FlashKind::Success,
                format!("The application of {name} was declined; the applicant has been told by email."),
            )?;
            Ok(see_other(LIST))
        }
        Err(message) => show(&user, &state, Some((id, message)), reason, StatusCode::CONFLICT).await,
    }
}
