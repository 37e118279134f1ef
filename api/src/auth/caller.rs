//! The caller of a request, from its bearer token.

use crate::auth::TokenKeys;
use crate::auth::tokens::Bearer;
use crate::problem::Problem;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use simpa_domain::policy::Subject;

/// Who calls: a verified subject, or nobody when no token is given. A token that is given but
/// not valid is refused with 401, even on public routes; a token good only to add a second
/// factor is refused with 403 (see [`Enrolling`]).
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Option<Subject>);

impl FromRequest for Caller {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer(req).and_then(|bearer| match bearer {
            Some(b) if b.must_enrol => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "auth.second_factor_enrolment_required",
                "Votre rôle d'agent exige la double authentification : ajoutez d'abord votre application d'authentification, depuis votre compte, puis reconnectez-vous ou renouvelez vos jetons.",
            )),
            bearer => Ok(Caller(bearer.map(|b| b.subject))),
        }))
    }
}

/// The caller of the routes that serve to add a second factor (and to read or secure one's
/// own account): also a person whose token is good only for that.
#[derive(Debug, Clone, Copy)]
pub struct Enrolling(pub Option<Subject>);

impl FromRequest for Enrolling {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer(req).map(|bearer| Enrolling(bearer.map(|b| b.subject))))
    }
}

/// The token of an `Authorization: Bearer <token>` value; the scheme's name is
/// case-insensitive (RFC 9110 §11.1), and spaces may separate it from the token.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The verified bearer token of a request, or `None` without one.
pub fn bearer(req: &HttpRequest) -> Result<Option<Bearer>, Problem> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let Some(token) = value.to_str().ok().and_then(bearer_token) else {
        return Err(Problem::unauthenticated(
            "auth.invalid_token",
            "L'en-tête Authorization doit être « Bearer <jeton> ».",
        ));
    };
    let Some(keys) = req.app_data::<web::Data<TokenKeys>>() else {
        tracing::error!("token keys missing from the application data");
        return Err(Problem::internal());
    };
    keys.verify(token).map(Some)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "BeArEr   abc "] {
            assert_eq!(bearer_token(value), Some("abc"), "{value:?}");
        }
        for value in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}
