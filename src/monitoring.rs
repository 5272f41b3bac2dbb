//! Prometheus metrics: the recorder, every metric the portal records, and the `/metrics` text.
//!
//! Recorded through the `metrics` facade into `metrics-exporter-prometheus`'s recorder, which
//! is installed once per process, and only when `METRICS_ADDR` or `METRICS_TOKEN` is set
//! ([`install`]): otherwise every `metrics::counter!` is a no-op and nothing is measured.
//!
//! Requests are labelled by their route *pattern* (`/settings/partners/{id}`, never the path
//! with its ids and link tokens), so the number of series stays bounded. The outbox gauges
//! are computed when scraped, with one statement on the partial index the email worker uses:
//! no page runs a statement for metrics.

use std::{sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::{db, state::AppState};

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
pub const DB_POOL_WAIT: &str = "db_pool_wait_seconds";
pub const DB_POOL_TIMEOUTS: &str = "db_pool_timeouts_total";
pub const DB_STATEMENTS: &str = "db_statements_total";
pub const OUTBOX_PENDING: &str = "email_outbox_pending";
pub const OUTBOX_OLDEST: &str = "email_outbox_oldest_pending_age_seconds";
pub const LOGINS_THROTTLED: &str = "logins_throttled_total";
pub const PASSWORD_QUEUE: &str = "password_hash_queue_length";
pub const INTROSPECTION_CACHE: &str = "introspection_cache_lookups_total";
pub const SESSION_CACHE: &str = "session_cache_lookups_total";
pub const SESSION_CACHE_DROPS: &str = "session_cache_invalidations_total";
pub const SESSION_CACHE_LISTENER: &str = "session_cache_listener_connected";

/// Requests take milliseconds; the buckets go from 1 ms to 10 s.
const REQUEST_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// A turn of the pool is usually immediate; at most `DATABASE_CONNECT_TIMEOUT_SECS` (60 s).
const WAIT_BUCKETS: &[f64] = &[0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 3.0, 10.0, 60.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_string()), REQUEST_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(DB_POOL_WAIT.to_string()), WAIT_BUCKETS));
            match builder.and_then(|b| b.install_recorder()) {
                Ok(handle) => {
                    describe();
                    spawn_upkeep(handle.clone());
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// How often the histograms' recorded samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds the histograms' samples into their buckets every few seconds, whether or not anyone
/// scrapes. The recorder keeps every sample until an upkeep: folding only at a scrape let a
/// portal nobody scraped grow by every request's and every pool wait's sample (the benchmark,
/// which scrapes once at the end, saw the peak RSS go from 56 to 131 MiB in ten minutes).
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
        std::thread::sleep(UPKEEP_EVERY);
        handle.run_upkeep();
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "metrics upkeep thread not started: samples are folded at each scrape only");
    }
}

/// True once the recorder is installed: only then is a request's pattern looked up.
pub fn enabled() -> bool {
    HANDLE.get().is_some_and(Option::is_some)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route pattern, method and status");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "Time to answer an HTTP request, by route pattern and method");
    describe_histogram!(DB_POOL_WAIT, Unit::Seconds, "Wait for a turn of the database pool (FIFO)");
    describe_counter!(DB_POOL_TIMEOUTS, "Requests that found every database connection busy until the timeout");
    describe_counter!(DB_STATEMENTS, "SQL statements executed");
    describe_gauge!(OUTBOX_PENDING, "Emails queued or being sent");
    describe_gauge!(OUTBOX_OLDEST, Unit::Seconds, "Age of the oldest email queued or being sent");
    describe_counter!(LOGINS_THROTTLED, "Logins refused because the account or the client is throttled");
    describe_gauge!(PASSWORD_QUEUE, "Password hashes and verifications waiting or running");
    describe_counter!(INTROSPECTION_CACHE, "Token checks answered from the introspection cache (hit) or not (miss)");
    describe_counter!(
        SESSION_CACHE,
        "Logged-in sessions found in the session cache (hit), loaded into it (miss), loaded without it (bypass: not a GET, listener away, a notification pending), or found changed after use (stale: the request is repeated)"
    );
    describe_gauge!(
        SESSION_CACHE_LISTENER,
        "1 while the session cache's LISTEN connection is up (else the cache is bypassed)"
    );
}

/// One answered request. `pattern` is `None` for a path no route matched.
pub fn request(pattern: Option<&str>, method: &str, status: u16, elapsed: Duration) {
    let route = pattern.unwrap_or("unmatched").to_string();
    let method = method.to_string();
    metrics::counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route, "method" => method).record(elapsed.as_secs_f64());
}

pub fn pool_wait(waited: Duration, timed_out: bool) {
    metrics::histogram!(DB_POOL_WAIT).record(waited.as_secs_f64());
    if timed_out {
        metrics::counter!(DB_POOL_TIMEOUTS).increment(1);
    }
}

pub fn statement() {
    metrics::counter!(DB_STATEMENTS).increment(1);
}

pub fn login_throttled() {
    metrics::counter!(LOGINS_THROTTLED).increment(1);
}

pub fn introspection_cache(hit: bool) {
    metrics::counter!(INTROSPECTION_CACHE, "result" => if hit { "hit" } else { "miss" }).increment(1);
}

pub fn session_cache(lookup: crate::auth::session_cache::Lookup) {
    use crate::auth::session_cache::Lookup;
    let result = match lookup {
        Lookup::Hit => "hit",
        Lookup::Miss => "miss",
        Lookup::Bypass => "bypass",
        Lookup::Stale => "stale",
    };
    metrics::counter!(SESSION_CACHE, "result" => result).increment(1);
}

pub fn session_cache_dropped(kind: &'static str) {
    metrics::counter!(SESSION_CACHE_DROPS, "kind" => kind).increment(1);
}

pub fn session_cache_listener(connected: bool) {
    metrics::gauge!(SESSION_CACHE_LISTENER).set(if connected { 1.0 } else { 0.0 });
}

/// The scrape: the gauges computed now, then every metric in Prometheus text format.
/// `None` when metrics are off.
pub async fn render(state: &AppState) -> Option<String> {
    let handle = HANDLE.get()?.as_ref()?;
    metrics::gauge!(PASSWORD_QUEUE).set(crate::auth::password::queue_length() as f64);
    // Skipped (the gauges keep their last values) while the database is away.
    if let Ok((pending, oldest)) = db::run(&state.pool, |conn| Ok(db::outbox::pending_depth(conn)?)).await {
        metrics::gauge!(OUTBOX_PENDING).set(pending as f64);
        metrics::gauge!(OUTBOX_OLDEST).set(oldest.unwrap_or(0.0));
    }
    handle.run_upkeep();
    Some(handle.render())
}
