//! Throttling attempts to guess a password or to flood registrations: the attempts counted
//! per key (an account, an address), the limits being the domain's (`domain::throttle`).

use chrono::{DateTime, Utc};
use simpa_domain::throttle::{RecentFailures, ThrottlePolicy};
use simpa_persistence::{DbConnection, StoreResult, locks, throttle};

/// Refuses an attempt (a sign-in, a registration) while the recent failures of its `keys` are over the limits `check`
/// applies (reading more if it must); otherwise records this attempt now, before the
/// credentials are checked, so that attempts made in parallel count too. Returns the
/// attempt's ids, to forget them if it succeeds.
#[tracing::instrument(name = "throttle::admit_attempt", skip_all, fields(keys = keys.len()))]
pub fn admit_attempt(
    conn: &mut DbConnection,
    policy: ThrottlePolicy,
    keys: &[&str],
    now: DateTime<Utc>,
    check: impl FnOnce(&mut DbConnection, &[RecentFailures]) -> StoreResult<()>,
) -> StoreResult<Vec<String>> {
    locks::lock_names(conn, keys)?;
    let since = policy.window_start(now);
    let recent = keys
        .iter()
        .map(|key| throttle::recent_failures(conn, key, since))
        .collect::<StoreResult<Vec<_>>>()?;
    check(conn, &recent)?;
    throttle::record_attempt(conn, keys, now, since)
}
