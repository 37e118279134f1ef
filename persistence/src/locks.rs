//! Named locks held until the transaction ends, for use cases that must take turns without a
//! row to lock (counting sign-in attempts, an idempotency key not stored yet).

use crate::DbConnection;
use crate::error::StoreResult;
use diesel::RunQueryDsl;

/// Makes concurrent transactions that lock any of the same names take turns until they end.
/// PostgreSQL takes a transaction-level advisory lock per name, in a fixed order so that two
/// callers never wait on each other; SQLite needs nothing, its writers already take turns.
pub fn lock_names(conn: &mut DbConnection, names: &[&str]) -> StoreResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        let mut sorted: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        sorted.sort_unstable();
        sorted.dedup();
        // One statement, whatever the number of names, taken in their sorted order (unnest
        // keeps the array's).
        diesel::sql_query(
            "SELECT pg_advisory_xact_lock(hashtextextended(name, 0)) FROM unnest($1::text[]) AS name",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(sorted)
        .execute(pg)?;
    }
    Ok(())
}

/// Makes votes that open grants for the same associations take turns: each reads the grants
/// of the twelve months before, which the other may be adding.
pub fn lock_associations(
    conn: &mut DbConnection,
    associations: &[simpa_domain::ids::AssociationId],
) -> StoreResult<()> {
    let names: Vec<String> = associations
        .iter()
        .map(|a| format!("grants-of:{a}"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    lock_names(conn, &names)
}
