//! `GET /settings/enterprise`: every section of the enterprise's settings.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, domain_verification},
    error::AppError,
    render::{render, Layout},
    routes::enterprise::MENU_KEY,
    state::AppState,
};

/// The "Domain verification" section: *Require verified domains for invitations*, and how
/// many of the partners' domains are verified now.
pub struct DomainVerificationSection {
    pub required: bool,
    pub verified: i64,
    pub total: i64,
}

impl DomainVerificationSection {
    fn load(conn: &mut diesel::PgConnection, enterprise_id: crate::domain::EnterpriseId) -> Result<Self, AppError> {
        let required = domain_verification::required(conn, enterprise_id)?;
        let (verified, total) = domain_verification::counts(conn, enterprise_id)?;
        Ok(DomainVerificationSection { required, verified, total })
    }
}

#[derive(Template)]
#[template(path = "enterprise/settings.html")]
struct SettingsPage {
    layout: Layout,
    enterprise_name: String,
    domain_verification: DomainVerificationSection,
}

pub async fn page(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let domain_verification =
        db::run(&state.pool, move |conn| DomainVerificationSection::load(conn, enterprise_id)).await?;
    Ok(render(&SettingsPage {
        layout: user.layout("Enterprise settings", MENU_KEY)?,
        enterprise_name: user.user.enterprise_name.clone(),
        domain_verification,
    }))
}
