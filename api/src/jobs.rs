//! When the daily jobs (`app/src/jobs.rs`) run: inside `simpa serve` every day at
//! `SIMPA_DAILY_AT`, and from `simpa jobs daily` for cron.

use crate::state::AppState;
use simpa_app::jobs::{DailyReport, until_next};
use simpa_persistence::StoreResult;

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

/// Runs the daily jobs once, now.
pub fn daily(state: &AppState) -> StoreResult<DailyReport> {
    simpa_app::jobs::daily(&state.db, &state.notifier, state.city_now())
}
