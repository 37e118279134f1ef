//! People's accounts: registering, one's own account and e-mail preferences, and for admins
//! the list of accounts, one account's file, and granting and revoking staff roles (each in
//! the audit trail).

use crate::access::{person, require};
use crate::clock::CityNow;
use crate::notify::{Notifier, tell_account_exists, tell_account_link, tell_password_changed};
use crate::runtime::{RunError, Runtime};
use crate::secrets::random_token;
use crate::throttle::admit_attempt;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use simpa_domain::account::{
    Password, TokenPurpose, check_deactivation, check_links_sent, check_token, link_refused,
    parse_display_name,
};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::contact::EmailAddress;
use simpa_domain::digest::sha256_hex;
use simpa_domain::ids::{AccountId, DirectionId, StaffRoleId};
use simpa_domain::policy::{Action, Actor, Subject};
use simpa_domain::reference::check_assignable_direction;
use simpa_domain::roles::StaffRole;
use simpa_domain::throttle::ThrottlePolicy;
use simpa_domain::{Checks, DomainError, Violation, existed};
use simpa_persistence::accounts::{AccountRecord, MembershipRecord, Preferences, StaffGrant};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::members::Addressee;
use simpa_persistence::page::{Keyset, Page};
use simpa_persistence::{
    DbConnection, StoreError, StoreResult, account_tokens, accounts, reference, throttle, tokens,
    two_factor,
};
use uuid::Uuid;

/// A registration as typed, checked: every offending field at once.
pub struct Registration {
    pub email: EmailAddress,
    pub password: Password,
    pub display_name: String,
}

impl Registration {
    pub fn parse(
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<Registration, DomainError> {
        let mut checks = Checks::default();
        let personal = [email, display_name];
        // In the order a form asks them.
        let display_name = checks.check("display_name", parse_display_name(display_name));
        let email = checks.check("email", EmailAddress::parse(email));
        let password = checks.check("password", Password::parse(password, &personal));
        match (email, password, display_name) {
            (Some(email), Some(password), Some(display_name)) => Ok(Registration {
                email,
                password,
                display_name,
            }),
            _ => Err(checks.into_error()),
        }
    }
}

/// Whether the client's address may still register now: asked before the costly hashing, so
/// that a flood of registrations cannot take the hashing's turns from sign-ins (and asked
/// again, under lock, when registering).
pub fn may_register(
    conn: &mut DbConnection,
    policy: ThrottlePolicy,
    address_key: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let since = policy.window_start(now);
    Ok(policy.check_registration(throttle::recent_failures(conn, address_key, since)?, now)?)
}

/// Registers an account with the password's hash. An address that already has an account is
/// not told apart from a new one: its owner receives an e-mail instead.
#[tracing::instrument(name = "accounts::register", skip_all, fields(actor = Subject::kind(subject)))]
#[allow(clippy::too_many_arguments)]
pub fn register(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    registration: &Registration,
    password_hash: &str,
    request_emails: bool,
    policy: ThrottlePolicy,
    address_key: &str,
    city: CityNow,
    notifier: &Notifier,
) -> StoreResult<()> {
    let now = city.at;
    require(conn, subject, Action::RegisterAccount)?;
    admit_attempt(conn, policy, &[address_key], now, |_, recent| {
        Ok(policy.check_registration(recent[0], now)?)
    })?;
    if let Some(existing) = accounts::find_by_email(conn, &registration.email)? {
        let owner = Addressee {
            account: existing.id,
            email: existing.email,
            name: existing.display_name,
        };
        return tell_account_exists(conn, notifier, &owner, city);
    }
    let id = AccountId::from_uuid(Uuid::now_v7());
    let email = &registration.email;
    accounts::insert(
        conn,
        id,
        email,
        &registration.display_name,
        password_hash,
        false,
        now,
    )?;
    let owner = Addressee {
        account: id,
        email: email.as_str().to_owned(),
        name: registration.display_name.clone(),
    };
    send_link(conn, notifier, &owner, TokenPurpose::VerifyEmail, now)?;
    if !request_emails {
        let mut preferences =
            accounts::preferences(conn, id)?.ok_or(DomainError::NotFound { what: "account" })?;
        preferences.request_emails = false;
        accounts::set_preferences(conn, id, preferences)?;
    }
    Ok(())
}

/// An account with its staff roles and memberships.
pub struct AccountFile {
    pub account: AccountRecord,
    pub staff_roles: Vec<StaffGrant>,
    pub memberships: Vec<MembershipRecord>,
    /// When it last signed in, from the audit trail.
    pub last_sign_in: Option<DateTime<Utc>>,
    /// Whether it signs in with a second factor.
    pub two_factor: bool,
}

fn account_file(conn: &mut DbConnection, id: AccountId) -> StoreResult<AccountFile> {
    let account = accounts::get(conn, id)?.ok_or(DomainError::NotFound { what: "account" })?;
    Ok(AccountFile {
        account,
        staff_roles: accounts::staff_grants(conn, id)?,
        memberships: accounts::memberships(conn, id)?,
        last_sign_in: audit::last_sign_in(conn, id)?,
        two_factor: two_factor::enabled(conn, id)?,
    })
}

/// The signed-in person's account.
#[tracing::instrument(name = "accounts::me", skip_all, fields(actor = Subject::kind(subject)))]
pub fn me(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<AccountFile> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    account_file(conn, me)
}

/// One account: one's own, or anyone's for admins.
#[tracing::instrument(name = "accounts::read", skip_all, fields(actor = Subject::kind(subject), account = %id))]
pub fn read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AccountId,
) -> StoreResult<AccountFile> {
    require(conn, subject, Action::ReadAccount(id))?;
    account_file(conn, id)
}

