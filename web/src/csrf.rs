//! Forms another site cannot post: each form carries the browser's token (kept in an HttpOnly
//! cookie, given again in a hidden field), and a form that says where it comes from (`Origin`)
//! must come from this site. A handler takes its form as [`Posted`], checked before it runs.

use crate::Portal;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use simpa_domain::digest::same_secret;
use std::future::Future;
use std::pin::Pin;

const COOKIE: &str = "simpa_csrf";

/// The browser's token, and the cookie to set when it had none yet.
pub fn token(req: &HttpRequest, https: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(cookie) = req.cookie(COOKIE).filter(|c| c.value().len() >= 43) {
        return (cookie.value().to_owned(), None);
    }
    let token = simpa_app::secrets::random_token();
    let cookie = Cookie::build(COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .finish();
    (token, Some(cookie))
}

/// Whether a posted form is this browser's, from this site (`origin`: where people reach
/// it).
pub fn is_genuine(req: &HttpRequest, posted: &str, origin: &str) -> bool {
    let same_token = req
        .cookie(COOKIE)
        .is_some_and(|cookie| same_secret(cookie.value().as_bytes(), posted.as_bytes()));
    same_token && from_this_site(req, origin)
}

/// A form whose `Origin` names another site (or `null`) is not this site's; browsers send it
/// with every POST. This site is where people reach it, or the host the form was posted to
/// (a proxy may rewrite the latter).
fn from_this_site(req: &HttpRequest, public_origin: &str) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    if origin
        .to_str()
        .is_ok_and(|o| o.eq_ignore_ascii_case(public_origin))
    {
        return true;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host);
    matches!((origin_host, host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

/// A form this browser posted from this site: its token (the field `csrf`) checked before the
/// handler runs; otherwise the portal's refusal (403, nothing done). A form that does not
/// parse is refused too (400).
pub struct Posted<T>(pub T);

/// A form with nothing but its token (a button that does a deed).
#[derive(Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
struct WithToken<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Posted<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<WithToken<T>>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let portal = req
                .app_data::<web::Data<Portal>>()
                .expect("the portal's pages have the portal");
            let refusal = |status: StatusCode, why: &'static str| {
                let mut answer = crate::pages::refused(portal);
                *answer.status_mut() = status;
                actix_web::Error::from(InternalError::from_response(why, answer))
            };
            match form.await {
                Ok(posted) if is_genuine(&req, &posted.csrf, &portal.settings.origin) => {
                    Ok(Posted(posted.into_inner().form))
                }
                Ok(_) => Err(refusal(StatusCode::FORBIDDEN, "a forged form")),
                Err(_) => Err(refusal(
                    StatusCode::BAD_REQUEST,
                    "a form that does not parse",
                )),
            }
        })
    }
}
