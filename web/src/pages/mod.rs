//! The pages, one module per part of the portal.

mod account;
mod account_links;
mod associations;
mod directory;
mod final_report;
mod grant;
mod home;
mod open_data;
mod request_steps;
mod requests;
mod sign_in;
mod sign_up;
mod two_factor;
mod typed;
mod vault;

pub(crate) use requests::KEPT_SOURCES;

use crate::render::Page;
use crate::{Portal, csrf};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::{Value, context};
use simpa_app::runtime::RunError;
use simpa_domain::{DomainError, FieldError};
use simpa_persistence::StoreError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Routes are tried in this order: the page read most comes first.
    cfg.service(requests::request_page)
        .service(home::home)
        .service(account_links::verify_email_page)
        .service(account_links::verify_email)
        .service(account_links::forgotten_password_page)
        .service(account_links::forgotten_password)
        .service(account_links::new_password_page)
        .service(account_links::new_password)
        .service(sign_in::sign_in_page)
        .service(sign_in::sign_in)
        .service(sign_in::code_page)
        .service(sign_in::code)
        .service(sign_in::sign_out)
        .service(sign_up::sign_up_page)
        .service(sign_up::sign_up)
        .service(account::account)
        .service(account::end_session)
        .service(account::change_password_page)
        .service(account::change_password)
        .service(account::preferences_view)
        .service(account::set_preferences)
        .service(account::invitation_page)
        .service(account::accept_invitation)
        .service(associations::new_association_page)
        .service(associations::create_association)
        .service(associations::check_typed)
        .service(associations::association_view)
        .service(associations::invite)
        .service(associations::profile_page)
        .service(associations::update_profile)
        .service(associations::change_role)
        .service(associations::remove_member)
        .service(associations::resend_invitation)
        .service(associations::cancel_invitation)
        .service(vault::vault)
        .service(vault::confirm_profile)
        .service(vault::attest)
        .service(vault::file_document)
        .service(vault::download_file)
        .service(directory::directory)
        .service(directory::card_page)
        .service(directory::embedded_card)
        .service(open_data::open_data)
        .service(two_factor::two_factor_page)
        .service(two_factor::start)
        .service(two_factor::confirm)
        .service(requests::new_request_page)
        .service(requests::start)
        .service(requests::check_page)
        .service(requests::submit)
        .service(requests::receipt)
        .service(requests::withdrawal_page)
        .service(requests::withdraw)
        .service(grant::agreement_view)
        .service(grant::sign)
        .service(final_report::report_view)
        .service(final_report::file_report)
        .service(request_steps::step_view)
        .service(request_steps::save_step);
}

/// What matches no page.
pub async fn not_found(portal: web::Data<Portal>) -> HttpResponse {
    not_found_page(&portal)
}

/// The page of what does not exist, or is not the visitor's to see.
fn not_found_page(portal: &Portal) -> HttpResponse {
    Page::new("not_found.html", context! {})
        .status(StatusCode::NOT_FOUND)
        .answer(portal)
}

/// A failure as a page: what is not the visitor's to see does not exist.
fn unless_hidden(portal: &Portal, error: RunError) -> HttpResponse {
    match error {
        RunError::Store(StoreError::Domain(
            DomainError::NotFound { .. } | DomainError::Forbidden,
        )) => not_found_page(portal),
        error => failed(portal, error),
    }
}

/// A moment as the city reads it: "3 mars 2027".
fn city_date(portal: &Portal, at: chrono::DateTime<chrono::Utc>) -> String {
    date_in(portal.runtime.timezone, at)
}

/// A moment as read in `timezone` (for a use case's closure, which holds no portal).
fn date_in(timezone: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    simpa_domain::wording::long_french_date(at.with_timezone(&timezone).date_naive())
}

