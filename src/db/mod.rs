//! Connection pool, embedded migrations and the one way handlers reach the database.
//!
//! Handlers call [`run`]: it takes the pooled connection *inside* `web::block`, so a slow
//! checkout never blocks the async executor, and it turns connection failures into 503.
//!
//! Hand-written statements longer than a few lines live in `sql/<module>_<function>.sql`,
//! loaded with `include_str!` (so still `&'static str`s for [`static_query`]), so the Rust
//! reads as functions and the SQL as SQL.

pub mod access_requests;
pub mod api_tokens;
pub mod application_forms;
pub mod applications;
pub mod audit;
pub mod bulk;
pub mod catalog;
pub mod connections;
pub mod domain_verification;
pub mod drafts;
pub mod enterprises;
pub mod grants;
pub mod groups;
pub mod held_grants;
pub mod instrumentation;
pub mod invitation_flow;
pub mod invitations;
pub mod join_links;
pub mod member_pages;
pub mod memberships;
pub mod oauth;
pub mod organisations;
pub mod outbox;
pub mod partner_import;
pub mod partners;
pub mod program_applications;
pub mod registration;
pub mod schema;
pub mod sessions;
pub mod team;
pub mod team_invites;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod webhooks;

use std::{marker::PhantomData, sync::Arc, time::Duration};

use diesel::{
    connection::SimpleConnection,
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    r2d2::{self, ManageConnection},
    result::{DatabaseErrorKind, Error as DieselError},
    serialize::ToSql,
    sql_types::{HasSqlType, Untyped},
    Connection, PgConnection, QueryResult, RunQueryDsl,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use tokio::sync::Semaphore;

use crate::{
    auth::session_cache::{self, SessionCache},
    config::PoolSettings,
    error::AppError,
};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The connection pool, and the queue in front of it.
///
/// r2d2 lets a newcomer take a connection that was just returned, ahead of the threads already
/// waiting for one: under load most requests got a connection at once and a few waited for
/// hundreds of milliseconds (p50 15 ms, p99 well above 100 ms on the partner pages). Here
/// every request first waits for its *turn* — a permit of a first-come-first-served semaphore
/// with one permit per connection — without holding a thread, and only then takes a thread of
/// the blocking pool and a connection, which is then always there. Both waits together are
/// bounded by `DATABASE_CONNECT_TIMEOUT_SECS`.
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<PgManager>,
    turns: Arc<Semaphore>,
    wait: Duration,
    /// The web pool's connections `LISTEN` to the session cache's channel; the notifications
    /// each statement brings back are applied to the cache (see `auth::session_cache`).
    sessions: Option<Arc<SessionCache>>,
}

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
    sessions: Option<Arc<SessionCache>>,
}

