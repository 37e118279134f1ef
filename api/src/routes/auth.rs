//! Signing in: access tokens (15 min), rotating refresh tokens, directions' API clients.

use crate::auth::{TokenKeys, secrets};
use crate::input::JsonOrForm;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::throttle::admit_attempt;
use simpa_domain::DomainError;
use simpa_domain::account::{RefreshDecision, decide_refresh, is_client_id};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::contact::EmailAddress;
use simpa_domain::ids::AccountId;
use simpa_domain::policy::Subject;
use simpa_domain::text::has_control_characters;
use simpa_domain::throttle::{
    SignInFailures, counted_address, is_known_address, known_address_since,
};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::{DbConnection, StoreResult, accounts, service_accounts, throttle, tokens};
use utoipa::ToSchema;
use uuid::Uuid;

/// A token request, as in OAuth 2.0 (RFC 6749 §4.3, §4.4, §6), in JSON or form-encoded.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub enum TokenRequest {
    /// A person signs in with e-mail and password.
    Password {
        #[schema(example = "tresoriere@exemple.org")]
        email: String,
        password: String,
    },
    /// A refresh token is exchanged for new tokens; it cannot be used again.
    RefreshToken { refresh_token: String },
    /// A direction's API client signs in with its credentials.
    ClientCredentials {
        client_id: String,
        client_secret: String,
    },
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Bearer token for the `Authorization` header.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token, in seconds.
    pub expires_in: i64,
    /// For people: exchange it for new tokens before it expires. Absent for API clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct LogoutRequest {
    pub refresh_token: String,
}

fn invalid_credentials() -> Problem {
    Problem::unauthenticated(
        "auth.invalid_credentials",
        "Adresse e-mail ou mot de passe incorrect.",
    )
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
    body: JsonOrForm<TokenRequest>,
) -> Result<HttpResponse, Problem> {
    let address = format!(
        "ip:{}",
        crate::auth::client_address(&req, state.config.trust_forwarded_for)
    );
    let response = match body.0 {
        TokenRequest::Password { email, password } => {
            password_grant(&state, &keys, email, password, address).await?
        }
        TokenRequest::RefreshToken { refresh_token } => {
            refresh_grant(&state, &keys, refresh_token, address).await?
        }
        TokenRequest::ClientCredentials {
            client_id,
            client_secret,
        } => client_credentials_grant(&state, &keys, client_id, client_secret, address).await?,
    };
    // Tokens must not be cached (RFC 6749 §5.1).
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(response))
}

/// The key of an address (`ip:…`) as throttling counts it.
fn counted_key(address: &str) -> String {
    format!("ip:{}", counted_address(bare_address(address)))
}

/// An address without its `ip:` prefix (as keys and the audit trail write it).
fn bare_address(address: &str) -> &str {
    address.strip_prefix("ip:").unwrap_or(address)
}

/// The throttling keys of a person's sign-in: the account from this address, the account,
/// and the address (see `domain::throttle`).
fn sign_in_keys(email: &EmailAddress, address: &str) -> [String; 3] {
    let counted = counted_key(address);
    [
        format!("email:{}|{counted}", email.key()),
        format!("email:{}", email.key()),
        counted,
    ]
}

