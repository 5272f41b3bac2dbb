//! The background sender: every half second it claims due emails from the outbox, sends
//! each through the [`Mailer`] and records the outcome.
//!
//! Retries: an unreachable or timing-out SMTP server is retried for as long as it takes
//! (nothing is lost during an outage); a 4xx answer up to [`MAX_ATTEMPTS`] times; a 5xx
//! answer never. The delay doubles from `EMAIL_RETRY_BASE_MS`, capped at five minutes.
//! Logs name emails by outbox id and Message-ID, never by address.
//!
//! Stopping ([`Worker::stop`], called when the HTTP server has shut down): the worker stops
//! between two emails, never in the middle of an SMTP conversation. The email being sent is
//! finished and recorded; the rest of its batch is handed back to the outbox untried
//! (`outbox::release`), for the next start or another instance.

use std::time::Duration;

use tokio::sync::watch;

use diesel::{
    connection::{Connection, InstrumentationEvent},
    PgConnection, QueryResult,
};

use super::mailer::{FailureKind, Mailer, SendFailure};
use crate::background::Worker;
use crate::{
    config::{EmailSettings, PoolSettings},
    db::{
        self,
        outbox::{self, Claimed},
        DbPool,
    },
    error::AppError,
};

/// Attempts after which an email the server keeps deferring (4xx) is given up.
pub const MAX_ATTEMPTS: i32 = 10;
const POLL: Duration = Duration::from_millis(500);
const BATCH: i64 = 10;
const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);
const MAX_DB_BACKOFF: Duration = Duration::from_secs(5);

struct Config {
    retry_base: Duration,
    /// How long a claim protects an email from other workers: long enough for one whole
    /// SMTP conversation (each step is bounded by `SMTP_TIMEOUT_SECS`), renewed per email.
    lease: Duration,
}

impl Config {
    fn from_settings(settings: &EmailSettings) -> Self {
        Config { retry_base: settings.retry_base, lease: settings.smtp_timeout * 10 + Duration::from_secs(30) }
    }
}

/// The worker's own small pool. Sharing the request pool would work, but with its own the
/// worker never takes a connection a page is waiting for (nor waits behind a burst of
/// requests), and its statements can be kept out of per-page statement counts (see [`run_db`]).
pub fn pool(settings: &PoolSettings) -> DbPool {
    db::build_pool(&PoolSettings { size: 2, ..settings.clone() })
}

/// Starts the background sender on the current tokio runtime, on `pool` (give it one of its
/// own: [`pool`]). Without a usable mailer (production without `SMTP_URL`) it logs an error
/// and sends nothing: emails stay queued.
pub fn spawn(pool: DbPool, settings: EmailSettings) -> Option<Worker> {
    let mailer = Mailer::from_settings(&settings)?;
    let config = Config::from_settings(&settings);
    tracing::info!(
        transport = match mailer {
            Mailer::Smtp { .. } => "smtp",
            Mailer::DevMailbox => "development mailbox (/dev/mailbox)",
        },
        "email worker started"
    );
    // Stopped after the email it is sending (if any) is sent and recorded, before the next.
    Some(Worker::spawn("email", move |stopping| run(pool, mailer, config, stopping)))
}

/// Sends every due email now, as the background worker would, and returns once no due email
/// is left; an email whose retry is not due yet is left for later. Returns how many emails
/// were claimed. For callers that run without the background worker (the tests, instead of
/// waiting for its timer); like [`spawn`], it sends nothing without a usable mailer.
pub async fn dispatch_all_pending(pool: &DbPool, settings: &EmailSettings) -> Result<usize, AppError> {
    let Some(mailer) = Mailer::from_settings(settings) else { return Ok(0) };
    let config = Config::from_settings(settings);
    let mut claimed = 0;
    loop {
        match tick(pool, &mailer, &config, None).await? {
            0 => return Ok(claimed),
            n => claimed += n,
        }
    }
}

async fn run(pool: DbPool, mailer: Mailer, config: Config, mut stopping: watch::Receiver<bool>) {
    let mut db_backoff = POLL;
    let mut db_down = false;
    while !*stopping.borrow() {
        match tick(&pool, &mailer, &config, Some(&stopping)).await {
            Ok(claimed) => {
                if db_down {
                    tracing::info!("email worker reaches the database again");
                    db_down = false;
                }
                db_backoff = POLL;
                // A full batch means more may be due: go on at once.
                if claimed < BATCH as usize {
                    pause(&mut stopping, POLL).await;
                }
            }
            Err(e) => {
                if !db_down {
                    tracing::warn!(error = %e, "email worker cannot use the database; retrying");
                    db_down = true;
                }
                pause(&mut stopping, db_backoff).await;
                db_backoff = (db_backoff * 2).min(MAX_DB_BACKOFF);
            }
        }
    }
    tracing::info!("email worker stopped");
}

