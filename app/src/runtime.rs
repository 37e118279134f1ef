//! What both front doors share to run use cases: the database behind a gate, the clock and the
//! city's time zone, password hashing bounded to the cores, and telling people. A use case
//! runs in one transaction off the async workers; callers past the pool's size wait at the
//! gate without holding a thread, and give up after the connection timeout.

use crate::clock::{CityNow, Clock};
use crate::notify::Notifier;
use crate::passwords;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use simpa_persistence::{Db, DbConnection, StoreError, StoreResult};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Why a use case did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No connection (or no hashing turn) freed up in time: worth retrying later.
    #[error("busy")]
    Busy,
    /// The use case refused, or the database failed; its transaction was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The work panicked outside a transaction (the panic hook logged it), or failed where
    /// it cannot (password hashing refused its parameters): a bug.
    #[error("a bug: the work failed")]
    Bug,
}

pub struct Runtime {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub timezone: Tz,
    /// Telling people: the e-mail templates, parsed once, and the links e-mails carry.
    pub notifier: Arc<Notifier>,
    /// How long a caller waits for a connection or a hashing turn.
    pub wait: Duration,
    /// Bounds the use cases waiting for a connection.
    gate: Semaphore,
    /// Bounds password hashing (argon2id uses 7 MiB and a core per hash), so that a burst
    /// of sign-ins queues instead of exhausting memory.
    hashing: Semaphore,
}

impl Runtime {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        timezone: Tz,
        notifier: Notifier,
        connections: usize,
        wait: Duration,
    ) -> Runtime {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Runtime {
            db,
            clock,
            timezone,
            notifier: Arc::new(notifier),
            wait,
            gate: Semaphore::new(connections),
            hashing: Semaphore::new(cores),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Now, with the city's time zone that gives its date.
    pub fn city_now(&self) -> CityNow {
        CityNow {
            at: self.now(),
            timezone: self.timezone,
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
    ) -> Result<T, RunError> {
        let db = self.db.clone();
        self.run(move || db.read(use_case)).await
    }

    /// Runs lookups that need no snapshot in common, without a transaction (see
    /// `Db::look_up`), off the async workers.
    pub async fn look_up<T: Send + 'static>(
        &self,
        lookups: impl FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    ) -> Result<T, RunError> {
        let db = self.db.clone();
        self.run(move || db.look_up(lookups)).await
    }

    /// Runs a writing use case in one transaction, off the async workers.
    pub async fn write<T: Send + 'static>(
        &self,
        use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    ) -> Result<T, RunError> {
        let db = self.db.clone();
        self.run(move || db.write(use_case)).await
    }

    /// Hashes a password for storage.
    pub async fn hash_password(&self, password: String) -> Result<String, RunError> {
        self.with_hashing(move || {
            passwords::hash(&password).map_err(|e| {
                tracing::error!(error = %e, "cannot hash a password");
                RunError::Bug
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
    ) -> Result<bool, RunError> {
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
    ) -> Result<T, RunError> {
        let _permit = tokio::time::timeout(self.wait, self.hashing.acquire())
            .await
            .map_err(|_| RunError::Busy)?
            .map_err(|_| RunError::Busy)?;
        in_this_span(job).await
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> StoreResult<T> + Send + 'static,
    ) -> Result<T, RunError> {
        let _permit = tokio::time::timeout(self.wait, self.gate.acquire())
            .await
            .map_err(|_| RunError::Busy)?
            .map_err(|_| RunError::Busy)?;
        Ok(in_this_span(job).await??)
    }
}

/// Runs `job` off the async workers, inside the caller's span: what it logs (a panic
/// included) carries the request's id.
async fn in_this_span<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RunError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(job))
        .await
        .map_err(|_| RunError::Bug)
}
