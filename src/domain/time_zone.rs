//! An enterprise's time zone (SPEC §17): an IANA name known to chrono-tz (`Europe/Berlin`),
//! in which the portal shows that enterprise's times. Stored as its name; `UTC` by default.

use std::{fmt, str::FromStr, sync::LazyLock};

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a time zone was refused; the `Display` text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error("Choose a time zone from the list.")]
    Empty,
    #[error("“{0}” is not a time zone the portal knows. Choose one from the list.")]
    Unknown(String),
}

/// A valid IANA time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(Tz);

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::UTC
    }
}

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(Tz::UTC);

    /// Parses a name as chosen in the form (exact IANA spelling, surrounding spaces ignored).
    pub fn parse(input: &str) -> Result<TimeZone, TimeZoneError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(TimeZoneError::Empty);
        }
        // Bound what is echoed back on the error page.
        let shown: String = name.chars().take(80).collect();
        Tz::from_str(name).map(TimeZone).map_err(|_| TimeZoneError::Unknown(shown))
    }

    /// A name read back from the database. A name no longer known (a zone withdrawn from a
    /// later tz database) falls back to UTC rather than lock the enterprise out of its pages.
    pub fn from_stored(name: &str) -> TimeZone {
        Tz::from_str(name).map(TimeZone).unwrap_or_else(|_| {
            tracing::warn!(time_zone = name, "unknown stored time zone; showing UTC");
            TimeZone::UTC
        })
    }

    pub fn tz(self) -> Tz {
        self.0
    }

    /// The IANA name, e.g. `Asia/Tokyo`.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// The zones the settings page offers, by region (`Africa`, `America`, …, `UTC` last), each
/// region's names sorted. Built once: the page renders a ready list.
///
/// Only the `Region/City` names of the ten regions and `UTC`: chrono-tz also knows the other
/// shapes of name (`US/Eastern`, `Etc/GMT+5`, `EST5EDT`, …), which still parse if stored, but
/// would only make the list longer and some read backwards (`Etc/GMT+5` is five hours
/// *behind*). chrono-tz does not say which names are links, so the old spellings of that
/// shape (`Asia/Calcutta` beside `Asia/Kolkata`) stay in the list: both are valid IANA names.
pub static ZONE_GROUPS: LazyLock<Vec<(&'static str, Vec<&'static str>)>> = LazyLock::new(|| {
    const REGIONS: &[&str] =
        &["Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"];
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = REGIONS.iter().map(|r| (*r, Vec::new())).collect();
    for tz in chrono_tz::TZ_VARIANTS {
        let name = tz.name();
        let Some((region, _)) = name.split_once('/') else { continue };
        if let Some((_, names)) = groups.iter_mut().find(|(r, _)| *r == region) {
            names.push(name);
        }
    }
    for (_, names) in &mut groups {
        names.sort_unstable();
    }
    groups.retain(|(_, names)| !names.is_empty());
    groups.push(("UTC", vec!["UTC"]));
    groups
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_parse_and_anything_else_is_refused() {
        assert_eq!(TimeZone::parse(" Asia/Tokyo ").map(TimeZone::name), Ok("Asia/Tokyo"));
        assert_eq!(TimeZone::parse("UTC"), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::parse(""), Err(TimeZoneError::Empty));
        assert_eq!(TimeZone::parse("Mars/Olympus_Mons"), Err(TimeZoneError::Unknown("Mars/Olympus_Mons".into())));
        assert!(TimeZone::parse("asia/tokyo").is_err(), "the exact spelling, as the list offers it");
        assert_eq!(TimeZone::from_stored("Nowhere/Else"), TimeZone::UTC);
    }

    #[test]
    fn the_list_is_grouped_by_region_sorted_and_every_entry_parses() {
        let regions: Vec<&str> = ZONE_GROUPS.iter().map(|(r, _)| *r).collect();
        assert_eq!(regions.first(), Some(&"Africa"));
        assert_eq!(regions.last(), Some(&"UTC"));
        let europe = &ZONE_GROUPS.iter().find(|(r, _)| *r == "Europe").map(|(_, n)| n.clone()).unwrap_or_default();
        assert!(europe.contains(&"Europe/Berlin") && europe.windows(2).all(|w| w[0] < w[1]));
        let all: Vec<&str> = ZONE_GROUPS.iter().flat_map(|(_, n)| n.iter().copied()).collect();
        assert!(all.len() > 300, "{}", all.len());
        assert!(!all.iter().any(|n| n.starts_with("US/") || n.starts_with("Etc/")));
        assert!(all.iter().all(|n| TimeZone::parse(n).is_ok()));
    }
}
