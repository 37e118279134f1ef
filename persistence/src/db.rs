//! The pool, and the two ways a use case gets a transaction.

use crate::connection::{Backend, ConnectionManager, DatabaseUrl, DbConnection};
use crate::error::{StoreError, StoreResult};
use crate::migrations;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a use case waits for a free connection before the database counts as unavailable.
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 10,
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    /// SQLite has a single writer: writes from this process take turns here instead of
    /// failing on a lock upgrade. PostgreSQL writes run concurrently.
    sqlite_writer: Arc<Mutex<()>>,
}

impl Db {
    /// Opens the pool. A SQLite file and its directory are created if missing, in WAL mode.
    pub fn open(url: &DatabaseUrl, options: PoolOptions) -> StoreResult<Db> {
        if let DatabaseUrl::Sqlite(path) = url {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Config(format!(
                        "cannot create the directory {}: {e}",
                        parent.display()
                    ))
                })?;
            }
            // Set once before the pool exists: setting it per pooled connection deadlocks.
            ConnectionManager::establish(url)?.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(1))
            .connection_timeout(options.connection_timeout)
            .build(ConnectionManager::new(url.clone()))?;
        Ok(Db {
            pool,
            backend: url.backend(),
            sqlite_writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the pending embedded migrations; returns the versions applied.
    pub fn migrate(&self) -> StoreResult<Vec<String>> {
        migrations::run_pending(&mut *self.pool.get()?)
    }

    /// Runs a use case that only reads, in one transaction that sees one consistent snapshot
    /// (PostgreSQL's default, read committed, would let each statement see later commits).
    pub fn read<T>(
        &self,
        use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.pool.get()?;
        (*conn).transaction(|conn| {
            if let DbConnection::Postgres(_) = conn {
                conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            }
            use_case(conn)
        })
    }

    /// Runs a use case that writes, in one transaction: all of it is stored, or none.
    pub fn write<T>(
        &self,
        use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.pool.get()?;
        let _turn = match self.backend {
            Backend::Sqlite => Some(
                self.sqlite_writer
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            ),
            Backend::Postgres => None,
        };
        (*conn).transaction(use_case)
    }

    /// After a bulk load: refreshes the planner's statistics and, on PostgreSQL, the
    /// visibility map that lets index-only scans skip the table (what autovacuum would do, a
    /// while later).
    pub fn refresh_statistics(&self) -> StoreResult<()> {
        let mut conn = self.pool.get()?;
        match self.backend {
            // And the write-ahead log, grown by the load, folded back into the database.
            Backend::Sqlite => conn.batch_execute("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);"),
            Backend::Postgres => conn.batch_execute("VACUUM ANALYZE"),
        }
        .map_err(StoreError::from)
    }

    /// Copies the embedded database into a new file, consistent and while it serves
    /// (SQLite's `VACUUM INTO`: one read transaction, writers go on). PostgreSQL is backed up
    /// with its own tools (`pg_dump`).
    pub fn backup_into(&self, target: &std::path::Path) -> StoreResult<()> {
        if self.backend == Backend::Postgres {
            return Err(StoreError::Config(
                "a PostgreSQL database is backed up with pg_dump (see the README)".into(),
            ));
        }
        if target.exists() {
            return Err(StoreError::Config(format!(
                "{} exists: a backup goes to a new file",
                target.display()
            )));
        }
        let path = target
            .to_str()
            .ok_or_else(|| StoreError::Config("the backup's path is not UTF-8".into()))?;
        self.pool
            .get()?
            .batch_execute(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
            .map_err(StoreError::from)
    }

    /// The pool's connections: open, and idle among them.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Checks that the database answers.
    pub fn ping(&self) -> StoreResult<()> {
        self.pool
            .get()?
            .batch_execute("SELECT 1")
            .map_err(StoreError::from)
    }
}
