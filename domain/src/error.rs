//! The errors of the domain: what rule was broken, in a stable code and a French sentence.

/// A rule that one value breaks: a stable machine `code` and a French `message` for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: &'static str,
    pub message: String,
}

impl Violation {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Violation {
            code,
            message: message.into(),
        }
    }

    /// Attaches this violation to the input field that carries the value.
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code: self.code,
            message: self.message,
        }
    }
}

/// A violation attached to an input field (`siret`, `legal_representative.email`, `sectors[1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// Why a use case could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input breaks one or more rules; every offending field is listed.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// The caller is not authenticated, or their credentials are refused.
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    /// The caller is known but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The caller may see the thing but not do this with it; the message says who may.
    #[error("{message}")]
    NotPermitted { code: &'static str, message: String },
    /// The thing is not ready for this action: every unmet condition is listed (a request
    /// that cannot be submitted yet).
    #[error("{message}: {errors:?}")]
    Unmet {
        code: &'static str,
        message: String,
        errors: Vec<FieldError>,
    },
    /// The thing does not exist, or the caller may not know that it does.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The action contradicts the current state (a duplicate, the last president…).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    /// The caller edited an outdated version of the resource.
    #[error("stale version: the current version is {current}")]
    StaleVersion { current: i64 },
    /// Too many attempts (sign-ins, registrations); the caller may retry after this many
    /// seconds.
    #[error("{message}")]
    TooManyAttempts {
        code: &'static str,
        message: String,
        retry_after_seconds: i64,
    },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, violation: Violation) -> Self {
        DomainError::Invalid(vec![violation.at(field)])
    }

    pub fn conflict(code: &'static str, field: Option<&str>, message: impl Into<String>) -> Self {
        DomainError::Conflict {
            code,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// Collects the violations of every field of an input, so that one answer lists them all.
///
/// ```
/// # use simpa_domain::{Checks, rna::Rna, siret::Siret};
/// let mut checks = Checks::default();
/// let rna = checks.check("rna", Rna::parse("W751000001"));
/// let siret = checks.check("siret", Siret::parse("123"));
/// let (Some(_rna), Some(_siret)) = (rna, siret) else {
///     assert_eq!(checks.into_error().to_string().contains("siret"), true);
///     return;
/// };
/// unreachable!();
/// ```
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// Keeps the value, or records the violation against `field`.
    pub fn check<T>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, Violation>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(violation) => {
                self.errors.push(violation.at(field));
                None
            }
        }
    }

    /// Like [`Checks::check`] for an optional input: absent stays `Some(None)`.
    pub fn optional<T>(
        &mut self,
        field: impl Into<String>,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Violation>,
    ) -> Option<Option<T>> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(raw) => self.check(field, parse(raw)).map(Some),
        }
    }

    /// Records a violation found by a rule that spans several values.
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Adds errors found elsewhere (for example by the input's shape validation).
    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.errors.extend(errors);
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The error listing every violation recorded.
    pub fn into_error(self) -> DomainError {
        DomainError::Invalid(self.errors)
    }

    /// `Ok` when nothing was recorded, the full list otherwise.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }
}

/// Nothing was found where `what` was looked for: not found (404), as if it never existed.
pub fn existed(found: bool, what: &'static str) -> Result<(), DomainError> {
    if found {
        Ok(())
    } else {
        Err(DomainError::NotFound { what })
    }
}
