//! The headers every answer carries for browsers: no content sniffing, no framing, no
//! referrer, a Content-Security-Policy (strict for the API, what the vendored Swagger UI needs
//! on `/docs`), and HSTS where Simpa is served over HTTPS (`SIMPA_HSTS`). No `Server` header
//! is sent. An answer that does not say how to cache it (the public directory and open data
//! do) is not stored by browsers nor proxies: it may hold someone's data (an IBAN, a request,
//! a jury's minutes).

use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

/// The API's answers are JSON, CSV, PDF or a printable agreement (inline styles): nothing to
/// run, nothing to fetch.
const API_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Swagger UI: its own scripts and styles (it sets inline styles), its data: icons, and calls
/// to the API of the same origin.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The portal's pages: its own styles and scripts, nothing inline, forms posted to itself
/// only (and by its own script, which sends files and says how much is sent).
const PAGES_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The directory's card to embed: the portal's policy, but any site may frame it (it shows
/// only what the association made public, and does nothing).
const EMBEDDED_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors *; base-uri 'none'";

/// A year, for browsers to remember to use HTTPS only.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Who answers a path: the API (and the operators' probes), its documentation, or the
/// portal (everything else).
#[derive(Clone, Copy)]
enum Answerer {
    Api,
    Docs,
    Portal,
    /// The directory's card, to embed in another site's frame.
    Embedded,
}

fn answerer(path: &str) -> Answerer {
    if path.starts_with("/docs") {
        Answerer::Docs
    } else if [
        "/api/",
        "/openapi.json",
        "/healthz",
        "/readyz",
        "/metrics",
        "/faults/",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
    {
        Answerer::Api
    } else if path.starts_with("/annuaire/") && path.ends_with("/carte") {
        Answerer::Embedded
    } else {
        Answerer::Portal
    }
}

/// The security headers of an answer: the API's, Swagger UI's on `/docs`, or the portal's.
fn headers(answerer: Answerer, hsts: bool) -> Vec<(HeaderName, &'static str)> {
    let policy = match answerer {
        Answerer::Api => API_POLICY,
        Answerer::Docs => DOCS_POLICY,
        Answerer::Portal => PAGES_POLICY,
        Answerer::Embedded => EMBEDDED_POLICY,
    };
    let mut headers = vec![(header::X_CONTENT_TYPE_OPTIONS, "nosniff")];
    if !matches!(answerer, Answerer::Embedded) {
        headers.push((header::X_FRAME_OPTIONS, "DENY"));
    }
    headers.extend([
        // The portal's forms must say where they come from: a browser sends `Origin: null`
        // with a form posted under `no-referrer`.
        (
            header::REFERRER_POLICY,
            match answerer {
                Answerer::Portal | Answerer::Embedded => "same-origin",
                Answerer::Api | Answerer::Docs => "no-referrer",
            },
        ),
        (header::CONTENT_SECURITY_POLICY, policy),
    ]);
    if hsts {
        headers.push((header::STRICT_TRANSPORT_SECURITY, HSTS));
    }
    headers
}

/// The security headers of the API's answers, for those written past actix-web (see
/// `server`).
pub fn api_headers(hsts: bool) -> Vec<(HeaderName, &'static str)> {
    headers(Answerer::Api, hsts)
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let answerer = answerer(req.path());
    let hsts = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.config.hsts);
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in self::headers(answerer, hsts) {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.remove(header::SERVER);
    Ok(response)
}