impl ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PgConn, r2d2::Error> {
        let mut conn = PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
        // OLTP: JIT compilation only ever made short queries slower here. A random page read
        // costs little more than a sequential one once the data is cached (the default 4.0 is
        // for spinning disks): at 4.0 the session lookup hash-joined a seq scan of `users`
        // instead of using its primary key, 32 µs against 22 µs of PostgreSQL per request.
        conn.batch_execute(
            "SET jit = off; SET random_page_cost = 1.1; SET statement_timeout = '15s'; SET lock_timeout = '10s'",
        )
        .map_err(r2d2::Error::QueryError)?;
        if let Some(cache) = &self.sessions {
            // From now on PostgreSQL hands this connection every notification committed before
            // each statement, with its result. What was committed before it listened, it will
            // never see: the cache starts over, so that no entry predates what it can vouch for.
            conn.batch_execute(&format!("LISTEN {}", session_cache::CHANNEL)).map_err(r2d2::Error::QueryError)?;
            cache.invalidate("listening");
        }
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
pub fn build_pool(settings: &PoolSettings) -> DbPool {
    build_pool_with(settings, None)
}

/// [`build_pool`], its connections listening for `sessions`' notifications (the web pool).
pub fn build_pool_with(settings: &PoolSettings, sessions: Option<Arc<SessionCache>>) -> DbPool {
    let pool = r2d2::Pool::builder()
        .max_size(settings.size)
        .min_idle(Some(0))
        .connection_timeout(settings.connect_timeout)
        // A checkout-time `SELECT 1` would cost a round trip per request; dead connections are
        // instead dropped after their first failure (see `PgConn`).
        .test_on_check_out(false)
        .idle_timeout(Some(Duration::from_secs(300)))
        .build_unchecked(PgManager { url: settings.url.expose().clone(), sessions: sessions.clone() });
    DbPool { pool, turns: Arc::new(Semaphore::new(settings.size as usize)), wait: settings.connect_timeout, sessions }
}

/// Connects once outside the pool, e.g. for migrations and CLI commands.
pub fn connect(url: &str) -> Result<PgConnection, diesel::ConnectionError> {
    PgConnection::establish(url)
}

pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.run_pending_migrations(MIGRATIONS).map_err(|e| anyhow::anyhow!("running migrations failed: {e}"))?;
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

/// Runs `f` with a pooled connection on the blocking thread pool, once it is this request's
/// turn (see [`DbPool`]).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let started = std::time::Instant::now();
    let deadline = started + pool.wait;
    let permit = match tokio::time::timeout(pool.wait, pool.turns.clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            crate::monitoring::pool_wait(started.elapsed(), true);
            tracing::warn!("no database connection: every connection stayed busy");
            return Err(AppError::DatabaseUnavailable);
        }
    };
    crate::monitoring::pool_wait(started.elapsed(), false);
    let pool = pool.clone();
    let (result, vouched) = actix_web::web::block(move || {
        let _turn = permit;
        run_vouching(&pool, deadline, f)
    })
    .await
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}")))?;
    if vouched {
        // Every change committed before this request began has now been seen by the session
        // cache (see `auth::session_cache`).
        session_cache::vouched();
    }
    result
}

/// The synchronous half of [`run`], for code already off the executor (it takes no turn).
pub fn run_sync<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError>,
{
    run_until(pool, std::time::Instant::now() + pool.wait, f)
}

