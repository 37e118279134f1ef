//! The end-to-end test harness: the real application on a real port, on SQLite or on
//! PostgreSQL, driven over HTTP.
//!
//! PostgreSQL tests use `SIMPA_TEST_DATABASE_URL` (a server where databases may be created;
//! `make test` starts a throwaway one). Without it they are skipped, unless `CI` is set, in
//! which case they fail.

pub mod browser;
pub mod client;
pub mod documents;
pub mod oidc;
pub mod receiver;
pub mod smtp;

pub use client::{Reply, User};

use chrono::{DateTime, TimeDelta, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use simpa_api::Services;
use simpa_api::config::Config;
use simpa_app::clock::{Clock, SystemClock};
use simpa_persistence::Db;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tempfile::TempDir;

/// The signing secret of test servers, so that tests can forge tokens on purpose.
pub const JWT_SECRET: &str = "test-secret-of-at-least-thirty-two-bytes";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn postgres_admin_url() -> Option<String> {
    std::env::var("SIMPA_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether the tests run in CI: any `CI` value but empty, `false` or `0`.
fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|ci| !matches!(ci.trim().to_lowercase().as_str(), "" | "false" | "0"))
}

/// The `frictionless` Table Schema validator `make test` installs (`SIMPA_FRICTIONLESS`),
/// if it is there. Under CI, a missing one is a failure.
pub fn frictionless() -> Option<std::path::PathBuf> {
    installed_tool("SIMPA_FRICTIONLESS", "the open data cannot go unvalidated")
}

/// The `schemathesis` contract fuzzer `make test` installs (`SIMPA_SCHEMATHESIS`), if it is
/// there. Under CI, a missing one is a failure.
pub fn schemathesis() -> Option<std::path::PathBuf> {
    installed_tool("SIMPA_SCHEMATHESIS", "the API contract cannot go unfuzzed")
}

/// A program `make test` installs, named by the variable `var`.
pub(crate) fn installed_tool(var: &str, why_required: &str) -> Option<std::path::PathBuf> {
    match std::env::var_os(var).filter(|p| !p.is_empty()) {
        Some(path) => Some(path.into()),
        None => {
            assert!(!in_ci(), "CI is set but {var} is not: {why_required} in CI");
            eprintln!("skipped: set {var} (make test does it)");
            None
        }
    }
}

/// Whether tests can run on this backend here. Under CI, a missing PostgreSQL is a failure.
pub fn available(backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => true,
        Backend::Postgres if postgres_admin_url().is_some() => true,
        Backend::Postgres => {
            assert!(
                !in_ci(),
                "CI is set but SIMPA_TEST_DATABASE_URL is not: PostgreSQL tests cannot be skipped in CI"
            );
            eprintln!("PostgreSQL tests skipped: set SIMPA_TEST_DATABASE_URL (make test does it)");
            false
        }
    }
}

/// Declares each listed test body (a `fn(Backend)`) once per backend:
/// `sqlite::<name>` and `postgres::<name>`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { if $crate::available($crate::Backend::Postgres) { super::$name($crate::Backend::Postgres) } } )*
        }
    };
}

/// The test servers' clock: the system's, moved forward on demand (days asked of an
/// association, deadlines), never back.
#[derive(Default)]
pub struct TestClock {
    ahead: Mutex<TimeDelta>,
}

impl TestClock {
    pub fn advance(&self, by: TimeDelta) {
        let mut ahead = self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        *ahead += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let ahead = *self.ahead.lock().unwrap_or_else(|p| p.into_inner());
        SystemClock.now() + ahead
    }
}

/// A running application with its own empty database.
pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub clock: Arc<TestClock>,
    /// The application's database, to check what was persisted.
    pub db: Db,
    /// What the application shares, to run its jobs from a test.
    pub services: Services,
    http: reqwest::blocking::Client,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
    postgres_database: Option<PostgresDatabase>,
    data_dir: Option<TempDir>,
    env: HashMap<String, String>,
}

impl TestApp {
    pub fn start(backend: Backend) -> TestApp {
        TestApp::start_with(backend, &[])
    }

