//! Migrations for both backends, embedded in the binary.

use crate::connection::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::schema::backfills;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any fixed number: the advisory lock that keeps two nodes from migrating at once.
const MIGRATION_LOCK: i64 = 0x5349_4d50_4100;

/// Runs the migrations not yet run, then what they left to the application (the
/// `backfills`), one node at a time on PostgreSQL.
pub fn run_pending(conn: &mut DbConnection) -> StoreResult<Vec<String>> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
        StoreError::Config(format!("migration failed: {e}"))
    };
    let names = |versions: Vec<diesel::migration::MigrationVersion<'_>>| {
        versions.iter().map(ToString::to_string).collect()
    };
    let postgres = matches!(conn, DbConnection::Postgres(_));
    if postgres {
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
    }
    let result = match &mut *conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map(names),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES).map(names),
    }
    .map_err(failed)
    .and_then(|applied| {
        run_backfills(conn)?;
        Ok(applied)
    });
    if postgres {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
    }
    result
}

/// Takes the last migration back (its `down.sql`): its name. For the tests of what a
/// migration fills in on data that was there before it.
pub fn revert_last(conn: &mut DbConnection) -> StoreResult<String> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
        StoreError::Config(format!("reverting a migration failed: {e}"))
    };
    let version = match conn {
        DbConnection::Sqlite(conn) => conn.revert_last_migration(SQLITE),
        DbConnection::Postgres(conn) => conn.revert_last_migration(POSTGRES),
    };
    version.map(|v| v.to_string()).map_err(failed)
}

/// Does what the migrations left to the application (see `backfills`), each in one
/// transaction with the removal of its mark.
pub(crate) fn run_backfills(conn: &mut DbConnection) -> StoreResult<()> {
    let pending: Vec<String> = backfills::table.select(backfills::name).load(conn)?;
    for name in pending {
        conn.transaction(|conn| {
            match name.as_str() {
                "request_figures" => crate::indicators::backfill(conn)?,
                "association_terms" => crate::associations::backfill_name_terms(conn)?,
                other => return Err(StoreError::Config(format!("unknown backfill {other}"))),
            }
            diesel::delete(backfills::table.find(&name)).execute(conn)?;
            Ok::<_, StoreError>(())
        })?;
    }
    Ok(())
}
