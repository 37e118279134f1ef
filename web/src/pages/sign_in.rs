//! Signing in (`/connexion`, then `/connexion/code` when the account has a second factor)
//! and out (`/deconnexion`). Each page comes back to where the person was going (`retour`, a
//! path of this site).

use crate::Portal;
use crate::answers::{failed, said, see_other, too_many};
use crate::csrf::{NoFields, Posted};
use crate::forms::{back_to, client_address, field_error, form_errors, form_page};
use crate::render::Page;
use crate::session::{self, CODE_STEP_COOKIE, Enrolling};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;
use simpa_app::runtime::RunError;
use simpa_app::sign_in::{self as app, Opened, PasswordSignIn, SessionKind};
use simpa_domain::DomainError;
use simpa_domain::contact::EmailAddress;
use simpa_domain::ids::AccountId;
use simpa_persistence::StoreError;

#[derive(Deserialize)]
pub struct Back {
    retour: Option<String>,
}

#[get("/connexion")]
pub async fn sign_in_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Option<Enrolling>,
    query: web::Query<Back>,
) -> HttpResponse {
    let back = back_to(query.retour.as_deref());
    if visitor.is_some() {
        return see_other(&back);
    }
    form_page(
        &portal,
        &req,
        Page::new("sign_in.html", context! { back => back }),
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    retour: Option<String>,
}

#[post("/connexion")]
pub async fn sign_in(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Posted(form): Posted<SignInForm>,
) -> HttpResponse {
    let SignInForm {
        email: typed,
        password,
        retour,
        ..
    } = form;
    let back = back_to(retour.as_deref());
    let data = context! { email => typed.clone(), back => back.clone() };
    let email = match EmailAddress::parse(&typed) {
        Ok(email) => email,
        Err(violation) => {
            return form_errors(
                &portal,
                &req,
                "sign_in.html",
                &[violation.at("email")],
                data,
            );
        }
    };
    let signing = PasswordSignIn {
        email,
        password,
        address: format!("ip:{}", client_address(&portal, &req)),
        user_agent: user_agent(&req),
        code: None,
    };
    let (policy, rules) = (portal.settings.throttle, portal.settings.session_rules);
    let kind = SessionKind::Browser;
    let outcome = app::with_password(&portal.runtime, policy, rules, kind, signing).await;
    match outcome {
        Ok(Ok((_, opened))) if opened.awaiting_code => {
            let to = format!("/connexion/code?{}", back_query(&back));
            let mut answer = see_other(&to);
            let cookie = session::cookie(CODE_STEP_COOKIE, opened.token, portal.settings.https);
            set_cookie(&mut answer, cookie);
            answer
        }
        outcome => settled(&portal, &req, outcome, &back, "sign_in.html", "email", data),
    }
}

#[get("/connexion/code")]
pub async fn code_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    query: web::Query<Back>,
) -> HttpResponse {
    let back = back_to(query.retour.as_deref());
    if req.cookie(CODE_STEP_COOKIE).is_none() {
        return see_other(&format!("/connexion?{}", back_query(&back)));
    }
    form_page(
        &portal,
        &req,
        Page::new("sign_in_code.html", context! { back => back }),
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    retour: Option<String>,
}

#[post("/connexion/code")]
pub async fn code(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Posted(form): Posted<CodeForm>,
) -> HttpResponse {
    let CodeForm { code, retour, .. } = form;
    let back = back_to(retour.as_deref());
    let data = context! { back => back.clone() };
    let Some(step) = req.cookie(CODE_STEP_COOKIE).map(|c| c.value().to_owned()) else {
        return see_other(&format!("/connexion?{}", back_query(&back)));
    };
    let code = code.trim().to_owned();
    if code.is_empty() {
        let errors = [field_error(
            "code",
            "Saisissez le code à 6 chiffres que montre votre application, ou un code de secours.",
        )];
        return form_errors(&portal, &req, "sign_in_code.html", &errors, data);
    }
    let (policy, rules) = (portal.settings.throttle, portal.settings.session_rules);
    let address = format!("ip:{}", client_address(&portal, &req));
    let outcome = app::with_code(
        &portal.runtime,
        policy,
        rules,
        step,
        code,
        address,
        user_agent(&req),
    )
    .await;
    if let Ok(Err(DomainError::Unauthenticated {
        code: "auth.sign_in_step_expired",
        message,
    })) = &outcome
    {
        let errors = [field_error("email", message.clone())];
        let mut answer = form_errors(&portal, &req, "sign_in.html", &errors, data);
        set_cookie(&mut answer, session::removal(CODE_STEP_COOKIE));
        return answer;
    }
    let mut answer = settled(
        &portal,
        &req,
        outcome,
        &back,
        "sign_in_code.html",
        "code",
        data,
    );
    if answer.status().is_redirection() {
        set_cookie(&mut answer, session::removal(CODE_STEP_COOKIE));
    }
    answer
}

/// A sign-in's end: the session's cookie set and back where the person was going, or the
/// form again with the refusal on `field`.
fn settled(
    portal: &Portal,
    req: &HttpRequest,
    outcome: Result<Result<(AccountId, Opened), DomainError>, RunError>,
    back: &str,
    template: &'static str,
    field: &str,
    data: minijinja::Value,
) -> HttpResponse {
    match outcome {
        Ok(Ok((_, opened))) => {
            let mut answer = see_other(back);
            let https = portal.settings.https;
            set_cookie(&mut answer, session::session_cookie(opened.token, https));
            set_cookie(&mut answer, crate::csrf::renewed(https));
            answer
        }
        Ok(Err(refused)) => {
            let errors = [field_error(field, said(refused))];
            form_errors(portal, req, template, &errors, data)
        }
        Err(RunError::Store(StoreError::Domain(DomainError::TooManyAttempts {
            message, ..
        }))) => too_many(portal, message),
        Err(error) => failed(portal, error),
    }
}

/// Signs out: the session ends on the server, and its cookie is forgotten.
#[post("/deconnexion")]
pub async fn sign_out(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Posted(_form): Posted<NoFields>,
) -> HttpResponse {
    if let Some(token) = session::token(&req) {
        let now = portal.runtime.now();
        let ended = portal
            .runtime
            .write(move |conn| app::sign_out_browser(conn, &token, now))
            .await;
        if let Err(error) = ended {
            return failed(&portal, error);
        }
    }
    let mut answer = Page::new("signed_out.html", context! {}).answer(&portal);
    set_cookie(&mut answer, session::session_removal());
    answer
}

/// The client's User-Agent, as its owner's sessions show it.
fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `retour=…`, encoded.
fn back_query(back: &str) -> String {
    serde_urlencoded::to_string([("retour", back)]).unwrap_or_default()
}

fn set_cookie(answer: &mut HttpResponse, cookie: actix_web::cookie::Cookie<'static>) {
    if let Err(e) = answer.add_cookie(&cookie) {
        tracing::error!(error = %e, "a cookie cannot be set");
    }
}
