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

/// The address a request comes from, for throttling. Behind a trusted proxy, the address the
/// proxy appended last to `X-Forwarded-For` (the entries before it are the client's say-so);
/// else the connection's peer.
pub fn client_address(
    forwarded_for: Option<&str>,
    peer: Option<std::net::IpAddr>,
    trust_forwarded_for: bool,
) -> String {
    let forwarded = forwarded_for
        .filter(|_| trust_forwarded_for)
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    forwarded
        .or_else(|| peer.map(|ip| ip.to_string()))
        .unwrap_or_else(|| "unknown".into())
}