/// Sleeps for `delay`, or less if the worker is told to stop.
async fn pause(stopping: &mut watch::Receiver<bool>, delay: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        // Err (the `Worker` was dropped, so no stop can come): just the sleep.
        Ok(_) = stopping.wait_for(|stop| *stop) => {}
    }
}

/// `db::run` for the worker's queries. They are not reported to diesel's connection
/// instrumentation: it exists to count the statements a page runs (the test suite asserts
/// those), and a background poll landing inside a measurement would be counted as the page's.
async fn run_db<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
    T: Send + 'static,
{
    db::run(pool, move |conn| {
        conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
        Ok(f(conn)?)
    })
    .await
}

/// One round: claim a batch, send it. Returns how many emails were claimed. Once `stopping`
/// says so, the emails not tried yet are handed back.
async fn tick(
    pool: &DbPool,
    mailer: &Mailer,
    config: &Config,
    stopping: Option<&watch::Receiver<bool>>,
) -> Result<usize, AppError> {
    let lease = config.lease;
    let batch = run_db(pool, move |conn| outbox::claim_due(conn, BATCH, lease)).await?;
    let claimed = batch.len();
    let mut emails = batch.into_iter();
    while let Some(email) = emails.next() {
        if stopping.is_some_and(|s| *s.borrow()) {
            for untried in std::iter::once(email).chain(emails.by_ref()) {
                let (id, back) = (untried.id, untried.clone());
                run_db(pool, move |conn| outbox::release(conn, &back)).await?;
                tracing::debug!(outbox_id = id, "email handed back to the outbox: the worker is stopping");
            }
            break;
        }
        let check = email.clone();
        if !run_db(pool, move |conn| outbox::still_ours(conn, &check, lease)).await? {
            tracing::debug!(outbox_id = email.id, message_id = %email.message_id, "email cancelled or taken over; not sent");
            continue;
        }
        match mailer.send(&email).await {
            Ok(via) => record_sent(pool, &email, via).await,
            Err(failure) => {
                let unreachable = failure.kind == FailureKind::Unreachable;
                record_failure(pool, &email, &failure, config).await?;
                if unreachable {
                    // The rest of the batch would meet the same closed door: note the same
                    // reason on each and try them all again after their back-off.
                    for rest in emails.by_ref() {
                        record_failure(pool, &rest, &failure, config).await?;
                    }
                }
            }
        }
    }
    Ok(claimed)
}

/// `base * 2^(attempt-1)`, capped at five minutes.
pub fn retry_delay(base: Duration, attempt: i32) -> Duration {
    let exponent = attempt.saturating_sub(1).clamp(0, 20) as u32;
    base.saturating_mul(1u32 << exponent).min(MAX_RETRY_DELAY)
}

/// The email went out: record it, insisting a little if the database hiccups, because an
/// email left `sending` is sent again once its lease has passed.
async fn record_sent(pool: &DbPool, email: &Claimed, via: &'static str) {
    let mut delay = Duration::from_millis(200);
    for _ in 0..8 {
        let done = email.clone();
        match run_db(pool, move |conn| outbox::mark_sent(conn, &done, via)).await {
            Ok(_) => {
                tracing::info!(outbox_id = email.id, message_id = %email.message_id, attempt = email.attempts, via, "email sent");
                return;
            }
            Err(e) => {
                tracing::warn!(outbox_id = email.id, message_id = %email.message_id, error = %e, "email sent but not yet recorded");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_DB_BACKOFF);
            }
        }
    }
    tracing::error!(outbox_id = email.id, message_id = %email.message_id, "email sent but could not be recorded; it may be sent again");
}

async fn record_failure(
    pool: &DbPool,
    email: &Claimed,
    failure: &SendFailure,
    config: &Config,
) -> Result<(), AppError> {
    let give_up = match failure.kind {
        FailureKind::Permanent => true,
        FailureKind::Temporary => email.attempts >= MAX_ATTEMPTS,
        FailureKind::Unreachable => false,
    };
    let retry_in = retry_delay(config.retry_base, email.attempts);
    let (failed, reason) = (email.clone(), failure.reason.clone());
    let written =
        run_db(pool, move |conn| outbox::mark_attempt_failed(conn, &failed, &reason, give_up, retry_in)).await?;
    if written == Some(crate::domain::EmailStatus::Failed) {
        tracing::error!(outbox_id = email.id, message_id = %email.message_id, attempt = email.attempts, reason = %failure.reason, "email given up");
    } else {
        tracing::warn!(
            outbox_id = email.id,
            message_id = %email.message_id,
            attempt = email.attempts,
            reason = %failure.reason,
            retry_in_ms = retry_in.as_millis() as u64,
            "email not sent; will retry"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_delay_doubles_and_is_capped() {
        let base = Duration::from_secs(2);
        assert_eq!(retry_delay(base, 1), Duration::from_secs(2));
        assert_eq!(retry_delay(base, 2), Duration::from_secs(4));
        assert_eq!(retry_delay(base, 5), Duration::from_secs(32));
        assert_eq!(retry_delay(base, 9), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(base, 10_000), MAX_RETRY_DELAY);
    }
}
