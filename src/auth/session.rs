//! The typed session: who is logged in, the CSRF token, flash messages, short-lived values.

use crate::domain::{EnterpriseId, MembershipId, PartnerId, UserId};
use std::future::{ready, Ready};

use actix_session::{Session, SessionExt};
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};

use crate::{
    db::sessions::LoadedSession,
    domain::{FlashKind, PartnerStatus, TimeZone, UserRole},
    error::AppError,
    render::time::Clock,
};

pub const USER_ID_KEY: &str = "user_id";
/// The membership the session acts in (SPEC §10); stored beside the user id.
pub const MEMBERSHIP_ID_KEY: &str = "membership_id";
/// How many usable memberships the person had when they logged in (the side menu offers
/// **Switch organisation** when more than one); stored, so no request counts them.
pub const MEMBERSHIPS_KEY: &str = "memberships";
pub const CSRF_KEY: &str = "csrf";
pub const FLASH_KEY: &str = "flash";
/// Request-only entry filled by the store with the logged-in person (never stored).
pub const PRINCIPAL_KEY: &str = "_principal";
/// Request-only entry: the logged-in person whose current membership no longer holds (or
/// was never chosen) but who has others to pick from.
pub const PERSON_KEY: &str = "_person";

/// A logged-in person before (or between) memberships: enough for the organisation picker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Person {
    pub user_id: UserId,
    pub email: String,
    pub first_name: String,
    pub surname: String,
}

impl Person {
    pub fn from_loaded(row: &LoadedSession) -> Option<Self> {
        if row.usable_memberships == 0 {
            return None;
        }
        Some(Person {
            user_id: row.user_id?,
            email: row.email.clone()?,
            first_name: row.first_name.clone()?,
            surname: row.surname.clone()?,
        })
    }
}

/// The logged-in person acting in their current membership, as loaded with the session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: UserId,
    pub membership_id: MembershipId,
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub role: UserRole,
    pub email: String,
    pub first_name: String,
    pub surname: String,
    pub enterprise_name: String,
    /// The enterprise's time zone, in which pages show times (SPEC §17); loaded with the
    /// session, so no page spends a statement on it.
    pub time_zone: TimeZone,
    pub partner_name: Option<String>,
    /// How many memberships the person may switch between, as counted at login (the side
    /// menu offers **Switch organisation** when there is more than one).
    pub usable_memberships: i64,
}

impl Principal {
    pub fn from_loaded(row: &LoadedSession) -> Option<Self> {
        // A membership of a partnership that ended (or not yet accepted) gives no access.
        if row.partner_id.is_some()
            && !matches!(row.partner_status, Some(PartnerStatus::Invited | PartnerStatus::Active))
        {
            return None;
        }
        Some(Principal {
            user_id: row.user_id?,
            membership_id: row.membership_id?,
            enterprise_id: row.enterprise_id?,
            partner_id: row.partner_id,
            role: row.role?,
            email: row.email.clone()?,
            first_name: row.first_name.clone()?,
            surname: row.surname.clone()?,
            enterprise_name: row.enterprise_name.clone()?,
            time_zone: row.enterprise_time_zone.as_deref().map(TimeZone::from_stored).unwrap_or_default(),
            partner_name: row.partner_name.clone(),
            usable_memberships: row.usable_memberships,
        })
    }

    /// The enterprise's zone at this moment: how this person's pages show times.
    pub fn clock(&self) -> Clock {
        Clock::new(self.time_zone, chrono::Utc::now())
    }

    pub fn is_enterprise_admin(&self) -> bool {
        self.role == UserRole::EnterpriseAdmin
    }

    /// An Enterprise admin or a Viewer: may open the enterprise's pages.
    pub fn is_enterprise_team(&self) -> bool {
        self.partner_id.is_none() && self.role.is_team()
    }

    pub fn is_viewer(&self) -> bool {
        self.role == UserRole::Viewer
    }

    /// Which membership acted, for the audit trail: "Admin of Acme", "Viewer of Globex".
    pub fn membership_label(&self) -> String {
        match &self.partner_name {
            Some(partner) => format!("{} of {partner} (partner of {})", self.role.label(), self.enterprise_name),
            None => format!("{} of {}", self.role.label(), self.enterprise_name),
        }
    }

