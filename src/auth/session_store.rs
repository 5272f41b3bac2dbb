//! actix-session `SessionStore` backed by the `sessions` table.
//!
//! The cookie carries a random key; the table holds only its SHA-256. Loading a session also
//! loads its user, enterprise and partner in the same statement and hands them to the request
//! as the reserved `_principal` entry, so a page needs no second query to know who is asking,
//! and a disabled user or a deleted session is anonymous on the very next request.
//!
//! actix-session turns every store error into an opaque 500, so an unreachable database is
//! also recorded on the request's task ([`watch_for_outage`]); the outer error layer reads
//! that record and answers 503 (`AppError::DatabaseUnavailable`).

use crate::domain::UserId;
use std::{cell::Cell, collections::HashMap, future::Future, rc::Rc};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use base64::Engine as _;
use chrono::Utc;
use rand::RngCore;

use crate::{
    auth::session::{Person, Principal, MEMBERSHIPS_KEY, MEMBERSHIP_ID_KEY, PERSON_KEY, PRINCIPAL_KEY, USER_ID_KEY},
    config::SessionSettings,
    db::{self, sessions, DbPool},
    error::AppError,
};

#[derive(Clone)]
pub struct PgSessionStore {
    pool: DbPool,
    idle: std::time::Duration,
    absolute: std::time::Duration,
}

impl PgSessionStore {
    pub fn new(pool: DbPool, settings: &SessionSettings) -> Self {
        Self { pool, idle: settings.idle, absolute: settings.absolute }
    }
}

pub fn hash_key(key: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(key.as_bytes()).to_vec()
}

fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The state as stored: reserved, request-only entries removed.
fn storable(mut state: HashMap<String, String>) -> Storable {
    state.remove(PRINCIPAL_KEY);
    state.remove(PERSON_KEY);
    let user_id = state.get(USER_ID_KEY).and_then(|v| serde_json::from_str::<UserId>(v).ok());
    let membership_id = user_id
        .and(state.get(MEMBERSHIP_ID_KEY))
        .and_then(|v| serde_json::from_str::<crate::domain::MembershipId>(v).ok());
    let map: serde_json::Map<String, serde_json::Value> =
        state.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
    Storable { user_id, membership_id, state: serde_json::Value::Object(map) }
}

/// A session's state as stored, with the columns read from it.
struct Storable {
    user_id: Option<UserId>,
    membership_id: Option<crate::domain::MembershipId>,
    state: serde_json::Value,
}

tokio::task_local! {
    /// Set while a request runs inside [`watch_for_outage`].
    static OUTAGE: Rc<Cell<bool>>;
}

/// Runs one request and tells whether the session store found the database unreachable
/// meanwhile (the error itself reaches the caller only as actix-session's opaque 500).
pub async fn watch_for_outage<F: Future>(request: F) -> (F::Output, bool) {
    let seen = Rc::new(Cell::new(false));
    let output = OUTAGE.scope(seen.clone(), request).await;
    (output, seen.get())
}

/// The store's error for actix-session, recording an outage for [`watch_for_outage`].
fn store_error(e: AppError) -> anyhow::Error {
    if let AppError::DatabaseUnavailable = e {
        // Outside a watched request (none today) there is nobody to tell: nothing to do.
        let _ = OUTAGE.try_with(|seen| seen.set(true));
    }
    anyhow::anyhow!("session store failed: {e}")
}

impl PgSessionStore {
    async fn insert_new(&self, state: HashMap<String, String>) -> Result<SessionKey, AppError> {
        let key = new_key();
        let key_hash = hash_key(&key);
        let Storable { user_id, membership_id, state } = storable(state);
        let now = Utc::now();
        let idle = chrono::Duration::from_std(self.idle).unwrap_or_default();
        let absolute = chrono::Duration::from_std(self.absolute).unwrap_or_default();
        db::run(&self.pool, move |conn| {
            sessions::insert(
                conn,
                &sessions::NewSession {
                    key_hash: &key_hash,
                    user_id,
                    membership_id,
                    state,
                    expires_at: now + idle.min(absolute),
                    absolute_expires_at: now + absolute,
                },
            )?;
            Ok(())
        })
        .await?;
        SessionKey::try_from(key).map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))
    }
}

impl SessionStore for PgSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let key_hash = hash_key(session_key.as_ref());
        let idle = self.idle.as_secs_f64();
        let loaded = db::run(&self.pool, move |conn| Ok(sessions::load(conn, &key_hash, idle)?)).await;
        // No handler runs without its session: an outage ends the request here, as a 503.
        let row = match loaded.map_err(|e| LoadError::Other(store_error(e)))? {
            Some(row) => row,
            None => return Ok(None),
        };
        let mut principal = Principal::from_loaded(&row);
        let person = if principal.is_none() { Person::from_loaded(&row) } else { None };
        let mut state: HashMap<String, String> = match row.state {
            serde_json::Value::Object(map) => map
                .into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    _ => None,
                })
                .collect(),
            _ => HashMap::new(),
        };
        if let Some(principal) = principal.as_mut() {
            principal.usable_memberships =
                state.get(MEMBERSHIPS_KEY).and_then(|v| serde_json::from_str::<i64>(v).ok()).unwrap_or(1);
            let json =
                serde_json::to_string(&principal).map_err(|e| LoadError::Other(anyhow::anyhow!("principal: {e}")))?;
            state.insert(PRINCIPAL_KEY.to_string(), json);
        } else if let Some(person) = person {
            // Logged in, but the current membership ended (or none was picked yet): the
            // person picks another; nothing acts through the old one.
            let json = serde_json::to_string(&person).map_err(|e| LoadError::Other(anyhow::anyhow!("person: {e}")))?;
            state.insert(PERSON_KEY.to_string(), json);
            state.remove(MEMBERSHIP_ID_KEY);
        } else {
            // The login no longer holds (no membership left that gives access).
            state.remove(USER_ID_KEY);
            state.remove(MEMBERSHIP_ID_KEY);
        }
        Ok(Some(state))
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        self.insert_new(session_state).await.map_err(|e| SaveError::Other(store_error(e)))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        mut session_state: HashMap<String, String>,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let key_hash = hash_key(session_key.as_ref());
        let Storable { user_id, membership_id, state } = storable(session_state.clone());
        let updated = db::run(&self.pool, move |conn| {
            Ok(sessions::update_state(conn, &key_hash, user_id, membership_id, state)?)
        })
        .await
        .map_err(|e| UpdateError::Other(store_error(e)))?;
        if updated {
            return Ok(session_key);
        }
        // The session was ended meanwhile (logout elsewhere, removal): never resurrect the
        // login, but keep the anonymous part (e.g. a flash message) under a new key.
        session_state.remove(USER_ID_KEY);
        session_state.remove(MEMBERSHIP_ID_KEY);
        self.insert_new(session_state).await.map_err(|e| UpdateError::Other(store_error(e)))
    }

    async fn update_ttl(&self, _session_key: &SessionKey, _ttl: &CookieDuration) -> Result<(), anyhow::Error> {
        // Idle expiry slides inside `load`; nothing to do here.
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let key_hash = hash_key(session_key.as_ref());
        db::run(&self.pool, move |conn| Ok(sessions::delete(conn, &key_hash)?)).await.map_err(store_error)
    }
}