async fn password_grant(
    state: &web::Data<AppState>,
    keys: &TokenKeys,
    email: String,
    password: String,
    address: String,
) -> Result<TokenResponse, Problem> {
    let email =
        EmailAddress::parse(&email).map_err(|v| Problem::from(DomainError::invalid("email", v)))?;
    let throttle_keys = sign_in_keys(&email, &address);
    let account_key = throttle_keys[0].clone();
    let now = state.now();
    let policy = state.config.throttle;
    let claimed = AuditActor::claiming(email.as_str());
    let at = address.clone();
    let admitted = state
        .write(move |conn| {
            let credentials = accounts::credentials(conn, &email)?;
            let keys = throttle_keys.each_ref().map(String::as_str);
            let attempt = admit_attempt(conn, policy, &keys, now, |conn, recent| {
                let known_address = match &credentials {
                    Some(c) if policy.asks_known_address(recent[1]) => {
                        let known = audit::sign_in_addresses(conn, c.id, known_address_since(now))?;
                        let known: Vec<String> =
                            known.iter().map(|a| bare_address(a).to_owned()).collect();
                        is_known_address(&known, bare_address(&at))
                    }
                    _ => false,
                };
                let failures = SignInFailures {
                    account_from_address: recent[0],
                    account: recent[1],
                    address: recent[2],
                    known_address,
                };
                Ok(policy.check_sign_in(failures, now)?)
            })?;
            Ok((attempt, credentials))
        })
        .await;
    let (attempt, credentials) = throttled_apart(state, admitted, &claimed, &address).await?;
    let signed_in = check_password(
        state,
        &attempt,
        &account_key,
        password,
        credentials,
        &address,
        now,
    );
    match signed_in.await {
        Ok(Some((account, refresh))) => respond(keys, Subject::Person(account), Some(refresh), now),
        // A wrong password: the attempt stays counted.
        Ok(None) => {
            let refused =
                NewAuditEvent::new(AuditAction::SignInRefused, claimed).from_address(&address);
            record_apart(state, refused).await;
            Err(invalid_credentials())
        }
        // Our failure, not theirs: the attempt must not count against the account.
        Err(problem) => {
            let forgotten = state
                .write(move |conn| throttle::forget(conn, &attempt))
                .await;
            if forgotten.is_err() {
                tracing::warn!("an attempt that failed on our side could not be forgotten");
            }
            Err(problem)
        }
    }
}

