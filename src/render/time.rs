//! How pages show a moment: in the enterprise's time zone with the zone named, with the UTC
//! instant in `<time datetime>` and a relative phrase ("3 hours ago", "in 2 days") where a page
//! wants one. The one formatter of the portal's pages (`templates/_time.html` prints what it
//! returns); emails and the CSV export keep UTC.
//!
//! The zone is named by its abbreviation where that is a word people know and means one
//! thing (`CET`, `JST`, `EST`, `UTC`), and by its IANA name otherwise: where the tz database
//! has only a numeric abbreviation (`+04` for Asia/Dubai, which reads like an offset from the
//! shown time rather than a zone) and for the abbreviations several zones share (`CST` is
//! Chicago, Shanghai and Havana; `IST` is India, Ireland and Israel).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone as _, Timelike, Utc};

use crate::domain::TimeZone;

/// Abbreviations that name more than one zone in the tz database.
const AMBIGUOUS: &[&str] = &["CST", "CDT", "IST", "AMT", "AST", "ADT", "BST", "GST", "SST"];

/// A UTC instant however deeply a template borrows it (askama passes `&&DateTime` from a
/// loop over borrowed rows).
pub trait Moment {
    fn utc(&self) -> DateTime<Utc>;
}

impl Moment for DateTime<Utc> {
    fn utc(&self) -> DateTime<Utc> {
        *self
    }
}

impl<T: Moment + ?Sized> Moment for &T {
    fn utc(&self) -> DateTime<Utc> {
        (**self).utc()
    }
}

/// A moment as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// "6 Dec 2026, 14:05 CET" (a date alone: "6 Dec 2026").
    pub text: String,
    /// For `<time datetime>`: the UTC instant, `2026-12-06T13:05:00Z` (a date alone: the date
    /// in the zone, `2026-12-06`).
    pub iso: String,
    /// For a tooltip: the same moment in UTC, "2026-12-06 13:05 UTC".
    pub utc: String,
    /// The moment and the page's now, for [`Shown::relative`] (only some pages show it).
    moment: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Shown {
    /// "3 hours ago", "in 2 days"; None beyond a month, where the date says enough. Worked out
    /// only where a page shows it (`at_ago`, `day_ago`).
    pub fn relative(&self) -> Option<String> {
        relative(self.moment, self.now)
    }
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `%b`: English month abbreviations, as chrono prints them.
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// The dates below are written from their fields, digit by digit: chrono's `format` parses its
// format string on every call (4.7 % of the portal's CPU on a 25-row partners list, perf,
// 2026-12-07), and `format!` with padded numbers still cost about 2,500 instructions a date
// (callgrind, 2026-12-07): a third of a list row's cost went into its one date.

/// Appends `n` with at least `width` digits (zero-padded); a negative year keeps its sign.
fn push_number(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 20];
    let mut rest = n.unsigned_abs();
    let mut len = 0;
    while rest > 0 || len < width {
        digits[len] = b'0' + (rest % 10) as u8;
        rest /= 10;
        len += 1;
    }
    out.extend(digits[..len].iter().rev().map(|&d| char::from(d)));
}

/// "6 Dec 2026" (`%-d %b %Y`).
fn long_date<D: Datelike>(d: &D) -> String {
    let mut out = String::with_capacity(12);
    push_long_date(&mut out, d);
    out
}

fn push_long_date<D: Datelike>(out: &mut String, d: &D) {
    push_number(out, i64::from(d.day()), 1);
    out.push(' ');
    out.push_str(MONTHS.get(d.month0() as usize).copied().unwrap_or_default());
    out.push(' ');
    push_number(out, i64::from(d.year()), 4);
}

/// "2026-12-06" (`%Y-%m-%d`).
fn push_iso_date<D: Datelike>(out: &mut String, d: &D) {
    push_number(out, i64::from(d.year()), 4);
    out.push('-');
    push_number(out, i64::from(d.month()), 2);
    out.push('-');
    push_number(out, i64::from(d.day()), 2);
}

/// "14:05" (`%H:%M`).
fn push_minute<T: Timelike>(out: &mut String, t: &T) {
    push_number(out, i64::from(t.hour()), 2);
    out.push(':');
    push_number(out, i64::from(t.minute()), 2);
}

/// "2026-12-06 14:05 UTC" (`%Y-%m-%d %H:%M UTC`).
fn utc_minute(t: &DateTime<Utc>) -> String {
    let mut out = String::with_capacity(20);
    push_iso_date(&mut out, t);
    out.push(' ');
    push_minute(&mut out, t);
    out.push_str(" UTC");
    out
}

/// The zone of the enterprise a page is shown for, and the moment the page is made (for the
/// relative phrases). Cheap to copy; each page's `Layout` carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub zone: TimeZone,
    pub now: DateTime<Utc>,
}

