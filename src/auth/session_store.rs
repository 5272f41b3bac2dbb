//! actix-session `SessionStore` backed by the `sessions` table, for logged-in people only.
//!
//! A logged-in session's cookie carries a random key; the table holds only its SHA-256.
//! An anonymous session (nobody logged in: a login form's CSRF token, a flash message, the
//! invitation being opened) never reaches the database: its few values travel in the cookie
//! itself, as the session "key" (see [`anonymous`]). The middleware signs the cookie with
//! `SESSION_KEY`, so such a key is read only if the portal wrote it. Anonymous visitors
//! therefore cost no write, leave no row to clean up, and can't grow the table that every
//! logged-in page reads: the bench's login runs once added ~20,000 anonymous rows a run. Loading a session also
//! loads its user, enterprise and partner in the same statement and hands them to the request
//! as the reserved `_principal` entry, so a page needs no second query to know who is asking,
//! and a disabled user or a deleted session is anonymous on the very next request.
//!
//! actix-session turns every store error into an opaque 500, so an unreachable database is
//! also recorded on the request's task ([`watch_for_outage`]); the outer error layer reads
//! that record and answers 503 (`AppError::DatabaseUnavailable`).

use crate::domain::UserId;
use std::{
    cell::Cell,
    collections::HashMap,
    future::Future,
    rc::Rc,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use base64::Engine as _;
use chrono::Utc;
use rand::RngCore;

use crate::{
    auth::session::{
        Person, Principal, FLASH_KEY, MEMBERSHIPS_KEY, MEMBERSHIP_ID_KEY, PERSON_KEY, PRINCIPAL_KEY, USER_ID_KEY,
    },
    auth::session_cache::{self, SessionCache},
    config::SessionSettings,
    db::{self, sessions, DbPool},
    error::AppError,
};

#[derive(Clone)]
pub struct PgSessionStore {
    pool: DbPool,
    /// Settled sessions kept between requests (see `auth::session_cache`).
    cache: Arc<SessionCache>,
    idle: std::time::Duration,
    absolute: std::time::Duration,
    /// Sessions this process has stored (logins), for [`PgSessionStore::after_insert`].
    stored: Arc<AtomicU64>,
}

/// Every this many logins in a process, the `sessions` table's statistics are refreshed.
///
/// Every page runs the session load as a prepared statement, and after a few executions
/// PostgreSQL keeps a generic plan for it per connection, re-planned only when the table's
/// statistics change. A plan made while the table held a handful of rows (one page) reads it
/// with a sequential scan; when logins then add rows faster than autovacuum looks (it wakes
/// once a minute), every page keeps scanning the whole table until autoanalyze runs. Measured
/// with `./scripts/bench --runs 2` before this change: after the login benchmark had added
/// 12,500 rows, `pg_stat_user_tables` counted 134,162 sequential scans of `sessions` against
/// 139 index scans, and the partners list ran at 46 % of its first run's rate until
/// autoanalyze, a minute later. An `ANALYZE` of this small table takes milliseconds and
/// invalidates those plans on every connection, so the primary-key lookup comes back at once.
const ANALYZE_EVERY: u64 = 100;

impl PgSessionStore {
    pub fn new(pool: DbPool, settings: &SessionSettings, cache: Arc<SessionCache>) -> Self {
        Self { pool, cache, idle: settings.idle, absolute: settings.absolute, stored: Arc::new(AtomicU64::new(0)) }
    }

    /// Counts a stored session; every [`ANALYZE_EVERY`]th one refreshes the table's statistics
    /// in the background (a failure only means autovacuum does it later).
    fn after_insert(&self) {
        let stored = self.stored.fetch_add(1, Ordering::Relaxed) + 1;
        if !stored.is_multiple_of(ANALYZE_EVERY) {
            return;
        }
        let pool = self.pool.clone();
        actix_web::rt::spawn(async move {
            let analyzed = db::run(&pool, |conn| {
                diesel::RunQueryDsl::execute(diesel::sql_query("ANALYZE sessions"), conn)?;
                Ok(())
            })
            .await;
            match analyzed {
                Ok(()) => tracing::debug!(stored, "sessions table analyzed"),
                Err(e) => tracing::warn!(error = %e, "ANALYZE sessions failed; autovacuum will do it"),
            }
        });
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
    /// A new session: in the cookie while nobody is logged in, else a new row.
    async fn insert_new(&self, state: HashMap<String, String>) -> Result<SessionKey, AppError> {
        let idle = self.idle.min(self.absolute);
        if let Some(key) = anonymous::encode(&state, Utc::now() + chrono::Duration::from_std(idle).unwrap_or_default())
        {
            return SessionKey::try_from(key).map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")));
        }
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
        self.after_insert();
        SessionKey::try_from(key).map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))
    }
}

