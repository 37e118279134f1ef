//! Simpa's business rules, as plain Rust: value types that are valid once built, the roles of
//! the people who use Simpa, and the one access policy every handler asks.
//!
//! Nothing here does I/O, reads the clock or draws random numbers: callers pass `now` and ids.

// Amounts in tests are written euros_cents: 4_000_00 is 4,000.00 €.
#![cfg_attr(test, allow(clippy::inconsistent_digit_grouping))]

mod coded;

pub mod account;
pub mod agreement;
pub mod association;
pub mod audit;
pub mod budget;
pub mod campaign;
pub mod circuit;
pub mod contact;
pub mod conversation;
pub mod council;
pub mod deliberation;
pub mod digest;
pub mod document;
pub mod error;
pub mod feed;
pub mod final_report;
pub mod french;
pub mod funding;
pub mod history;
pub mod iban;
pub mod ids;
pub mod indicators;
pub mod jury;
pub mod life;
pub mod listing;
pub mod money;
pub mod notification;
pub mod open_data;
pub mod outbox;
pub mod parties;
pub mod policy;
pub mod postal_code;
pub mod reachable;
pub mod reference;
pub mod request;
pub mod rna;
pub mod roles;
pub mod saved_filter;
pub mod scoring;
pub mod search;
pub mod siret;
pub mod sso;
pub mod text;
pub mod theme;
pub mod throttle;
pub mod tracking;
pub mod two_factor;

pub use error::{Checks, DomainError, FieldError, Violation, existed};
