//! Signing in: access tokens (15 min), rotating refresh tokens, directions' API clients.

use crate::auth::{TokenKeys, TokenResponse};
use crate::input::JsonOrForm;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use serde::Deserialize;
use simpa_app::sign_in::{self, PasswordSignIn, Refresh, SessionKind};
use simpa_domain::DomainError;
use simpa_domain::account::is_client_id;
use simpa_domain::audit::AuditActor;
use simpa_domain::contact::EmailAddress;
use simpa_domain::policy::Subject;
use simpa_domain::text::has_control_characters;
use utoipa::ToSchema;

/// A token request, as in OAuth 2.0 (RFC 6749 §4.3, §4.4, §6), in JSON or form-encoded.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub enum TokenRequest {
    /// A person signs in with e-mail and password, and the code of their second factor when
    /// their account has one.
    Password {
        #[schema(example = "tresoriere@exemple.org")]
        email: String,
        password: String,
        /// The 6 digits their authenticator app shows now, or one of their recovery codes
        /// (`abcd-efgh-ijkl`). Asked when the account has a second factor
        /// (401 `auth.second_factor_required` without it).
        #[schema(example = "492039")]
        code: Option<String>,
    },
    /// A refresh token is exchanged for new tokens; it cannot be used again.
    RefreshToken { refresh_token: String },
    /// A direction's API client signs in with its credentials, in the body or with HTTP Basic.
    ClientCredentials {
        client_id: Option<String>,
        client_secret: Option<String>,
    },
}

#[derive(Deserialize, ToSchema)]
pub struct LogoutRequest {
    pub refresh_token: String,
}

fn invalid_client() -> Problem {
    Problem::unauthenticated(
        "auth.invalid_client",
        "Identifiant ou secret du client incorrect, ou client révoqué.",
    )
}

/// Exchanges credentials for tokens.
///
/// Five failed sign-ins on one account from one address within 15 minutes, and further
/// attempts on it from that address are answered 429 until the oldest failure is 15 minutes
/// old; the account's owner signs in from elsewhere as usual. An address's failures (all
/// accounts and API clients) slow it down past ten (1 s, 2 s, 4 s… after its latest) and stop
/// it at fifty. API clients are throttled by address only. A refresh token works once:
/// presenting a used one revokes every token of its sign-in.
#[utoipa::path(
    tag = "auth",
    request_body(content(
        (TokenRequest = "application/json"),
        (TokenRequest = "application/x-www-form-urlencoded")
    )),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Invalid),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/auth/token")]
pub async fn request_token(
    state: web::Data<AppState>,
    keys: web::Data<TokenKeys>,
    req: HttpRequest,
    body: Result<JsonOrForm<TokenRequest>, Problem>,
) -> Result<HttpResponse, Problem> {
    let basic = basic_credentials(&req).is_some();
    let answer = grant(&state, &keys, &req, body).await;
    answer.map_err(|problem| problem.oauth(basic))
}

async fn grant(
    state: &web::Data<AppState>,
    keys: &TokenKeys,
    req: &HttpRequest,
    body: Result<JsonOrForm<TokenRequest>, Problem>,
) -> Result<HttpResponse, Problem> {
    let body = body?;
    let address = format!(
        "ip:{}",
        crate::auth::client_address(req, state.config.trust_forwarded_for)
    );
    let device = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = match body.0 {
        TokenRequest::Password {
            email,
            password,
            code,
        } => {
            let email = EmailAddress::parse(&email)
                .map_err(|v| Problem::from(DomainError::invalid("email", v)))?;
            let signing_in = PasswordSignIn {
                email,
                password,
                address,
                user_agent: device,
                code,
            };
            password_grant(state, keys, signing_in).await?
        }
        TokenRequest::RefreshToken { refresh_token } => {
            refresh_grant(state, keys, refresh_token, address).await?
        }
        TokenRequest::ClientCredentials {
            client_id,
            client_secret,
        } => {
            let (client_id, client_secret) = client_of(req, client_id, client_secret)?;
            client_credentials_grant(state, keys, client_id, client_secret, address).await?
        }
    };
    // Tokens must not be cached (RFC 6749 §5.1).
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(response))
}

/// The credentials of an `Authorization: Basic …` header, still encoded; `None` for another
/// scheme or none.
fn basic_credentials(req: &HttpRequest) -> Option<&str> {
    let header = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let scheme = header.get(..6)?;
    scheme
        .eq_ignore_ascii_case("basic ")
        .then(|| header[6..].trim())
}

