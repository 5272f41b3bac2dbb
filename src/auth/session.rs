//! The typed session: who is logged in, the CSRF token, flash messages, short-lived values.

use crate::domain::{EnterpriseId, PartnerId, UserId};
use std::future::{ready, Ready};

use actix_session::{Session, SessionExt};
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};

use crate::{
    db::sessions::LoadedSession,
    domain::{FlashKind, PartnerStatus, UserRole},
    error::AppError,
};

pub const USER_ID_KEY: &str = "user_id";
pub const CSRF_KEY: &str = "csrf";
pub const FLASH_KEY: &str = "flash";
/// Request-only entry filled by the store with the logged-in person (never stored).
pub const PRINCIPAL_KEY: &str = "_principal";

/// The logged-in person with their organisation, as loaded with the session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: UserId,
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub role: UserRole,
    pub email: String,
    pub first_name: String,
    pub surname: String,
    pub enterprise_name: String,
    pub partner_name: Option<String>,
}

impl Principal {
    pub fn from_loaded(row: &LoadedSession) -> Option<Self> {
        // A user of a deactivated partner is logged out, whatever their own row says.
        if row.partner_status == Some(PartnerStatus::Deactivated) {
            return None;
        }
        Some(Principal {
            user_id: row.user_id?,
            enterprise_id: row.enterprise_id?,
            partner_id: row.partner_id,
            role: row.role?,
            email: row.email.clone()?,
            first_name: row.first_name.clone()?,
            surname: row.surname.clone()?,
            enterprise_name: row.enterprise_name.clone()?,
            partner_name: row.partner_name.clone(),
        })
    }

    pub fn is_enterprise_admin(&self) -> bool {
        self.role == UserRole::EnterpriseAdmin
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
        if self.is_enterprise_admin() {
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

    /// Logs a user in: a new session id (no fixation), a new CSRF token.
    pub fn log_in(&self, user_id: UserId) -> Result<(), AppError> {
        self.0.renew();
        self.0.remove(PRINCIPAL_KEY);
        self.insert(USER_ID_KEY, &user_id)?;
        self.insert(CSRF_KEY, &crate::auth::tokens::random_token())
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
