//! Idempotency keys of creating POSTs: the first answer is kept and given again to a retry.

use crate::DbConnection;
use crate::convert::naive;
use crate::error::StoreResult;
use crate::schema::idempotency_keys;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The answer given the first time a key was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub operation: String,
    pub request_hash: String,
    pub status: u16,
    /// JSON array of `[name, value]` pairs.
    pub headers: String,
    pub body: String,
}

pub fn find(
    conn: &mut DbConnection,
    owner: &str,
    key: &str,
) -> StoreResult<Option<StoredResponse>> {
    let row: Option<(String, String, i32, String, String)> = idempotency_keys::table
        .find((owner, key))
        .select((
            idempotency_keys::operation,
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::response_headers,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(operation, request_hash, status, headers, body)| StoredResponse {
            operation,
            request_hash,
            status: u16::try_from(status).unwrap_or(500),
            headers,
            body,
        },
    ))
}

/// Keeps the answer. Written in the same transaction as what the call created, so a key is
/// recorded if and only if the creation happened.
pub fn store(
    conn: &mut DbConnection,
    owner: &str,
    key: &str,
    response: &StoredResponse,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::account_id.eq(owner),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::operation.eq(&response.operation),
            idempotency_keys::request_hash.eq(&response.request_hash),
            idempotency_keys::status.eq(i32::from(response.status)),
            idempotency_keys::response_headers.eq(&response.headers),
            idempotency_keys::response_body.eq(&response.body),
            idempotency_keys::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}
