//! Two-factor authentication: a person adds an authenticator app (the secret, then a first
//! code confirms it and gives ten recovery codes, shown once), proves it at each sign-in, may
//! renew their recovery codes or turn it off (not when their role requires it); an admin
//! resets a lost one. Each change is in the audit trail and told to the person by e-mail.

use crate::access::{person, require};
use crate::accounts::addressee;
use crate::notify::{Notifier, tell_two_factor_changed};
use crate::secrets::random_recovery_code;
use crate::throttle::admit_attempt;
use chrono::{DateTime, Utc};
use simpa_domain::DomainError;
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::digest::sha256_hex;
use simpa_domain::ids::AccountId;
use simpa_domain::policy::{Action, Subject};
use simpa_domain::throttle::ThrottlePolicy;
use simpa_domain::two_factor::{
    RECOVERY_CODES, SecondFactorCode, TotpSecret, already_enabled, check_disable, code_refused,
    code_reused, second_factor_required, show_recovery_code,
};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::{DbConnection, StoreResult, accounts, throttle, tokens, two_factor};

/// Where a person's second factor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// Their role requires it (and the city does).
    pub required: bool,
}

/// What a person's authenticator app is given: the secret, and the `otpauth://` address that
/// a QR code carries.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
}

/// The signed-in person's second factor, and whether it is required of them.
#[tracing::instrument(name = "two_factor::status", skip_all, fields(actor = Subject::kind(subject)))]
pub fn status(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    required_for_staff: bool,
) -> StoreResult<TwoFactorStatus> {
    let account = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    Ok(TwoFactorStatus {
        enabled: two_factor::enabled(conn, account)?,
        recovery_codes_left: two_factor::recovery_codes_left(conn, account)?,
        required: is_required(conn, account, required_for_staff)?,
    })
}

fn is_required(
    conn: &mut DbConnection,
    account: AccountId,
    required_for_staff: bool,
) -> StoreResult<bool> {
    let roles: Vec<_> = accounts::staff_grants(conn, account)?
        .into_iter()
        .map(|grant| grant.role)
        .collect();
    Ok(second_factor_required(&roles, required_for_staff))
}

/// Whether a session must first add a second factor before acting with staff roles: the
/// person's role requires one and the session proved no more than a password (`strong`: a
/// code of the app, or the city's identity provider).
pub fn must_enrol(
    conn: &mut DbConnection,
    account: AccountId,
    required_for_staff: bool,
    strong: bool,
) -> StoreResult<bool> {
    Ok(!strong && is_required(conn, account, required_for_staff)?)
}

/// Starts adding an authenticator app: keeps its new secret until a first code confirms it.
#[tracing::instrument(name = "two_factor::start_enrolment", skip_all, fields(actor = Subject::kind(subject)))]
pub fn start_enrolment(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    secret: TotpSecret,
    now: DateTime<Utc>,
) -> StoreResult<Enrolment> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    if two_factor::enabled(conn, me)? {
        return Err(already_enabled().into());
    }
    let account = accounts::get(conn, me)?.ok_or(DomainError::NotFound { what: "account" })?;
    two_factor::start(conn, me, &secret.base32(), now)?;
    Ok(Enrolment {
        secret: secret.base32(),
        uri: secret.provisioning_uri(&account.email),
    })
}

/// Confirms the app with its first code: sign-ins ask for a code from now on. Returns the
/// recovery codes, shown this once.
#[tracing::instrument(name = "two_factor::confirm_enrolment", skip_all, fields(actor = Subject::kind(subject)))]
pub fn confirm_enrolment(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    code: &str,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<Vec<String>> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    let credential = two_factor::find(conn, me)?.ok_or_else(|| DomainError::Conflict {
        code: "two_factor.not_started",
        field: None,
        message: "Commencez par ajouter votre application d'authentification : aucun secret n'attend de confirmation.".into(),
    })?;
    if credential.confirmed {
        return Err(already_enabled().into());
    }
    let step = stored_secret(&credential.secret)?
        .check(code, now, None)
        .map_err(|e| DomainError::invalid("code", refusal_message(e)))?;
    if !two_factor::confirm(conn, me, step, now)? {
        return Err(already_enabled().into());
    }
    // Every session opened with the password alone ends, this one too: from now on a
    // session proves the app's code.
    tokens::revoke_account(conn, me, now)?;
    let codes = new_recovery_codes(conn, me, now)?;
    own_change(
        conn,
        notifier,
        me,
        AuditAction::TwoFactorEnabled,
        "La double authentification vient d'être activée sur votre compte Simpa : vos connexions en cours ont été fermées, et chaque connexion vous demandera désormais le code de votre application.",
        now,
    )?;
    Ok(codes)
}