fn run_until<T, F>(pool: &DbPool, deadline: std::time::Instant, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError>,
{
    run_vouching(pool, deadline, f).0
}

/// [`run_until`], and whether the connection vouches for the session cache: it listens, `f`
/// ran at least one statement to the end on it, the connection did not fail, and the
/// notifications that came back with the statements were applied. PostgreSQL sends a
/// listening session every notification committed before a statement ended, ahead of the
/// statement's ReadyForQuery (it signals every listener of the database at commit, and a
/// backend processes a pending signal before it reports ready), so once such a statement has
/// run, the cache has dropped whatever changed before the request began.
fn run_vouching<T, F>(pool: &DbPool, deadline: std::time::Instant, f: F) -> (Result<T, AppError>, bool)
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError>,
{
    let wait = deadline.saturating_duration_since(std::time::Instant::now()).max(Duration::from_millis(1));
    let mut pooled = match pool.pool.get_timeout(wait) {
        Ok(pooled) => pooled,
        Err(e) => {
            tracing::warn!(error = %e, "no database connection");
            return (Err(AppError::DatabaseUnavailable), false);
        }
    };
    if let Some(cache) = &pool.sessions {
        // What reached this connection while it was idle, first: a load that `f` runs then
        // knows what was dropped before it began (`auth::session_cache::SessionCache::ticket`).
        apply_notifications(&mut pooled.conn, cache);
    }
    let finished = instrumentation::finished_here();
    let result = f(&mut pooled.conn);
    let mut vouched = instrumentation::finished_here() > finished;
    match &pool.sessions {
        // The notifications that came back with the statements.
        Some(cache) => vouched &= apply_notifications(&mut pooled.conn, cache),
        None => vouched = false,
    }
    if let Err(AppError::Database(e)) = &result {
        if !is_data_error(e) {
            // Cheap insurance: a connection that saw anything odd is replaced.
            pooled.broken = true;
            if is_connection_error(e) {
                tracing::warn!(error = %e, "database connection lost");
                return (Err(AppError::DatabaseUnavailable), false);
            }
            vouched = false;
        }
    }
    (result, vouched)
}

/// Applies the notifications a listening connection holds to the session cache (no I/O beyond
/// a non-blocking read of what its socket already holds); false if they could not be read.
fn apply_notifications(conn: &mut PgConnection, cache: &SessionCache) -> bool {
    for note in conn.notifications_iter() {
        match note {
            Ok(note) => cache.invalidate(&note.payload),
            Err(_) => {
                cache.invalidate("unreadable");
                return false;
            }
        }
    }
    true
}

/// `diesel::sql_query` for SQL written in the source: `static_query(SQL).bind::<T, _>(v)…`.
///
/// Diesel never caches a `sql_query` (its text could be built at run time), so PostgreSQL
/// parses, analyses and plans it on every execution — for the session load and the list
/// queries that was most of the database's work per page. A `&'static str` can't grow without
/// bound, so this one is prepared once per connection (keyed by its text) and executed by
/// name afterwards; after a few executions PostgreSQL also reuses a generic plan.
pub fn static_query(sql: &'static str) -> StaticSql {
    StaticSql(sql)
}

diesel::define_sql_function! {
    /// `lower(text)` for the query builder: a `dsl::sql("lower(…)")` fragment would make the
    /// whole query uncacheable (see [`static_query`]).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[derive(Debug, Clone, Copy)]
#[must_use = "Queries are only executed when calling `load`, `get_result` or similar."]
pub struct StaticSql(&'static str);

/// A [`static_query`] with its bind values so far.
#[must_use = "Queries are only executed when calling `load`, `get_result` or similar."]
pub struct StaticBind<Q, B> {
    query: Q,
    value: B,
}

/// A bind value as `sql_query` pushes it (the only public way to push a value without a
/// placeholder): `sql_query("")` adds no SQL, its "unsafe to cache" mark is overridden below.
fn bind_value<ST, V>(value: V) -> impl QueryFragment<Pg>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    diesel::sql_query("").bind::<ST, V>(value)
}

impl StaticSql {
    pub fn bind<ST, V>(self, value: V) -> StaticBind<Self, impl QueryFragment<Pg>>
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg>,
    {
        StaticBind { query: self, value: bind_value::<ST, V>(value) }
    }
}

impl<Q, B> StaticBind<Q, B> {
    pub fn bind<ST, V>(self, value: V) -> StaticBind<Self, impl QueryFragment<Pg>>
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg>,
    {
        StaticBind { query: self, value: bind_value::<ST, V>(value) }
    }

    /// The statement's columns as SQL types, in order (a tuple): its rows then load by position
    /// into a `#[derive(Queryable)]` struct. `QueryableByName` finds each column by comparing
    /// names, for every column of every row: building the partners list's 25 rows of 19 columns
    /// that way was 7 % of the portal's CPU on that page (perf, 2026-12-07).
    pub fn typed<ST>(self) -> Typed<Self, ST> {
        Typed { query: self, columns: PhantomData }
    }
}

/// A [`static_query`] whose columns are typed ([`StaticBind::typed`]).
#[must_use = "Queries are only executed when calling `load`, `get_result` or similar."]
pub struct Typed<Q, ST> {
    query: Q,
    columns: PhantomData<ST>,
}

impl<Q: QueryFragment<Pg>, ST> QueryFragment<Pg> for Typed<Q, ST> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, ST> QueryId for Typed<Q, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, ST> Query for Typed<Q, ST> {
    type SqlType = ST;
}

impl<Q, ST, Conn> RunQueryDsl<Conn> for Typed<Q, ST> {}

impl QueryFragment<Pg> for StaticSql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(self.0);
        Ok(())
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        // Unlike `SqlQuery`'s, the text is a compile-time constant.
        Ok(true)
    }
}

impl<Q: QueryFragment<Pg>, B: QueryFragment<Pg>> QueryFragment<Pg> for StaticBind<Q, B> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        self.value.walk_ast(out.reborrow())
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

// No static id: the statement cache keys these by their SQL text (and bind types).
impl QueryId for StaticSql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, B> QueryId for StaticBind<Q, B> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for StaticSql {
    type SqlType = Untyped;
}

impl<Q, B> Query for StaticBind<Q, B> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for StaticSql {}
impl<Q, B, Conn> RunQueryDsl<Conn> for StaticBind<Q, B> {}

/// Short helper for the common "is the database there" check of `/readyz`.
pub fn ping(conn: &mut PgConnection) -> Result<(), AppError> {
    conn.batch_execute("SELECT 1").map_err(AppError::Database)
}
