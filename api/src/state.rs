//! What every handler shares: the database, the clock, the configuration.

use crate::config::Config;
use crate::problem::Problem;
use actix_web::web;
use chrono::{DateTime, NaiveDate, Utc};
use simpa_app::clock::{CityNow, Clock};
use simpa_app::notify::{Notifier, Templates};
use simpa_app::passwords;
use simpa_persistence::{Db, DbConnection, StoreResult};
use std::sync::Arc;
use tokio::sync::Semaphore;

pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    /// Telling people: the e-mail templates, parsed once, and the link e-mails carry.
    pub notifier: Arc<Notifier>,
    /// Bounds the use cases waiting for a connection: past the pool's size they wait here,
    /// without holding a thread, and give up with 503 after the connection timeout.
    gate: Semaphore,
    /// Bounds password hashing (argon2id uses ~19 MiB and a core per hash), so that a burst
    /// of sign-ins queues instead of exhausting memory.
    hashing: Semaphore,
    /// Bounds the uploads received at once: each holds a writer task until its last byte.
    uploads: Semaphore,
    /// The city's identity provider, when single sign-on is configured (`SIMPA_OIDC_*`).
    pub oidc: Option<simpa_app::oidc::OidcClient>,
    /// Faults the end-to-end tests arm on this node.
    #[cfg(feature = "faults")]
    pub faults: Faults,
}

impl AppState {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        config: Config,
        templates: Templates,
        oidc: Option<simpa_app::oidc::OidcClient>,
    ) -> AppState {
        let permits = config.pool.max_size as usize;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let uploads = Semaphore::new(config.max_concurrent_uploads);
        AppState {
            oidc,
            notifier: Arc::new(Notifier {
                templates,
                link: config.mail.request_link.clone(),
                accounts: config.mail.account_links.clone(),
            }),
            db,
            clock,
            config,
            gate: Semaphore::new(permits),
            hashing: Semaphore::new(cores),
            uploads,
            #[cfg(feature = "faults")]
            faults: Default::default(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Now, with the city's time zone that gives its date.
    pub fn city_now(&self) -> CityNow {
        CityNow {
            at: self.now(),
            timezone: self.config.timezone,
        }
    }

    /// Today's date in the city's time zone.
    pub fn today(&self) -> NaiveDate {
        self.city_now().today()
    }

    /// Runs a reading use case in one transaction, off the async workers.
    pub async fn read<T: Send + 'static>(
        &self,
        use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    ) -> Result<T, Problem> {
        let db = self.db.clone();
        self.run(move || db.read(use_case)).await
    }

    /// Runs a writing use case in one transaction, off the async workers.
    pub async fn write<T: Send + 'static>(
        &self,
        use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    ) -> Result<T, Problem> {
        let db = self.db.clone();
        self.run(move || db.write(use_case)).await
    }

    /// Records an audit event that goes with no other change (a refused sign-in, an export),
    /// in a transaction of its own.
    pub async fn audit(
        &self,
        event: simpa_persistence::audit::NewAuditEvent,
    ) -> Result<(), Problem> {
        let now = self.now();
        self.write(move |conn| simpa_persistence::audit::record(conn, &event, now))
            .await
    }

    /// A place among the uploads received at once; 503 when none frees up in time.
    pub async fn upload_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Problem> {
        tokio::time::timeout(self.config.pool.connection_timeout, self.uploads.acquire())
            .await
            .map_err(|_| Problem::unavailable())?
            .map_err(|_| Problem::unavailable())
    }

    /// Hashes a password for storage.
    pub async fn hash_password(&self, password: String) -> Result<String, Problem> {
        self.with_hashing(move || {
            passwords::hash(&password).map_err(|e| {
                tracing::error!(error = %e, "cannot hash a password");
                Problem::internal()
            })
        })
        .await?
    }

    /// Whether `password` matches the stored hash; with no hash (unknown account), spends the
    /// same time and answers no, so that timing does not tell which accounts exist.
    pub async fn verify_password(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, Problem> {
        self.with_hashing(move || match stored {
            Some(stored) => passwords::verify(&password, &stored),
            None => {
                passwords::verify_nothing(&password);
                false
            }
        })
        .await
    }

    async fn with_hashing<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Problem> {
        let _permit =
            tokio::time::timeout(self.config.pool.connection_timeout, self.hashing.acquire())
                .await
                .map_err(|_| Problem::unavailable())?
                .map_err(|_| Problem::unavailable())?;
        Ok(in_this_span(job).await?)
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> StoreResult<T> + Send + 'static,
    ) -> Result<T, Problem> {
        let _permit =
            tokio::time::timeout(self.config.pool.connection_timeout, self.gate.acquire())
                .await
                .map_err(|_| Problem::unavailable())?
                .map_err(|_| Problem::unavailable())?;
        Ok(in_this_span(job).await??)
    }
}

/// Runs `job` off the async workers, inside the caller's span: what it logs (a panic
/// included) carries the request's id.
async fn in_this_span<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, actix_web::error::BlockingError> {
    let span = tracing::Span::current();
    web::block(move || span.in_scope(job)).await
}

/// The faults the end-to-end tests armed on one node (see `faults.rs`).
#[cfg(feature = "faults")]
#[derive(Default)]
pub struct Faults {
    pub worker_panics: std::sync::atomic::AtomicBool,
}

#[cfg(feature = "faults")]
impl Faults {
    /// Whether the worker's round must panic now (once per time it was armed).
    pub fn worker_must_panic(&self) -> bool {
        self.worker_panics
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }
}
