//! Per-token rate limits (SPEC §14): `API_RATE_LIMIT_PER_MINUTE` requests per token in each
//! clock minute, counted in PostgreSQL so that every instance shares one count.
//!
//! Writing the shared count on every request would put a hot-row update in front of every
//! read, so an instance takes the minute's allowance in batches (a fiftieth of the limit, at
//! most 100) and spends them from memory. The count is exact in what it lets through: no
//! more than the limit passes in a minute across all instances. An instance may refuse a
//! little early, while another still holds an unspent batch (at most one batch per instance).
//! Hand-written: the crates that rate-limit (governor and the actix middlewares built on it)
//! count in one process only.

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, TimeZone, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Integer, Timestamptz},
    PgConnection,
};

use crate::{db, domain::EnterpriseId};

pub struct RateLimiter {
    per_minute: u32,
    batch: u32,
    local: Mutex<HashMap<i64, Allowance>>,
}

#[derive(Clone, Copy)]
struct Allowance {
    minute: i64,
    left: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit until the next minute, this many seconds away.
    Limited {
        retry_after: u64,
    },
}

#[derive(QueryableByName)]
struct Used {
    #[diesel(sql_type = Integer)]
    used: i32,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        RateLimiter { per_minute, batch: (per_minute / 50).clamp(1, 100), local: Mutex::new(HashMap::new()) }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Counts one request of `token_id` at `now`.
    pub fn check(
        &self,
        conn: &mut PgConnection,
        token_id: i64,
        enterprise_id: EnterpriseId,
        now: DateTime<Utc>,
    ) -> QueryResult<Verdict> {
        let minute = now.timestamp().div_euclid(60);
        if self.spend_local(token_id, minute) {
            return Ok(Verdict::Allowed);
        }
        let start = Utc.timestamp_opt(minute * 60, 0).single().unwrap_or(now);
        // A window that another instance already moved on is added to, never restarted.
        let Used { used } = db::static_query(
            "INSERT INTO api_rate_windows AS w (token_id, enterprise_id, window_start, used)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (token_id) DO UPDATE
                SET used = CASE WHEN w.window_start >= EXCLUDED.window_start
                                THEN w.used + EXCLUDED.used ELSE EXCLUDED.used END,
                    window_start = GREATEST(w.window_start, EXCLUDED.window_start)
             RETURNING used",
        )
        .bind::<BigInt, _>(token_id)
        .bind::<BigInt, _>(enterprise_id)
        .bind::<Timestamptz, _>(start)
        .bind::<Integer, _>(self.batch as i32)
        .get_result(conn)?;
        let before = i64::from(used) - i64::from(self.batch);
        let granted = (i64::from(self.per_minute) - before).clamp(0, i64::from(self.batch)) as u32;
        if granted == 0 {
            return Ok(Verdict::Limited { retry_after: (60 - now.timestamp().rem_euclid(60)).max(1) as u64 });
        }
        if let Ok(mut local) = self.local.lock() {
            if local.len() > 10_000 {
                local.retain(|_, a| a.minute == minute);
            }
            local.insert(token_id, Allowance { minute, left: granted - 1 });
        }
        Ok(Verdict::Allowed)
    }

    fn spend_local(&self, token_id: i64, minute: i64) -> bool {
        let Ok(mut local) = self.local.lock() else { return false };
        match local.get_mut(&token_id) {
            Some(a) if a.minute == minute && a.left > 0 => {
                a.left -= 1;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_a_fiftieth_of_the_limit_between_one_and_a_hundred() {
        assert_eq!(RateLimiter::new(3).batch, 1);
        assert_eq!(RateLimiter::new(600).batch, 12);
        assert_eq!(RateLimiter::new(1_000_000).batch, 100);
    }

    #[test]
    fn a_batch_is_spent_within_its_minute_only() {
        let limiter = RateLimiter::new(600);
        limiter.local.lock().unwrap().insert(7, Allowance { minute: 10, left: 2 });
        assert!(limiter.spend_local(7, 10));
        assert!(limiter.spend_local(7, 10));
        assert!(!limiter.spend_local(7, 10), "spent");
        limiter.local.lock().unwrap().insert(7, Allowance { minute: 10, left: 5 });
        assert!(!limiter.spend_local(7, 11), "a new minute takes a new batch");
        assert!(!limiter.spend_local(8, 10), "another token has none");
    }
}
