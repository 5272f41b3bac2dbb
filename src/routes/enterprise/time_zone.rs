//! Enterprise settings → **Time zone** (SPEC §17): the zone in which the enterprise's pages
//! (its admins', Viewers' and its partners' people's) show times. `POST
//! /settings/enterprise/time-zone` sets it: an IANA name from chrono-tz's list, checked here;
//! anything else shows the page again (422) with the message under the field and changes
//! nothing. The change and its audit event (old and new zone) are one transaction.

use actix_web::{http::StatusCode, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    db::{self, audit, enterprises},
    domain::{AuditAction, FlashKind, TimeZone, ZONE_GROUPS},
    error::AppError,
    render::see_other,
    routes::enterprise::{
        page::{show, Sections},
        PAGE,
    },
    state::AppState,
};

/// What the section shows: the zone in use, the list to choose from and the form's error.
pub struct TimeZoneSection {
    pub current: TimeZone,
    pub error: Option<String>,
}

impl TimeZoneSection {
    pub fn current(p: &Principal) -> Self {
        TimeZoneSection { current: p.time_zone, error: None }
    }

    /// The list, by region (built once, at first use).
    pub fn groups(&self) -> &'static [(&'static str, Vec<&'static str>)] {
        &ZONE_GROUPS
    }

    /// A zone set before the list was trimmed (an alias such as `US/Eastern`) is not in it:
    /// the select offers it on its own, so saving the form doesn't change it unawares.
    pub fn current_is_listed(&self) -> bool {
        let name = self.current.name();
        ZONE_GROUPS.iter().any(|(_, names)| names.contains(&name))
    }
}

#[derive(Deserialize)]
pub struct TimeZoneFields {
    #[serde(default)]
    time_zone: String,
}

pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    form: web::Form<TimeZoneFields>,
) -> Result<HttpResponse, AppError> {
    let zone = match TimeZone::parse(&form.time_zone) {
        Ok(zone) => zone,
        Err(e) => {
            let mut sections = Sections::current(&user, &state).await?;
            sections.time_zone.error = Some(e.to_string());
            return show(&user, sections, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let actor = user.user.clone();
    let previous = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let previous = enterprises::set_time_zone(conn, actor.enterprise_id, zone.name())?;
            if previous != zone.name() {
                audit::record_for_enterprise(
                    conn,
                    &actor,
                    AuditAction::EnterpriseTimeZoneChanged,
                    &format!("Enterprise {}", actor.enterprise_name),
                    serde_json::json!({ "from": previous, "to": zone.name() }),
                )?;
            }
            Ok(previous)
        })
    })
    .await?;
    if previous == zone.name() {
        user.flash(FlashKind::Info, format!("The time zone already was {zone}; nothing changed."))?;
    } else {
        tracing::info!(from = %previous, to = %zone, "enterprise time zone changed");
        user.flash(FlashKind::Success, format!("Time zone set to {zone}. Times are now shown in it."))?;
    }
    Ok(see_other(PAGE))
}
