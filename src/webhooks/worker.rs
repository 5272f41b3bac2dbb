//! The webhook sender: every second it claims due deliveries, POSTs each (signed) to its
//! endpoint and records the outcome. A 2xx answer is delivered; anything else (another status,
//! a redirect — never followed —, a timeout, a refused connection) is retried after
//! [`retry_delay`], up to [`MAX_ATTEMPTS`] attempts, then the delivery is `failed`. An address
//! the SSRF guard refuses is failed at once: retrying would not change it.
//!
//! Once across instances: a delivery is claimed with `SKIP LOCKED` and a lease longer than a
//! whole attempt, and settled only if the claim is still this worker's (`db::webhooks`). Like
//! every webhook sender, this is at-least-once at the edges (a receiver that answers 2xx after
//! the lease ran out, or a database lost between the answer and its record): receivers
//! de-duplicate on `webhook-id`, which is the same on every attempt.
//!
//! [`run_due`] does one pass at a given `now`: the loop calls it with the clock, the tests with
//! the moment they want to be.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use diesel::connection::{Connection, InstrumentationEvent};
use diesel::{PgConnection, QueryResult};

use super::{guard, signing};
use crate::background::Worker;
use crate::{
    config::{Settings, WebhookSettings},
    db::{
        self,
        webhooks::{self as store, Claimed},
        DbPool,
    },
    error::AppError,
};

/// Attempts after which a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// Longer than one attempt (resolution and `timeout`) with room to spare.
const LEASE_SECS: i64 = 120;
const BATCH: i64 = 10;
const POLL: Duration = Duration::from_secs(1);

/// The wait after failed attempt `attempt` (1-based): 30 s, 2 min, 10 min, 1 h, 6 h, 12 h, 24 h.
pub fn retry_delay(attempt: i32) -> chrono::Duration {
    let minutes = match attempt {
        ..=1 => return chrono::Duration::seconds(30),
        2 => 2,
        3 => 10,
        4 => 60,
        5 => 6 * 60,
        6 => 12 * 60,
        _ => 24 * 60,
    };
    chrono::Duration::minutes(minutes)
}

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub delivered: usize,
    /// Failed attempts that will be tried again.
    pub retrying: usize,
    /// Deliveries given up.
    pub failed: usize,
}

/// The HTTP client deliveries go through: no redirects, no proxy from the environment, a
/// timeout, and with the guard on, a resolver that connects only to public addresses.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    guarded: bool,
}

impl Sender {
    pub fn new(settings: &WebhookSettings) -> Result<Self, AppError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("PartnerPortal-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private {
            builder = builder.dns_resolver(Arc::new(guard::GuardedResolver));
        }
        let client = builder.build().map_err(|e| AppError::Unexpected(anyhow::anyhow!("webhook client: {e}")))?;
        Ok(Sender { client, guarded: !settings.allow_private })
    }
}

