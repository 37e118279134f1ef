//! Cross-origin calls from browsers: only the public routes (the directory and the open data)
//! answer them, for `GET` from the configured web origins (`SIMPA_PUBLIC_ORIGINS`). A refused
//! preflight is answered like every other refusal, in problem+json.

use crate::problem::Problem;
use actix_cors::{Cors, CorsError};
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;

/// The scopes of the public routes, which browsers of other origins may call.
pub const DIRECTORY: &str = "/api/v1/directory";
pub const OPEN_DATA: &str = "/api/v1/open-data";

/// CORS for the public routes: `GET` from the configured web origins (`*`: any), with the
/// validators of cached answers.
pub fn public(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(vec!["GET"])
        .allowed_headers(vec![header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE])
        .expose_headers(vec![header::ETAG, header::LAST_MODIFIED])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// Whether a call is a browser's preflight to a public route: those are CORS's to answer.
pub fn is_public_preflight(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        && [DIRECTORY, OPEN_DATA].iter().any(|scope| {
            path.strip_prefix(scope)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '.']))
        })
}

/// A preflight CORS refuses (an origin, a method or a header not allowed) becomes a
/// problem+json answer; every other answer goes through as it is.
pub async fn refusals_as_problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let response = next.call(req).await?;
    let refusal = response
        .response()
        .error()
        .and_then(|e| e.as_error::<CorsError>())
        .map(|e| match e {
            CorsError::OriginNotAllowed => (
                "cors.origin_not_allowed",
                "Cette origine n'est pas autorisée à appeler Simpa depuis un navigateur.",
            ),
            CorsError::MethodNotAllowed => (
                "cors.method_not_allowed",
                "Seule la méthode GET est permise depuis un navigateur d'une autre origine.",
            ),
            CorsError::HeadersNotAllowed => (
                "cors.headers_not_allowed",
                "Un en-tête demandé n'est pas permis depuis un navigateur d'une autre origine.",
            ),
            _ => (
                "cors.invalid_preflight",
                "Cette requête de pré-vérification CORS n'est pas valide.",
            ),
        });
    let Some((code, detail)) = refusal else {
        return Ok(response.map_into_left_body());
    };
    let (request, _) = response.into_parts();
    let answer = Problem::new(StatusCode::BAD_REQUEST, code, detail).error_response();
    Ok(ServiceResponse::new(request, answer).map_into_right_body())
}