impl SessionStore for PgSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        if anonymous::is_anonymous(session_key.as_ref()) {
            return Ok(anonymous::decode(session_key.as_ref(), Utc::now()));
        }
        let key_hash = hash_key(session_key.as_ref());
        if session_cache::may_use() {
            let (cached, lookup) = self.cache.get(&key_hash, Utc::now());
            crate::monitoring::session_cache(lookup);
            if let Some((state, serial)) = cached {
                session_cache::answered_from(key_hash, serial);
                return Ok(Some(state));
            }
        } else {
            crate::monitoring::session_cache(session_cache::Lookup::Bypass);
        }
        let idle = self.idle.as_secs_f64();
        let hash = key_hash.clone();
        let cache = self.cache.clone();
        let loaded = db::run(&self.pool, move |conn| {
            // Taken on the connection, once what reached it while idle has been applied.
            let ticket = cache.ticket();
            Ok((ticket, sessions::load(conn, &hash, idle)?))
        })
        .await
        .map(|(ticket, row)| row.map(|row| (ticket, row)));
        // No handler runs without its session: an outage ends the request here, as a 503.
        let (ticket, row) = match loaded.map_err(|e| LoadError::Other(store_error(e)))? {
            Some(loaded) => loaded,
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
            // Kept once settled: a load that just slid the expiry is kept by the next one.
            // Nor while a flash message waits (the view that shows it removes it at once).
            if let (Some(ticket), false, false) = (ticket, row.slide_due, state.contains_key(FLASH_KEY)) {
                let entry = session_cache::Entry {
                    state: state.clone(),
                    user_id: principal.user_id,
                    enterprise_id: principal.enterprise_id,
                    partner_id: principal.partner_id,
                    expires_at: row.expires_at,
                    absolute_expires_at: row.absolute_expires_at,
                };
                self.cache.insert(ticket, key_hash, entry);
            }
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
        if anonymous::is_anonymous(session_key.as_ref()) {
            // Still anonymous: the new values make a new cookie. Someone logged in without a
            // renewal (never today): a new row, as at login.
            return self.insert_new(session_state).await.map_err(|e| UpdateError::Other(store_error(e)));
        }
        let key_hash = hash_key(session_key.as_ref());
        let Storable { user_id, membership_id, state } = storable(session_state.clone());
        let hash = key_hash.clone();
        let updated =
            db::run(&self.pool, move |conn| Ok(sessions::update_state(conn, &hash, user_id, membership_id, state)?))
                .await;
        // Whatever the outcome, this process's copy may be stale now (the trigger's
        // notification tells the other instances).
        self.cache.forget(&key_hash);
        let updated = updated.map_err(|e| UpdateError::Other(store_error(e)))?;
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
        if anonymous::is_anonymous(session_key.as_ref()) {
            // Nothing stored: the middleware removes the cookie.
            return Ok(());
        }
        let key_hash = hash_key(session_key.as_ref());
        let hash = key_hash.clone();
        let deleted = db::run(&self.pool, move |conn| Ok(sessions::delete(conn, &hash)?)).await;
        self.cache.forget(&key_hash);
        deleted.map_err(store_error)
    }
}

/// Anonymous sessions kept in the (signed) cookie: `a1.` and the base64url JSON of the values
/// with their expiry. Random keys of stored sessions are 43 base64url characters without a dot,
/// so the two never mix.
pub mod anonymous {
    use std::collections::HashMap;

    use base64::Engine as _;
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Serialize};

    use crate::auth::session::{PERSON_KEY, PRINCIPAL_KEY, USER_ID_KEY};

    const PREFIX: &str = "a1.";
    /// Browsers keep cookies of up to 4096 bytes, name and attributes included; values that
    /// would not fit (never seen: a CSRF token and a flash message take ~200) are stored as a
    /// row instead.
    const MAX_KEY: usize = 3000;

    #[derive(Serialize, Deserialize)]
    struct Payload {
        /// Expiry, seconds since the epoch: an anonymous session ends after the idle timeout
        /// from its last change.
        exp: i64,
        state: HashMap<String, String>,
    }

    pub fn is_anonymous(key: &str) -> bool {
        key.starts_with(PREFIX)
    }

    /// The cookie key for `state`, or None when it must be stored (someone is logged in, or
    /// it is too large for a cookie).
    pub fn encode(state: &HashMap<String, String>, expires: DateTime<Utc>) -> Option<String> {
        if state.contains_key(USER_ID_KEY) {
            return None;
        }
        let state: HashMap<String, String> = state
            .iter()
            .filter(|(k, _)| k.as_str() != PRINCIPAL_KEY && k.as_str() != PERSON_KEY)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let json = serde_json::to_vec(&Payload { exp: expires.timestamp(), state }).ok()?;
        let key = format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json));
        (key.len() <= MAX_KEY).then_some(key)
    }

    /// The values of a live anonymous session; None (a fresh session) once it has expired or
    /// if the key can't be read.
    pub fn decode(key: &str, now: DateTime<Utc>) -> Option<HashMap<String, String>> {
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(key.strip_prefix(PREFIX)?).ok()?;
        let payload: Payload = serde_json::from_slice(&json).ok()?;
        // A login is never read from a cookie, whatever it says.
        (payload.exp > now.timestamp() && !payload.state.contains_key(USER_ID_KEY)).then_some(payload.state)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn state(pairs: &[(&str, &str)]) -> HashMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        }

        #[test]
        fn anonymous_values_round_trip_until_they_expire() {
            let now = Utc::now();
            let values = state(&[("csrf", "\"abc\""), ("flash", "[]")]);
            let key = encode(&values, now + chrono::Duration::minutes(30)).unwrap_or_default();
            assert!(is_anonymous(&key));
            assert_eq!(decode(&key, now), Some(values));
            assert_eq!(decode(&key, now + chrono::Duration::minutes(31)), None);
        }

        #[test]
        fn a_login_or_a_request_only_value_never_goes_into_a_cookie() {
            let later = Utc::now() + chrono::Duration::minutes(30);
            assert_eq!(encode(&state(&[("user_id", "1")]), later), None);
            let key = encode(&state(&[("_principal", "{}"), ("csrf", "\"x\"")]), later).unwrap_or_default();
            assert_eq!(decode(&key, Utc::now()), Some(state(&[("csrf", "\"x\"")])));
        }

        #[test]
        fn oversized_or_unreadable_keys_are_not_anonymous_sessions() {
            let later = Utc::now() + chrono::Duration::minutes(30);
            assert_eq!(encode(&state(&[("flash", &"x".repeat(4000))]), later), None);
            assert_eq!(decode("a1.not base64!", Utc::now()), None);
            assert!(!is_anonymous("Zm9vYmFy"));
        }
    }
}
