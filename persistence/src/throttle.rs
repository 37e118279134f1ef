//! Attempts per throttle key (an account from an address, an address, registrations from an
//! address).

use crate::DbConnection;
use crate::convert::{naive, utc};
use crate::error::StoreResult;
use crate::schema::login_attempts;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;
use simpa_domain::throttle::RecentFailures;
use uuid::Uuid;

/// Attempts on `key` since `since` that were not forgotten (failed, or still being checked).
pub fn recent_failures(
    conn: &mut DbConnection,
    key: &str,
    since: DateTime<Utc>,
) -> StoreResult<RecentFailures> {
    let (count, oldest, latest): (i64, Option<NaiveDateTime>, Option<NaiveDateTime>) =
        login_attempts::table
            .filter(login_attempts::throttle_key.eq(key))
            .filter(login_attempts::attempted_at.gt(naive(since)))
            .select((
                count_star(),
                min(login_attempts::attempted_at),
                max(login_attempts::attempted_at),
            ))
            .first(conn)?;
    Ok(RecentFailures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        oldest: oldest.map(utc),
        latest: latest.map(utc),
    })
}

/// Records one attempt for each key (before the credentials are checked), and forgets the
/// attempts that left the window. Returns the ids, to forget them if the attempt succeeds.
pub fn record_attempt(
    conn: &mut DbConnection,
    keys: &[&str],
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    diesel::delete(
        login_attempts::table.filter(login_attempts::attempted_at.le(naive(forget_before))),
    )
    .execute(conn)?;
    let mut ids = Vec::with_capacity(keys.len());
    for key in keys {
        let id = Uuid::now_v7().to_string();
        diesel::insert_into(login_attempts::table)
            .values((
                login_attempts::id.eq(&id),
                login_attempts::throttle_key.eq(*key),
                login_attempts::attempted_at.eq(naive(now)),
            ))
            .execute(conn)?;
        ids.push(id);
    }
    Ok(ids)
}

/// Forgets attempts that succeeded.
pub fn forget(conn: &mut DbConnection, ids: &[String]) -> StoreResult<()> {
    diesel::delete(login_attempts::table.filter(login_attempts::id.eq_any(ids))).execute(conn)?;
    Ok(())
}

/// A successful sign-in clears the account's failures made before it (not the address's);
/// attempts made since, still being checked, keep counting.
pub fn clear_before(conn: &mut DbConnection, key: &str, before: DateTime<Utc>) -> StoreResult<()> {
    diesel::delete(
        login_attempts::table
            .filter(login_attempts::throttle_key.eq(key))
            .filter(login_attempts::attempted_at.lt(naive(before))),
    )
    .execute(conn)?;
    Ok(())
}
