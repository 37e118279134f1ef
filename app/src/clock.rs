//! The clock, injected so that tests can fix time.

use chrono::{DateTime, DurationRound, FixedOffset, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use simpa_domain::Violation;

pub trait Clock: Send + Sync {
    /// Now, to the microsecond: what both databases store, so values read back compare equal.
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

/// The time of a use case: now, and the city's time zone that gives its date.
#[derive(Debug, Clone, Copy)]
pub struct CityNow {
    pub at: DateTime<Utc>,
    pub timezone: Tz,
}

impl CityNow {
    /// Today in the city (deadlines, validity of documents, windows of campaigns).
    pub fn today(&self) -> chrono::NaiveDate {
        self.at.with_timezone(&self.timezone).date_naive()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.duration_trunc(TimeDelta::microseconds(1))
            .unwrap_or(now)
    }
}

/// The start of a day in the city, as a UTC instant.
pub fn start_of_day(day: chrono::NaiveDate, timezone: Tz) -> Option<DateTime<Utc>> {
    timezone
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// A time as people give it: RFC 3339 with its offset, or a local time of the city
/// (`2026-11-29T12:00:00` is noon in Paris).
pub fn parse_city_time(raw: &str, timezone: Tz) -> Result<DateTime<Utc>, Violation> {
    let raw = raw.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Ok(time.with_timezone(&Utc));
    }
    let invalid = || {
        Violation::new(
            "time.invalid",
            format!(
                "« {raw} » n'est pas une date et heure (ex. 2026-11-29T12:00:00, heure de la ville, ou 2026-11-29T11:00:00Z)."
            ),
        )
    };
    let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
        .map_err(|_| invalid())?;
    // A time skipped by the change to summer time does not exist; an ambiguous one (the
    // hour repeated in autumn) is read as the first.
    timezone
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            Violation::new(
                "time.nonexistent",
                format!("{raw} n'existe pas à l'heure locale (passage à l'heure d'été)."),
            )
        })
}

/// A time shown in the city's time zone, with its offset.
pub fn city_time(time: DateTime<Utc>, timezone: Tz) -> DateTime<FixedOffset> {
    time.with_timezone(&timezone).fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_the_citys() {
        let paris = chrono_tz::Europe::Paris;
        let noon = parse_city_time("2026-11-29T12:00:00", paris).unwrap();
        assert_eq!(noon.to_rfc3339(), "2026-11-29T11:00:00+00:00");
        assert_eq!(
            city_time(noon, paris).to_rfc3339(),
            "2026-11-29T12:00:00+01:00"
        );
        let summer = parse_city_time("2026-06-01T12:00", paris).unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-06-01T10:00:00+00:00");
        assert_eq!(
            parse_city_time("2026-11-29T12:00:00Z", paris)
                .unwrap()
                .to_rfc3339(),
            "2026-11-29T12:00:00+00:00"
        );
        assert_eq!(
            parse_city_time("2026-03-29T02:30:00", paris)
                .unwrap_err()
                .code,
            "time.nonexistent"
        );
        assert_eq!(
            parse_city_time("29/11/2026", paris).unwrap_err().code,
            "time.invalid"
        );
    }
}
