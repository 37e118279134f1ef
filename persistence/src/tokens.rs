//! Refresh tokens, stored as hashes only, grouped in families (one sign-in and its rotations).

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::StoreResult;
use crate::schema::{browser_sessions, refresh_token_families, refresh_tokens};
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

/// Where a sign-in comes from, as its owner sees it among their sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// The client's User-Agent, cut short.
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

/// Starts a family: a new sign-in, from `device`.
pub fn start_family(
    conn: &mut DbConnection,
    family: Uuid,
    account: AccountId,
    device: &Device,
    strong: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(refresh_token_families::table)
        .values((
            refresh_token_families::id.eq(family.to_string()),
            refresh_token_families::account_id.eq(account.to_string()),
            refresh_token_families::created_at.eq(naive(now)),
            refresh_token_families::user_agent.eq(device.user_agent.as_deref()),
            refresh_token_families::client_address.eq(device.address.as_deref()),
            refresh_token_families::last_used_at.eq(naive(now)),
            refresh_token_families::strong.eq(strong),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether a sign-in proved more than a password (see the migration `strong_sessions`).
pub fn is_strong(conn: &mut DbConnection, family: Uuid) -> StoreResult<bool> {
    Ok(refresh_token_families::table
        .find(family.to_string())
        .select(refresh_token_families::strong)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Records that a sign-in was used now (a refresh).
pub fn touch_family(conn: &mut DbConnection, family: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    diesel::update(refresh_token_families::table.find(family.to_string()))
        .set(refresh_token_families::last_used_at.eq(naive(now)))
        .execute(conn)?;
    Ok(())
}

/// A sign-in still open, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub device: Device,
    pub signed_in_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

type SessionRow = (
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// The account's sign-ins not revoked whose last token has not expired, or that a browser's
/// session keeps open (not expired, used since `idle_since`), the latest used first.
pub fn sessions(
    conn: &mut DbConnection,
    account: AccountId,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
) -> StoreResult<Vec<Session>> {
    let live = refresh_tokens::table
        .filter(refresh_tokens::expires_at.gt(naive(now)))
        .filter(refresh_tokens::used_at.is_null())
        .select(refresh_tokens::family_id);
    let browsing = browser_sessions::table
        .filter(browser_sessions::expires_at.gt(naive(now)))
        .filter(browser_sessions::family_id.is_not_null())
        .select(browser_sessions::family_id.assume_not_null());
    let rows: Vec<SessionRow> = refresh_token_families::table
        .filter(refresh_token_families::account_id.eq(account.to_string()))
        .filter(refresh_token_families::revoked_at.is_null())
        .filter(
            refresh_token_families::id
                .eq_any(live)
                .or(refresh_token_families::id
                    .eq_any(browsing)
                    .and(refresh_token_families::last_used_at.gt(naive(idle_since)))),
        )
        .select((
            refresh_token_families::id,
            refresh_token_families::user_agent,
            refresh_token_families::client_address,
            refresh_token_families::created_at,
            refresh_token_families::last_used_at,
        ))
        .order((
            refresh_token_families::last_used_at.desc(),
            refresh_token_families::id.desc(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, user_agent, address, created_at, last_used_at)| {
            Ok(Session {
                id: parse("refresh_token_families.id", &id)?,
                device: Device {
                    user_agent,
                    address,
                },
                signed_in_at: utc(created_at),
                last_used_at: last_used_at.map(utc),
            })
        })
        .collect()
}

/// Revokes one of the account's sign-ins; `false` when it has none of that id still open.
pub fn revoke_session(
    conn: &mut DbConnection,
    account: AccountId,
    family: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        refresh_token_families::table
            .find(family.to_string())
            .filter(refresh_token_families::account_id.eq(account.to_string()))
            .filter(refresh_token_families::revoked_at.is_null()),
    )
    .set(refresh_token_families::revoked_at.eq(naive(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn insert(
    conn: &mut DbConnection,
    family: Uuid,
    token_hash: &str,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7().to_string()),
            refresh_tokens::family_id.eq(family.to_string()),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::issued_at.eq(naive(issued_at)),
            refresh_tokens::expires_at.eq(naive(expires_at)),
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

/// The token with this hash, with its family's revocation.
pub fn find_by_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> StoreResult<Option<RefreshToken>> {
    let row: Option<Row> = refresh_tokens::table
        .inner_join(refresh_token_families::table)
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((
            refresh_tokens::id,
            refresh_tokens::family_id,
            refresh_token_families::account_id,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_token_families::revoked_at,
        ))
        .first(conn)
        .optional()?;
    row.map(|(id, family, account, expires_at, used_at, revoked_at)| {
        Ok(RefreshToken {
            id: parse("refresh_tokens.id", &id)?,
            family: parse("refresh_tokens.family_id", &family)?,
            account: parse("refresh_token_families.account_id", &account)?,
            state: RefreshTokenState {
                expires_at: utc(expires_at),
                used_at: used_at.map(utc),
                revoked_at: revoked_at.map(utc),
            },
        })
    })
    .transpose()
}

/// Locks the family's row for the rest of the transaction, if it is not revoked; `false` if
/// it is. A rotation and a revocation of the same family thus never interleave: a token
/// issued by a rotation is always seen by a revocation that follows it.
pub fn lock_active_family(conn: &mut DbConnection, family: Uuid) -> StoreResult<bool> {
    let locked = diesel::update(
        refresh_token_families::table
            .find(family.to_string())
            .filter(refresh_token_families::revoked_at.is_null()),
    )
    // Not the key: rewriting it would make SQLite check the tables that refer to it.
    .set(refresh_token_families::revoked_at.eq(refresh_token_families::revoked_at))
    .execute(conn)?;
    Ok(locked == 1)
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

/// Revokes a family: every token of that sign-in, present and future, stops working.
pub fn revoke_family(conn: &mut DbConnection, family: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    diesel::update(
        refresh_token_families::table
            .find(family.to_string())
            .filter(refresh_token_families::revoked_at.is_null()),
    )
    .set(refresh_token_families::revoked_at.eq(naive(now)))
    .execute(conn)?;
    Ok(())
}

/// Revokes every sign-in of an account (a password reset or change): each of its refresh
/// tokens stops working at once.
pub fn revoke_account(
    conn: &mut DbConnection,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    Ok(diesel::update(
        refresh_token_families::table
            .filter(refresh_token_families::account_id.eq(account.to_string()))
            .filter(refresh_token_families::revoked_at.is_null()),
    )
    .set(refresh_token_families::revoked_at.eq(naive(now)))
    .execute(conn)?)
}
