//! The errors of the storage layer.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use simpa_domain::DomainError;
use std::panic::Location;

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
    /// What the database answered that no use case foresees.
    #[error("database error {at}: {error}")]
    Database { error: DieselError, at: Step },
}

/// Where a database error arose: the use case running (its tracing span, see `simpa_app`)
/// and the statement's place in the code.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub use_case: &'static str,
    pub code: &'static Location<'static>,
}

impl Step {
    /// The step of the caller, in the use case whose span is current.
    #[track_caller]
    pub fn here() -> Step {
        Step {
            use_case: tracing::Span::current()
                .metadata()
                .map_or("(no use case)", |m| m.name()),
            code: Location::caller(),
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "in {} at {}", self.use_case, self.code)
    }
}

impl From<DieselError> for StoreError {
    /// Through `?`, the step is where the `?` stands.
    #[track_caller]
    fn from(error: DieselError) -> Self {
        let at = Step::here();
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let constraint = info.constraint_name().unwrap_or(info.message());
                StoreError::Duplicate(format!("{constraint} ({at})"))
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure,
                info,
            ) => StoreError::Unavailable(format!("{} ({at})", info.message())),
            // SQLite reports a write lock held too long as a plain error.
            DieselError::DatabaseError(_, info)
                if info.message().contains("database is locked") =>
            {
                StoreError::Unavailable(format!("{} ({at})", info.message()))
            }
            _ => StoreError::Database { error, at },
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

    fn failing_step(conn: &mut SqliteConnection) -> StoreResult<usize> {
        Ok(diesel::sql_query("SELECT * FROM no_such_table").execute(conn)?)
    }

    #[test]
    fn a_database_error_names_its_use_case_and_its_step() {
        let mut conn = SqliteConnection::establish(":memory:").expect("an in-memory database");
        let subscriber = tracing_subscriber::registry();
        let error = tracing::subscriber::with_default(subscriber, || {
            let _use_case = tracing::info_span!("requests::submit").entered();
            failing_step(&mut conn).expect_err("no such table")
        });
        let shown = error.to_string();
        assert!(
            shown.starts_with("database error in requests::submit at persistence/src/error.rs:"),
            "{shown}"
        );
        assert!(shown.contains("no such table"), "{shown}");
        let StoreError::Database { at, .. } = error else {
            panic!("{error:?}")
        };
        // The line of the `?` in `failing_step`.
        let source = include_str!("error.rs");
        let line = source
            .lines()
            .nth(at.code.line() as usize - 1)
            .unwrap_or_default();
        assert!(line.contains("SELECT * FROM no_such_table"), "{line}");
    }
}