/// Turns the second factor off, proven by a current code; refused when the person's role
/// requires it.
#[tracing::instrument(name = "two_factor::disable", skip_all, fields(actor = Subject::kind(subject)))]
#[allow(clippy::too_many_arguments)]
pub fn disable(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    code: &str,
    required_for_staff: bool,
    policy: ThrottlePolicy,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<Result<(), DomainError>> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    check_disable(is_required(conn, me, required_for_staff)?)?;
    if let Err(refused) = prove_throttled(conn, me, code, policy, now)? {
        return Ok(Err(refused));
    }
    two_factor::remove(conn, me)?;
    own_change(
        conn,
        notifier,
        me,
        AuditAction::TwoFactorDisabled,
        "La double authentification vient d'être désactivée sur votre compte Simpa : votre mot de passe suffit de nouveau pour vous connecter.",
        now,
    )?;
    Ok(Ok(()))
}

/// Replaces the person's recovery codes with ten new ones, proven by a current code.
#[tracing::instrument(name = "two_factor::renew_recovery_codes", skip_all, fields(actor = Subject::kind(subject)))]
pub fn renew_recovery_codes(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    code: &str,
    policy: ThrottlePolicy,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<Result<Vec<String>, DomainError>> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    if let Err(refused) = prove_throttled(conn, me, code, policy, now)? {
        return Ok(Err(refused));
    }
    let codes = new_recovery_codes(conn, me, now)?;
    own_change(
        conn,
        notifier,
        me,
        AuditAction::RecoveryCodesRenewed,
        "De nouveaux codes de secours viennent d'être créés pour votre compte Simpa : les précédents ne fonctionnent plus.",
        now,
    )?;
    Ok(Ok(codes))
}

