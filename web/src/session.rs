//! Who is signed in: a browser's cookie (`simpa_session`: HttpOnly, SameSite=Lax, Secure
//! behind HTTPS) names its session on the server, which its owner lists and ends with their
//! other sign-ins. A page that needs someone takes a [`Visitor`]: without a live session it
//! sends the browser to the sign-in page, and back afterwards.

use crate::{Portal, csrf};
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use simpa_app::runtime::RunError;
use simpa_app::sign_in::{self, Visit};
use simpa_domain::account::BrowserSessionState;
use simpa_domain::ids::AccountId;
use simpa_domain::policy::Subject;
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

const COOKIE: &str = "simpa_session";
/// The step between the password and the second factor's code.
pub const CODE_STEP_COOKIE: &str = "simpa_connexion";

/// Someone signed in, on a page.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub account: AccountId,
    /// Their sign-in, as the list of sessions names it.
    pub session: Uuid,
    /// Their role requires a second factor they have not proved in this session.
    pub must_enrol: bool,
    /// The browser's anti-forgery token, for the forms of the page's header (signing out).
    pub csrf: String,
}

impl crate::render::SignedIn for Visitor {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn must_enrol(&self) -> bool {
        self.must_enrol
    }
}

impl Visitor {
    /// Who acts, for the use cases.
    pub fn subject(&self) -> Option<Subject> {
        Some(Subject::Person(self.account))
    }
}

/// The cookie's token of this browser's session, if it has one.
pub fn token(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE).map(|c| c.value().to_owned())
}

/// The browser's live session, if any.
async fn visitor(portal: &Portal, req: &HttpRequest) -> Result<Option<Visitor>, RunError> {
    let Some(token) = token(req) else {
        return Ok(None);
    };
    let (now, rules) = (portal.runtime.now(), portal.settings.session_rules);
    let visit = portal
        .runtime
        .read(move |conn| sign_in::visit(conn, &token, now, rules))
        .await?;
    admitted(portal, req, visit).await
}

/// A session looked up with a page's own reads (the request's page looks up the session and
/// itself together): its use written down when that is due, and who it names.
pub async fn admitted(
    portal: &Portal,
    req: &HttpRequest,
    visit: Option<(Visit, bool)>,
) -> Result<Option<Visitor>, RunError> {
    let Some((visit, stale)) = visit else {
        return Ok(None);
    };
    if stale {
        let (session, now) = (visit.session, portal.runtime.now());
        portal
            .runtime
            .write(move |conn| sign_in::touch(conn, session, now))
            .await?;
    }
    let Visit {
        account,
        session,
        must_enrol,
    } = visit;
    Ok(Some(Visitor {
        account,
        session,
        must_enrol,
        csrf: csrf::token(req),
    }))
}

/// Someone signed in whose role may still require adding a second factor: only their
/// account's page serves them until they do (as the API's `Enrolling`).
pub struct Enrolling(pub Visitor);

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Visitor, actix_web::Error>>>>;

    /// Without a live session: to the sign-in page, which comes back here. A staff member who
    /// must add a second factor first: to their account's page, which says so.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let visitor = signed_in(&req).await?;
            if visitor.must_enrol {
                return Err(InternalError::from_response("elsewhere first", to_enrol()).into());
            }
            Ok(visitor)
        })
    }
}

impl FromRequest for Enrolling {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Enrolling, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(&req).await.map(Enrolling) })
    }
}

/// The browser's live session, or the answer that sends it to the sign-in page (and back).
async fn signed_in(req: &HttpRequest) -> Result<Visitor, actix_web::Error> {
    let portal = req
        .app_data::<web::Data<Portal>>()
        .expect("the portal's pages have the portal");
    match visitor(portal, req).await {
        Ok(Some(visitor)) => Ok(visitor),
        Ok(None) => Err(InternalError::from_response("elsewhere first", to_sign_in(req)).into()),
        Err(error) => {
            let answer = crate::answers::failed(portal, error);
            Err(InternalError::from_response("a session", answer).into())
        }
    }
}

/// Where a browser without a live session goes: to the sign-in page, which comes back here.
pub fn to_sign_in(req: &HttpRequest) -> HttpResponse {
    let back = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    let query = serde_urlencoded::to_string([("retour", back)]).unwrap_or_default();
    sent_to(format!("/connexion?{query}"))
}

/// Where a staff member who must add a second factor goes first: their account's page,
/// which says so.
pub fn to_enrol() -> HttpResponse {
    sent_to("/compte".to_owned())
}

fn sent_to(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The cookie of a session just opened (or of the step awaiting the code).
pub fn cookie(name: &'static str, token: String, https: bool) -> Cookie<'static> {
    let lifetime = match name {
        COOKIE => BrowserSessionState::lifetime(),
        _ => BrowserSessionState::code_step_lifetime(),
    };
    Cookie::build(name, token)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(lifetime.num_seconds()))
        .finish()
}

/// The session's cookie, named `name` (see [`cookie`]).
pub fn session_cookie(token: String, https: bool) -> Cookie<'static> {
    cookie(COOKIE, token, https)
}

/// A cookie that the browser forgets.
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "").path("/").finish();
    cookie.make_removal();
    cookie
}

/// Removes the session's cookie.
pub fn session_removal() -> Cookie<'static> {
    removal(COOKIE)
}