impl Clock {
    pub fn new(zone: TimeZone, now: DateTime<Utc>) -> Self {
        Clock { zone, now }
    }

    /// UTC now: pages shown to nobody's enterprise (login, invitations).
    pub fn utc() -> Self {
        Clock::new(TimeZone::UTC, Utc::now())
    }

    /// The zone's IANA name, for the sentence that says which zone a page uses.
    pub fn zone_name(&self) -> &'static str {
        self.zone.name()
    }

    /// A date and time with the zone named.
    pub fn at(&self, t: impl Moment) -> Shown {
        let t = t.utc();
        let local = t.with_timezone(&self.zone.tz());
        let mut text = String::with_capacity(32);
        push_long_date(&mut text, &local);
        text.push_str(", ");
        push_minute(&mut text, &local);
        text.push(' ');
        text.push_str(&self.zone_label(t));
        Shown {
            text,
            iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            utc: utc_minute(&t),
            moment: t,
            now: self.now,
        }
    }

    /// The date (in the zone) alone.
    pub fn day(&self, t: impl Moment) -> Shown {
        let t = t.utc();
        let local = t.with_timezone(&self.zone.tz());
        let mut iso = String::with_capacity(10);
        push_iso_date(&mut iso, &local);
        Shown { text: long_date(&local), iso, utc: utc_minute(&t), moment: t, now: self.now }
    }

    /// How the zone is named at `t` (the abbreviation changes with daylight saving time).
    pub fn zone_label(&self, t: DateTime<Utc>) -> String {
        let abbreviation = t.with_timezone(&self.zone.tz()).format("%Z").to_string();
        let a_word = !abbreviation.is_empty() && abbreviation.chars().all(|c| c.is_ascii_alphabetic());
        if a_word && !AMBIGUOUS.contains(&abbreviation.as_str()) {
            abbreviation
        } else {
            self.zone.name().to_string()
        }
    }

    /// The first instant of `day` in the zone: midnight, or, where the clocks skip midnight
    /// (Havana's daylight saving time starts at 00:00), the first minute that exists.
    pub fn start_of_day(&self, day: NaiveDate) -> DateTime<Utc> {
        let tz = self.zone.tz();
        let midnight = day.and_time(NaiveTime::MIN);
        for minutes in (0..=24 * 60).step_by(15) {
            if let Some(t) = tz.from_local_datetime(&(midnight + Duration::minutes(minutes))).earliest() {
                return t.with_timezone(&Utc);
            }
        }
        // No zone skips a whole day at midnight; UTC midnight is the least surprising answer.
        Utc.from_utc_datetime(&midnight)
    }

    /// Today's date in the zone.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.zone.tz()).date_naive()
    }
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago", "in 7 days"; None a month or more
/// away.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    let seconds = (t - now).num_seconds();
    let distance = seconds.abs();
    if distance < 60 {
        return Some(if seconds > 0 { "in less than a minute" } else { "just now" }.to_string());
    }
    let (n, unit) = match distance {
        d if d < 3_600 => (d / 60, "minute"),
        d if d < 86_400 => (d / 3_600, "hour"),
        d if d < 30 * 86_400 => (d / 86_400, "day"),
        _ => return None,
    };
    let units = if n == 1 { unit.to_string() } else { format!("{unit}s") };
    Some(if seconds > 0 { format!("in {n} {units}") } else { format!("{n} {units} ago") })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn clock(zone: &str) -> Clock {
        Clock::new(TimeZone::parse(zone).unwrap(), utc("2026-12-06T12:00:00Z"))
    }

    #[test]
    fn a_time_is_shown_in_the_zone_with_the_zone_named_and_utc_in_the_attribute() {
        let shown = clock("Asia/Tokyo").at(utc("2026-11-21T14:05:09Z"));
        assert_eq!(shown.text, "21 Nov 2026, 23:05 JST");
        assert_eq!(shown.iso, "2026-11-21T14:05:09Z");
        assert_eq!(shown.utc, "2026-11-21 14:05 UTC");
        assert_eq!(clock("UTC").at(utc("2026-11-21T14:05:09Z")).text, "21 Nov 2026, 14:05 UTC");
        assert_eq!(clock("America/New_York").at(utc("2026-12-06T03:00:00Z")).text, "5 Dec 2026, 22:00 EST");
    }

    #[test]
    fn daylight_saving_time_changes_the_hour_and_the_abbreviation() {
        let berlin = clock("Europe/Berlin");
        // Spring forward on 29 March 2026 at 01:00 UTC: 02:00 CET becomes 03:00 CEST.
        assert_eq!(berlin.at(utc("2026-03-29T00:30:00Z")).text, "29 Mar 2026, 01:30 CET");
        assert_eq!(berlin.at(utc("2026-03-29T01:30:00Z")).text, "29 Mar 2026, 03:30 CEST");
        // Fall back on 25 October 2026: 02:30 happens twice, once in each abbreviation.
        assert_eq!(berlin.at(utc("2026-10-25T00:30:00Z")).text, "25 Oct 2026, 02:30 CEST");
        assert_eq!(berlin.at(utc("2026-10-25T01:30:00Z")).text, "25 Oct 2026, 02:30 CET");
    }

    #[test]
    fn numeric_and_ambiguous_abbreviations_give_way_to_the_iana_name() {
        assert_eq!(clock("Asia/Dubai").at(utc("2026-12-06T10:00:00Z")).text, "6 Dec 2026, 14:00 Asia/Dubai");
        assert_eq!(clock("Asia/Kolkata").at(utc("2026-12-06T10:00:00Z")).text, "6 Dec 2026, 15:30 Asia/Kolkata");
        assert_eq!(clock("America/Chicago").at(utc("2026-12-06T10:00:00Z")).text, "6 Dec 2026, 04:00 America/Chicago");
    }

    #[test]
    fn dates_written_from_their_fields_read_as_chronos_formats() {
        let mut padded = String::new();
        for (n, width, want) in
            [(7, 4, "0007"), (2026, 4, "2026"), (12345, 4, "12345"), (-44, 4, "-0044"), (0, 1, "0"), (9, 2, "09")]
        {
            padded.clear();
            push_number(&mut padded, n, width);
            assert_eq!(padded, want);
        }
        let mut t = Utc.with_ymd_and_hms(1999, 1, 1, 0, 7, 0).unwrap();
        while t.year() < 2031 {
            assert_eq!(long_date(&t), t.format("%-d %b %Y").to_string());
            assert_eq!(utc_minute(&t), t.format("%Y-%m-%d %H:%M UTC").to_string());
            let (shown, day) = (Clock::new(TimeZone::UTC, t).at(t), Clock::new(TimeZone::UTC, t).day(t));
            assert_eq!(shown.text, t.format("%-d %b %Y, %H:%M UTC").to_string());
            assert_eq!(day.iso, t.format("%Y-%m-%d").to_string());
            t += Duration::hours(37) + Duration::minutes(13);
        }
    }

    #[test]
    fn a_date_is_the_date_in_the_zone() {
        // 23:30 UTC on the 5th is already the 6th in Tokyo.
        let shown = clock("Asia/Tokyo").day(utc("2026-12-05T23:30:00Z"));
        assert_eq!((shown.text.as_str(), shown.iso.as_str()), ("6 Dec 2026", "2026-12-06"));
        assert_eq!(clock("UTC").day(utc("2026-12-05T23:30:00Z")).text, "5 Dec 2026");
    }

    #[test]
    fn relative_phrases_count_minutes_hours_and_days_either_way() {
        let now = utc("2026-12-06T12:00:00Z");
        let at = |s: &str| relative(utc(s), now);
        assert_eq!(at("2026-12-06T11:59:30Z").as_deref(), Some("just now"));
        assert_eq!(at("2026-12-06T12:00:20Z").as_deref(), Some("in less than a minute"));
        assert_eq!(at("2026-12-06T11:59:00Z").as_deref(), Some("1 minute ago"));
        assert_eq!(at("2026-12-06T11:15:00Z").as_deref(), Some("45 minutes ago"));
        assert_eq!(at("2026-12-06T09:00:00Z").as_deref(), Some("3 hours ago"));
        assert_eq!(at("2026-12-05T12:00:00Z").as_deref(), Some("1 day ago"));
        assert_eq!(at("2026-12-13T12:00:00Z").as_deref(), Some("in 7 days"));
        assert_eq!(at("2026-12-06T14:00:00Z").as_deref(), Some("in 2 hours"));
        assert_eq!(at("2026-10-01T12:00:00Z"), None, "a month or more away: the date alone");
        assert_eq!(clock("UTC").at(utc("2026-12-06T09:00:00Z")).relative().as_deref(), Some("3 hours ago"));
        assert_eq!(clock("UTC").day(utc("2026-12-08T13:00:00Z")).relative().as_deref(), Some("in 2 days"));
    }

    #[test]
    fn a_day_starts_at_midnight_in_the_zone_or_at_the_first_minute_after_a_skipped_midnight() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(clock("Asia/Tokyo").start_of_day(day("2026-12-06")), utc("2026-12-05T15:00:00Z"));
        assert_eq!(clock("UTC").start_of_day(day("2026-12-06")), utc("2026-12-06T00:00:00Z"));
        assert_eq!(clock("Europe/Berlin").start_of_day(day("2026-07-01")), utc("2026-06-30T22:00:00Z"));
        // Havana springs forward at midnight on 8 March 2026: the day starts at 01:00 CDT.
        assert_eq!(clock("America/Havana").start_of_day(day("2026-03-08")), utc("2026-03-08T05:00:00Z"));
    }
}
