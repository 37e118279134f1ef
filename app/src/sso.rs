//! Signing in through the city's identity provider (OpenID Connect), in three steps around
//! the provider (`crate::oidc`): a sign-in starts (its state, nonce and PKCE verifier kept);
//! the browser comes back with the state, whose sign-in must be known, recent and unused;
//! once the provider's ID token says who signed in, the sign-in is used up and a session opens
//! for the account linked to that identity (by its subject, else by its verified address,
//! else a new account without role when the city allows it). Nothing is written when the
//! provider cannot be reached or refuses. No second factor is asked: the provider
//! authenticated the person.

use crate::oidc::LoginStart;
use crate::secrets::random_token;
use crate::sign_in::{SessionKind, SessionRules, SigningIn, start_session};
use chrono::{DateTime, Utc};
use serde_json::json;
use simpa_domain::DomainError;
use simpa_domain::account::{account_inactive, parse_display_name};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::digest::sha256_hex;
use simpa_domain::ids::AccountId;
use simpa_domain::policy::Subject;
use simpa_domain::sso::{ByEmail, Identity, Link, link, login_lifetime};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::sso::{self, PendingLogin};
use simpa_persistence::{DbConnection, StoreResult, accounts};
use uuid::Uuid;

/// The stored password of an account made by single sign-on: matches no password (its owner
/// may choose one with "forgot password").
const NO_PASSWORD: &str = "!sso";

/// Starts a sign-in: its state, nonce and PKCE verifier, kept (the state as its hash) until
/// the browser comes back. Sign-ins past their ten minutes are forgotten, which bounds what
/// a flood of starts can keep (a state forgotten is refused as an expired one).
#[tracing::instrument(name = "sso::start", skip_all)]
pub fn start(conn: &mut DbConnection, now: DateTime<Utc>) -> StoreResult<LoginStart> {
    sso::forget_before(conn, now - login_lifetime())?;
    let start = LoginStart {
        state: random_token(),
        nonce: random_token(),
        code_verifier: random_token(),
    };
    sso::start(
        conn,
        &sha256_hex(start.state.as_bytes()),
        &start.nonce,
        &start.code_verifier,
        now,
    )?;
    Ok(start)
}

/// The sign-in a state came back with: known, started less than ten minutes ago, not used.
#[tracing::instrument(name = "sso::pending", skip_all)]
pub fn pending(
    conn: &mut DbConnection,
    state: &str,
    now: DateTime<Utc>,
) -> StoreResult<PendingLogin> {
    let login = sso::find(conn, &sha256_hex(state.as_bytes()))?
        .filter(|login| login.created_at + login_lifetime() > now)
        .ok_or_else(|| DomainError::Unauthenticated {
            code: "auth.sso_state_invalid",
            message: "Cette connexion est inconnue ou a expiré (dix minutes) : recommencez-la depuis Simpa.".into(),
        })?;
    if login.used_at.is_some() {
        return Err(replayed().into());
    }
    Ok(login)
}

fn replayed() -> DomainError {
    DomainError::Unauthenticated {
        code: "auth.sso_replayed",
        message: "Cette connexion a déjà servi : recommencez-la depuis Simpa.".into(),
    }
}

/// The provider said who signed in: uses the sign-in up, finds (or links, or makes) the
/// account and opens its session. Returns the account and its first refresh token.
#[tracing::instrument(name = "sso::complete", skip_all)]
pub fn complete(
    conn: &mut DbConnection,
    login: Uuid,
    identity: &Identity,
    provisioning: bool,
    signing_in: &SigningIn<'_>,
    rules: SessionRules,
) -> StoreResult<(AccountId, String)> {
    let now = signing_in.now;
    if !sso::use_up(conn, login, now)? {
        return Err(replayed().into());
    }
    let by_subject = sso::linked_account(conn, &identity.issuer, &identity.subject)?;
    let by_email = match (&by_subject, &identity.verified_email) {
        (None, Some(email)) => match accounts::find_by_email(conn, email)? {
            None => ByEmail::None,
            Some(account)
                if account.email_verified_at.is_some()
                    && !sso::has_identity(conn, &identity.issuer, account.id)? =>
            {
                ByEmail::Linkable(account.id)
            }
            Some(_) => ByEmail::Unlinkable,
        },
        _ => ByEmail::None,
    };
    let account = match link(identity, by_subject, by_email, provisioning)? {
        Link::Linked(account) => account,
        Link::ByEmail(account) => {
            linked(conn, identity, account, AuditAction::SsoLinked, now)?;
            account
        }
        Link::Provision => {
            let account = provision(conn, identity, now)?;
            linked(
                conn,
                identity,
                account,
                AuditAction::AccountProvisioned,
                now,
            )?;
            account
        }
    };
    let record = accounts::get(conn, account)?.ok_or(DomainError::NotFound { what: "account" })?;
    if !record.active {
        return Err(account_inactive().into());
    }
    let signed_in = NewAuditEvent::new(
        AuditAction::SignedIn,
        AuditActor::of(Subject::Person(account)),
    )
    .with(json!({ "via": "sso", "issuer": identity.issuer }));
    // The provider authenticated the person: the session is as strong as a second factor.
    let refresh = start_session(
        conn,
        account,
        signed_in,
        signing_in,
        true,
        rules,
        SessionKind::Api,
    )?;
    Ok((account, refresh))
}

/// Links the identity to the account, in the audit trail.
fn linked(
    conn: &mut DbConnection,
    identity: &Identity,
    account: AccountId,
    action: AuditAction,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sso::link(conn, &identity.issuer, &identity.subject, account, now)?;
    let event = NewAuditEvent::new(action, AuditActor::of(Subject::Person(account)))
        .about("account", account)
        .with(json!({ "issuer": identity.issuer, "subject": identity.subject }));
    audit::record(conn, &event, now)
}

/// An account for a person the provider vouches for: their verified address, their name (or
/// the address when the provider gives none Simpa can keep), no password, no role.
fn provision(
    conn: &mut DbConnection,
    identity: &Identity,
    now: DateTime<Utc>,
) -> StoreResult<AccountId> {
    let email = identity
        .verified_email
        .as_ref()
        .ok_or(DomainError::NotFound { what: "account" })?;
    let name = identity
        .name
        .as_deref()
        .and_then(|name| parse_display_name(name).ok())
        .unwrap_or_else(|| email.as_str().to_owned());
    let id = AccountId::from_uuid(Uuid::now_v7());
    accounts::insert(conn, id, email, &name, NO_PASSWORD, true, now)?;
    Ok(id)
}