/// Takes a person's second factor off (admins), for a lost device without recovery codes:
/// their sessions end, and at their next sign-in they add an app again if their role
/// requires one.
#[tracing::instrument(name = "two_factor::reset", skip_all, fields(actor = Subject::kind(subject), account = %account))]
pub fn reset(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    account: AccountId,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<()> {
    let actor = require(conn, subject, Action::ManageAccounts)?;
    accounts::get(conn, account)?.ok_or(DomainError::NotFound { what: "account" })?;
    if !two_factor::enabled(conn, account)? || !two_factor::remove(conn, account)? {
        return Err(DomainError::Conflict {
            code: "two_factor.not_enabled",
            field: None,
            message: "Ce compte n'a pas de double authentification à réinitialiser.".into(),
        }
        .into());
    }
    tokens::revoke_account(conn, account, now)?;
    let event = NewAuditEvent::new(AuditAction::TwoFactorReset, AuditActor::acting(&actor))
        .about("account", account);
    audit::record(conn, &event, now)?;
    tell(
        conn,
        notifier,
        account,
        "Un administrateur a réinitialisé la double authentification de votre compte Simpa, et vos connexions en cours ont été fermées. À votre prochaine connexion, ajoutez de nouveau votre application d'authentification.",
        now,
    )
}

/// The second step of a person's sign-in, once the password matched: nothing to prove without
/// a second factor (`false`: the password alone); otherwise a code of the app (once) or an
/// unused recovery code (`true`). A recovery code used is in the audit trail and told to its
/// owner.
pub fn second_step(
    conn: &mut DbConnection,
    account: AccountId,
    code: Option<&str>,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<Result<bool, DomainError>> {
    if !two_factor::enabled(conn, account)? {
        return Ok(Ok(false));
    }
    let Some(code) = code else {
        return Ok(Err(DomainError::Unauthenticated {
            code: "auth.second_factor_required",
            message: "Ce compte est protégé par la double authentification : donnez aussi le code de votre application (champ code), ou un code de secours.".into(),
        }));
    };
    match prove(conn, account, code, now)? {
        Ok(Proof::App) => Ok(Ok(true)),
        Ok(Proof::RecoveryCode) => {
            let left = two_factor::recovery_codes_left(conn, account)?;
            let change = format!(
                "Un code de secours vient de servir à vous connecter à Simpa. Il vous en reste {left} : si vous avez perdu votre application, ajoutez-la de nouveau et créez de nouveaux codes."
            );
            own_change(
                conn,
                notifier,
                account,
                AuditAction::RecoveryCodeUsed,
                &change,
                now,
            )?;
            Ok(Ok(true))
        }
        Err(refused) => Ok(Err(refused)),
    }
}

/// How a person proved their second factor.
enum Proof {
    App,
    RecoveryCode,
}

/// Checks a code of the person's app (using its step up) or one of their recovery codes
/// (using it up).
fn prove(
    conn: &mut DbConnection,
    account: AccountId,
    code: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<Proof, DomainError>> {
    let Some(credential) = two_factor::find(conn, account)?.filter(|c| c.confirmed) else {
        return Ok(Err(code_refused()));
    };
    let code = match SecondFactorCode::parse(code) {
        Ok(code) => code,
        Err(_) => return Ok(Err(code_refused())),
    };
    match code {
        SecondFactorCode::Totp(digits) => {
            let secret = stored_secret(&credential.secret)?;
            match secret.check(&digits, now, credential.last_used_step) {
                Ok(step) if two_factor::use_step(conn, account, step)? => Ok(Ok(Proof::App)),
                // Used meanwhile, by a sign-in at the same time.
                Ok(_) => Ok(Err(code_reused())),
                Err(refused) => Ok(Err(refused)),
            }
        }
        SecondFactorCode::Recovery(letters) => {
            let used =
                two_factor::use_recovery_code(conn, account, &sha256_hex(letters.as_bytes()), now)?;
            Ok(if used {
                Ok(Proof::RecoveryCode)
            } else {
                Err(code_refused())
            })
        }
    }
}

/// [`prove`] for a signed-in person's change, throttled per account (see
/// `ThrottlePolicy::check_second_factor`): a refused code is the `code` field's error, and
/// counts (the caller commits it and answers the error); a right one is forgotten.
fn prove_throttled(
    conn: &mut DbConnection,
    account: AccountId,
    code: &str,
    policy: ThrottlePolicy,
    now: DateTime<Utc>,
) -> StoreResult<Result<Proof, DomainError>> {
    let key = format!("second_factor:{account}");
    let attempt = admit_attempt(conn, policy, &[&key], now, |_, recent| {
        Ok(policy.check_second_factor(recent[0], now)?)
    })?;
    match prove(conn, account, code, now)? {
        Ok(proof) => {
            throttle::forget(conn, &attempt)?;
            Ok(Ok(proof))
        }
        Err(refused) => Ok(Err(DomainError::invalid("code", refusal_message(refused)))),
    }
}

/// A refused code as the violation of a field.
fn refusal_message(refused: DomainError) -> simpa_domain::Violation {
    match refused {
        DomainError::Unauthenticated { code, message } => {
            simpa_domain::Violation::new(code, message)
        }
        other => simpa_domain::Violation::new("two_factor.code_invalid", other.to_string()),
    }
}

fn stored_secret(encoded: &str) -> StoreResult<TotpSecret> {
    TotpSecret::from_base32(encoded)
        .ok_or_else(|| simpa_persistence::StoreError::Corrupt("totp_credentials.secret".into()))
}

/// Ten new recovery codes for the account (the old ones stop working), as shown to it.
fn new_recovery_codes(
    conn: &mut DbConnection,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| random_recovery_code())
        .collect();
    let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c.as_bytes())).collect();
    two_factor::replace_recovery_codes(conn, account, &hashes, now)?;
    Ok(codes.iter().map(|c| show_recovery_code(c)).collect())
}

/// A change of a person's own second factor: in the audit trail, and told to them.
fn own_change(
    conn: &mut DbConnection,
    notifier: &Notifier,
    account: AccountId,
    action: AuditAction,
    change: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let event = NewAuditEvent::new(action, AuditActor::of(Subject::Person(account)))
        .about("account", account);
    audit::record(conn, &event, now)?;
    tell(conn, notifier, account, change, now)
}

fn tell(
    conn: &mut DbConnection,
    notifier: &Notifier,
    account: AccountId,
    change: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let account = accounts::get(conn, account)?.ok_or(DomainError::NotFound { what: "account" })?;
    tell_two_factor_changed(conn, notifier, &addressee(&account), change, now)
}
