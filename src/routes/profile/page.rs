//! `GET /partner/profile`: the organisation's name, **Partner ID** and **Connection link**,
//! its **Connection requests**, its partnerships, and the current partnership's domains with
//! their verification (the TXT record the partner publishes, SPEC §17; read-only here, the
//! enterprise checks it).

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::{
    auth::guards::PartnerAdmin,
    db::{self, connections, domain_verification},
    domain::{PartnerId, PartnerStatus},
    error::AppError,
    render::{render, Layout},
    routes::{partners::page::general::DomainView, profile::organisation_of},
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
    /// The current partnership's domains.
    domains: Vec<DomainView>,
}

pub async fn profile(user: PartnerAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let (org, requested, live, domains) = db::run(&state.pool, move |conn| {
        let org = organisation_of(conn, &actor)?;
        let requested = connections::partnerships(conn, org.id, &[PartnerStatus::Requested])?;
        let live = connections::partnerships(conn, org.id, &connections::WITH_ACCESS)?;
        let domains = match actor.partner_id {
            Some(partner_id) => domain_verification::of_partner(conn, actor.enterprise_id, partner_id)?,
            None => Vec::new(),
        };
        Ok((org, requested, live, domains))
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
        domains: domains.into_iter().map(DomainView::new).collect(),
    }))
}
