//! The headers every answer carries for browsers: no content sniffing, no framing, no
//! referrer, a Content-Security-Policy (strict for the API, what the vendored Swagger UI needs
//! on `/docs`), and HSTS where Simpa is served over HTTPS (`SIMPA_HSTS`). No `Server` header
//! is sent.

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

/// The API's answers are JSON, CSV, PDF or a printable agreement (inline styles): nothing to
/// run, nothing to fetch.
const API_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Swagger UI: its own scripts and styles (it sets inline styles), its data: icons, and calls
/// to the API of the same origin.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// A year, for browsers to remember to use HTTPS only.
const HSTS: &str = "max-age=31536000; includeSubDomains";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/docs");
    let hsts = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.config.hsts);
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let policy = if docs { DOCS_POLICY } else { API_POLICY };
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, policy),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    headers.remove(header::SERVER);
    Ok(response)
}
