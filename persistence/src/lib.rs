//! Simpa's storage: the only crate that knows SQL. SQLite (embedded default) and PostgreSQL
//! run the same queries through one Diesel connection type; each use case runs in one
//! transaction through [`Db::read`] or [`Db::write`].

pub mod account_tokens;
pub mod accounts;
pub mod agreements;
pub mod associations;
pub mod audit;
pub mod browser_sessions;
pub mod campaigns;
mod connection;
mod convert;
mod db;
pub mod deliberations;
pub mod directory;
pub mod documents;
mod error;
pub mod final_reports;
pub mod follow_up;
pub mod grants;
pub mod history;
pub mod idempotency;
pub mod indicators;
#[cfg(feature = "recount")]
pub mod indicators_recount;
pub mod instruction;
mod json;
pub mod juries;
pub mod locks;
pub mod members;
pub mod messages;
pub mod migrations;
pub mod open_data;
pub mod outbox;
pub mod page;
pub mod reference;
pub mod reminders;
pub mod requests;
pub mod saved_filters;
pub mod schema;
pub mod service_accounts;
pub mod sso;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
pub mod webhooks;

pub use connection::{Backend, DatabaseUrl, DbConnection};
pub use db::{Db, PoolOptions, panic_message};
pub use error::{StoreError, StoreResult};
pub use page::{Keyset, Page};
