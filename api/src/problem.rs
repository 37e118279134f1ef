//! Errors as RFC 9457 `application/problem+json`. The mapping from every error to its HTTP
//! status and body lives here, once.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use simpa_domain::{DomainError, FieldError};
use simpa_persistence::StoreError;
use utoipa::ToSchema;

/// An error answer, boxed so that `Result`s carrying it stay small.
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemBody>);

impl std::ops::Deref for Problem {
    type Target = ProblemBody;
    fn deref(&self) -> &ProblemBody {
        &self.0
    }
}

/// An error answer. `code` is stable and meant for programs; `detail` is French and meant for
/// people; `errors` lists every offending field of an invalid input.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// A URI naming the kind of problem: `urn:simpa:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem, in French.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong here, in French.
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation.failed`, `siret.invalid_checksum`.
    pub code: String,
    /// One entry per offending input field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For 412: the current version of the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// On the token endpoint: the OAuth 2.0 error (RFC 6749 §5.2: `invalid_request`,
    /// `invalid_client`, `invalid_grant`, `unsupported_grant_type`), beside `code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// On the token endpoint: `detail` again, where OAuth 2.0 clients read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(skip)]
    retry_after: Option<i64>,
    /// The scheme a 401 asks for (`Bearer` but for a client that authenticated with `Basic`).
    #[serde(skip)]
    challenge: Option<&'static str>,
}

/// A rule broken by one input field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Path of the field in the input: `siret`, `address.postal_code`, `sectors[1]`.
    pub field: String,
    /// Stable code of the rule, e.g. `siret.invalid_checksum`.
    pub code: String,
    /// The rule, in French.
    pub detail: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        FieldProblem {
            field: e.field,
            code: e.code.to_owned(),
            detail: e.message,
        }
    }
}

impl Problem {
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Problem {
        let code = code.into();
        Problem(Box::new(ProblemBody {
            kind: format!("urn:simpa:problem:{code}"),
            title: title(status).to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code,
            errors: Vec::new(),
            current_version: None,
            error: None,
            error_description: None,
            retry_after: None,
            challenge: None,
        }))
    }

    /// The same problem as the token endpoint answers it, with the OAuth 2.0 error beside
    /// Simpa's code; a client that authenticated with HTTP Basic is asked for it again.
    pub fn oauth(mut self, basic: bool) -> Problem {
        let error = match self.code.as_str() {
            "auth.invalid_client" => "invalid_client",
            "auth.invalid_credentials"
            | "auth.invalid_refresh_token"
            | "auth.refresh_token_reused"
            | "auth.account_inactive"
            | "auth.second_factor_required"
            | "two_factor.code_invalid"
            | "two_factor.code_reused" => "invalid_grant",
            _ if self.errors.iter().any(|e| e.field == "grant_type") => "unsupported_grant_type",
            _ if self.status >= 500 => "server_error",
            _ => "invalid_request",
        };
        if error == "invalid_client" && basic {
            self.0.challenge = Some("Basic realm=\"simpa\"");
        }
        self.0.error = Some(error.to_owned());
        self.0.error_description = Some(self.detail.clone());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Problem {
        self.0.errors = errors.into_iter().map(FieldProblem::from).collect();
        self
    }

    pub fn retry_after(mut self, seconds: i64) -> Problem {
        self.0.retry_after = Some(seconds);
        self
    }

    /// The same problem, with more field errors.
    pub fn with_more_errors(mut self, more: Vec<FieldProblem>) -> Problem {
        self.0.errors.extend(more);
        self
    }

    /// 422 for input that breaks rules, one entry per field.
    pub fn invalid(errors: Vec<FieldError>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
            "Les données envoyées ne sont pas valides : voir le détail par champ.",
        )
        .with_errors(errors)
    }

