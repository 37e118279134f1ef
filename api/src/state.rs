//! What every handler shares: the runtime of use cases (database, clock, hashing, notices),
//! the configuration.

use crate::config::Config;
use crate::problem::Problem;
use simpa_app::clock::Clock;
use simpa_app::notify::{Notifier, Templates};
use simpa_app::runtime::Runtime;
use simpa_persistence::{Db, DbConnection, StoreResult};
use std::sync::Arc;

pub struct AppState {
    /// What the portal shares: the database behind its gate, the clock, hashing, telling
    /// people (the fields read through `Deref`).
    pub runtime: Arc<Runtime>,
    pub config: Config,
    /// The city's identity provider, when single sign-on is configured (`SIMPA_OIDC_*`).
    pub oidc: Option<simpa_app::oidc::OidcClient>,
    /// Faults the end-to-end tests arm on this node.
    #[cfg(feature = "faults")]
    pub faults: Faults,
}

impl std::ops::Deref for AppState {
    type Target = Runtime;

    fn deref(&self) -> &Runtime {
        &self.runtime
    }
}

impl AppState {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        config: Config,
        templates: Templates,
        oidc: Option<simpa_app::oidc::OidcClient>,
    ) -> AppState {
        let notifier = Notifier {
            templates: templates.linking_to(&config.mail.account_links),
            link: config.mail.request_link.clone(),
            accounts: config.mail.account_links.clone(),
            timezone: config.timezone,
        };
        let runtime = Runtime::new(
            db,
            clock,
            config.timezone,
            notifier,
            config.pool.max_size as usize,
            config.pool.connection_timeout,
        );
        AppState {
            runtime: Arc::new(runtime),
            oidc,
            config,
            #[cfg(feature = "faults")]
            faults: Default::default(),
        }
    }

    /// Runs a reading use case in one transaction, off the async workers.
    pub async fn read<T: Send + 'static>(
        &self,
        use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    ) -> Result<T, Problem> {
        Ok(self.runtime.read(use_case).await?)
    }

    /// Runs lookups that need no snapshot in common, without a transaction (see
    /// `Db::look_up`), off the async workers.
    pub async fn look_up<T: Send + 'static>(
        &self,
        lookups: impl FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    ) -> Result<T, Problem> {
        Ok(self.runtime.look_up(lookups).await?)
    }

    /// Runs a writing use case in one transaction, off the async workers. When values of the
    /// call's body were refused and stand-ins took their place, the use case is only judged
    /// (for the rules the other fields break) and nothing is kept.
    pub async fn write<T: Send + 'static>(
        &self,
        use_case: impl FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
    ) -> Result<T, Problem> {
        if crate::input::refused_in_this_call() {
            let judged = self
                .runtime
                .write(move |conn| -> StoreResult<()> {
                    use_case(conn)?;
                    Err(simpa_domain::DomainError::Invalid(Vec::new()).into())
                })
                .await;
            return Err(judged
                .err()
                .map_or_else(|| Problem::invalid(Vec::new()), Problem::from));
        }
        Ok(self.runtime.write(use_case).await?)
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

    /// Hashes a password for storage.
    pub async fn hash_password(&self, password: String) -> Result<String, Problem> {
        Ok(self.runtime.hash_password(password).await?)
    }

    /// Whether `password` matches the stored hash (see [`Runtime::verify_password`]).
    pub async fn verify_password(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, Problem> {
        Ok(self.runtime.verify_password(password, stored).await?)
    }
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
