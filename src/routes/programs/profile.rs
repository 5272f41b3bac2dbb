//! A partner page's **Profile** tab (SPEC §12): the answers of the partnership's application
//! (the approved one, else the one waiting), question by question; a plain sentence when the
//! partnership was registered without one. Viewers read it too.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, program_applications as apps},
    domain::{application_form::Answer, ApplicationStatus, PartnerId},
    error::AppError,
    render::{render, Layout},
    routes::partners::header::{load_header, PartnerHeader},
    state::AppState,
};

#[derive(Template)]
#[template(path = "partners/page/profile.html")]
struct ProfilePage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    /// The application's status and answers, if there is one.
    application: Option<(ApplicationStatus, chrono::DateTime<chrono::Utc>, Vec<Answer>)>,
}

/// `GET /settings/partners/{id}/profile`
pub async fn profile_tab(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let (header, application) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        Ok((header, apps::for_partner(conn, enterprise_id, partner.id)?))
    })
    .await?;
    let application = application.map(|a| (a.status, a.created_at, a.answer_list()));
    let layout = user.layout(format!("{} — Profile", header.name), "partners")?;
    Ok(render(&ProfilePage { layout, tab: "profile", header, application }))
}
