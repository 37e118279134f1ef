//! What the pages' forms share: the page with the browser's anti-forgery token, sent back
//! with its errors (422) said at their fields, where a form sends the browser back, and the
//! address that sent it (for throttling).

use crate::render::Page;
use crate::{Portal, csrf};
use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use minijinja::{Value, context};
use simpa_app::runtime::RunError;
use simpa_domain::{DomainError, FieldError};
use simpa_persistence::StoreError;

/// A page with a form: the browser's anti-forgery token in its data (and its cookie set).
pub(crate) fn form_page(portal: &Portal, req: &HttpRequest, page: Page) -> HttpResponse {
    page.with(context! { csrf => csrf::token(req) })
        .answer(portal)
}

/// A form sent back with what was wrong (422): `errors` are `{field, message}`.
pub(crate) fn form_errors(
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
pub(crate) fn errors_page(template: &'static str, errors: &[FieldError], data: Value) -> Page {
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
pub(crate) fn unprocessable(mut answer: HttpResponse) -> HttpResponse {
    if answer.status().is_success() {
        *answer.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    answer
}

/// Errors as the templates show them: `{field, message}`, the field named as the form names
/// it (a rule's `address.street` is the form's `address_street`).
pub(crate) fn errors_shown(errors: &[FieldError]) -> Vec<Value> {
    errors
        .iter()
        .map(|e| context! { field => e.field.replace(['.', '[', ']'], "_"), message => e.message })
        .collect()
}

/// The errors of fields left empty said as what to type ("Saisissez le nom de
/// l'association"), so that the error summary tells them apart: `what` names each field
/// ("le nom de l'association"), `typed` gives what the form held.
pub(crate) fn asking_for(
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
pub(crate) fn field_errors(error: &RunError) -> Option<&[FieldError]> {
    match error {
        RunError::Store(StoreError::Domain(DomainError::Invalid(errors))) => Some(errors),
        _ => None,
    }
}

/// One field's refusal.
pub(crate) fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: "form",
        message: message.into(),
    }
}

/// Where a page sends the browser back to: a path of this site only (not `//elsewhere`), or
/// the account's page.
pub(crate) fn back_to(retour: Option<&str>) -> String {
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
pub(crate) fn client_address(portal: &Portal, req: &HttpRequest) -> String {
    simpa_app::throttle::client_address(
        req.headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok()),
        req.peer_addr().map(|a| a.ip()),
        portal.settings.trust_forwarded_for,
    )
}

/// What a form sent from a version no longer stored is told.
const STALE: &str = "Quelqu'un a modifié ces informations depuis que vous avez ouvert la page : rechargez-la pour partir de ce qui est enregistré, puis refaites vos changements.";

/// A use case's refusal as a form says it: each field the rules refused at the form's field
/// `at` names for it, a conflict with how things stand (a step no longer possible, more than
/// is due) at `whole`; `None` for a failure on our side or what is not the visitor's to see.
pub(crate) fn refused_at(
    error: &RunError,
    at: impl Fn(&str) -> String,
    whole: &str,
) -> Option<Vec<FieldError>> {
    match error {
        RunError::Store(StoreError::Domain(
            DomainError::Conflict { message, .. } | DomainError::NotPermitted { message, .. },
        )) => Some(vec![field_error(whole, message.clone())]),
        RunError::Store(StoreError::Domain(DomainError::StaleVersion { .. })) => {
            Some(vec![field_error(whole, STALE)])
        }
        error => field_errors(error).map(|errors| {
            errors
                .iter()
                .map(|e| field_error(&at(&e.field), e.message.clone()))
                .collect()
        }),
    }
}

/// What a form's deed answers: done, the `next` page (POST, then redirect); refused, the
/// form `again` with each refusal said at its field (see [`refused_at`]); otherwise the page
/// of what is not found or failed.
pub(crate) async fn answered<Again: std::future::Future<Output = HttpResponse>>(
    portal: &Portal,
    done: Result<(), RunError>,
    next: &str,
    at: impl Fn(&str) -> String,
    whole: &str,
    again: impl FnOnce(Vec<FieldError>) -> Again,
) -> HttpResponse {
    match done {
        Ok(()) => crate::answers::see_other(next),
        Err(error) => match refused_at(&error, at, whole) {
            Some(errors) => again(errors).await,
            None => crate::answers::unless_hidden(portal, error),
        },
    }
}

/// What reading an upload form of the portal gave.
pub(crate) enum Upload<'a> {
    /// The form, its anti-forgery token checked, and the store's room for it (held until the
    /// file is kept).
    Read(
        simpa_files::upload::UploadForm,
        simpa_files::store::Slot<'a>,
    ),
    /// What to say at its fields (a file too large, of a type refused…).
    Refused(Vec<FieldError>),
    /// The answer already made: refused (no token, unreadable), busy, failed.
    Answered(HttpResponse),
}

/// Reads an upload form sent from the portal (its text `fields` and `lists`, the token, and
/// maybe a file), once the store has room for it, and checks its anti-forgery token.
pub(crate) async fn read_upload<'a>(
    portal: &Portal,
    req: &HttpRequest,
    blobs: &'a simpa_files::store::BlobStore,
    multipart: actix_multipart::Multipart,
    fields: &[&str],
    lists: &[&str],
) -> Upload<'a> {
    use simpa_files::upload::{self, Expected, UploadError};
    let Some(slot) = blobs.slot(portal.runtime.wait).await else {
        return Upload::Answered(crate::answers::failed(portal, RunError::Busy));
    };
    let expected = Expected {
        fields,
        also: &["csrf"],
        lists,
        limit: portal.settings.upload_limit,
        idle: std::time::Duration::from_secs(30),
    };
    let form = match upload::read_form(multipart, blobs, expected).await {
        Ok(form) => form,
        Err(UploadError::Storage(_)) => {
            return Upload::Answered(crate::answers::failed(portal, RunError::Bug));
        }
        Err(
            refused @ (UploadError::NotMultipart | UploadError::Malformed(_) | UploadError::Idle),
        ) => {
            tracing::info!(%refused, "an upload from the portal could not be read");
            return Upload::Answered(crate::answers::refused(portal));
        }
        Err(UploadError::Invalid(error)) => return Upload::Refused(vec![error]),
        Err(other) => return Upload::Refused(vec![field_error("file", other.to_string())]),
    };
    if !csrf::is_genuine(
        req,
        form.text("csrf").unwrap_or_default(),
        &portal.settings.origin,
    ) {
        return Upload::Answered(crate::answers::refused(portal));
    }
    Upload::Read(form, slot)
}
