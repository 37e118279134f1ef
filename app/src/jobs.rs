//! The daily jobs: digests of new work for the staff who chose them, and reminders. What they
//! queue is never queued twice for the same thing.

use crate::clock::CityNow;
use crate::notify::{self, Notifier};
use simpa_persistence::{Db, StoreResult};

/// What one run of the daily jobs queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DailyReport {
    pub digests: usize,
    pub reminders: notify::Reminded,
}

impl std::fmt::Display for DailyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} digest(s), {} document reminder(s), {} incomplete-request reminder(s), {} final-report reminder(s), {} agreement reminder(s), {} late-step digest(s) and {} juror reminder(s) queued",
            self.digests,
            self.reminders.documents,
            self.reminders.requests,
            self.reminders.reports,
            self.reminders.agreements,
            self.reminders.late,
            self.reminders.jurors
        )
    }
}

/// Runs the daily jobs once, in one transaction.
#[tracing::instrument(name = "jobs::daily", skip_all)]
pub fn daily(db: &Db, notifier: &Notifier, now: CityNow) -> StoreResult<DailyReport> {
    db.write(|conn| {
        Ok(DailyReport {
            digests: notify::queue_digests(conn, notifier, now.at)?,
            reminders: notify::queue_reminders(conn, notifier, now)?,
        })
    })
}

/// How long until the daily jobs are next due: at `at`, local time of the city.
pub fn until_next(
    now: chrono::DateTime<chrono::Utc>,
    at: chrono::NaiveTime,
    timezone: chrono_tz::Tz,
) -> std::time::Duration {
    use chrono::TimeZone;
    let local = now.with_timezone(&timezone);
    let today = local.date_naive();
    let next = [
        today,
        today.succ_opt().unwrap_or(today),
        today + chrono::Days::new(2),
    ]
    .into_iter()
    .filter_map(|day| timezone.from_local_datetime(&day.and_time(at)).earliest())
    .find(|t| *t > local);
    next.map_or(std::time::Duration::from_secs(3600), |t| {
        (t.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_daily_jobs_run_at_the_citys_hour() {
        let paris = chrono_tz::Europe::Paris;
        let seven = chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        // 28 November 2026, 05:00 UTC is 06:00 in Paris: one hour to go.
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 28, 5, 0, 0).unwrap();
        assert_eq!(until_next(now, seven, paris).as_secs(), 3600);
        // 06:00 UTC is 07:00 in Paris: the next run is tomorrow.
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap();
        assert_eq!(until_next(now, seven, paris).as_secs(), 24 * 3600);
    }
}
