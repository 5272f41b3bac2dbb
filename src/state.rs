//! `AppState`: what every handler shares through `web::Data` (pool, settings, hasher).

use std::sync::atomic::AtomicBool;

use crate::{
    auth::password::PasswordHasherPool, config::Settings, db::DbPool, routes::oauth::cache::IntrospectionCache,
};

/// Shared by every handler through `web::Data`.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Settings,
    pub hasher: PasswordHasherPool,
    /// False until migrations have been applied (e.g. the database was down at start-up).
    pub schema_ready: AtomicBool,
    /// Introspection answers, valid while their enterprise's access version holds.
    pub introspections: IntrospectionCache,
    /// Settled sessions, kept while PostgreSQL's notifications say they hold.
    pub sessions: std::sync::Arc<crate::auth::session_cache::SessionCache>,
    /// Each API token's requests this minute (`API_RATE_LIMIT_PER_MINUTE`).
    pub api_limits: crate::routes::api::rate_limit::RateLimiter,
}
