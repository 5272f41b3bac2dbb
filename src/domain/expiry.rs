//! Expiring grants (SPEC §15): the *Expires on* day an admin types, the moment it means, and
//! the reminders (14, 3 and 1 days before) and the expiry that follow from it.
//!
//! A grant that expires "on 31 Jan 2027" lasts through that day in the enterprise's time zone:
//! it ends at the start of 1 Feb 2027 there. Reminders are due whole days (of 24 hours) before
//! that moment; each is sent at most once, and only the most urgent one that is due (a grant
//! given two days before its end gets the 3-day reminder, not the 14-day one as well).

use chrono::{DateTime, Days, NaiveDate, TimeZone as _, Utc};

use super::TimeZone;

/// The reminders, most distant first: days before the end.
pub const REMINDER_DAYS: [i16; 3] = [14, 3, 1];

/// How far ahead an *Expires on* day may be.
pub const MAX_YEARS_AHEAD: u32 = 5;

/// The moment a grant expiring on `day` ends: the start of the next day in `zone` (the
/// earliest such moment when a clock change makes it ambiguous or skips it).
pub fn ends_at(day: NaiveDate, zone: TimeZone) -> DateTime<Utc> {
    let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    let tz = zone.tz();
    match tz.from_local_datetime(&midnight).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // Midnight skipped by a clock change: an hour later is on the right day.
        None => tz
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc)),
    }
}

/// When the next step of a grant ending at `ends` is due, `reminded` being the last reminder
/// sent: the next reminder, or the end itself.
pub fn next_action(ends: DateTime<Utc>, reminded: Option<i16>) -> DateTime<Utc> {
    REMINDER_DAYS
        .iter()
        .find(|&&d| reminded.is_none_or(|r| d < r))
        .map_or(ends, |&d| ends - chrono::Duration::days(i64::from(d)))
}

/// What is due for a grant ending at `ends` at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Not yet: the next step is later.
    Nothing,
    /// The reminder `days` before the end (the most urgent one due that was not sent).
    Remind(i16),
    /// The grant has ended: revoke it.
    Expire,
}

pub fn due(ends: DateTime<Utc>, reminded: Option<i16>, now: DateTime<Utc>) -> Due {
    if now >= ends {
        return Due::Expire;
    }
    let urgent = REMINDER_DAYS
        .iter()
        .rev()
        .find(|&&d| now >= ends - chrono::Duration::days(i64::from(d)) && reminded.is_none_or(|r| d < r));
    urgent.map_or(Due::Nothing, |&d| Due::Remind(d))
}

/// Why an *Expires on* value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    #[error("Enter the date as YYYY-MM-DD, for example 2027-01-31.")]
    NotADate,
    #[error("Expires on must be a day after today.")]
    NotInTheFuture,
    #[error("Expires on can be at most {MAX_YEARS_AHEAD} years from today.")]
    TooFar,
}

/// The *Expires on* field: empty for access that doesn't expire; otherwise a day after
/// `today` (the enterprise's today) and within [`MAX_YEARS_AHEAD`] years.
pub fn parse_expires_on(raw: &str, today: NaiveDate) -> Result<Option<NaiveDate>, ExpiryError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| ExpiryError::NotADate)?;
    if day <= today {
        return Err(ExpiryError::NotInTheFuture);
    }
    let limit = today.checked_add_months(chrono::Months::new(12 * MAX_YEARS_AHEAD)).unwrap_or(today);
    if day > limit {
        return Err(ExpiryError::TooFar);
    }
    Ok(Some(day))
}

/// "31 Jan 2027", as the pages write a day.
pub fn day_text(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_grant_lasts_through_its_day_in_the_enterprises_zone() {
        assert_eq!(ends_at(day("2027-01-31"), TimeZone::UTC), utc("2027-02-01T00:00:00Z"));
        let tokyo = TimeZone::parse("Asia/Tokyo").unwrap();
        assert_eq!(ends_at(day("2027-01-31"), tokyo), utc("2027-01-31T15:00:00Z"));
        let sao_paulo = TimeZone::parse("America/Sao_Paulo").unwrap();
        assert_eq!(ends_at(day("2027-01-31"), sao_paulo), utc("2027-02-01T03:00:00Z"));
    }

    #[test]
    fn reminders_come_at_14_3_and_1_days_then_the_end() {
        let ends = utc("2027-02-01T00:00:00Z");
        assert_eq!(next_action(ends, None), utc("2027-01-18T00:00:00Z"));
        assert_eq!(next_action(ends, Some(14)), utc("2027-01-29T00:00:00Z"));
        assert_eq!(next_action(ends, Some(3)), utc("2027-01-31T00:00:00Z"));
        assert_eq!(next_action(ends, Some(1)), ends);

        assert_eq!(due(ends, None, utc("2027-01-17T23:59:59Z")), Due::Nothing);
        assert_eq!(due(ends, None, utc("2027-01-18T00:00:00Z")), Due::Remind(14));
        assert_eq!(due(ends, Some(14), utc("2027-01-20T00:00:00Z")), Due::Nothing);
        // Given two days before its end: the 3-day reminder only.
        assert_eq!(due(ends, None, utc("2027-01-30T00:00:00Z")), Due::Remind(3));
        assert_eq!(due(ends, Some(3), utc("2027-01-31T12:00:00Z")), Due::Remind(1));
        assert_eq!(due(ends, Some(1), utc("2027-01-31T23:00:00Z")), Due::Nothing);
        assert_eq!(due(ends, Some(1), ends), Due::Expire);
        assert_eq!(due(ends, None, utc("2027-03-01T00:00:00Z")), Due::Expire);
    }

    #[test]
    fn expires_on_is_empty_or_a_future_day_within_five_years() {
        let today = day("2026-12-07");
        assert_eq!(parse_expires_on("  ", today), Ok(None));
        assert_eq!(parse_expires_on("2026-12-08", today), Ok(Some(day("2026-12-08"))));
        assert_eq!(parse_expires_on("2026-12-07", today), Err(ExpiryError::NotInTheFuture));
        assert_eq!(parse_expires_on("2020-01-01", today), Err(ExpiryError::NotInTheFuture));
        assert_eq!(parse_expires_on("2031-12-07", today), Ok(Some(day("2031-12-07"))));
        assert_eq!(parse_expires_on("2031-12-08", today), Err(ExpiryError::TooFar));
        assert_eq!(parse_expires_on("31/01/2027", today), Err(ExpiryError::NotADate));
        assert_eq!(parse_expires_on("2027-02-30", today), Err(ExpiryError::NotADate));
        assert_eq!(day_text(day("2027-01-05")), "5 Jan 2027");
    }
}
