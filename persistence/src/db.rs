//! The pool, and the two ways a use case gets a transaction.

use crate::connection::{Backend, ConnectionManager, DatabaseUrl, DbConnection};
use crate::error::{StoreError, StoreResult};
use crate::migrations;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// Runs a use case inside its transaction; a panic in it becomes [`StoreError::Panicked`],
/// so that the transaction is rolled back and the connection goes back to the pool clean.
/// (Unwinding through diesel's `transaction` would leave the transaction open: every later
/// use case on that connection would run as a savepoint inside it, and nothing would be
/// committed again.)
fn rolled_back_on_panic<T>(
    conn: &mut DbConnection,
    use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
) -> StoreResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| use_case(conn)))
        .unwrap_or_else(|payload| Err(StoreError::Panicked(panic_message(payload.as_ref()))))
}

/// Runs a use case in a transaction that `begin` opens (one statement, which says the
/// isolation or the lock the transaction needs), committed if the use case succeeds and
/// rolled back otherwise, as diesel's `transaction` does.
fn in_transaction<T>(
    conn: &mut DbConnection,
    begin: &str,
    use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
) -> StoreResult<T> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(c, begin)?,
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, begin)?,
    }
    match rolled_back_on_panic(conn, use_case) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// What a panic said, when it said it with a string.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    /// SQLite has a single writer: writes from this process take turns here instead of
    /// failing on a lock upgrade. PostgreSQL writes run concurrently.
    sqlite_writer: Arc<Mutex<()>>,
    /// The statements run by the pool's connections since it opened.
    statements: Arc<AtomicU64>,
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
        let statements = Arc::new(AtomicU64::new(0));
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(1))
            .connection_timeout(options.connection_timeout)
            .build(ConnectionManager::new(url.clone(), statements.clone()))?;
        Ok(Db {
            pool,
            backend: url.backend(),
            sqlite_writer: Arc::new(Mutex::new(())),
            statements,
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
        let begin = match self.backend {
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            Backend::Sqlite => "BEGIN",
        };
        in_transaction(&mut *self.pool.get()?, begin, use_case)
    }

    /// Runs lookups that need no snapshot in common (each statement a lookup by key that is
    /// consistent on its own), without a transaction: two round trips fewer than `read` on
    /// PostgreSQL. Nothing run here may write.
    pub fn look_up<T>(
        &self,
        lookups: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        rolled_back_on_panic(&mut *self.pool.get()?, lookups)
    }

    /// Runs a use case that writes, in one transaction: all of it is stored, or none.
    pub fn write<T>(
        &self,
        use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        // Taken before the connection, so that the connection goes back to the pool (or is
        // discarded) before the next writer's turn.
        let _turn = match self.backend {
            Backend::Sqlite => Some(
                self.sqlite_writer
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            ),
            Backend::Postgres => None,
        };
        // SQLite's writer takes the database's write lock from the start: what it reads
        // cannot change before it writes (writers of other processes wait for it), so rows
        // need no lock of their own there.
        let begin = match self.backend {
            Backend::Postgres => "BEGIN",
            Backend::Sqlite => "BEGIN IMMEDIATE",
        };
        in_transaction(&mut *self.pool.get()?, begin, use_case)
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

    /// The statements run since the pool opened (every connection's, transactions' and the
    /// pool's checks included): what a use case costs the database, measured by difference.
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;
    use diesel::sql_types::BigInt;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// One connection only, so that a connection given back broken would serve the next use case.
    fn one_connection_db(dir: &std::path::Path) -> (Db, DatabaseUrl) {
        let url = DatabaseUrl::sqlite_in(dir);
        let options = PoolOptions {
            max_size: 1,
            ..PoolOptions::default()
        };
        let db = Db::open(&url, options).expect("open");
        db.write(|conn| Ok(conn.batch_execute("CREATE TABLE t (n BIGINT NOT NULL)")?))
            .expect("create table");
        (db, url)
    }

    fn insert(conn: &mut DbConnection, n: i64) -> StoreResult<()> {
        diesel::sql_query(format!("INSERT INTO t VALUES ({n})")).execute(conn)?;
        Ok(())
    }

    /// The rows committed, as another connection sees them.
    fn committed(url: &DatabaseUrl) -> i64 {
        let mut conn = ConnectionManager::establish(url).expect("second connection");
        diesel::sql_query("SELECT COUNT(*) AS n FROM t")
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
    }

    #[test]
    fn a_use_case_that_panics_is_rolled_back_and_later_writes_are_committed() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (db, url) = one_connection_db(dir.path());
        let panicked = db.write(|conn| -> StoreResult<()> {
            insert(conn, 1)?;
            panic!("a bug in a use case");
        });
        match panicked {
            Err(StoreError::Panicked(message)) => assert_eq!(message, "a bug in a use case"),
            other => panic!("expected Panicked, got {other:?}"),
        }
        db.write(|conn| insert(conn, 2)).expect("a later write");
        assert_eq!(committed(&url), 1, "only the later write is committed");
        assert_eq!(
            db.read(|conn| Ok(conn.batch_execute("SELECT 1")?)).ok(),
            Some(())
        );
    }

    #[test]
    fn a_connection_given_back_while_panicking_inside_a_transaction_is_discarded() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (db, url) = one_connection_db(dir.path());
        let pool = db.pool.clone();
        // A panic that escapes diesel's transaction, past `Db::write`'s own guard.
        let escaped = std::thread::spawn(move || {
            let mut conn = pool.get().expect("connection");
            let _: StoreResult<()> = (*conn).transaction(|conn| {
                insert(conn, 1)?;
                panic!("escapes the transaction");
            });
        })
        .join();
        assert!(escaped.is_err());
        db.write(|conn| insert(conn, 2)).expect("a later write");
        assert_eq!(
            committed(&url),
            1,
            "the later write ran in a fresh connection and was committed"
        );
    }
}
