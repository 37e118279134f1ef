//! Failed sign-ins per throttle key (an account's e-mail, a client id, an address).

use crate::DbConnection;
use crate::convert::{naive, utc};
use crate::error::StoreResult;
use crate::schema::login_failures;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use simpa_domain::throttle::RecentFailures;
use uuid::Uuid;

pub fn recent_failures(
    conn: &mut DbConnection,
    key: &str,
    since: DateTime<Utc>,
) -> StoreResult<RecentFailures> {
    let (count, oldest): (i64, Option<NaiveDateTime>) = login_failures::table
        .filter(login_failures::throttle_key.eq(key))
        .filter(login_failures::failed_at.gt(naive(since)))
        .select((count_star(), min(login_failures::failed_at)))
        .first(conn)?;
    Ok(RecentFailures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        oldest: oldest.map(utc),
    })
}

/// Records one failure for each key, and forgets those that left the window.
pub fn record_failure(
    conn: &mut DbConnection,
    keys: &[&str],
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(
        login_failures::table.filter(login_failures::failed_at.le(naive(forget_before))),
    )
    .execute(conn)?;
    for key in keys {
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::id.eq(Uuid::now_v7().to_string()),
                login_failures::throttle_key.eq(*key),
                login_failures::failed_at.eq(naive(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A successful sign-in clears the account's failures (not the address's).
pub fn clear(conn: &mut DbConnection, key: &str) -> StoreResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::throttle_key.eq(key)))
        .execute(conn)?;
    Ok(())
}