/// Accounts in e-mail order, those whose e-mail or name contains a text (admins).
#[tracing::instrument(name = "accounts::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    search: Option<&str>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<AccountRecord>> {
    require(conn, subject, Action::ManageAccounts)?;
    accounts::list(conn, search, after, limit)
}

/// A staff role as the audit trail keeps it.
fn grant_details(grant: &StaffGrant) -> serde_json::Value {
    json!({
        "id": grant.id.uuid(),
        "kind": grant.role.kind().code(),
        "label": grant.role.kind().label(),
        "direction_id": grant.role.direction().map(DirectionId::uuid),
        "district_number": grant.role.district().map(|d| d.0),
        "granted_at": grant.granted_at,
    })
}

/// Grants a staff role (admins): an instructor acts for one direction that instructs, a
/// district town hall for one district; a role held already is refused.
#[tracing::instrument(name = "accounts::grant_staff_role", skip_all, fields(actor = Subject::kind(subject), account = %account))]
pub fn grant_staff_role(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    account: AccountId,
    role: StaffRole,
    now: DateTime<Utc>,
) -> StoreResult<StaffGrant> {
    let actor = require(conn, subject, Action::ManageAccounts)?;
    accounts::get(conn, account)?.ok_or(DomainError::NotFound { what: "account" })?;
    let mut checks = Checks::default();
    if let Some(direction) = role.direction() {
        checks.check(
            "direction_id",
            check_assignable_direction(reference::direction(conn, direction)?.as_ref()),
        );
    }
    if let Some(district) = role.district()
        && !reference::district_exists(conn, district)?
    {
        checks.push(
            Violation::new(
                "district.unknown",
                "Cet arrondissement n'existe pas : Paris en compte vingt (1 à 20).",
            )
            .at("district_number"),
        );
    }
    checks.finish()?;
    if accounts::staff_grants(conn, account)?
        .iter()
        .any(|g| g.role == role)
    {
        return Err(DomainError::conflict(
            "staff_role.duplicate",
            None,
            "Cette personne a déjà ce rôle.",
        )
        .into());
    }
    let granted_by = match actor {
        Actor::Person { id, .. } => Some(id),
        _ => None,
    };
    let id = StaffRoleId::from_uuid(Uuid::now_v7());
    accounts::grant(conn, id, account, role, granted_by, now)?;
    let grant = StaffGrant {
        id,
        role,
        granted_at: now,
    };
    let event = NewAuditEvent::new(AuditAction::StaffRoleGranted, AuditActor::acting(&actor))
        .about("account", account)
        .with(grant_details(&grant));
    audit::record(conn, &event, now)?;
    Ok(grant)
}

