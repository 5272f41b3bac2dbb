//! `GET /partner/profile`: the organisation's name, **Partner ID** and **Connection link**,
//! its **Connection requests** and its partnerships.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::{
    auth::guards::PartnerAdmin,
    db::{self, connections},
    domain::{PartnerId, PartnerStatus},
    error::AppError,
    render::{render, Layout},
    routes::profile::organisation_of,
    state::AppState,
};

struct RequestView {
    id: PartnerId,
    enterprise_name: String,
    requested: DateTime<Utc>,
}

struct PartnershipView {
    id: PartnerId,
    enterprise_name: String,
    status: PartnerStatus,
    /// The partnership the Admin is working in now.
    current: bool,
}

#[derive(Template)]
#[template(path = "profile/page.html")]
struct ProfilePage {
    layout: Layout,
    name: String,
    partner_code: String,
    connection_link: String,
    requests: Vec<RequestView>,
    partnerships: Vec<PartnershipView>,
}

pub async fn profile(user: PartnerAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let (org, requested, live) = db::run(&state.pool, move |conn| {
        let org = organisation_of(conn, &actor)?;
        let requested = connections::partnerships(conn, org.id, &[PartnerStatus::Requested])?;
        let live = connections::partnerships(conn, org.id, &connections::WITH_ACCESS)?;
        Ok((org, requested, live))
    })
    .await?;
    let current = user.user.partner_id;
    Ok(render(&ProfilePage {
        layout: user.layout("Partner profile", super::MENU_KEY)?,
        connection_link: state.settings.link(&format!("/connect/{}", org.connect_code)),
        name: org.name,
        partner_code: org.partner_code,
        requests: requested
            .into_iter()
            .map(|(p, enterprise_name)| RequestView { id: p.id, enterprise_name, requested: p.created_at })
            .collect(),
        partnerships: live
            .into_iter()
            .map(|(p, enterprise_name)| PartnershipView {
                id: p.id,
                enterprise_name,
                status: p.status,
                current: Some(p.id) == current,
            })
            .collect(),
    }))
}