/// A client's id and secret, from HTTP Basic (RFC 6749 §2.3.1: each form-encoded, then
/// `id:secret` in base64) or from the body, never both.
fn client_of(
    req: &HttpRequest,
    body_id: Option<String>,
    body_secret: Option<String>,
) -> Result<(String, String), Problem> {
    let Some(encoded) = basic_credentials(req) else {
        return match (body_id, body_secret) {
            (Some(id), Some(secret)) => Ok((id, secret)),
            _ => Err(invalid_client()),
        };
    };
    if body_id.is_some() || body_secret.is_some() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "auth.two_client_authentications",
            "Le client s'authentifie d'une seule façon : en HTTP Basic ou dans le corps, pas les deux.",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid_client)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid_client)?;
    let form_decoded = |part: &str| -> String {
        form_urlencoded::parse(format!("v={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((form_decoded(id), form_decoded(secret)))
}

async fn password_grant(
    state: &web::Data<AppState>,
    keys: &TokenKeys,
    signing_in: PasswordSignIn,
) -> Result<TokenResponse, Problem> {
    let (policy, rules) = (state.config.throttle, state.config.session_rules());
    let kind = SessionKind::Api;
    let (account, opened) =
        sign_in::with_password(&state.runtime, policy, rules, kind, signing_in).await??;
    let now = state.now();
    keys.respond(
        Subject::Person(account),
        Some(opened.token),
        opened.must_enrol,
        now,
    )
}

async fn refresh_grant(
    state: &web::Data<AppState>,
    keys: &TokenKeys,
    presented: String,
    address: String,
) -> Result<TokenResponse, Problem> {
    let now = state.now();
    let rules = state.config.session_rules();
    // A reuse revokes the family and commits that, then answers 401.
    let outcome = state
        .write(move |conn| sign_in::refresh(conn, &presented, &address, now, rules))
        .await?;
    match outcome {
        Refresh::Rotated {
            account,
            token,
            must_enrol,
        } => keys.respond(Subject::Person(account), Some(token), must_enrol, now),
        Refresh::Refused => Err(Problem::unauthenticated(
            "auth.invalid_refresh_token",
            "Jeton de rafraîchissement invalide, expiré ou révoqué : reconnectez-vous.",
        )),
        Refresh::Reused => {
            tracing::warn!("a used refresh token was presented again: its family is revoked");
            Err(Problem::unauthenticated(
                "auth.refresh_token_reused",
                "Ce jeton de rafraîchissement a déjà servi : par sécurité, la session est révoquée. Reconnectez-vous.",
            ))
        }
    }
}

async fn client_credentials_grant(
    state: &web::Data<AppState>,
    keys: &TokenKeys,
    client_id: String,
    client_secret: String,
    address: String,
) -> Result<TokenResponse, Problem> {
    // No valid client id holds control characters (and PostgreSQL could not even store one).
    if has_control_characters(&client_id) {
        return Err(invalid_client());
    }
    let now = state.now();
    let policy = state.config.throttle;
    let claimed = AuditActor::claiming(if is_client_id(&client_id) {
        &client_id
    } else {
        "(pas un identifiant de client)"
    });
    let (at, claimant) = (address.clone(), claimed.clone());
    let admitted = state
        .runtime
        .write(move |conn| {
            sign_in::client(conn, policy, &client_id, &client_secret, claimant, &at, now)
        })
        .await;
    let client =
        sign_in::throttled_apart(&state.runtime, policy, admitted, &claimed, &address).await?;
    match client {
        Some(id) => keys.respond(Subject::Service(id), None, false, now),
        None => Err(invalid_client()),
    }
}

/// Signs out: the refresh token and every token of its sign-in are revoked. Access tokens
/// already issued expire on their own within 15 minutes.
#[utoipa::path(
    tag = "auth",
    request_body = LogoutRequest,
    responses(
        (status = 204, description = "Signed out (also when the token was unknown or already revoked)"),
        (status = 400, response = responses::BadRequest),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: JsonOrForm<LogoutRequest>,
) -> Result<HttpResponse, Problem> {
    let now = state.now();
    let token = body.0.refresh_token;
    state
        .write(move |conn| sign_in::sign_out(conn, &token, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