pub fn spawn(pool: DbPool, settings: Settings) -> Option<Worker> {
    let sender = match Sender::new(&settings.webhooks) {
        Ok(sender) => sender,
        Err(e) => {
            tracing::error!(error = %e, "webhook worker not started: webhooks stay queued");
            return None;
        }
    };
    Some(Worker::spawn("webhooks", move |mut stopping| async move {
        tracing::info!(ssrf_guard = sender.guarded, "webhook worker started");
        while !*stopping.borrow() {
            match run_due_with(&pool, &sender, Utc::now()).await {
                Ok(pass) if pass != Pass::default() => tracing::info!(?pass, "webhook pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook pass failed; retrying later"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                Ok(_) = stopping.wait_for(|stop| *stop) => {}
            }
        }
        tracing::info!("webhook worker stopped");
    }))
}

/// Delivers everything due at `now` (claimed by this call; what another instance holds is
/// left to it) and returns once nothing due is left. Failed attempts are due again later than
/// `now`, so one pass tries each delivery at most once.
pub async fn run_due(pool: &DbPool, settings: &Settings, now: DateTime<Utc>) -> Result<Pass, AppError> {
    run_due_with(pool, &Sender::new(&settings.webhooks)?, now).await
}

async fn run_due_with(pool: &DbPool, sender: &Sender, now: DateTime<Utc>) -> Result<Pass, AppError> {
    let mut pass = Pass::default();
    loop {
        let batch = run_db(pool, move |conn| store::claim_due(conn, now, BATCH, LEASE_SECS)).await?;
        if batch.is_empty() {
            return Ok(pass);
        }
        let attempts = batch.into_iter().map(|c| async move {
            let outcome = attempt(sender, &c).await;
            (c, outcome)
        });
        for (claimed, outcome) in futures_util::future::join_all(attempts).await {
            settle(pool, &claimed, outcome, now, &mut pass).await?;
        }
    }
}

/// `db::run` for the worker: its statements are kept out of the per-page statement counts.
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

enum Outcome {
    Delivered(u16),
    /// `give_up`: not worth another attempt (the SSRF guard refused the address).
    Failed {
        status: Option<u16>,
        error: String,
        give_up: bool,
    },
}

/// One POST, signed at the moment it is sent (receivers check the timestamp's freshness).
async fn attempt(sender: &Sender, c: &Claimed) -> Outcome {
    let failed = |error: String, give_up: bool| Outcome::Failed { status: None, error, give_up };
    let url = match url::Url::parse(&c.url) {
        Ok(url) => url,
        Err(_) => return failed("the endpoint's address is not a URL".into(), true),
    };
    if sender.guarded {
        if let Err(refused) = guard::check_literal(&url) {
            return failed(refused.to_string(), true);
        }
    }
    let timestamp = Utc::now().timestamp();
    let signature = match signing::sign(&c.secret, &c.msg_id, timestamp, &c.body) {
        Ok(s) => s,
        Err(e) => return failed(e.to_string(), true),
    };
    let sent = sender
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &c.msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(c.body.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Outcome::Delivered(response.status().as_u16()),
        Ok(response) => {
            let status = response.status();
            let error = if status.is_redirection() {
                format!("HTTP {} (redirects are not followed)", status.as_u16())
            } else {
                format!("HTTP {}", status.as_u16())
            };
            Outcome::Failed { status: Some(status.as_u16()), error, give_up: false }
        }
        Err(e) => {
            let give_up = source_of::<guard::Refused>(&e).is_some();
            let error = match source_of::<guard::Refused>(&e) {
                Some(refused) => refused.to_string(),
                None if e.is_timeout() => "timed out".to_string(),
                None if e.is_connect() => format!("could not connect: {}", innermost(&e)),
                None => innermost(&e),
            };
            failed(error, give_up)
        }
    }
}

fn source_of<'a, T: std::error::Error + 'static>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        current = err.source();
    }
    None
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

async fn settle(
    pool: &DbPool,
    c: &Claimed,
    outcome: Outcome,
    now: DateTime<Utc>,
    pass: &mut Pass,
) -> Result<(), AppError> {
    match outcome {
        Outcome::Delivered(status) => {
            // Insist a little: a delivery left pending is sent again once its lease has passed.
            let mut wait = Duration::from_millis(100);
            for _ in 0..5 {
                let done = c.clone();
                match run_db(pool, move |conn| store::mark_delivered(conn, &done, i32::from(status))).await {
                    Ok(ours) => {
                        if ours {
                            pass.delivered += 1;
                        }
                        tracing::info!(delivery_id = c.id, msg_id = %c.msg_id, event = %c.event_type, attempt = c.attempts, status, "webhook delivered");
                        return Ok(());
                    }
                    Err(e) => {
                        tracing::warn!(delivery_id = c.id, error = %e, "webhook delivered but not yet recorded");
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                    }
                }
            }
            tracing::error!(delivery_id = c.id, msg_id = %c.msg_id, "webhook delivered but not recorded; it may be sent again");
            Ok(())
        }
        Outcome::Failed { status, error, give_up } => {
            let give_up = give_up || c.attempts >= MAX_ATTEMPTS;
            let next = now + retry_delay(c.attempts);
            let (failed, reason) = (c.clone(), error.clone());
            let code = status.map(i32::from);
            let ours =
                run_db(pool, move |conn| store::mark_attempt_failed(conn, &failed, code, &reason, give_up, next))
                    .await?;
            if !ours {
                return Ok(());
            }
            if give_up {
                pass.failed += 1;
                tracing::error!(delivery_id = c.id, msg_id = %c.msg_id, attempt = c.attempts, reason = %error, "webhook given up");
            } else {
                pass.retrying += 1;
                tracing::warn!(delivery_id = c.id, msg_id = %c.msg_id, attempt = c.attempts, reason = %error, retry_at = %next, "webhook not delivered; will retry");
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_delay_backs_off_to_a_day() {
        let secs = |a| retry_delay(a).num_seconds();
        assert_eq!(secs(1), 30);
        assert_eq!(secs(2), 120);
        assert_eq!(secs(3), 600);
        assert_eq!(secs(4), 3600);
        assert_eq!(secs(5), 6 * 3600);
        assert_eq!(secs(7), 24 * 3600);
        assert_eq!(secs(100), 24 * 3600);
        let total: i64 = (1..MAX_ATTEMPTS).map(secs).sum();
        assert!(total > 24 * 3600 && total < 4 * 24 * 3600, "retried for a day or more: {total}");
    }
}
