//! Signing in, one transaction per step: a person's attempt is admitted (or throttled) with
//! their credentials read, the password is verified apart (its hashing is costly), then a
//! session opens with its first refresh token, or the attempt is forgotten when the failure
//! was ours. A refresh token rotates once; presented again it revokes its session. A
//! direction's API client signs in with its secret. Signing out revokes a session.
//!
//! Addresses arrive as `ip:…`, as the audit trail writes them.

use crate::access::{person, require};
use crate::notify::Notifier;
use crate::runtime::{RunError, Runtime};
use crate::secrets::random_token;
use crate::throttle::admit_attempt;
use crate::two_factor;
use chrono::{DateTime, Duration, Utc};
use simpa_domain::account::{BrowserSessionState, RefreshDecision, decide_refresh};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::contact::EmailAddress;
use simpa_domain::digest::sha256_hex;
use simpa_domain::ids::{AccountId, ServiceAccountId};
use simpa_domain::policy::{Action, Subject};
use simpa_domain::throttle::{
    SignInFailures, ThrottlePolicy, counted_address, is_known_address, known_address_since,
};
use simpa_domain::{DomainError, existed};
use simpa_persistence::StoreError;
use simpa_persistence::accounts::{self, Credentials};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::tokens::{Device, Session};
use simpa_persistence::{
    DbConnection, StoreResult, browser_sessions, service_accounts, throttle, tokens,
};
use std::sync::Arc;
use uuid::Uuid;

/// The key of an address (`ip:…`) as throttling counts it.
fn counted_key(address: &str) -> String {
    format!("ip:{}", counted_address(bare_address(address)))
}

/// An address without its `ip:` prefix (as keys and the audit trail write it).
fn bare_address(address: &str) -> &str {
    address.strip_prefix("ip:").unwrap_or(address)
}

/// A person's attempt, admitted: its throttling keys (the account from this address, the
/// account, the address; see `domain::throttle`), counted as a failure until it succeeds,
/// and the credentials of the address given, if it has an account.
pub struct Attempt {
    /// The attempt's ids, to forget them if it succeeds.
    ids: Vec<String>,
    /// The account from this address, whose earlier failures a success clears.
    account_key: String,
    pub credentials: Option<Credentials>,
}

impl Attempt {
    /// The account the password must match: only an active one.
    pub fn account(&self) -> Option<AccountId> {
        self.credentials.as_ref().filter(|c| c.active).map(|c| c.id)
    }
}