/// Revokes a staff role (admins); it stops working at the holder's next request.
#[tracing::instrument(name = "accounts::revoke_staff_role", skip_all, fields(actor = Subject::kind(subject), account = %account))]
pub fn revoke_staff_role(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    account: AccountId,
    role: StaffRoleId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let actor = require(conn, subject, Action::ManageAccounts)?;
    // What the role was, for the trail: the row goes.
    let grant = accounts::staff_grants(conn, account)?
        .into_iter()
        .find(|g| g.id == role);
    existed(accounts::revoke(conn, account, role)?, "staff_role")?;
    let details = grant.as_ref().map(grant_details).unwrap_or_default();
    let event = NewAuditEvent::new(AuditAction::StaffRoleRevoked, AuditActor::acting(&actor))
        .about("account", account)
        .with(details);
    audit::record(conn, &event, now)
}

/// One's e-mail preferences.
#[tracing::instrument(name = "accounts::preferences", skip_all, fields(actor = Subject::kind(subject)))]
pub fn preferences(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<Preferences> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    accounts::preferences(conn, me)?.ok_or_else(|| DomainError::NotFound { what: "account" }.into())
}

/// Changes one's e-mail preferences.
#[tracing::instrument(name = "accounts::set_preferences", skip_all, fields(actor = Subject::kind(subject)))]
pub fn set_preferences(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    wanted: Preferences,
) -> StoreResult<Preferences> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    existed(accounts::set_preferences(conn, me, wanted)?, "account")?;
    Ok(wanted)
}

/// Makes a token for a link (256 random bits, only its hash stored) and sends the link.
fn send_link(
    conn: &mut DbConnection,
    notifier: &Notifier,
    to: &Addressee,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let token = random_token();
    let hash = sha256_hex(token.as_bytes());
    account_tokens::insert(
        conn,
        to.account,
        purpose,
        &hash,
        now,
        now + purpose.lifetime(),
    )?;
    tell_account_link(conn, notifier, to, purpose, &token, now)
}

/// How many links of `purpose` the account was sent within the last 24 hours.
fn links_sent_today(
    conn: &mut DbConnection,
    account: AccountId,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    account_tokens::sent_since(conn, account, purpose, now - Duration::days(1))
}