    /// 400 for a request that cannot be read at all (malformed JSON, wrong types…).
    pub fn bad_request(code: &str, detail: impl Into<String>, errors: Vec<FieldError>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, code, detail).with_errors(errors)
    }

    /// A query parameter that is not valid: 400 `query.invalid`, naming the parameters.
    pub fn invalid_query(errors: Vec<FieldError>) -> Problem {
        Problem::bad_request(
            "query.invalid",
            "Un paramètre de la requête n'est pas valide : voir le détail.",
            errors,
        )
    }

    pub fn unauthenticated(code: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn not_found(what: &str) -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            format!("{what}.not_found"),
            "Ressource introuvable.",
        )
    }

    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Une erreur interne est survenue ; elle a été enregistrée. Réessayez plus tard.",
        )
    }

    pub fn unavailable() -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service.unavailable",
            "Le service est momentanément indisponible ; réessayez dans quelques secondes.",
        )
        .retry_after(5)
    }
}

fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Requête illisible",
        401 => "Authentification requise",
        403 => "Action non autorisée",
        404 => "Introuvable",
        405 => "Méthode non permise",
        406 => "Format de réponse indisponible",
        408 => "Délai dépassé",
        409 => "Conflit",
        412 => "Version périmée",
        413 => "Contenu trop volumineux",
        415 => "Type de contenu non pris en charge",
        422 => "Données invalides",
        428 => "Précondition requise",
        429 => "Trop de tentatives",
        503 => "Service indisponible",
        _ => "Erreur interne",
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if self.status == 401 {
            let challenge = HeaderValue::from_static(self.challenge.unwrap_or("Bearer"));
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        if let Some(version) = self.current_version {
            response.insert_header((header::ETAG, crate::etag::etag(version)));
        }
        response.json(&*self.0)
    }
}

impl From<DomainError> for Problem {
    fn from(error: DomainError) -> Problem {
        match error {
            DomainError::Invalid(errors) => Problem::invalid(errors),
            DomainError::Unauthenticated { code, message } => {
                Problem::unauthenticated(code, message)
            }
            DomainError::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "access.forbidden",
                "Vous n'avez pas les droits nécessaires pour cette action.",
            ),
            DomainError::NotPermitted { code, message } => {
                Problem::new(StatusCode::FORBIDDEN, code, message)
            }
            DomainError::Unmet {
                code,
                message,
                errors,
            } => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_errors(errors),
            DomainError::NotFound { what } => Problem::not_found(what),
            DomainError::Conflict {
                code,
                field,
                message,
            } => {
                let errors = field
                    .map(|field| {
                        vec![FieldError {
                            field,
                            code,
                            message: message.clone(),
                        }]
                    })
                    .unwrap_or_default();
                Problem::new(StatusCode::CONFLICT, code, message).with_errors(errors)
            }
            DomainError::StaleVersion { current } => {
                let mut problem = Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "version.stale",
                    format!(
                        "La ressource a été modifiée entre-temps (version actuelle : {current}) : relisez-la puis refaites votre modification."
                    ),
                );
                problem.0.current_version = Some(current);
                problem
            }
            DomainError::TooManyAttempts {
                code,
                message,
                retry_after_seconds,
            } => Problem::new(StatusCode::TOO_MANY_REQUESTS, code, message)
                .retry_after(retry_after_seconds),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        match error {
            StoreError::Domain(error) => error.into(),
            StoreError::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                Problem::unavailable()
            }
            StoreError::Duplicate(constraint) => {
                tracing::warn!(%constraint, "unique constraint refused a write");
                Problem::new(
                    StatusCode::CONFLICT,
                    "conflict.duplicate",
                    "Cette donnée existe déjà : une autre demande l'a enregistrée à l'instant.",
                )
            }
            StoreError::MissingReference(constraint) => {
                tracing::warn!(%constraint, "a write referred to a missing row");
                Problem::new(
                    StatusCode::CONFLICT,
                    "conflict.missing_reference",
                    "Une ressource liée n'existe pas ou plus : rechargez puis recommencez.",
                )
            }
            // The panic hook logged it where it happened.
            StoreError::Panicked(_) => Problem::internal(),
            StoreError::UnstorableText(reason) => {
                tracing::warn!(%reason, "text refused by the database");
                Problem::bad_request(
                    "text.invalid_character",
                    "Le texte envoyé contient un caractère interdit (caractère nul).",
                    vec![],
                )
            }
            other => {
                tracing::error!(error = %other, "internal error");
                Problem::internal()
            }
        }
    }
}

