//! Single sign-on for staff through the city's identity provider (OpenID Connect): a browser
//! is sent to the provider, and comes back with a code that signs its person in. The portal's
//! pages will do the same with the same use cases; here the sign-in answers tokens, as the
//! password grant does.

use crate::auth::{TokenKeys, TokenResponse};
use crate::input::Query;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use simpa_app::oidc::{OidcClient, SsoError};
use simpa_app::sign_in::SigningIn;
use simpa_app::sso;
use simpa_domain::digest::same_secret;
use simpa_domain::policy::Subject;
use utoipa::IntoParams;

/// The cookie that binds a sign-in to the browser that started it (its state).
const COOKIE: &str = "simpa_sso";
const COOKIE_PATH: &str = "/api/v1/auth/oidc";

fn client(state: &AppState) -> Result<&OidcClient, Problem> {
    state.oidc.as_ref().ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "auth.sso_disabled",
            "La connexion par le fournisseur d'identité de la Ville n'est pas configurée : connectez-vous avec votre adresse e-mail et votre mot de passe.",
        )
    })
}

fn sso_problem(error: SsoError) -> Problem {
    match error {
        SsoError::Refused(refused) => refused.into(),
        SsoError::Unavailable(reason) => {
            tracing::warn!(%reason, "the identity provider cannot be used");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "auth.sso_unavailable",
                "Le fournisseur d'identité de la Ville ne répond pas : rien n'a été enregistré, réessayez dans quelques minutes.",
            )
            .retry_after(60)
        }
    }
}

/// The cookie of a sign-in started (`Some(state)`), or its removal.
fn cookie(state: &AppState, value: Option<&str>) -> Cookie<'static> {
    let secure = state
        .oidc
        .as_ref()
        .is_some_and(|c| c.config.redirect_uri.starts_with("https://"));
    let mut cookie = Cookie::build(COOKIE, value.unwrap_or_default().to_owned())
        .path(COOKIE_PATH)
        .http_only(true)
        .secure(secure)
        // The provider sends the browser back with a top-level GET: Lax lets the cookie come.
        .same_site(SameSite::Lax)
        .finish();
    match value {
        Some(_) => cookie.set_max_age(time::Duration::minutes(10)),
        None => cookie.make_removal(),
    }
    cookie
}

/// Sends the browser to the city's identity provider to sign in (authorization code flow with
/// PKCE, a state bound to this browser by a cookie, a nonce), for ten minutes. 404
/// `auth.sso_disabled` when single sign-on is not configured; 503 `auth.sso_unavailable`
/// when the provider cannot be reached (nothing is kept then).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 302, description = "To the identity provider (Location), with the cookie `simpa_sso`"),
        (status = 404, response = responses::NotFound),
        (status = 503, response = responses::Unavailable),
    )
)]
#[get("/auth/oidc/authorize")]
pub async fn authorize(state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let client = client(&state)?;
    let endpoint = client.authorization_endpoint().await.map_err(sso_problem)?;
    let now = state.now();
    let start = state.write(move |conn| sso::start(conn, now)).await?;
    let location = client.authorization_url(&endpoint, &start);
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .cookie(cookie(&state, Some(&start.state)))
        .finish())
}

/// What the identity provider sends the browser back with (OAuth 2.0, RFC 6749 §4.1.2).
#[derive(Deserialize, IntoParams)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider refused (`access_denied`…).
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The provider's issuer (RFC 9207), when it says it.
    pub iss: Option<String>,
}

/// Where the identity provider sends the browser back: the sign-in started by this browser
/// (its cookie) is completed once. The person is the account linked to the provider's
/// identity, or the account of the address the provider verified (linked from then on), or —
/// when `SIMPA_OIDC_PROVISIONING` allows it — a new account without role; an unknown person
/// gets 403 `auth.sso_unknown_person` and nothing is created. No second factor is asked: the
/// provider authenticated the person. Answers the tokens of the password grant. 401 for a
/// state unknown, expired or not this browser's (`auth.sso_state_invalid`), presented again
/// (`auth.sso_replayed`), an ID token that is not the provider's, not for Simpa, expired or
/// not of this sign-in (`auth.sso_bad_signature`, `auth.sso_wrong_audience`,
/// `auth.sso_token_expired`, `auth.sso_nonce_mismatch`…), a refusal of the provider
/// (`auth.sso_refused`); 503 `auth.sso_unavailable` when it cannot be reached.
#[utoipa::path(
    tag = "auth",
    params(CallbackQuery),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 503, response = responses::Unavailable),
    )
)]
#[get("/auth/oidc/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    keys: web::Data<TokenKeys>,
    req: HttpRequest,
    query: Query<CallbackQuery>,
) -> Result<HttpResponse, Problem> {
    let client = client(&state)?;
    let query = query.0;
    if let Some(error) = query.error {
        // What the browser brings back is anyone's text: logged, not repeated.
        tracing::info!(%error, description = ?query.error_description, "the identity provider did not sign the person in");
        return Err(Problem::unauthenticated(
            "auth.sso_refused",
            "Le fournisseur d'identité n'a pas connecté la personne (connexion annulée ou refusée) : recommencez-la depuis Simpa.",
        ));
    }
    let (Some(code), Some(returned)) = (query.code, query.state) else {
        return Err(Problem::bad_request(
            "auth.sso_incomplete",
            "Le retour du fournisseur d'identité doit porter les paramètres code et state.",
            vec![],
        ));
    };
    // The browser that comes back must be the one that left (no one else's sign-in).
    let started = req.cookie(COOKIE).map(|c| c.value().to_owned());
    let now = state.now();
    let login = match started {
        Some(started) if same_secret(started.as_bytes(), returned.as_bytes()) => {
            state
                .read(move |conn| sso::pending(conn, &returned, now))
                .await?
        }
        _ => {
            return Err(Problem::unauthenticated(
                "auth.sso_state_invalid",
                "Ce navigateur n'a pas commencé cette connexion (ou ses cookies sont bloqués) : recommencez-la depuis Simpa.",
            ));
        }
    };
    let identity = client
        .identify(&code, &login.code_verifier, &login.nonce, now)
        .await
        .map_err(sso_problem)?;
    let address = format!(
        "ip:{}",
        crate::auth::client_address(&req, state.config.trust_forwarded_for)
    );
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (rules, provisioning) = (state.config.session_rules(), client.config.provisioning);
    let (account, refresh) = state
        .write(move |conn| {
            let signing_in = SigningIn {
                address: &address,
                user_agent: user_agent.as_deref(),
                second_factor: None,
                now,
            };
            sso::complete(conn, login.id, &identity, provisioning, &signing_in, rules)
        })
        .await?;
    let tokens = keys.respond(Subject::Person(account), Some(refresh), false, now)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie(&state, None))
        .json(tokens))
}
