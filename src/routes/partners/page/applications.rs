//! A partner's **Applications** tab (SPEC §18): the partnership's applications and their live
//! client credentials per environment, read-only (the partner's Admins manage them). Viewers
//! read it too.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, applications},
    domain::{ApplicationId, PartnerId},
    error::AppError,
    render::{render, Layout},
    routes::{
        applications::CredentialView,
        partners::header::{load_header, PartnerHeader},
    },
    state::AppState,
};

struct ApplicationView {
    id: ApplicationId,
    name: String,
    created: DateTime<Utc>,
    credentials: Vec<CredentialView>,
}

#[derive(Template)]
#[template(path = "partners/page/applications.html")]
struct ApplicationsPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    applications: Vec<ApplicationView>,
}

pub async fn applications_tab(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let (header, apps, creds) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        let apps = applications::list(conn, enterprise_id, partner.id)?;
        let ids: Vec<ApplicationId> = apps.iter().map(|a| a.id).collect();
        let creds = if ids.is_empty() { Vec::new() } else { applications::credentials_of(conn, enterprise_id, &ids)? };
        Ok((header, apps, creds))
    })
    .await?;
    let applications = apps
        .into_iter()
        .map(|a| ApplicationView {
            credentials: creds.iter().filter(|c| c.application_id == a.id).map(CredentialView::new).collect(),
            id: a.id,
            created: a.created_at,
            name: a.name,
        })
        .collect();
    let layout = user.layout(format!("Applications · {}", header.name), "partners")?;
    Ok(render(&ApplicationsPage { layout, tab: "applications", header, applications }))
}
