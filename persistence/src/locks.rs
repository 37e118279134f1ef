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
        let mut sorted = names.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        for name in sorted {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<diesel::sql_types::Text, _>(name)
                .execute(pg)?;
        }
    }
    Ok(())
}
