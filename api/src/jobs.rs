//! The daily jobs: digests of new work for the staff who chose them, and reminders. They run
//! inside `simpa serve` (every day at `SIMPA_DAILY_AT`) and from `simpa jobs daily` for cron; what
//! they queue is never queued twice for the same thing.

use crate::state::AppState;
use simpa_app::notify;
use simpa_persistence::StoreResult;

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
            "{} digest(s), {} document reminder(s) and {} incomplete-request reminder(s) queued",
            self.digests, self.reminders.documents, self.reminders.requests
        )
    }
}

/// Runs the daily jobs at the city's hour, every day, until told to stop; nothing when they
/// are left to cron (`SIMPA_DAILY_AT=off`).
pub async fn every_day(
    state: actix_web::web::Data<AppState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(daily_at) = state.config.outbox.daily_at else {
        return;
    };
    loop {
        let wait = until_next(state.now(), daily_at, state.config.timezone);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        let run = state.clone();
        match actix_web::web::block(move || daily(&run)).await {
            Ok(Ok(report)) => tracing::info!(%report, "daily jobs ran"),
            Ok(Err(error)) => {
                tracing::warn!(%error, "the daily jobs failed; they run again tomorrow")
            }
            Err(error) => tracing::warn!(%error, "the daily jobs could not run"),
        }
    }
}

/// Runs the daily jobs once, in one transaction.
pub fn daily(state: &AppState) -> StoreResult<DailyReport> {
    let now = state.now();
    let (templates, mail) = (
        state.templates.clone(),
        state.config.mail.request_link.clone(),
    );
    let timezone = state.config.timezone;
    state.db.write(move |conn| {
        Ok(DailyReport {
            digests: notify::queue_digests(conn, &templates, &mail, now)?,
            reminders: notify::queue_reminders(conn, &templates, &mail, now, timezone)?,
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
