//! Forms another site cannot post: each form carries the browser's token (kept in an HttpOnly
//! cookie, given again in a hidden field), and a form that says where it comes from (`Origin`)
//! must come from this site.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use simpa_domain::digest::same_secret;

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
