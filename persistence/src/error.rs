//! The errors of the storage layer.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use simpa_domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A business rule refused the use case; the transaction was rolled back.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database cannot be reached or is overloaded: worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused a write that the use case did not foresee.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// A write referred to a row that does not exist (any more).
    #[error("missing reference: {0}")]
    MissingReference(String),
    /// Text the database cannot store (PostgreSQL refuses the NUL character).
    #[error("text not storable: {0}")]
    UnstorableText(String),
    /// A stored value no longer parses (a bug or a manual edit).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The use case panicked (a bug): its transaction was rolled back.
    #[error("a use case panicked: {0}")]
    Panicked(String),
    /// The configuration names no usable database.
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(DieselError),
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Duplicate(info.constraint_name().unwrap_or(info.message()).to_owned())
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure,
                info,
            ) => StoreError::Unavailable(info.message().to_owned()),
            // SQLite reports a write lock held too long as a plain error.
            DieselError::DatabaseError(_, info)
                if info.message().contains("database is locked") =>
            {
                StoreError::Unavailable(info.message().to_owned())
            }
            _ => StoreError::Database(error),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(error: r2d2::Error) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

/// Shorthand for use cases.
pub type StoreResult<T> = Result<T, StoreError>;