    /// The current organisation as the side menu names it.
    pub fn organisation_name(&self) -> &str {
        self.partner_name.as_deref().unwrap_or(&self.enterprise_name)
    }

    pub fn is_partner_admin(&self) -> bool {
        self.partner_id.is_some() && self.role == UserRole::Admin
    }

    /// Audit "who": a name and address readable years later, even if the user is gone.
    pub fn actor_label(&self) -> String {
        format!("{} {} <{}>", self.first_name, self.surname, self.email)
    }

    /// Where this person starts after logging in.
    pub fn home(&self) -> &'static str {
        if self.is_enterprise_team() {
            "/settings/partners"
        } else {
            "/service-catalog"
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    /// Its `as_str()` is also the CSS modifier.
    pub kind: FlashKind,
    pub message: String,
}

/// A thin typed wrapper: handlers never read raw session keys.
pub struct TypedSession(Session);

impl TypedSession {
    pub fn principal(&self) -> Result<Option<Principal>, AppError> {
        Ok(self.0.get::<Principal>(PRINCIPAL_KEY).ok().flatten())
    }

    /// The logged-in person who has to pick a membership (none current, or it ended).
    pub fn person(&self) -> Option<Person> {
        self.0.get::<Person>(PERSON_KEY).ok().flatten()
    }

    /// The session's CSRF token, created on first use.
    pub fn csrf_token(&self) -> Result<String, AppError> {
        if let Ok(Some(token)) = self.0.get::<String>(CSRF_KEY) {
            return Ok(token);
        }
        let token = crate::auth::tokens::random_token();
        self.insert(CSRF_KEY, &token)?;
        Ok(token)
    }

    pub fn flash(&self, kind: FlashKind, message: impl Into<String>) -> Result<(), AppError> {
        let mut list: Vec<Flash> = self.0.get(FLASH_KEY).ok().flatten().unwrap_or_default();
        list.push(Flash { kind, message: message.into() });
        self.insert(FLASH_KEY, &list)
    }

    /// Flash messages are shown once: reading them removes them.
    pub fn take_flashes(&self) -> Vec<Flash> {
        match self.0.get::<Vec<Flash>>(FLASH_KEY) {
            Ok(Some(list)) => {
                self.0.remove(FLASH_KEY);
                list
            }
            _ => Vec::new(),
        }
    }

    /// Logs a person in: a new session id (no fixation), a new CSRF token, and the
    /// membership to act in (None: they pick one next).
    pub fn log_in(
        &self,
        user_id: UserId,
        membership: Option<MembershipId>,
        memberships: usize,
    ) -> Result<(), AppError> {
        self.0.renew();
        self.0.remove(PRINCIPAL_KEY);
        self.0.remove(PERSON_KEY);
        self.insert(USER_ID_KEY, &user_id)?;
        self.insert(MEMBERSHIPS_KEY, &memberships)?;
        match membership {
            Some(m) => self.insert(MEMBERSHIP_ID_KEY, &m)?,
            None => {
                self.0.remove(MEMBERSHIP_ID_KEY);
            }
        }
        self.insert(CSRF_KEY, &crate::auth::tokens::random_token())
    }

    /// Acts in another of the person's memberships from the next request on (the caller has
    /// checked that it is theirs and usable). A new session id, as at login.
    pub fn switch_to(&self, membership: MembershipId, memberships: usize) -> Result<(), AppError> {
        self.0.renew();
        self.insert(MEMBERSHIPS_KEY, &memberships)?;
        self.insert(MEMBERSHIP_ID_KEY, &membership)
    }

    /// Ends the session for good: the row is deleted and the cookie removed.
    pub fn log_out(&self) {
        self.0.purge();
    }

    pub fn insert<T: Serialize>(&self, key: &str, value: &T) -> Result<(), AppError> {
        self.0.insert(key, value).map_err(|e| AppError::Unexpected(anyhow::anyhow!("session insert: {e}")))
    }

    pub fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.0.get::<T>(key).ok().flatten()
    }

    pub fn remove(&self, key: &str) {
        self.0.remove(key);
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(TypedSession(req.get_session())))
    }
}