/// Checks the password of an admitted attempt. On success, forgets this attempt and the
/// account's earlier failures (attempts admitted after this one still count), and opens a
/// session: returns the account and its refresh token. `None` for wrong credentials.
async fn check_password(
    state: &web::Data<AppState>,
    attempt: &[String],
    account_key: &str,
    password: String,
    credentials: Option<accounts::Credentials>,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Option<(AccountId, String)>, Problem> {
    let account = credentials.as_ref().filter(|c| c.active).map(|c| c.id);
    let matches = state
        .verify_password(password, credentials.map(|c| c.password_hash))
        .await?;
    let Some(account) = account.filter(|_| matches) else {
        return Ok(None);
    };
    let (attempt, account_key) = (attempt.to_vec(), account_key.to_owned());
    let ttl = state.config.refresh_token_ttl;
    let signed_in = NewAuditEvent::new(
        AuditAction::SignedIn,
        AuditActor::of(Subject::Person(account)),
    )
    .from_address(address);
    let refresh = state
        .write(move |conn| {
            throttle::forget(conn, &attempt)?;
            throttle::clear_before(conn, &account_key, now)?;
            audit::record(conn, &signed_in, now)?;
            let family = Uuid::now_v7();
            tokens::start_family(conn, family, account, now)?;
            new_refresh_token(conn, family, now, ttl)
        })
        .await?;
    Ok(Some((account, refresh)))
}

/// Stores a new refresh token of `family` (hash only) and returns the token itself.
fn new_refresh_token(
    conn: &mut DbConnection,
    family: Uuid,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
) -> StoreResult<String> {
    let token = secrets::random_token();
    tokens::insert(
        conn,
        family,
        &secrets::sha256_hex(token.as_bytes()),
        now,
        now + ttl,
    )?;
    Ok(token)
}

enum Refresh {
    Rotated { account: AccountId, token: String },
    Refused,
    Reused,
}

async fn refresh_grant(
    state: &web::Data<AppState>,
    keys: &TokenKeys,
    presented: String,
    address: String,
) -> Result<TokenResponse, Problem> {
    let now = state.now();
    let ttl = state.config.refresh_token_ttl;
    let hash = secrets::sha256_hex(presented.as_bytes());
    // A reuse revokes the family and commits that, then answers 401.
    let outcome = state
        .write(move |conn| {
            let Some(presented) = tokens::find_by_hash(conn, &hash)? else {
                return Ok(Refresh::Refused);
            };
            match decide_refresh(&presented.state, now) {
                RefreshDecision::Refuse => Ok(Refresh::Refused),
                RefreshDecision::RevokeFamily => {
                    tokens::revoke_family(conn, presented.family, now)?;
                    reused(conn, presented.account, &address, now)?;
                    Ok(Refresh::Reused)
                }
                RefreshDecision::Rotate => {
                    // Waits for any concurrent revocation, and sees it.
                    if !tokens::lock_active_family(conn, presented.family)? {
                        return Ok(Refresh::Refused);
                    }
                    if !tokens::mark_used(conn, presented.id, now)? {
                        tokens::revoke_family(conn, presented.family, now)?;
                        reused(conn, presented.account, &address, now)?;
                        return Ok(Refresh::Reused);
                    }
                    accounts::load_actor(conn, Some(Subject::Person(presented.account)))?;
                    let next = new_refresh_token(conn, presented.family, now, ttl)?;
                    Ok(Refresh::Rotated {
                        account: presented.account,
                        token: next,
                    })
                }
            }
        })
        .await?;
    match outcome {
        Refresh::Rotated { account, token } => {
            respond(keys, Subject::Person(account), Some(token), now)
        }
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
    let presented = secrets::sha256_hex(client_secret.as_bytes());
    let claimed = AuditActor::claiming(if is_client_id(&client_id) {
        &client_id
    } else {
        "(pas un identifiant de client)"
    });
    let (at, claimant) = (address.clone(), claimed.clone());
    // The secret is checked by its SHA-256 (it is random and long), in the same transaction.
    let admitted = state
        .write(move |conn| {
            let counted = counted_key(&at);
            let attempt = admit_attempt(conn, policy, &[&counted], now, |_, recent| {
                Ok(policy.check_client(recent[0], now)?)
            })?;
            let (client, action) = match service_accounts::credentials(conn, &client_id)? {
                Some((client, hash)) if client.active && hash == presented => {
                    throttle::forget(conn, &attempt)?;
                    (Some(client.id), AuditAction::ClientSignedIn)
                }
                _ => (None, AuditAction::ClientSignInRefused),
            };
            let actor = AuditActor {
                service: client,
                ..claimant
            };
            audit::record(
                conn,
                &NewAuditEvent::new(action, actor).from_address(&at),
                now,
            )?;
            Ok(client)
        })
        .await;
    let client = throttled_apart(state, admitted, &claimed, &address).await?;
    match client {
        Some(id) => respond(keys, Subject::Service(id), None, now),
        None => Err(invalid_client()),
    }
}

/// A sign-in refused for too many recent failures rolled its transaction back: its audit
/// event is written apart, once per identifier and address within the throttle's window.
async fn throttled_apart<T>(
    state: &web::Data<AppState>,
    admitted: Result<T, Problem>,
    claimed: &AuditActor,
    address: &str,
) -> Result<T, Problem> {
    if let Err(problem) = &admitted
        && problem.status == StatusCode::TOO_MANY_REQUESTS.as_u16()
    {
        let event =
            NewAuditEvent::new(AuditAction::SignInThrottled, claimed.clone()).from_address(address);
        let now = state.now();
        let since = state.config.throttle.window_start(now);
        let recorded = state
            .write(move |conn| audit::record_once_since(conn, &event, since, now))
            .await;
        if let Err(problem) = recorded {
            tracing::warn!(%problem, "a throttled sign-in could not be recorded");
        }
    }
    admitted
}

/// Records an event apart; the answer does not depend on it: a refusal is a refusal even
/// when the trail cannot be written.
async fn record_apart(state: &web::Data<AppState>, event: NewAuditEvent) {
    let action = event.action.code();
    if let Err(problem) = state.audit(event).await {
        tracing::warn!(%problem, action, "an audit event could not be recorded");
    }
}

/// A refresh token presented twice: its session is revoked, and the trail says so.
fn reused(
    conn: &mut DbConnection,
    account: AccountId,
    address: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let event = NewAuditEvent::new(
        AuditAction::RefreshTokenReused,
        AuditActor::of(Subject::Person(account)),
    )
    .from_address(address);
    audit::record(conn, &event, now)
}

fn respond(
    keys: &TokenKeys,
    subject: Subject,
    refresh_token: Option<String>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, Problem> {
    Ok(TokenResponse {
        access_token: keys.issue(subject, now)?,
        token_type: "Bearer",
        expires_in: keys.access_ttl.num_seconds(),
        refresh_token,
    })
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
    let hash = secrets::sha256_hex(body.0.refresh_token.as_bytes());
    state
        .write(move |conn| {
            if let Some(token) = tokens::find_by_hash(conn, &hash)? {
                tokens::revoke_family(conn, token.family, now)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
