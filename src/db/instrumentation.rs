//! Counts SQL statements per database, for tests that assert a page's query count, and in
//! total for `/metrics` (`db_statements_total`).
//!
//! Off unless `enable()` is called (the test suite does) or metrics are on ([`install`]); with
//! `enable()` every new connection reports its statements under its database name, so
//! concurrent tests on separate databases don't mix their counts. The statements' SQL is kept
//! too (see [`log`]), so a test can say which statements a page ran, and check that none of
//! them writes.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex, OnceLock,
    },
};

use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};

fn counts() -> &'static Mutex<HashMap<String, u64>> {
    static COUNTS: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();
    COUNTS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn texts() -> &'static Mutex<HashMap<String, Vec<String>>> {
    static TEXTS: OnceLock<Mutex<HashMap<String, Vec<String>>>> = OnceLock::new();
    TEXTS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Kept per statement: enough to recognise it, without the bind values (secrets, hashes).
const MAX_TEXT: usize = 160;

fn sql_text(full: String) -> String {
    let sql = full.split(" -- binds:").next().unwrap_or("");
    let flat = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(MAX_TEXT).collect()
}

struct Counter {
    database: Option<String>,
}

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => {
                self.database = url::Url::parse(url).ok().map(|u| u.path().trim_start_matches('/').to_string());
            }
            InstrumentationEvent::FinishQuery { .. } => FINISHED.with(|n| n.set(n.get() + 1)),
            InstrumentationEvent::StartQuery { query, .. } => {
                crate::monitoring::statement();
                if !PER_DATABASE.load(Ordering::Relaxed) {
                    return;
                }
                if let (Some(db), Ok(mut map)) = (&self.database, counts().lock()) {
                    *map.entry(db.clone()).or_default() += 1;
                }
                if let (Some(db), Ok(mut map)) = (&self.database, texts().lock()) {
                    map.entry(db.clone()).or_default().push(sql_text(query.to_string()));
                }
            }
            _ => {}
        }
    }
}

thread_local! {
    /// Statements finished on this thread (see [`finished_here`]).
    static FINISHED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Statements finished on this thread so far, on connections opened after [`install`]: a
/// difference tells whether a closure given a connection really ran one (`db::run`).
pub fn finished_here() -> u64 {
    FINISHED.with(|n| n.get())
}

fn make() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(Counter { database: None }))
}

/// Whether statements are also counted and kept per database (`enable`, for tests).
static PER_DATABASE: AtomicBool = AtomicBool::new(false);

/// Counts statements for `/metrics` (when a recorder is installed) and for [`finished_here`],
/// on connections opened from now on. Installed at every start (a few atomic operations per
/// statement).
pub fn install() {
    let _ = set_default_instrumentation(make);
}

/// Starts counting statements per database on connections opened from now on.
pub fn enable() {
    PER_DATABASE.store(true, Ordering::Relaxed);
    install();
}

/// Statements run so far on `database`.
pub fn statements(database: &str) -> u64 {
    counts().lock().map(|m| m.get(database).copied().unwrap_or(0)).unwrap_or(0)
}

/// The SQL (without bind values, whitespace folded, cut at 160 characters) of every statement
/// run so far on `database`, oldest first; `log(db)[n..]` are those after the n-th.
pub fn log(database: &str) -> Vec<String> {
    texts().lock().map(|m| m.get(database).cloned().unwrap_or_default()).unwrap_or_default()
}
