//! Counts SQL statements per database, for tests that assert a page's query count.
//!
//! Off unless `enable()` is called (the test suite does); then every new connection reports
//! its statements under its database name, so concurrent tests on separate databases don't
//! mix their counts.

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
};

use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};

fn counts() -> &'static Mutex<HashMap<String, u64>> {
    static COUNTS: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();
    COUNTS.get_or_init(|| Mutex::new(HashMap::new()))
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
            InstrumentationEvent::StartQuery { .. } => {
                if let (Some(db), Ok(mut map)) = (&self.database, counts().lock()) {
                    *map.entry(db.clone()).or_default() += 1;
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