/// Admits a person's sign-in attempt, or refuses it when the account from this address, the
/// account, or the address failed too often lately (an address the account signed in from
/// before is not slowed down by the account's failures elsewhere).
#[tracing::instrument(name = "sign_in::admit_person", skip_all)]
pub fn admit_person(
    conn: &mut DbConnection,
    policy: ThrottlePolicy,
    email: &EmailAddress,
    address: &str,
    now: DateTime<Utc>,
) -> StoreResult<Attempt> {
    let counted = counted_key(address);
    let keys = [
        format!("email:{}|{counted}", email.key()),
        format!("email:{}", email.key()),
        counted,
    ];
    let credentials = accounts::credentials(conn, email)?;
    let key_refs = keys.each_ref().map(String::as_str);
    let ids = admit_attempt(conn, policy, &key_refs, now, |conn, recent| {
        let known_address = match &credentials {
            Some(c) if policy.asks_known_address(recent[1]) => {
                let known = audit::sign_in_addresses(conn, c.id, known_address_since(now))?;
                let known: Vec<String> = known.iter().map(|a| bare_address(a).to_owned()).collect();
                is_known_address(&known, bare_address(address))
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
    let [account_key, ..] = keys;
    Ok(Attempt {
        ids,
        account_key,
        credentials,
    })
}

/// Where and how a person signs in: their address (`ip:…`), their client's User-Agent, the
/// code of their second factor if they gave one, and when.
pub struct SigningIn<'a> {
    pub address: &'a str,
    pub user_agent: Option<&'a str>,
    pub second_factor: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// What the settings of sessions are: the refresh tokens' lifetime, and whether staff must
/// have a second factor (`SIMPA_STAFF_TWO_FACTOR`).
#[derive(Debug, Clone, Copy)]
pub struct SessionRules {
    pub refresh_ttl: Duration,
    pub staff_two_factor: bool,
}

/// Who a session is for: an API client (refresh tokens, rotated) or a browser on the portal
/// (a cookie's token, for twelve hours at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Api,
    Browser,
}

/// A session opened: its first refresh token (or its cookie's token), and whether the person
/// must add a second factor before acting with their staff roles.
pub struct Opened {
    pub token: String,
    pub must_enrol: bool,
    /// A browser's sign-in whose second factor's code is awaited: `token` names that step
    /// only (see [`with_code`]).
    pub awaiting_code: bool,
}

/// The password matched: the second factor is asked for when the account has one (a wrong
/// or missing code is refused, and the attempt stays counted; a browser that gave none is
/// given the step that awaits it); then forgets this attempt and the account's earlier
/// failures from this address (attempts admitted after this one still count), and opens a
/// session.
#[tracing::instrument(name = "sign_in::open_session", skip_all, fields(account = %account))]
pub fn open_session(
    conn: &mut DbConnection,
    attempt: &Attempt,
    account: AccountId,
    signing_in: &SigningIn<'_>,
    rules: SessionRules,
    kind: SessionKind,
    notifier: &Notifier,
) -> StoreResult<Result<Opened, DomainError>> {
    let now = signing_in.now;
    let second_factor = signing_in.second_factor;
    if kind == SessionKind::Browser
        && second_factor.is_none()
        && simpa_persistence::two_factor::enabled(conn, account)?
    {
        throttle::forget(conn, &attempt.ids)?;
        let token = random_token();
        let until = now + BrowserSessionState::code_step_lifetime();
        browser_sessions::insert(
            conn,
            &sha256_hex(token.as_bytes()),
            account,
            None,
            now,
            until,
        )?;
        return Ok(Ok(Opened {
            token,
            must_enrol: false,
            awaiting_code: true,
        }));
    }
    let strong = match two_factor::second_step(conn, account, second_factor, now, notifier)? {
        Ok(proven) => proven,
        Err(refused) => return Ok(Err(refused)),
    };
    throttle::forget(conn, &attempt.ids)?;
    throttle::clear_before(conn, &attempt.account_key, now)?;
    let signed_in = NewAuditEvent::new(
        AuditAction::SignedIn,
        AuditActor::of(Subject::Person(account)),
    );
    Ok(Ok(Opened {
        token: start_session(conn, account, signed_in, signing_in, strong, rules, kind)?,
        must_enrol: two_factor::must_enrol(conn, account, rules.staff_two_factor, strong)?,
        awaiting_code: false,
    }))
}

/// Records the sign-in (`signed_in`, from the person's address) and opens their session,
/// `strong` when it proved more than a password: returns its first refresh token, or its
/// browser's token.
pub(crate) fn start_session(
    conn: &mut DbConnection,
    account: AccountId,
    signed_in: NewAuditEvent,
    signing_in: &SigningIn<'_>,
    strong: bool,
    rules: SessionRules,
    kind: SessionKind,
) -> StoreResult<String> {
    let SigningIn {
        address,
        user_agent,
        now,
        ..
    } = *signing_in;
    audit::record(conn, &signed_in.from_address(address), now)?;
    let family = Uuid::now_v7();
    let device = Device {
        user_agent: user_agent.map(device_name),
        address: Some(bare_address(address).to_owned()),
    };
    tokens::start_family(conn, family, account, &device, strong, now)?;
    match kind {
        SessionKind::Api => new_refresh_token(conn, family, now, rules.refresh_ttl),
        SessionKind::Browser => {
            let token = random_token();
            let until = now + BrowserSessionState::lifetime();
            let hash = sha256_hex(token.as_bytes());
            browser_sessions::insert(conn, &hash, account, Some(family), now, until)?;
            Ok(token)
        }
    }
}

/// The attempt failed on our side: it must not count against the account.
pub fn forget(conn: &mut DbConnection, attempt: &Attempt) -> StoreResult<()> {
    throttle::forget(conn, &attempt.ids)
}

/// Stores a new refresh token of `family` (hash only) and returns the token itself.
fn new_refresh_token(
    conn: &mut DbConnection,
    family: Uuid,
    now: DateTime<Utc>,
    ttl: Duration,
) -> StoreResult<String> {
    let token = random_token();
    tokens::insert(conn, family, &sha256_hex(token.as_bytes()), now, now + ttl)?;
    Ok(token)
}

/// What presenting a refresh token did.
pub enum Refresh {
    Rotated {
        account: AccountId,
        token: String,
        /// The person must add a second factor before acting with their staff roles.
        must_enrol: bool,
    },
    Refused,
    /// Presented once already: its session is revoked (and that is committed).
    Reused,
}

/// Exchanges a refresh token for the next one of its session.
#[tracing::instrument(name = "sign_in::refresh", skip_all)]
pub fn refresh(
    conn: &mut DbConnection,
    presented: &str,
    address: &str,
    now: DateTime<Utc>,
    rules: SessionRules,
) -> StoreResult<Refresh> {
    let Some(presented) = tokens::find_by_hash(conn, &sha256_hex(presented.as_bytes()))? else {
        return Ok(Refresh::Refused);
    };
    match decide_refresh(&presented.state, now) {
        RefreshDecision::Refuse => Ok(Refresh::Refused),
        RefreshDecision::RevokeFamily => {
            tokens::revoke_family(conn, presented.family, now)?;
            reused(conn, presented.account, address, now)?;
            Ok(Refresh::Reused)
        }
        RefreshDecision::Rotate => {
            // Waits for any concurrent revocation, and sees it.
            if !tokens::lock_active_family(conn, presented.family)? {
                return Ok(Refresh::Refused);
            }
            if !tokens::mark_used(conn, presented.id, now)? {
                tokens::revoke_family(conn, presented.family, now)?;
                reused(conn, presented.account, address, now)?;
                return Ok(Refresh::Reused);
            }
            accounts::load_actor(conn, Some(Subject::Person(presented.account)))?;
            tokens::touch_family(conn, presented.family, now)?;
            let next = new_refresh_token(conn, presented.family, now, rules.refresh_ttl)?;
            // Recomputed: a staff role granted since asks for a second factor too.
            let strong = tokens::is_strong(conn, presented.family)?;
            let required = rules.staff_two_factor;
            Ok(Refresh::Rotated {
                account: presented.account,
                token: next,
                must_enrol: two_factor::must_enrol(conn, presented.account, required, strong)?,
            })
        }
    }
}

/// A refresh token presented twice: the trail says so.
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

/// A direction's API client signs in: throttled by address, its secret compared by its
/// SHA-256 (it is random and long). The client, or `None` for wrong credentials; either way
/// in the audit trail, `claimed` naming who the caller said they were.
#[tracing::instrument(name = "sign_in::client", skip_all)]
pub fn client(
    conn: &mut DbConnection,
    policy: ThrottlePolicy,
    client_id: &str,
    secret: &str,
    claimed: AuditActor,
    address: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<ServiceAccountId>> {
    let counted = counted_key(address);
    let attempt = admit_attempt(conn, policy, &[&counted], now, |_, recent| {
        Ok(policy.check_client(recent[0], now)?)
    })?;
    let presented = sha256_hex(secret.as_bytes());
    let (client, action) = match service_accounts::credentials(conn, client_id)? {
        Some((client, secrets)) if client.active && secrets.admit(&presented, now) => {
            throttle::forget(conn, &attempt)?;
            service_accounts::touch(conn, client.id, now)?;
            (Some(client.id), AuditAction::ClientSignedIn)
        }
        _ => (None, AuditAction::ClientSignInRefused),
    };
    let actor = AuditActor {
        service: client,
        ..claimed
    };
    audit::record(
        conn,
        &NewAuditEvent::new(action, actor).from_address(address),
        now,
    )?;
    Ok(client)
}

/// A sign-in refused for too many recent failures rolled its transaction back: its audit
/// event is written apart, once per identifier and address within the throttle's window.
pub fn record_throttled(
    conn: &mut DbConnection,
    claimed: AuditActor,
    address: &str,
    policy: ThrottlePolicy,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let event = NewAuditEvent::new(AuditAction::SignInThrottled, claimed).from_address(address);
    audit::record_once_since(conn, &event, policy.window_start(now), now).map(|_| ())
}

/// A client's User-Agent as its owner's sessions show it: on one line, 200 characters at most.
fn device_name(user_agent: &str) -> String {
    simpa_domain::text::on_one_line(user_agent)
        .chars()
        .take(200)
        .collect()
}

/// The signed-in person's sessions still open, the latest used first.
#[tracing::instrument(name = "sign_in::sessions", skip_all, fields(actor = Subject::kind(subject)))]
pub fn sessions(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Session>> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    tokens::sessions(conn, me, now, now - BrowserSessionState::idle_limit())
}

/// Ends one of the signed-in person's sessions (`None`: all of them, this one too): their
/// refresh tokens stop working; access tokens already issued expire on their own.
#[tracing::instrument(name = "sign_in::end_sessions", skip_all, fields(actor = Subject::kind(subject)))]
pub fn end_sessions(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    session: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    match session {
        Some(id) => existed(tokens::revoke_session(conn, me, id, now)?, "session")?,
        None => {
            tokens::revoke_account(conn, me, now)?;
        }
    }
    let event = NewAuditEvent::new(
        AuditAction::SessionRevoked,
        AuditActor::of(Subject::Person(me)),
    )
    .about("account", me)
    .with(serde_json::json!({ "session": session }));
    audit::record(conn, &event, now)
}

/// Signs out: the refresh token's session is revoked (nothing happens for a token unknown
/// or revoked already).
#[tracing::instrument(name = "sign_in::sign_out", skip_all)]
pub fn sign_out(
    conn: &mut DbConnection,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if let Some(token) = tokens::find_by_hash(conn, &sha256_hex(refresh_token.as_bytes()))? {
        tokens::revoke_family(conn, token.family, now)?;
    }
    Ok(())
}

/// A browser signed in, as its cookie's token shows it on each page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    pub account: AccountId,
    /// Its sign-in, as the list of sessions names it.
    pub session: Uuid,
    /// The person must add a second factor before acting with their staff roles.
    pub must_enrol: bool,
}

/// The browser's session named by `token`, if it still serves: not revoked, not expired, used
/// within the idle limit, and past its second factor's step; with whether its use is worth
/// writing down now ([`touch`]: every few minutes).
#[tracing::instrument(name = "sign_in::visit", skip_all)]
pub fn visit(
    conn: &mut DbConnection,
    token: &str,
    now: DateTime<Utc>,
    rules: SessionRules,
) -> StoreResult<Option<(Visit, bool)>> {
    let Some(found) = browser_sessions::find(conn, &sha256_hex(token.as_bytes()))? else {
        return Ok(None);
    };
    let Some(session) = found.family.filter(|_| found.state.is_live(now)) else {
        return Ok(None);
    };
    let required = rules.staff_two_factor;
    let visit = Visit {
        account: found.account,
        session,
        // Someone without a staff role never must: their roles are not read.
        must_enrol: found.staff
            && two_factor::must_enrol(conn, found.account, required, found.strong)?,
    };
    Ok(Some((visit, found.state.worth_touching(now))))
}

/// Writes down that a browser's session was used now.
pub fn touch(conn: &mut DbConnection, session: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    tokens::touch_family(conn, session, now)
}

/// Signs a browser out: its sign-in is revoked and its session forgotten (nothing happens for
/// a token unknown or ended already).
#[tracing::instrument(name = "sign_in::sign_out_browser", skip_all)]
pub fn sign_out_browser(
    conn: &mut DbConnection,
    token: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let hash = sha256_hex(token.as_bytes());
    if let Some(found) = browser_sessions::find(conn, &hash)? {
        if let Some(family) = found.family {
            tokens::revoke_family(conn, family, now)?;
        }
        browser_sessions::delete(conn, &hash)?;
    }
    Ok(())
}

/// A person signing in with their address and password (and the code of their second factor,
/// when they give it at once).
pub struct PasswordSignIn {
    pub email: EmailAddress,
    pub password: String,
    /// Their address, `ip:…`.
    pub address: String,
    pub user_agent: Option<String>,
    pub code: Option<String>,
}

/// The refusal of wrong credentials: the same whatever was wrong.
pub fn invalid_credentials() -> DomainError {
    DomainError::Unauthenticated {
        code: "auth.invalid_credentials",
        message: "Adresse e-mail ou mot de passe incorrect.".into(),
    }
}

/// Signs a person in with their password, as both front doors do: the attempt is admitted (or
/// throttled, which the trail records apart), the password checked on the hashing's threads,
/// then the second factor asked for and the session opened. A refusal (wrong credentials or
/// code) is the inner error and stays counted; a failure on our side is forgotten.
pub async fn with_password(
    runtime: &Runtime,
    policy: ThrottlePolicy,
    rules: SessionRules,
    kind: SessionKind,
    signing: PasswordSignIn,
) -> Result<Result<(AccountId, Opened), DomainError>, RunError> {
    let PasswordSignIn {
        email,
        password,
        address,
        user_agent,
        code,
    } = signing;
    let claimed = AuditActor::claiming(email.as_str());
    let attempt = admitted(runtime, policy, &email, &address, &claimed).await?;
    let opened = async {
        let stored = attempt
            .credentials
            .as_ref()
            .map(|c| c.password_hash.clone());
        let matches = runtime.verify_password(password, stored).await?;
        let Some(account) = attempt.account().filter(|_| matches) else {
            return Ok(Err(invalid_credentials()));
        };
        let (attempt, notifier, now) = (attempt.clone(), runtime.notifier.clone(), runtime.now());
        let (at, device) = (address.clone(), user_agent);
        runtime
            .write(move |conn| {
                let signing_in = SigningIn {
                    address: &at,
                    user_agent: device.as_deref(),
                    second_factor: code.as_deref(),
                    now,
                };
                let opened =
                    open_session(conn, &attempt, account, &signing_in, rules, kind, &notifier)?;
                Ok(opened.map(|opened| (account, opened)))
            })
            .await
    }
    .await;
    settled(runtime, opened, &attempt, claimed, &address).await
}

/// The second step of a browser's sign-in: the code of the person's second factor, for the
/// step `pending` names (given by [`with_password`]). A wrong code is refused and counted as a
/// failed sign-in, and the step stays open until it expires; the right one opens the session
/// and ends the step.
pub async fn with_code(
    runtime: &Runtime,
    policy: ThrottlePolicy,
    rules: SessionRules,
    pending: String,
    code: String,
    address: String,
    user_agent: Option<String>,
) -> Result<Result<(AccountId, Opened), DomainError>, RunError> {
    let now = runtime.now();
    let step = sha256_hex(pending.as_bytes());
    let hash = step.clone();
    let email = runtime
        .read(move |conn| {
            let Some(found) = browser_sessions::find(conn, &hash)? else {
                return Ok(None);
            };
            if found.family.is_some() || !found.state.is_live(now) {
                return Ok(None);
            }
            let account = accounts::get(conn, found.account)?;
            Ok(account.and_then(|a| EmailAddress::parse(&a.email).ok()))
        })
        .await?;
    let Some(email) = email else {
        return Ok(Err(DomainError::Unauthenticated {
            code: "auth.sign_in_step_expired",
            message: "Cette connexion a expiré : saisissez de nouveau votre adresse et votre mot de passe.".into(),
        }));
    };
    let claimed = AuditActor::claiming(email.as_str());
    let attempt = admitted(runtime, policy, &email, &address, &claimed).await?;
    let (admitted_attempt, notifier) = (attempt.clone(), runtime.notifier.clone());
    let at = address.clone();
    let opened = runtime
        .write(move |conn| {
            let Some(account) = admitted_attempt.account() else {
                return Ok(Err(invalid_credentials()));
            };
            let signing_in = SigningIn {
                address: &at,
                user_agent: user_agent.as_deref(),
                second_factor: Some(&code),
                now,
            };
            let kind = SessionKind::Browser;
            let opened = open_session(
                conn,
                &admitted_attempt,
                account,
                &signing_in,
                rules,
                kind,
                &notifier,
            )?;
            if opened.is_ok() {
                browser_sessions::delete(conn, &step)?;
            }
            Ok(opened.map(|opened| (account, opened)))
        })
        .await;
    settled(runtime, opened, &attempt, claimed, &address).await
}

/// An attempt admitted (see [`throttled_apart`]).
async fn admitted(
    runtime: &Runtime,
    policy: ThrottlePolicy,
    email: &EmailAddress,
    address: &str,
    claimed: &AuditActor,
) -> Result<Arc<Attempt>, RunError> {
    let (email, at, now) = (email.clone(), address.to_owned(), runtime.now());
    let admitted = runtime
        .write(move |conn| admit_person(conn, policy, &email, &at, now))
        .await;
    Ok(Arc::new(
        throttled_apart(runtime, policy, admitted, claimed, address).await?,
    ))
}

/// A sign-in refused for too many recent failures rolled its transaction back: its audit
/// event is written apart (see [`record_throttled`]); the answer does not depend on it.
pub async fn throttled_apart<T>(
    runtime: &Runtime,
    policy: ThrottlePolicy,
    admitted: Result<T, RunError>,
    claimed: &AuditActor,
    address: &str,
) -> Result<T, RunError> {
    if let Err(RunError::Store(StoreError::Domain(DomainError::TooManyAttempts { .. }))) = &admitted
    {
        let (claimed, at, now) = (claimed.clone(), address.to_owned(), runtime.now());
        let recorded = runtime
            .write(move |conn| record_throttled(conn, claimed, &at, policy, now))
            .await;
        if let Err(error) = recorded {
            tracing::warn!(%error, "a throttled sign-in could not be recorded");
        }
    }
    admitted
}

/// What a sign-in's end leaves: a refusal is recorded in the trail (apart: the answer does
/// not depend on it) and stays counted; a failure on our side must not count against the
/// account.
async fn settled(
    runtime: &Runtime,
    opened: Result<Result<(AccountId, Opened), DomainError>, RunError>,
    attempt: &Arc<Attempt>,
    claimed: AuditActor,
    address: &str,
) -> Result<Result<(AccountId, Opened), DomainError>, RunError> {
    let now = runtime.now();
    match &opened {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => {
            let event =
                NewAuditEvent::new(AuditAction::SignInRefused, claimed).from_address(address);
            if let Err(error) = runtime
                .write(move |conn| audit::record(conn, &event, now))
                .await
            {
                tracing::warn!(%error, "a refused sign-in could not be recorded");
            }
        }
        Err(_) => {
            let attempt = attempt.clone();
            if runtime
                .write(move |conn| forget(conn, &attempt))
                .await
                .is_err()
            {
                tracing::warn!("an attempt that failed on our side could not be forgotten");
            }
        }
    }
    opened
}
