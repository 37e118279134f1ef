//! The pages the links of Simpa's e-mails lead to: verifying an address
//! (`/compte/verification?jeton=…`), "forgot password" (`/compte/mot-de-passe-oublie`) and
//! choosing a new password (`/compte/mot-de-passe/nouveau?jeton=…`). A link only opens a page:
//! what it does is a button's (a form posted), so that a mail filter opening links does
//! nothing.

use crate::Portal;
use crate::answers::{failed, too_many};
use crate::csrf::Posted;
use crate::forms::{client_address, field_errors, form_errors, form_page};
use crate::render::Page;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;
use simpa_app::accounts as app;
use simpa_app::runtime::RunError;
use simpa_domain::account::Password;
use simpa_domain::contact::EmailAddress;
use simpa_domain::{DomainError, FieldError};
use simpa_persistence::StoreError;

#[derive(Deserialize)]
pub struct LinkQuery {
    jeton: Option<String>,
}

/// A link that is no good (used, expired, altered), told as the API tells it.
fn link_refused(portal: &Portal, errors: &[FieldError], again: &str) -> HttpResponse {
    let message = errors
        .first()
        .map(|e| e.message.clone())
        .unwrap_or_default();
    Page::new(
        "link_refused.html",
        context! { message => message, again => again },
    )
    .status(StatusCode::UNPROCESSABLE_ENTITY)
    .answer(portal)
}

#[get("/compte/verification")]
pub async fn verify_email_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    query: web::Query<LinkQuery>,
) -> HttpResponse {
    let data = context! { token => query.jeton.clone().unwrap_or_default() };
    form_page(&portal, &req, Page::new("verify_email.html", data))
}

#[derive(Deserialize)]
pub struct TokenForm {
    jeton: String,
}

#[post("/compte/verification")]
pub async fn verify_email(
    portal: web::Data<Portal>,
    _req: HttpRequest,
    Posted(form): Posted<TokenForm>,
) -> HttpResponse {
    let (token, now) = (form.jeton, portal.runtime.now());
    match portal
        .runtime
        .write(move |conn| app::verify_email(conn, &token, now))
        .await
    {
        Ok(()) => Page::new("verified.html", context! {}).answer(&portal),
        Err(error) => match field_errors(&error) {
            Some(errors) => link_refused(&portal, errors, "verification"),
            None => failed(&portal, error),
        },
    }
}

#[get("/compte/mot-de-passe-oublie")]
pub async fn forgotten_password_page(portal: web::Data<Portal>, req: HttpRequest) -> HttpResponse {
    form_page(
        &portal,
        &req,
        Page::new("forgotten_password.html", context! {}),
    )
}

#[derive(Deserialize)]
pub struct ForgottenForm {
    email: String,
}

#[post("/compte/mot-de-passe-oublie")]
pub async fn forgotten_password(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Posted(form): Posted<ForgottenForm>,
) -> HttpResponse {
    let typed = form.email;
    let email = match EmailAddress::parse(&typed) {
        Ok(email) => email,
        Err(violation) => {
            let errors = [violation.at("email")];
            let data = context! { email => typed };
            return form_errors(&portal, &req, "forgotten_password.html", &errors, data);
        }
    };
    let address = app::reset_key(&client_address(&portal, &req));
    let (policy, now) = (portal.settings.throttle, portal.runtime.now());
    let notifier = portal.runtime.notifier.clone();
    let sent = portal
        .runtime
        .write(move |conn| {
            app::request_password_reset(conn, &email, policy, &address, now, &notifier)
        })
        .await;
    match sent {
        Ok(()) => Page::new("reset_link_sent.html", context! {}).answer(&portal),
        Err(RunError::Store(StoreError::Domain(DomainError::TooManyAttempts {
            message, ..
        }))) => too_many(&portal, message),
        Err(error) => failed(&portal, error),
    }
}

#[get("/compte/mot-de-passe/nouveau")]
pub async fn new_password_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    query: web::Query<LinkQuery>,
) -> HttpResponse {
    let data = context! { token => query.jeton.clone().unwrap_or_default() };
    form_page(&portal, &req, Page::new("new_password.html", data))
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    jeton: String,
    password: String,
}

#[post("/compte/mot-de-passe/nouveau")]
pub async fn new_password(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Posted(form): Posted<NewPasswordForm>,
) -> HttpResponse {
    let NewPasswordForm {
        jeton, password, ..
    } = form;
    let now = portal.runtime.now();
    let token = jeton.clone();
    let owner = match portal
        .runtime
        .read(move |conn| app::reset_link_owner(conn, &token, now))
        .await
    {
        Ok(owner) => owner,
        Err(error) => {
            return match field_errors(&error) {
                Some(errors) => link_refused(&portal, errors, "mot-de-passe-oublie"),
                None => failed(&portal, error),
            };
        }
    };
    let personal = [owner.email.as_str(), owner.display_name.as_str()];
    let password = match Password::parse(&password, &personal) {
        Ok(password) => password,
        Err(violation) => {
            // The password typed is not shown again.
            let errors = [violation.at("password")];
            let data = context! { token => jeton };
            return form_errors(&portal, &req, "new_password.html", &errors, data);
        }
    };
    let hash = match portal
        .runtime
        .hash_password(password.expose().to_owned())
        .await
    {
        Ok(hash) => hash,
        Err(error) => return failed(&portal, error),
    };
    let notifier = portal.runtime.notifier.clone();
    match portal
        .runtime
        .write(move |conn| app::reset_password(conn, &jeton, &hash, now, &notifier))
        .await
    {
        Ok(()) => Page::new("password_changed.html", context! {}).answer(&portal),
        Err(error) => match field_errors(&error) {
            Some(errors) => link_refused(&portal, errors, "mot-de-passe-oublie"),
            None => failed(&portal, error),
        },
    }
}
