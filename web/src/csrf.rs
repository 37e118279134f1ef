//! Forms another site cannot post: each form carries the browser's token (kept in an HttpOnly
//! cookie, given again in a hidden field), and a form that says where it comes from (`Origin`)
//! must come from this site. A handler takes its form as [`Posted`], checked before it runs.

use crate::Portal;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use simpa_domain::digest::same_secret;
use std::future::Future;
use std::pin::Pin;

const COOKIE: &str = "simpa_csrf";

/// A token made while answering a request whose browser had none: every form of that answer
/// (the page's and its header's) carries the same one.
#[derive(Clone)]
struct Made(String);

/// A token is this long at least (256 random bits, in base64).
const TOKEN_CHARS: usize = 43;

/// The browser's token; one is made when it has none, and [`give_made_token`] sets its cookie
/// on the answer.
pub fn token(req: &HttpRequest) -> String {
    if let Some(cookie) = req
        .cookie(COOKIE)
        .filter(|c| c.value().len() >= TOKEN_CHARS)
    {
        return cookie.value().to_owned();
    }
    let made = req.extensions().get::<Made>().cloned();
    made.map_or_else(
        || {
            let token = simpa_app::secrets::random_token();
            req.extensions_mut().insert(Made(token.clone()));
            token
        },
        |made| made.0,
    )
}

/// Gives the browser the token made while answering it (whichever page it was: a form's, or
/// any page whose header signs out), unless the answer sets one itself (a sign-in).
pub async fn give_made_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<Portal>>()
        .is_some_and(|portal| portal.settings.https);
    let mut answer = next.call(req).await?;
    let made = answer.request().extensions().get::<Made>().cloned();
    let sets_its_own = answer.response().cookies().any(|c| c.name() == COOKIE);
    if let Some(Made(token)) = made
        && !sets_its_own
        && let Err(e) = answer.response_mut().add_cookie(&cookie(token, https))
    {
        tracing::error!(error = %e, "the anti-forgery cookie cannot be set");
    }
    Ok(answer)
}

/// A new token's cookie: kept as long as a session lasts (twelve hours), so that a browser
/// signed in always holds one.
fn cookie(token: String, https: bool) -> Cookie<'static> {
    let lifetime = simpa_domain::account::BrowserSessionState::lifetime();
    Cookie::build(COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            lifetime.num_seconds(),
        ))
        .finish()
}

/// A new token for a browser that just signed in (a token known before is no longer good):
/// its cookie.
pub fn renewed(https: bool) -> Cookie<'static> {
    cookie(simpa_app::secrets::random_token(), https)
}

/// Whether a posted form is this browser's, from this site (`origin`: where people reach
/// it).
pub fn is_genuine(req: &HttpRequest, posted: &str, origin: &str) -> bool {
    let same_token = posted.len() >= TOKEN_CHARS
        && req
            .cookie(COOKIE)
            .is_some_and(|cookie| same_secret(cookie.value().as_bytes(), posted.as_bytes()));
    same_token && from_this_site(req, origin)
}

/// A form whose `Origin` names another site (or `null`) is not this site's; browsers send it
/// with every POST. This site is where people reach it, or the host the form was posted to
/// (a proxy may rewrite the latter).
pub fn from_this_site(req: &HttpRequest, public_origin: &str) -> bool {
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
                let mut answer = crate::answers::refused(portal);
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
