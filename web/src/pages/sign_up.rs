//! Creating an account (`/inscription`): a name, an address, a password; then the link of the
//! e-mail confirms the address. Whether the address already had an account is not told apart
//! (its owner is told by e-mail instead).

use crate::Portal;
use crate::answers::{failed, see_other, too_many};
use crate::csrf::Posted;
use crate::forms::{asking_for, client_address, field_errors, form_errors, form_page};
use crate::render::Page;
use crate::session::Enrolling;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;
use simpa_app::accounts::{Registration, sign_up as register};
use simpa_app::runtime::RunError;
use simpa_domain::DomainError;
use simpa_persistence::StoreError;

/// The fields of the form, as the error summary names them when left empty.
const NAMED: &[(&str, &str)] = &[
    ("display_name", "votre prénom et votre nom"),
    ("email", "votre adresse e-mail"),
    ("password", "un mot de passe"),
];

#[get("/inscription")]
pub async fn sign_up_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Option<Enrolling>,
) -> HttpResponse {
    if visitor.is_some() {
        return see_other("/compte");
    }
    form_page(&portal, &req, Page::new("sign_up.html", context! {}))
}

#[derive(Deserialize)]
pub struct SignUpForm {
    display_name: String,
    email: String,
    password: String,
}

#[post("/inscription")]
pub async fn sign_up(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Posted(form): Posted<SignUpForm>,
) -> HttpResponse {
    let SignUpForm {
        display_name,
        email,
        password,
        ..
    } = form;
    // The password typed is not shown again.
    let data = context! { display_name => display_name.clone(), email => email.clone() };
    let registration = match Registration::parse(&email, &password, &display_name) {
        Ok(registration) => registration,
        Err(DomainError::Invalid(errors)) => {
            let typed = |field: &str| match field {
                "display_name" => display_name.clone(),
                "email" => email.clone(),
                _ => password.clone(),
            };
            let errors = asking_for(&errors, typed, NAMED);
            return form_errors(&portal, &req, "sign_up.html", &errors, data);
        }
        Err(other) => return failed(&portal, RunError::Store(other.into())),
    };
    let address = registration.email.as_str().to_owned();
    let (policy, at) = (portal.settings.throttle, client_address(&portal, &req));
    match register(&portal.runtime, None, registration, true, policy, &at).await {
        Ok(()) => Page::new("signed_up.html", context! { email => address }).answer(&portal),
        Err(RunError::Store(StoreError::Domain(DomainError::TooManyAttempts {
            message, ..
        }))) => too_many(&portal, message),
        Err(error) => match field_errors(&error) {
            Some(errors) => form_errors(&portal, &req, "sign_up.html", errors, data),
            None => failed(&portal, error),
        },
    }
}
