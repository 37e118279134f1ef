//! Refresh tokens, stored as hashes only.

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::StoreResult;
use crate::schema::refresh_tokens;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::account::RefreshTokenState;
use simpa_domain::ids::AccountId;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub id: Uuid,
    pub family: Uuid,
    pub account: AccountId,
    pub state: RefreshTokenState,
}

pub struct NewRefreshToken<'a> {
    pub id: Uuid,
    pub family: Uuid,
    pub account: AccountId,
    pub token_hash: &'a str,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub fn insert(conn: &mut DbConnection, token: NewRefreshToken<'_>) -> StoreResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(token.id.to_string()),
            refresh_tokens::family_id.eq(token.family.to_string()),
            refresh_tokens::account_id.eq(token.account.to_string()),
            refresh_tokens::token_hash.eq(token.token_hash),
            refresh_tokens::issued_at.eq(naive(token.issued_at)),
            refresh_tokens::expires_at.eq(naive(token.expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

type Row = (
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

pub fn find_by_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> StoreResult<Option<RefreshToken>> {
    let row: Option<Row> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((
            refresh_tokens::id,
            refresh_tokens::family_id,
            refresh_tokens::account_id,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_tokens::revoked_at,
        ))
        .first(conn)
        .optional()?;
    row.map(|(id, family, account, expires_at, used_at, revoked_at)| {
        Ok(RefreshToken {
            id: parse("refresh_tokens.id", &id)?,
            family: parse("refresh_tokens.family_id", &family)?,
            account: parse("refresh_tokens.account_id", &account)?,
            state: RefreshTokenState {
                expires_at: utc(expires_at),
                used_at: used_at.map(utc),
                revoked_at: revoked_at.map(utc),
            },
        })
    })
    .transpose()
}

/// Marks the token used; `false` if a concurrent call used it first (which is a reuse).
pub fn mark_used(conn: &mut DbConnection, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    let updated = diesel::update(
        refresh_tokens::table
            .find(id.to_string())
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(naive(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Revokes every token of a family: a sign-in and all its rotations.
pub fn revoke_family(conn: &mut DbConnection, family: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family.to_string()))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(naive(now)))
    .execute(conn)?;
    Ok(())
}
