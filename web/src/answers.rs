//! What a page answers when it is not the page asked for: not found, refused, failed, too many
//! attempts, or the next page to see (POST, then redirect); and moments as the city reads them.

use crate::Portal;
use crate::render::Page;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use minijinja::context;
use simpa_app::runtime::RunError;
use simpa_domain::DomainError;
use simpa_persistence::StoreError;

/// What matches no page.
pub async fn not_found(portal: web::Data<Portal>) -> HttpResponse {
    not_found_page(&portal)
}

/// The page of what does not exist, or is not the visitor's to see.
pub(crate) fn not_found_page(portal: &Portal) -> HttpResponse {
    Page::new("not_found.html", context! {})
        .status(StatusCode::NOT_FOUND)
        .answer(portal)
}

/// A failure as a page: what is not the visitor's to see does not exist.
pub(crate) fn unless_hidden(portal: &Portal, error: RunError) -> HttpResponse {
    match error {
        RunError::Store(StoreError::Domain(
            DomainError::NotFound { .. } | DomainError::Forbidden,
        )) => not_found_page(portal),
        error => failed(portal, error),
    }
}

/// A stored file's bytes, as an attachment named as it came; a row whose bytes the store
/// lost is a bug, answered as a failure.
pub(crate) async fn stored_file(
    portal: &Portal,
    req: &actix_web::HttpRequest,
    blobs: &simpa_files::store::BlobStore,
    file: simpa_files::download::Stored<'_>,
) -> HttpResponse {
    let sha256 = file.sha256.to_owned();
    match simpa_files::download::attachment(req, blobs, file).await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::error!(%sha256, %error, "a row refers to bytes that are not in the store");
            failed(portal, RunError::Bug)
        }
    }
}

/// A moment as the city reads it: "3 mars 2027".
pub(crate) fn city_date(portal: &Portal, at: chrono::DateTime<chrono::Utc>) -> String {
    date_in(portal.runtime.timezone, at)
}

/// A moment in the city's time, in words: "6 décembre 2026 à 14 h 05".
pub(crate) fn city_moment(portal: &Portal, at: chrono::DateTime<chrono::Utc>) -> String {
    simpa_domain::french::moment(at.with_timezone(&portal.runtime.timezone).naive_local())
}

/// A moment as read in `timezone` (for a use case's closure, which holds no portal).
pub(crate) fn date_in(timezone: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    simpa_domain::french::long_french_date(at.with_timezone(&timezone).date_naive())
}

/// A rule's refusal, in words: the first field's message for invalid input.
pub(crate) fn said(refusal: DomainError) -> String {
    match refusal {
        DomainError::Invalid(errors) => errors
            .into_iter()
            .next()
            .map(|e| e.message)
            .unwrap_or_default(),
        other => other.to_string(),
    }
}

/// After a form did its deed: the page to see next (POST, then redirect).
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Too many attempts: the page that says when to try again.
pub(crate) fn too_many(portal: &Portal, message: String) -> HttpResponse {
    Page::new("refused.html", context! { message => message })
        .status(StatusCode::TOO_MANY_REQUESTS)
        .answer(portal)
}

/// A form posted without this browser's token, or from another site.
pub(crate) fn refused(portal: &Portal) -> HttpResponse {
    Page::new("refused.html", context! {})
        .status(StatusCode::FORBIDDEN)
        .answer(portal)
}

/// A use case that failed on our side (busy, a bug): a page that says so, without detail.
pub(crate) fn failed(portal: &Portal, error: RunError) -> HttpResponse {
    let (status, busy) = match &error {
        RunError::Busy | RunError::Store(StoreError::Unavailable(_)) => {
            (StatusCode::SERVICE_UNAVAILABLE, true)
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, false),
    };
    tracing::error!(%error, "a page's use case failed");
    Page::new("refused.html", context! { failed => true, busy => busy })
        .status(status)
        .answer(portal)
}
