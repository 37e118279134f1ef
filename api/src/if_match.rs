//! `If-Match`: the version an edit was made on (`etag` writes the versions it names).

use crate::problem::Problem;
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Ready, ready};

/// The version an edit was made on, from `If-Match`. A missing header is refused (428): an
/// edit that does not say what it read could silently overwrite someone else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// `If-Match: *`: any current version.
    Any,
    /// The version named; `None` when the tag is not one of ours (it matches nothing).
    Version(Option<i64>),
}

impl IfMatch {
    /// The version the edit expects: `None` for any (`*`); an unreadable one matches none.
    pub fn version(self) -> Option<i64> {
        match self {
            IfMatch::Any => None,
            IfMatch::Version(v) => Some(v.unwrap_or(-1)),
        }
    }

    /// The version the edit expects, given the current one.
    pub fn expected(self, current: i64) -> i64 {
        match self {
            IfMatch::Any => current,
            IfMatch::Version(Some(v)) => v,
            IfMatch::Version(None) => -1,
        }
    }
}

/// The header, as the OpenAPI document shows it (`params(IfMatch)`).
impl utoipa::IntoParams for IfMatch {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{Required, schema::ObjectBuilder, schema::Type};
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(
                    "The `ETag` of the version read, e.g. `\"3\"` (`*`: whatever the current one).",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ]
    }
}

impl FromRequest for IfMatch {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(raw) = req
            .headers()
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
        else {
            return ready(Err(Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition.required",
                "Indiquez la version modifiée dans l'en-tête If-Match (la valeur de l'ETag lu).",
            )));
        };
        let raw = raw.trim();
        if raw == "*" {
            return ready(Ok(IfMatch::Any));
        }
        // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag matches nothing.
        let version = raw
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.starts_with("W/"))
            .find_map(|tag| tag.trim_matches('"').parse().ok());
        ready(Ok(IfMatch::Version(version)))
    }
}
