//! `GET /settings/enterprise`: the Enterprise settings page. Each section's state is loaded
//! by its own part of `Sections`; the page itself only frames them.
//!
//! The time zone section needs no statement (the zone comes with the session's principal);
//! the domain verification section reads the setting and the verified domains' count, the
//! invitation note section the saved note.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, domain_verification, enterprises},
    domain::EnterpriseId,
    error::AppError,
    render::{render_status, Layout},
    routes::enterprise::{invitation_note::InvitationNoteSection, time_zone::TimeZoneSection, MENU_KEY},
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
    fn load(conn: &mut diesel::PgConnection, enterprise_id: EnterpriseId) -> Result<Self, AppError> {
        let required = domain_verification::required(conn, enterprise_id)?;
        let (verified, total) = domain_verification::counts(conn, enterprise_id)?;
        Ok(DomainVerificationSection { required, verified, total })
    }
}

/// Every section of the page, each built by its own module.
pub struct Sections {
    pub time_zone: TimeZoneSection,
    pub domain_verification: DomainVerificationSection,
    pub invitation_note: InvitationNoteSection,
}

impl Sections {
    /// Every section as stored now.
    pub async fn current(user: &EnterpriseAdmin, state: &AppState) -> Result<Self, AppError> {
        let enterprise_id = user.user.enterprise_id;
        let (domain_verification, note) = db::run(&state.pool, move |conn| {
            Ok((
                DomainVerificationSection::load(conn, enterprise_id)?,
                enterprises::invitation_note(conn, enterprise_id)?,
            ))
        })
        .await?;
        Ok(Sections {
            time_zone: TimeZoneSection::current(&user.user),
            domain_verification,
            invitation_note: InvitationNoteSection { note: note.unwrap_or_default(), error: None },
        })
    }
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

pub async fn page(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let sections = Sections::current(&user, &state).await?;
    show(&user, sections, StatusCode::OK)
}
