//! The tokens of the links sent to a person's address (to verify it, to reset a password):
//! stored as their hashes only, one account and one purpose each, single use.

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::schema::account_tokens;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::account::{AccountTokenState, TokenPurpose};
use simpa_domain::ids::AccountId;
use uuid::Uuid;

/// A token as stored, found by its hash.
#[derive(Debug, Clone)]
pub struct AccountToken {
    pub id: Uuid,
    pub account: AccountId,
    pub state: AccountTokenState,
}

/// Stores the hash of a new token of `account` for `purpose`, good until `expires_at`.
pub fn insert(
    conn: &mut DbConnection,
    account: AccountId,
    purpose: TokenPurpose,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::id.eq(Uuid::now_v7().to_string()),
            account_tokens::account_id.eq(account.to_string()),
            account_tokens::purpose.eq(purpose.code()),
            account_tokens::token_hash.eq(token_hash),
            account_tokens::created_at.eq(naive(now)),
            account_tokens::expires_at.eq(naive(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The token of this hash, if any.
pub fn find_by_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> StoreResult<Option<AccountToken>> {
    let row: Option<(String, String, String, NaiveDateTime, Option<NaiveDateTime>)> =
        account_tokens::table
            .filter(account_tokens::token_hash.eq(token_hash))
            .select((
                account_tokens::id,
                account_tokens::account_id,
                account_tokens::purpose,
                account_tokens::expires_at,
                account_tokens::used_at,
            ))
            .first(conn)
            .optional()?;
    row.map(|(id, account, purpose, expires_at, used_at)| {
        Ok(AccountToken {
            id: parse("account_tokens.id", &id)?,
            account: parse("account_tokens.account_id", &account)?,
            state: AccountTokenState {
                purpose: TokenPurpose::from_code(&purpose).ok_or_else(|| {
                    StoreError::Corrupt(format!("account_tokens.purpose {purpose}"))
                })?,
                expires_at: utc(expires_at),
                used_at: used_at.map(utc),
            },
        })
    })
    .transpose()
}

/// Uses up every token of the account for `purpose` still unused (the one presented, and any
/// sent before it); `false` when none was left, as when the same link is presented twice at
/// once.
pub fn use_up(
    conn: &mut DbConnection,
    account: AccountId,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let used = diesel::update(
        account_tokens::table
            .filter(account_tokens::account_id.eq(account.to_string()))
            .filter(account_tokens::purpose.eq(purpose.code()))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(naive(now)))
    .execute(conn)?;
    Ok(used > 0)
}

/// How many tokens of `purpose` the account was sent since `since`.
pub fn sent_since(
    conn: &mut DbConnection,
    account: AccountId,
    purpose: TokenPurpose,
    since: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(account_tokens::table
        .filter(account_tokens::account_id.eq(account.to_string()))
        .filter(account_tokens::purpose.eq(purpose.code()))
        .filter(account_tokens::created_at.ge(naive(since)))
        .count()
        .get_result(conn)?)
}