/// A rule's refusal, in words: the first field's message for invalid input.
fn said(refusal: DomainError) -> String {
    match refusal {
        DomainError::Invalid(errors) => errors
            .into_iter()
            .next()
            .map(|e| e.message)
            .unwrap_or_default(),
        other => other.to_string(),
    }
}

/// A page with a form: the browser's anti-forgery token in its data (and its cookie set).
fn form_page(portal: &Portal, req: &HttpRequest, page: Page) -> HttpResponse {
    page.with(context! { csrf => csrf::token(req) })
        .answer(portal)
}

/// A form sent back with what was wrong (422): `errors` are `{field, message}`.
fn form_errors(
    portal: &Portal,
    req: &HttpRequest,
    template: &'static str,
    errors: &[FieldError],
    data: Value,
) -> HttpResponse {
    form_page(portal, req, errors_page(template, errors, data))
}

/// The page of a form sent back with what was wrong (422; the form alone when nothing is),
/// to answer with [`form_page`].
fn errors_page(template: &'static str, errors: &[FieldError], data: Value) -> Page {
    if errors.is_empty() {
        return Page::new(template, data);
    }
    Page::new(
        template,
        context! { errors => errors_shown(errors), ..data },
    )
    .status(StatusCode::UNPROCESSABLE_ENTITY)
}

/// A page answered 422 (a form sent back with its errors), unless it is already an error.
fn unprocessable(mut answer: HttpResponse) -> HttpResponse {
    if answer.status().is_success() {
        *answer.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    answer
}

/// Errors as the templates show them: `{field, message}`, the field named as the form names
/// it (a rule's `address.street` is the form's `address_street`).
fn errors_shown(errors: &[FieldError]) -> Vec<Value> {
    errors
        .iter()
        .map(|e| context! { field => e.field.replace(['.', '[', ']'], "_"), message => e.message })
        .collect()
}

/// The errors of fields left empty said as what to type ("Saisissez le nom de
/// l'association"), so that the error summary tells them apart: `what` names each field
/// ("le nom de l'association"), `typed` gives what the form held.
fn asking_for(
    errors: &[FieldError],
    typed: impl Fn(&str) -> String,
    what: &[(&str, &str)],
) -> Vec<FieldError> {
    errors
        .iter()
        .map(|error| {
            match what
                .iter()
                .find(|(field, _)| error.field.replace('.', "_") == *field)
            {
                Some((field, named)) if typed(field).trim().is_empty() => {
                    field_error(&error.field, format!("Saisissez {named}."))
                }
                _ => error.clone(),
            }
        })
        .collect()
}

/// The fields a rule refused, from a use case's failure.
fn field_errors(error: &RunError) -> Option<&[FieldError]> {
    match error {
        RunError::Store(StoreError::Domain(DomainError::Invalid(errors))) => Some(errors),
        _ => None,
    }
}

/// One field's refusal.
fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: "form",
        message: message.into(),
    }
}

/// After a form did its deed: the page to see next (POST, then redirect).
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Where a page sends the browser back to: a path of this site only (not `//elsewhere`), or
/// the account's page.
fn back_to(retour: Option<&str>) -> String {
    // Browsers drop tabs and line breaks from addresses and read `\` as `/`: `/\t/elsewhere`
    // would lead away. Printable characters only, and a path that names no other host.
    let of_this_site = |path: &str| {
        path.starts_with('/')
            && !path.starts_with("//")
            && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    };
    match retour {
        Some(path) if of_this_site(path) => path.to_owned(),
        _ => "/compte".to_owned(),
    }
}

/// The client's address as throttling counts it (its proxy's header when trusted).
fn client_address(portal: &Portal, req: &HttpRequest) -> String {
    simpa_app::throttle::client_address(
        req.headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok()),
        req.peer_addr().map(|a| a.ip()),
        portal.settings.trust_forwarded_for,
    )
}

/// Too many attempts: the page that says when to try again.
fn too_many(portal: &Portal, message: String) -> HttpResponse {
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
