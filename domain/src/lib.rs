//! Simpa's business rules, as plain Rust: value types that are valid once built, the roles of
//! the people who use Simpa, and the one access policy every handler asks.
//!
//! Nothing here does I/O, reads the clock or draws random numbers: callers pass `now` and ids.

mod coded;

pub mod account;
pub mod association;
pub mod contact;
pub mod document;
pub mod error;
pub mod iban;
pub mod ids;
pub mod policy;
pub mod postal_code;
pub mod reference;
pub mod rna;
pub mod roles;
pub mod search;
pub mod siret;
pub mod throttle;

pub use error::{Checks, DomainError, FieldError, Violation};
