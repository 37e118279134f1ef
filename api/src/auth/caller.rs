//! The caller of a request, from its bearer token.

use crate::auth::TokenKeys;
use crate::problem::Problem;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use simpa_domain::policy::Subject;

/// Who calls: a verified subject, or nobody when no token is given. A token that is given but
/// not valid is refused with 401, even on public routes.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Option<Subject>);

impl FromRequest for Caller {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Caller::of(req))
    }
}

impl Caller {
    /// The caller of a request: its verified bearer token, or nobody without one.
    pub fn of(req: &HttpRequest) -> Result<Caller, Problem> {
        let Some(value) = req.headers().get(header::AUTHORIZATION) else {
            return Ok(Caller(None));
        };
        let token = value.to_str().ok().and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
        let Some(token) = token.map(str::trim) else {
            return Err(Problem::unauthenticated(
                "auth.invalid_token",
                "L'en-tête Authorization doit être « Bearer <jeton> ».",
            ));
        };
        let Some(keys) = req.app_data::<web::Data<TokenKeys>>() else {
            tracing::error!("token keys missing from the application data");
            return Err(Problem::internal());
        };
        keys.verify(token).map(|subject| Caller(Some(subject)))
    }
}
