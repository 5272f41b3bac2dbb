//! The daily re-check of verified domains (SPEC §17): a background loop, started beside the
//! email worker and stopped with it, that claims due domains (`db::domain_verification::
//! claim_due`: `FOR UPDATE SKIP LOCKED` and a lease, so with several instances each domain is
//! looked up once), looks each up outside any transaction and settles it: still there, next
//! check in a day; gone or wrong, the mark is dropped (audited as the portal itself); no
//! answer from the nameserver, nothing changes and it is tried again in an hour.
//!
//! [`run_due`] does one pass to completion: the loop calls it, and so do the tests, instead of
//! waiting for the timer.

use std::time::Duration;

use diesel::connection::{Connection, InstrumentationEvent};
use tokio::sync::watch;

use crate::background::Worker;
use crate::{
    config::DnsSettings,
    db::{self, domain_verification, DbPool},
    dns::DnsChecker,
    error::AppError,
};

/// How often the worker looks for due domains: checks are due once a day, so a minute late
/// is nothing.
const POLL: Duration = Duration::from_secs(60);
const BATCH: i64 = 20;

/// A claim lasts long enough for a whole batch's lookups (each bounded by the resolver's
/// timeout), with room to spare.
fn lease(settings: &DnsSettings) -> Duration {
    settings.timeout * (BATCH as u32 + 1) * 2 + Duration::from_secs(60)
}

/// Starts the loop on the current tokio runtime, on `pool` (a small one of its own, like the
/// email worker's).
/// Stopped between two domains.
pub fn spawn(pool: DbPool, settings: DnsSettings) -> Worker {
    Worker::spawn("domain re-check", move |mut stopping| async move {
        tracing::info!("domain re-check worker started");
        while !*stopping.borrow() {
            if let Err(e) = pass(&pool, &settings, Some(&stopping)).await {
                tracing::warn!(error = %e, "domain re-check skipped; retrying later");
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                Ok(_) = stopping.wait_for(|stop| *stop) => {}
            }
        }
        tracing::info!("domain re-check worker stopped");
    })
}

/// Re-checks every verified domain that is due now and returns how many it claimed (domains
/// another instance holds are left to it).
pub async fn run_due(pool: &DbPool, settings: &DnsSettings) -> Result<usize, AppError> {
    pass(pool, settings, None).await
}

async fn pass(
    pool: &DbPool,
    settings: &DnsSettings,
    stopping: Option<&watch::Receiver<bool>>,
) -> Result<usize, AppError> {
    let checker = DnsChecker::new(settings);
    let lease = lease(settings);
    let mut claimed = 0;
    loop {
        // Not counted as a page's statements (see `email::worker::run_db`).
        let batch = db::run(pool, move |conn| {
            conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
            Ok(domain_verification::claim_due(conn, BATCH, lease)?)
        })
        .await?;
        let n = batch.len();
        claimed += n;
        for claim in batch {
            if stopping.is_some_and(|s| *s.borrow()) {
                // The rest of the batch is taken up again once its lease has passed.
                return Ok(claimed);
            }
            let outcome = checker.check(&claim.domain, &claim.verification_token).await;
            let (settled, id) = (claim.clone(), claim.id);
            let found = outcome.clone();
            let written = db::run(pool, move |conn| {
                conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
                Ok(domain_verification::settle(conn, &settled, &found)?)
            })
            .await?;
            tracing::info!(domain_id = %id, ?outcome, written, "domain re-checked");
        }
        if n < BATCH as usize {
            return Ok(claimed);
        }
    }
}
