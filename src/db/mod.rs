//! Connection pool, embedded migrations and the one way handlers reach the database.
//!
//! Handlers call [`run`]: it takes the pooled connection *inside* `web::block`, so a slow
//! checkout never blocks the async executor, and it turns connection failures into 503.

pub mod audit;
pub mod catalog;
pub mod drafts;
pub mod enterprises;
pub mod grants;
pub mod instrumentation;
pub mod invitation_flow;
pub mod invitations;
pub mod partners;
pub mod registration;
pub mod schema;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use std::time::Duration;

use diesel::{
    connection::SimpleConnection,
    r2d2::{self, ManageConnection},
    result::{DatabaseErrorKind, Error as DieselError},
    Connection, PgConnection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{config::Settings, error::AppError};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbPool = r2d2::Pool<PgManager>;

/// A pooled PostgreSQL connection that remembers whether it failed at the connection level.
///
/// Diesel's own manager only reports a connection as broken when its transaction state is
/// broken, so after a database restart the pool would keep handing out dead sockets forever.
pub struct PgConn {
    pub conn: PgConnection,
    broken: bool,
}

pub struct PgManager {
    url: String,
}

impl ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PgConn, r2d2::Error> {
        let mut conn = PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
        // OLTP: JIT compilation only ever made short queries slower here.
        conn.batch_execute("SET jit = off; SET statement_timeout = '15s'; SET lock_timeout = '10s'")
            .map_err(r2d2::Error::QueryError)?;
        Ok(PgConn { conn, broken: false })
    }

    fn is_valid(&self, c: &mut PgConn) -> Result<(), r2d2::Error> {
        c.conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, c: &mut PgConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        c.broken || c.conn.is_broken()
    }
}

/// Builds the pool without connecting: the portal starts (and answers 503) while the
/// database is away, and connects as soon as it is back.
pub fn build_pool(settings: &Settings) -> DbPool {
    r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(0))
        .connection_timeout(settings.connect_timeout)
        // A checkout-time `SELECT 1` would cost a round trip per request; dead connections are
        // instead dropped after their first failure (see `PgConn`).
        .test_on_check_out(false)
        .idle_timeout(Some(Duration::from_secs(300)))
        .build_unchecked(PgManager { url: settings.database_url.expose().clone() })
}

/// Connects once outside the pool, e.g. for migrations and CLI commands.
pub fn connect(url: &str) -> Result<PgConnection, diesel::ConnectionError> {
    PgConnection::establish(url)
}

pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("running migrations failed: {e}"))?;
    Ok(())
}

/// Errors that are about the data, after which the connection is still fine to reuse.
fn is_data_error(e: &DieselError) -> bool {
    match e {
        DieselError::NotFound | DieselError::RollbackTransaction => true,
        DieselError::DatabaseError(kind, _) => matches!(
            kind,
            DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::CheckViolation
                | DatabaseErrorKind::NotNullViolation
                | DatabaseErrorKind::SerializationFailure
        ),
        _ => false,
    }
}

/// Errors that mean the server or the socket went away, not that the query was wrong.
fn is_connection_error(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message().to_ascii_lowercase();
            m.contains("terminating connection")
                || m.contains("server closed the connection")
                || m.contains("connection to server")
                || m.contains("no connection to the server")
                || m.contains("the database system is")
        }
        _ => false,
    }
}

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || run_sync(&pool, f))
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// The synchronous half of [`run`], for code already off the executor.
pub fn run_sync<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError>,
{
    let mut pooled = pool.get().map_err(|e| {
        tracing::warn!(error = %e, "no database connection");
        AppError::DatabaseUnavailable
    })?;
    let result = f(&mut pooled.conn);
    if let Err(AppError::Database(e)) = &result {
        if !is_data_error(e) {
            // Cheap insurance: a connection that saw anything odd is replaced.
            pooled.broken = true;
            if is_connection_error(e) {
                tracing::warn!(error = %e, "database connection lost");
                return Err(AppError::DatabaseUnavailable);
            }
        }
    }
    result
}

/// Short helper for the common "is the database there" check of `/readyz`.
pub fn ping(conn: &mut PgConnection) -> Result<(), AppError> {
    conn.batch_execute("SELECT 1").map_err(AppError::Database)
}
