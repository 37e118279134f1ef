//! A person's second factor: the secret of their authenticator app, the last step whose code
//! was used, and their recovery codes (hashes only, each good once).

use crate::DbConnection;
use crate::connection::insert_batches;
use crate::convert::naive;
use crate::error::StoreResult;
use crate::schema::{recovery_codes, totp_credentials};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use simpa_domain::ids::AccountId;
use uuid::Uuid;

/// An account's authenticator secret, as stored (base32).
#[derive(Debug, Clone)]
pub struct TotpCredential {
    pub secret: String,
    /// A first code matched: sign-ins ask for codes from now on.
    pub confirmed: bool,
    pub last_used_step: Option<i64>,
}

/// The account's authenticator secret, confirmed or waiting for its first code.
pub fn find(conn: &mut DbConnection, account: AccountId) -> StoreResult<Option<TotpCredential>> {
    let row: Option<(String, Option<chrono::NaiveDateTime>, Option<i64>)> = totp_credentials::table
        .find(account.to_string())
        .select((
            totp_credentials::secret,
            totp_credentials::confirmed_at,
            totp_credentials::last_used_step,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(secret, confirmed_at, last_used_step)| TotpCredential {
            secret,
            confirmed: confirmed_at.is_some(),
            last_used_step,
        }),
    )
}

/// Whether the account signs in with a second factor.
pub fn enabled(conn: &mut DbConnection, account: AccountId) -> StoreResult<bool> {
    Ok(find(conn, account)?.is_some_and(|c| c.confirmed))
}

/// Keeps a new secret for the account, waiting for its first code (one started before and
/// never confirmed is replaced; a confirmed one stays, and the insert fails on it).
pub fn start(
    conn: &mut DbConnection,
    account: AccountId,
    secret: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(
        totp_credentials::table
            .find(account.to_string())
            .filter(totp_credentials::confirmed_at.is_null()),
    )
    .execute(conn)?;
    diesel::insert_into(totp_credentials::table)
        .values((
            totp_credentials::account_id.eq(account.to_string()),
            totp_credentials::secret.eq(secret),
            totp_credentials::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The first code matched at `step`: the secret is confirmed. `false` when it was already.
pub fn confirm(
    conn: &mut DbConnection,
    account: AccountId,
    step: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let confirmed = diesel::update(
        totp_credentials::table
            .find(account.to_string())
            .filter(totp_credentials::confirmed_at.is_null()),
    )
    .set((
        totp_credentials::confirmed_at.eq(naive(now)),
        totp_credentials::last_used_step.eq(step),
    ))
    .execute(conn)?;
    Ok(confirmed > 0)
}

/// The code of `step` was used: no code of that step or before works again. `false` when a
/// code of this step or a later one was used meanwhile (the same code presented twice at once).
pub fn use_step(conn: &mut DbConnection, account: AccountId, step: i64) -> StoreResult<bool> {
    let used = diesel::update(
        totp_credentials::table.find(account.to_string()).filter(
            totp_credentials::last_used_step
                .is_null()
                .or(totp_credentials::last_used_step.lt(step)),
        ),
    )
    .set(totp_credentials::last_used_step.eq(step))
    .execute(conn)?;
    Ok(used > 0)
}

/// Replaces the account's recovery codes with these (their hashes).
pub fn replace_recovery_codes(
    conn: &mut DbConnection,
    account: AccountId,
    hashes: &[String],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(
        recovery_codes::table.filter(recovery_codes::account_id.eq(account.to_string())),
    )
    .execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|hash| {
            (
                recovery_codes::id.eq(Uuid::now_v7().to_string()),
                recovery_codes::account_id.eq(account.to_string()),
                recovery_codes::code_hash.eq(hash.clone()),
                recovery_codes::created_at.eq(naive(now)),
            )
        })
        .collect();
    insert_batches!(conn, recovery_codes::table, &rows);
    Ok(())
}

/// Uses the account's unused recovery code of this hash; `false` when there is none.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    account: AccountId,
    hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::account_id.eq(account.to_string()))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(naive(now)))
    .execute(conn)?;
    Ok(used > 0)
}

/// How many of the account's recovery codes are still unused.
pub fn recovery_codes_left(conn: &mut DbConnection, account: AccountId) -> StoreResult<i64> {
    Ok(recovery_codes::table
        .filter(recovery_codes::account_id.eq(account.to_string()))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Takes the second factor off the account (secret and recovery codes); `false` when it had
/// none.
pub fn remove(conn: &mut DbConnection, account: AccountId) -> StoreResult<bool> {
    diesel::delete(
        recovery_codes::table.filter(recovery_codes::account_id.eq(account.to_string())),
    )
    .execute(conn)?;
    let removed =
        diesel::delete(totp_credentials::table.find(account.to_string())).execute(conn)?;
    Ok(removed > 0)
}
