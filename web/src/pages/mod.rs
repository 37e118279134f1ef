//! The pages, one module per part of the portal.

mod account_links;
mod home;

use crate::Portal;
use crate::render::Page;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use simpa_app::runtime::RunError;
use simpa_persistence::StoreError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home::home)
        .service(account_links::verify_email_page)
        .service(account_links::verify_email)
        .service(account_links::forgotten_password_page)
        .service(account_links::forgotten_password)
        .service(account_links::new_password_page)
        .service(account_links::new_password);
}

/// What matches no page.
pub async fn not_found(portal: web::Data<Portal>, req: HttpRequest) -> HttpResponse {
    Page::new("not_found.html", context! { path => req.path() })
        .status(StatusCode::NOT_FOUND)
        .answer(&portal)
}

/// A form posted without this browser's token, or from another site.
fn refused(portal: &Portal) -> HttpResponse {
    Page::new("refused.html", context! {})
        .status(StatusCode::FORBIDDEN)
        .answer(portal)
}

/// A use case that failed on our side (busy, a bug): a page that says so, without detail.
fn failed(portal: &Portal, error: RunError) -> HttpResponse {
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