/// Work off the async workers that panicked (the panic hook logged it): a bug (see below).
impl From<actix_web::error::BlockingError> for Problem {
    fn from(_: actix_web::error::BlockingError) -> Problem {
        Problem::internal()
    }
}

/// A use case that did not run to its end: busy is an outage (503, retry later); work that
/// panicked off the async workers (the panic hook logged it) is a bug, not an outage, so 500
/// and not 503 — a client retrying a deterministic bug gains nothing.
impl From<simpa_app::runtime::RunError> for Problem {
    fn from(error: simpa_app::runtime::RunError) -> Problem {
        match error {
            simpa_app::runtime::RunError::Busy => Problem::unavailable(),
            simpa_app::runtime::RunError::Store(error) => error.into(),
            simpa_app::runtime::RunError::Bug => Problem::internal(),
        }
    }
}

/// Reusable documented answers, one per status, all `application/problem+json`.
/// These types only describe answers in the OpenAPI document; `Problem` is what is sent.
#[allow(dead_code)]
pub mod responses {
    use super::ProblemBody;
    use utoipa::ToResponse;

    /// The request cannot be read: malformed JSON, a bad query parameter.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct BadRequest(#[to_schema] ProblemBody);

    /// Not signed in, or the token is invalid, expired or revoked.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Unauthenticated(#[to_schema] ProblemBody);

    /// Signed in, but this role may not do this.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Forbidden(#[to_schema] ProblemBody);

    /// No such resource, or one the caller may not know of.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct NotFound(#[to_schema] ProblemBody);

    /// The request contradicts the current state (a duplicate, the last president…).
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Conflict(#[to_schema] ProblemBody);

    /// `If-Match` names an outdated version; the current one is in `ETag` and `current_version`.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct PreconditionFailed(#[to_schema] ProblemBody);

    /// The client stopped sending its body for 30 seconds.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct RequestTimeout(#[to_schema] ProblemBody);

    /// The body is larger than permitted.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct PayloadTooLarge(#[to_schema] ProblemBody);

    /// The body is not JSON.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct UnsupportedMediaType(#[to_schema] ProblemBody);

    /// The input breaks rules: `errors` names each field and rule.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Invalid(#[to_schema] ProblemBody);

    /// An edit without `If-Match`.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct PreconditionRequired(#[to_schema] ProblemBody);

    /// Too many failed sign-ins: retry after `Retry-After` seconds.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct TooManyRequests(#[to_schema] ProblemBody);

    /// Unexpected error; it is logged with the request id.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Internal(#[to_schema] ProblemBody);

    /// The database is unreachable or saturated: retry after `Retry-After` seconds.
    #[derive(ToResponse)]
    #[response(content_type = "application/problem+json")]
    pub struct Unavailable(#[to_schema] ProblemBody);
}

/// An upload not read to its end, as the API tells it.
impl From<simpa_files::upload::UploadError> for Problem {
    fn from(error: simpa_files::upload::UploadError) -> Self {
        use simpa_files::upload::UploadError;
        let detail = error.to_string();
        match error {
            UploadError::NotMultipart => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type.unsupported",
                detail,
            ),
            UploadError::Malformed(_) => {
                Problem::bad_request("multipart.malformed", detail, vec![])
            }
            UploadError::Idle => Problem::new(StatusCode::REQUEST_TIMEOUT, "upload.idle", detail),
            UploadError::TooLarge { .. } => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "file.too_large", detail)
            }
            UploadError::UnsupportedType { .. } => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "file.unsupported_type",
                detail,
            ),
            UploadError::Invalid(field) => Problem::invalid(vec![field]),
            UploadError::Storage(_) => Problem::internal(),
        }
    }
}
