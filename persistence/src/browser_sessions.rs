//! The portal's sessions, found by the hash of their cookie's token: signed in, each belongs
//! to a sign-in (a family of `tokens`, revoked with it); while the second factor's code is
//! awaited, it has none.

use crate::DbConnection;
use crate::connection::on_each_backend;
use crate::convert::{naive, parse, utc};
use crate::error::StoreResult;
use crate::schema::{accounts, browser_sessions, refresh_token_families, staff_roles};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use simpa_domain::account::BrowserSessionState;
use simpa_domain::ids::AccountId;
use uuid::Uuid;

/// A session as found by its cookie.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    pub account: AccountId,
    /// Its sign-in; `None` while the second factor's code is awaited.
    pub family: Option<Uuid>,
    pub state: BrowserSessionState,
    /// Whether its sign-in proved more than a password.
    pub strong: bool,
    /// Whether its person holds a staff role (else no second factor is ever required).
    pub staff: bool,
}

/// Stores a new session of `account` (of the sign-in `family`, or awaiting a code), good until
/// `expires_at`.
pub fn insert(
    conn: &mut DbConnection,
    token_hash: &str,
    account: AccountId,
    family: Option<Uuid>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(browser_sessions::table)
        .values((
            browser_sessions::token_hash.eq(token_hash),
            browser_sessions::account_id.eq(account.to_string()),
            browser_sessions::family_id.eq(family.map(|f| f.to_string())),
            browser_sessions::created_at.eq(naive(now)),
            browser_sessions::expires_at.eq(naive(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

type Row = (
    String,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<bool>,
    bool,
    bool,
);

/// The session of this hash, if any; a disabled account's counts as revoked.
pub fn find(conn: &mut DbConnection, token_hash: &str) -> StoreResult<Option<BrowserSession>> {
    // Read at each page a person opens: on the backend's own connection (see
    // `connection::on_each_backend`).
    let row: Option<Row> = on_each_backend!(&mut *conn, c => {
        browser_sessions::table
            .inner_join(accounts::table)
            .left_join(refresh_token_families::table)
            .filter(browser_sessions::token_hash.eq(token_hash))
            .select((
                browser_sessions::account_id,
                browser_sessions::family_id,
                browser_sessions::expires_at,
                refresh_token_families::last_used_at.nullable(),
                refresh_token_families::revoked_at.nullable(),
                refresh_token_families::strong.nullable(),
                accounts::active,
                exists(
                    staff_roles::table
                        .filter(staff_roles::account_id.eq(browser_sessions::account_id)),
                ),
            ))
            .first(c)
            .optional()
    })?;
    row.map(
        |(account, family, expires_at, last_used_at, revoked_at, strong, active, staff)| {
            let family = family
                .map(|f| parse("browser_sessions.family_id", &f))
                .transpose()?;
            Ok(BrowserSession {
                account: parse("browser_sessions.account_id", &account)?,
                state: BrowserSessionState {
                    expires_at: utc(expires_at),
                    last_used_at: last_used_at.map(utc),
                    revoked: revoked_at.is_some() || !active,
                },
                family,
                strong: strong.unwrap_or(false),
                staff,
            })
        },
    )
    .transpose()
}

/// Forgets a session (signed out, or its code step done).
pub fn delete(conn: &mut DbConnection, token_hash: &str) -> StoreResult<()> {
    diesel::delete(browser_sessions::table.find(token_hash)).execute(conn)?;
    Ok(())
}
