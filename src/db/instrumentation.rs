//! Counts SQL statements per database, for tests that assert a page's query count.
//!
//! Off unless `enable()` is called (the test suite does); then every new connection reports
//! its statements under its database name, so concurrent tests on separate databases don't
//! mix their counts. The statements' SQL is kept too (see [`log`]), so a test can say which
//! statements a page ran, and check that none of them writes.

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
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
            InstrumentationEvent::StartQuery { query, .. } => {
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

fn make() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(Counter { database: None }))
}

/// Starts counting statements on connections opened from now on.
pub fn enable() {
    let _ = set_default_instrumentation(make);
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