/// The owner of a token presented for `purpose`, once it is good: every token of that
/// purpose the account held is used up with it.
fn redeem(
    conn: &mut DbConnection,
    token: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> StoreResult<AccountRecord> {
    let account = link_owner(conn, token, purpose, now)?;
    // A link presented twice at once is no good the second time.
    if !account_tokens::use_up(conn, account.id, purpose, now)? {
        return Err(link_refused(purpose).into());
    }
    Ok(account)
}

/// The account a link's token is good for (unused, not expired, of an active account).
fn link_owner(
    conn: &mut DbConnection,
    token: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> StoreResult<AccountRecord> {
    let found = account_tokens::find_by_hash(conn, &sha256_hex(token.as_bytes()))?;
    check_token(found.as_ref().map(|t| &t.state), purpose, now)?;
    let account = match &found {
        Some(t) => accounts::get(conn, t.account)?.filter(|a| a.active),
        None => None,
    };
    account.ok_or_else(|| link_refused(purpose).into())
}

/// Whose a link to choose a new password is, while it is good (it stays unused): the new
/// password must not be built on their name or address.
#[tracing::instrument(name = "accounts::reset_link_owner", skip_all)]
pub fn reset_link_owner(
    conn: &mut DbConnection,
    token: &str,
    now: DateTime<Utc>,
) -> StoreResult<AccountRecord> {
    link_owner(conn, token, TokenPurpose::ResetPassword, now)
}

pub(crate) fn addressee(account: &AccountRecord) -> Addressee {
    Addressee {
        account: account.id,
        email: account.email.clone(),
        name: account.display_name.clone(),
    }
}

/// Verifies the address of the account the link was sent to.
#[tracing::instrument(name = "accounts::verify_email", skip_all)]
pub fn verify_email(conn: &mut DbConnection, token: &str, now: DateTime<Utc>) -> StoreResult<()> {
    let account = redeem(conn, token, TokenPurpose::VerifyEmail, now)?;
    accounts::mark_verified(conn, account.id, now)?;
    Ok(())
}

/// Sends the signed-in person a new link to verify their address (at most five a day);
/// refused when it is verified already.
#[tracing::instrument(name = "accounts::resend_verification", skip_all, fields(actor = Subject::kind(subject)))]
pub fn resend_verification(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<()> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    let account = accounts::get(conn, me)?.ok_or(DomainError::NotFound { what: "account" })?;
    if account.email_verified_at.is_some() {
        return Err(DomainError::conflict(
            "account.email_already_verified",
            None,
            "Votre adresse e-mail est déjà confirmée.",
        )
        .into());
    }
    check_links_sent(links_sent_today(conn, me, TokenPurpose::VerifyEmail, now)?)?;
    send_link(
        conn,
        notifier,
        &addressee(&account),
        TokenPurpose::VerifyEmail,
        now,
    )
}

/// The throttling key of "forgot password" for a client's address (as the API and the
/// portal both count it).
pub fn reset_key(client_address: &str) -> String {
    format!(
        "reset:ip:{}",
        simpa_domain::throttle::counted_address(client_address)
    )
}

/// "Forgot password": sends a link to choose a new one when the address has an active
/// account (at most five a day), and nothing otherwise; the caller is told the same either
/// way. Throttled per client address as registrations are.
#[tracing::instrument(name = "accounts::request_password_reset", skip_all)]
pub fn request_password_reset(
    conn: &mut DbConnection,
    email: &EmailAddress,
    policy: ThrottlePolicy,
    address_key: &str,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<()> {
    admit_attempt(conn, policy, &[address_key], now, |_, recent| {
        Ok(policy.check_password_reset(recent[0], now)?)
    })?;
    let Some(account) = accounts::find_by_email(conn, email)?.filter(|a| a.active) else {
        return Ok(());
    };
    // Past its share of the day, the answer stays the same: nothing more is sent.
    let sent = links_sent_today(conn, account.id, TokenPurpose::ResetPassword, now)?;
    if check_links_sent(sent).is_err() {
        return Ok(());
    }
    send_link(
        conn,
        notifier,
        &addressee(&account),
        TokenPurpose::ResetPassword,
        now,
    )
}

/// Sets the password of the account a reset link was sent to (`password_hash`: the new
/// password, hashed): every sign-in of the account ends, and its owner is told. A reset
/// proves the address too.
#[tracing::instrument(name = "accounts::reset_password", skip_all)]
pub fn reset_password(
    conn: &mut DbConnection,
    token: &str,
    password_hash: &str,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<()> {
    let account = redeem(conn, token, TokenPurpose::ResetPassword, now)?;
    accounts::mark_verified(conn, account.id, now)?;
    new_password(conn, &account, password_hash, now, notifier)
}

/// The signed-in person's account and the hash of their password, to check the one they
/// typed before they change it.
#[tracing::instrument(name = "accounts::password_of", skip_all, fields(actor = Subject::kind(subject)))]
pub fn password_of(
    conn: &mut DbConnection,
    subject: Option<Subject>,
) -> StoreResult<(AccountRecord, String)> {
    let me = person(&require(conn, subject, Action::ReadOwnAccount)?)?;
    let account = accounts::get(conn, me)?.ok_or(DomainError::NotFound { what: "account" })?;
    let hash =
        accounts::password_hash(conn, me)?.ok_or(DomainError::NotFound { what: "account" })?;
    Ok((account, hash))
}

/// Changes the signed-in person's password, once the current one was checked against
/// `checked_against` (which must still be the account's hash): every sign-in of the account
/// ends, and its owner is told.
#[tracing::instrument(name = "accounts::change_password", skip_all, fields(actor = Subject::kind(subject)))]
pub fn change_password(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    checked_against: &str,
    password_hash: &str,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<()> {
    let (account, current) = password_of(conn, subject)?;
    // Changed meanwhile (another change, a reset): the password checked is no longer it.
    if current != checked_against {
        return Err(wrong_password().into());
    }
    new_password(conn, &account, password_hash, now, notifier)
}

/// The current password typed is not the account's.
pub fn wrong_password() -> DomainError {
    DomainError::invalid(
        "current_password",
        Violation::new("password.wrong", "Ce n'est pas votre mot de passe actuel."),
    )
}

fn new_password(
    conn: &mut DbConnection,
    account: &AccountRecord,
    password_hash: &str,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<()> {
    accounts::set_password_hash(conn, account.id, password_hash)?;
    tokens::revoke_account(conn, account.id, now)?;
    let event = NewAuditEvent::new(
        AuditAction::PasswordChanged,
        AuditActor::of(Subject::Person(account.id)),
    )
    .about("account", account.id);
    audit::record(conn, &event, now)?;
    tell_password_changed(conn, notifier, &addressee(account), now)
}

/// Deactivates an account (admins): it can no longer sign in, its sessions end and the
/// access tokens it holds stop working at its next call; an admin cannot deactivate
/// themselves. Or reactivates one. In the audit trail.
#[tracing::instrument(name = "accounts::set_active", skip_all, fields(actor = Subject::kind(subject), account = %account, active))]
pub fn set_active(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    account: AccountId,
    active: bool,
    now: DateTime<Utc>,
) -> StoreResult<AccountFile> {
    let actor = require(conn, subject, Action::ManageAccounts)?;
    accounts::get(conn, account)?.ok_or(DomainError::NotFound { what: "account" })?;
    if !active {
        let admin = match actor {
            Actor::Person { id, .. } => Some(id),
            _ => None,
        };
        check_deactivation(admin, account)?;
    }
    if accounts::set_active(conn, account, active)? {
        if !active {
            tokens::revoke_account(conn, account, now)?;
        }
        let action = if active {
            AuditAction::AccountReactivated
        } else {
            AuditAction::AccountDeactivated
        };
        let event =
            NewAuditEvent::new(action, AuditActor::acting(&actor)).about("account", account);
        audit::record(conn, &event, now)?;
    }
    account_file(conn, account)
}

/// Signs a person up, as both front doors do: the client's address (counted as
/// `domain::throttle` says) may still register, checked before the costly hashing so that a
/// flood of registrations cannot take the hashing's turns from sign-ins, then again under
/// lock when registering.
pub async fn sign_up(
    runtime: &Runtime,
    subject: Option<Subject>,
    registration: Registration,
    request_emails: bool,
    policy: ThrottlePolicy,
    client_address: &str,
) -> Result<(), RunError> {
    let address = format!(
        "register:ip:{}",
        simpa_domain::throttle::counted_address(client_address)
    );
    let (key, city) = (address.clone(), runtime.city_now());
    runtime
        .read(move |conn| may_register(conn, policy, &key, city.at))
        .await?;
    let hash = runtime
        .hash_password(registration.password.expose().to_owned())
        .await?;
    let notifier = runtime.notifier.clone();
    runtime
        .write(move |conn| {
            register(
                conn,
                subject,
                &registration,
                &hash,
                request_emails,
                policy,
                &address,
                city,
                &notifier,
            )
        })
        .await
}

/// Changes one's own password given the current one, as both front doors do: the new one is
/// checked against the person's name and address, the current one on the hashing's threads
/// (`current_password` refused when wrong), then every sign-in of the account ends.
pub async fn change_own_password(
    runtime: &Runtime,
    subject: Option<Subject>,
    current_password: String,
    new_password: String,
) -> Result<(), RunError> {
    let (account, current) = runtime.read(move |conn| password_of(conn, subject)).await?;
    let personal = [account.email.as_str(), account.display_name.as_str()];
    let password = Password::parse(&new_password, &personal)
        .map_err(|v| StoreError::from(DomainError::invalid("new_password", v)))?;
    if !runtime
        .verify_password(current_password, Some(current.clone()))
        .await?
    {
        return Err(StoreError::from(wrong_password()).into());
    }
    let hash = runtime.hash_password(password.expose().to_owned()).await?;
    let (now, notifier) = (runtime.now(), runtime.notifier.clone());
    runtime
        .write(move |conn| change_password(conn, subject, &current, &hash, now, &notifier))
        .await
}