    /// Starts with extra configuration variables (`SIMPA_LOGIN_MAX_FAILURES`…).
    pub fn start_with(backend: Backend, vars: &[(&str, &str)]) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let mut env: HashMap<String, String> = HashMap::from([
            (
                "SIMPA_DATA_DIR".into(),
                data_dir.path().display().to_string(),
            ),
            ("SIMPA_JWT_SECRET".into(), JWT_SECRET.into()),
            ("SIMPA_DB_POOL_SIZE".into(), "4".into()),
            // Tests run the daily jobs themselves, at the time they choose.
            ("SIMPA_DAILY_AT".into(), "off".into()),
            // Staff sign in with their password alone but in the tests of the second factor,
            // which turn it on (as it is by default).
            ("SIMPA_STAFF_TWO_FACTOR".into(), "off".into()),
            // Every test registers its people from one address, many at once.
            ("SIMPA_REGISTRATIONS_PER_ADDRESS".into(), "100000".into()),
        ]);
        let postgres_database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let database = PostgresDatabase::create();
                env.insert("DATABASE_URL".into(), database.url());
                Some(database)
            }
        };
        for (key, value) in vars {
            env.insert((*key).into(), (*value).into());
        }
        TestApp::run(
            backend,
            env,
            data_dir,
            postgres_database,
            Arc::new(TestClock::default()),
        )
    }

    /// Runs one SQL statement straight on the database, past the application (to tamper with
    /// it, or to set up what no route does); returns the rows it changed.
    pub fn execute_sql(&self, sql: String) -> simpa_persistence::StoreResult<usize> {
        self.db.write(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(sql)
                .execute(conn)
                .map_err(simpa_persistence::StoreError::from)
        })
    }

    /// A connection of its own to the application's database (a pool of one, apart from the
    /// application's): what it reads was committed.
    pub fn second_connection(&self) -> Db {
        let options = simpa_persistence::PoolOptions {
            max_size: 1,
            ..Default::default()
        };
        Db::open(&self.services.state.config.database_url, options).expect("a second connection")
    }

    /// Stops the application abruptly (as a killed process would, but for its files and
    /// database) and starts it again on the same data.
    pub fn restart(mut self) -> TestApp {
        let (backend, env, clock) = (self.backend, self.env.clone(), self.clock.clone());
        let data_dir = self.data_dir.take().expect("data directory");
        let postgres_database = self.postgres_database.take();
        drop(self);
        TestApp::run(backend, env, data_dir, postgres_database, clock)
    }

    /// Restarts with these configuration variables changed.
    pub fn restart_with(mut self, vars: &[(&str, &str)]) -> TestApp {
        for (key, value) in vars {
            self.env.insert((*key).into(), (*value).into());
        }
        self.restart()
    }

    fn run(
        backend: Backend,
        env: HashMap<String, String>,
        data_dir: TempDir,
        postgres_database: Option<PostgresDatabase>,
        clock: Arc<TestClock>,
    ) -> TestApp {
        let config =
            Config::from_lookup(|name| env.get(name).cloned()).expect("test configuration");
        let mut services = Services::start(config, clock.clone()).expect("start the application");
        simpa_server::mount_portal(&mut services).expect("the portal");
        let db = services.state.db.clone();
        let serving = services.clone();
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let background = simpa_api::start_background(&serving);
                let listener =
                    std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
                let address = listener.local_addr().expect("its address");
                let options = simpa_api::server::ServerOptions {
                    workers: Some(2),
                    signals: false,
                };
                let server =
                    simpa_api::server::serve(serving.clone(), listener, options).expect("serve");
                sender
                    .send((address, server.handle()))
                    .expect("report the address");
                server.await.expect("server ran");
                background.stop().await;
            })
        });
        let (address, handle) = receiver.recv().expect("server started");
        let http = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(60))
            // The server closes a connection idle for 5 s: one idle for 2 s is not reused,
            // so that a request never races its close (hyper's IncompleteMessage).
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .expect("HTTP client");
        TestApp {
            base: format!("http://{address}"),
            backend,
            clock,
            db,
            services,
            http,
            handle,
            thread: Some(thread),
            postgres_database,
            data_dir: Some(data_dir),
            env,
        }
    }

    /// Today in the city, by the application's clock (which tests move forward): what the
    /// server calls today, which is not the UTC date an hour or two before midnight.
    pub fn today(&self) -> chrono::NaiveDate {
        self.services.state.today()
    }

    /// The application's data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.as_ref().expect("data directory").path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every file in the document store, blobs and incoming files alike.
    pub fn stored_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .flat_map(|e| {
                            if e.path().is_dir() {
                                walk(&e.path())
                            } else {
                                vec![e.path()]
                            }
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
        walk(&self.data_dir().join("blobs"))
    }
}

fn database_url(admin: &str, name: &str) -> String {
    match admin.rfind('/') {
        Some(slash) if slash > "postgres://".len() => format!("{}/{name}", &admin[..slash]),
        _ => format!("{admin}/{name}"),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // The PostgreSQL database, if any, is dropped after the server stopped.
        self.postgres_database.take();
    }
}

/// A PostgreSQL database of its own on the test server, dropped with this value.
pub struct PostgresDatabase {
    admin: String,
    name: String,
}

impl PostgresDatabase {
    pub fn create() -> PostgresDatabase {
        let admin = postgres_admin_url().expect("SIMPA_TEST_DATABASE_URL");
        let name = format!("simpa_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn =
            PgConnection::establish(&admin).expect("connect to the test PostgreSQL server");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create a test database");
        PostgresDatabase { admin, name }
    }

    pub fn url(&self) -> String {
        database_url(&self.admin, &self.name)
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// An empty migrated database of its own, without a server: for the tests of queries where
/// they live (`persistence/tests`).
pub struct TestDb {
    pub db: Db,
    pub backend: Backend,
    // Dropped after `db`: the pool's connections close before the database goes.
    _postgres: Option<PostgresDatabase>,
    _dir: TempDir,
}

impl TestDb {
    pub fn create(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (url, postgres) = match backend {
            Backend::Sqlite => (simpa_persistence::DatabaseUrl::sqlite_in(dir.path()), None),
            Backend::Postgres => {
                let database = PostgresDatabase::create();
                let url = simpa_persistence::DatabaseUrl::parse(&database.url()).expect("its URL");
                (url, Some(database))
            }
        };
        let options = simpa_persistence::PoolOptions {
            max_size: 8,
            ..simpa_persistence::PoolOptions::default()
        };
        let db = Db::open(&url, options).expect("open the test database");
        db.migrate().expect("migrate the test database");
        TestDb {
            db,
            backend,
            _postgres: postgres,
            _dir: dir,
        }
    }
}
