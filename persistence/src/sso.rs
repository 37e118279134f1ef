//! Single sign-on: the sign-ins started at the identity provider (used once), and the
//! provider's subjects linked to accounts.

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::StoreResult;
use crate::schema::{sso_identities, sso_logins};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::ids::AccountId;
use uuid::Uuid;

/// A sign-in started at the provider, as stored.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub id: Uuid,
    pub nonce: String,
    pub code_verifier: String,
    pub created_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Keeps a sign-in started at the provider, found again by its state's hash.
pub fn start(
    conn: &mut DbConnection,
    state_hash: &str,
    nonce: &str,
    code_verifier: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(sso_logins::table)
        .values((
            sso_logins::id.eq(Uuid::now_v7().to_string()),
            sso_logins::state_hash.eq(state_hash),
            sso_logins::nonce.eq(nonce),
            sso_logins::code_verifier.eq(code_verifier),
            sso_logins::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets the sign-ins started before `before` (used or abandoned).
pub fn forget_before(conn: &mut DbConnection, before: DateTime<Utc>) -> StoreResult<usize> {
    Ok(
        diesel::delete(sso_logins::table.filter(sso_logins::created_at.lt(naive(before))))
            .execute(conn)?,
    )
}

/// The sign-in of this state's hash, if any.
pub fn find(conn: &mut DbConnection, state_hash: &str) -> StoreResult<Option<PendingLogin>> {
    let row: Option<(String, String, String, NaiveDateTime, Option<NaiveDateTime>)> =
        sso_logins::table
            .filter(sso_logins::state_hash.eq(state_hash))
            .select((
                sso_logins::id,
                sso_logins::nonce,
                sso_logins::code_verifier,
                sso_logins::created_at,
                sso_logins::used_at,
            ))
            .first(conn)
            .optional()?;
    row.map(|(id, nonce, code_verifier, created_at, used_at)| {
        Ok(PendingLogin {
            id: parse("sso_logins.id", &id)?,
            nonce,
            code_verifier,
            created_at: utc(created_at),
            used_at: used_at.map(utc),
        })
    })
    .transpose()
}

/// Uses the sign-in up; `false` when it was already (the same answer presented twice).
pub fn use_up(conn: &mut DbConnection, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    let used = diesel::update(
        sso_logins::table
            .find(id.to_string())
            .filter(sso_logins::used_at.is_null()),
    )
    .set(sso_logins::used_at.eq(naive(now)))
    .execute(conn)?;
    Ok(used > 0)
}

/// The account the provider's subject is linked to.
pub fn linked_account(
    conn: &mut DbConnection,
    issuer: &str,
    subject: &str,
) -> StoreResult<Option<AccountId>> {
    sso_identities::table
        .find((issuer, subject))
        .select(sso_identities::account_id)
        .first::<String>(conn)
        .optional()?
        .map(|id| parse("sso_identities.account_id", &id))
        .transpose()
}

/// Links the provider's subject to an account.
pub fn link(
    conn: &mut DbConnection,
    issuer: &str,
    subject: &str,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(sso_identities::table)
        .values((
            sso_identities::issuer.eq(issuer),
            sso_identities::subject.eq(subject),
            sso_identities::account_id.eq(account.to_string()),
            sso_identities::linked_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the account is linked to an identity of this provider already.
pub fn has_identity(
    conn: &mut DbConnection,
    issuer: &str,
    account: AccountId,
) -> StoreResult<bool> {
    let linked: i64 = sso_identities::table
        .filter(sso_identities::issuer.eq(issuer))
        .filter(sso_identities::account_id.eq(account.to_string()))
        .count()
        .get_result(conn)?;
    Ok(linked > 0)
}
