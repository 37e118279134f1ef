//! Adding an authenticator app to one's account (`/compte/double-authentification`): a
//! button starts it (a new secret, shown as a QR code and as text), the app's first code
//! confirms it, and the recovery codes are shown that once. Every session ends then, this one
//! too: the person signs in again, with a code. Staff whose role requires it reach this page
//! before any other.

use crate::Portal;
use crate::answers::failed;
use crate::csrf::{NoFields, Posted};
use crate::forms::{errors_shown, field_errors, form_page};
use crate::render::Page;
use crate::session::{self, Enrolling};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::two_factor as app;

/// The QR code of an `otpauth://` address, as an image the page shows (an SVG in a `data:`
/// address: the pages' policy lets images come so).
fn qr_code(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    let encoded = base64::engine::general_purpose::STANDARD.encode(svg);
    Some(format!("data:image/svg+xml;base64,{encoded}"))
}

/// The secret as a person types it: groups of four.
fn grouped(secret: &str) -> String {
    let characters: Vec<char> = secret.chars().collect();
    characters
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the page of a started enrolment shows.
fn enrolment(secret: &str, uri: &str) -> Value {
    context! {
        secret => secret,
        grouped => grouped(secret),
        uri => uri,
        qr => qr_code(uri),
    }
}

#[get("/compte/double-authentification")]
pub async fn two_factor_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Enrolling(visitor): Enrolling,
) -> HttpResponse {
    let (subject, required) = (
        visitor.subject(),
        portal.settings.session_rules.staff_two_factor,
    );
    let status = match portal
        .runtime
        .read(move |conn| app::status(conn, subject, required))
        .await
    {
        Ok(status) => status,
        Err(error) => return failed(&portal, error),
    };
    let data = context! {
        enabled => status.enabled,
        required => status.required,
        codes_left => status.recovery_codes_left,
    };
    form_page(
        &portal,
        &req,
        Page::new("two_factor.html", data).visitor(&visitor),
    )
}

/// Starts adding an app: a new secret, to scan or type.
#[post("/compte/double-authentification")]
pub async fn start(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Enrolling(visitor): Enrolling,
    Posted(_): Posted<NoFields>,
) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let secret = simpa_app::secrets::random_totp_secret();
    match portal
        .runtime
        .write(move |conn| app::start_enrolment(conn, subject, secret, now))
        .await
    {
        Ok(started) => {
            let data = enrolment(&started.secret, &started.uri);
            form_page(
                &portal,
                &req,
                Page::new("two_factor_enrol.html", data).visitor(&visitor),
            )
        }
        Err(error) => failed(&portal, error),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    code: String,
    /// The secret and its address, shown again when the code is wrong (the one kept is the
    /// server's).
    secret: String,
    uri: String,
}

/// The app's first code confirms it: the recovery codes, shown this once; every session ends.
#[post("/compte/double-authentification/confirmation")]
pub async fn confirm(
    portal: web::Data<Portal>,
    req: HttpRequest,
    Enrolling(visitor): Enrolling,
    Posted(form): Posted<ConfirmForm>,
) -> HttpResponse {
    let ConfirmForm { code, secret, uri } = form;
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let notifier = portal.runtime.notifier.clone();
    let typed = code.trim().to_owned();
    match portal
        .runtime
        .write(move |conn| app::confirm_enrolment(conn, subject, &typed, now, &notifier))
        .await
    {
        Ok(codes) => {
            let mut answer =
                Page::new("two_factor_codes.html", context! { codes => codes }).answer(&portal);
            if let Err(e) = answer.add_cookie(&session::session_removal()) {
                tracing::error!(error = %e, "a cookie cannot be removed");
            }
            answer
        }
        Err(error) => match field_errors(&error) {
            Some(errors) => {
                let data = context! { errors => errors_shown(errors), ..enrolment(&secret, &uri) };
                let page = Page::new("two_factor_enrol.html", data)
                    .status(StatusCode::UNPROCESSABLE_ENTITY)
                    .visitor(&visitor);
                form_page(&portal, &req, page)
            }
            None => failed(&portal, error),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_shown_in_groups_and_as_a_qr_code() {
        assert_eq!(grouped("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
        let qr =
            qr_code("otpauth://totp/Simpa:lea%40exemple.org?secret=JBSWY3DPEHPK3PXP&issuer=Simpa")
                .expect("a QR code");
        let svg = base64::engine::general_purpose::STANDARD
            .decode(qr.trim_start_matches("data:image/svg+xml;base64,"))
            .expect("base64");
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    }
}
