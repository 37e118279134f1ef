//! People's accounts: registering, one's own account and e-mail preferences, and for admins
//! the list of accounts, one account's file, and granting and revoking staff roles (each in
//! the audit trail).

use crate::access::{person, require};
use crate::clock::CityNow;
use crate::notify::{Notifier, tell_account_exists};
use crate::throttle::admit_attempt;
use chrono::{DateTime, Utc};
use serde_json::json;
use simpa_domain::account::{Password, parse_display_name};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::contact::EmailAddress;
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
use simpa_persistence::{DbConnection, StoreResult, accounts, reference, throttle};
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
        let email = checks.check("email", EmailAddress::parse(email));
        let password = checks.check("password", Password::parse(password));
        let display_name = checks.check("display_name", parse_display_name(display_name));
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
        now,
    )?;
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
}

fn account_file(conn: &mut DbConnection, id: AccountId) -> StoreResult<AccountFile> {
    let account = accounts::get(conn, id)?.ok_or(DomainError::NotFound { what: "account" })?;
    Ok(AccountFile {
        account,
        staff_roles: accounts::staff_grants(conn, id)?,
        memberships: accounts::memberships(conn, id)?,
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

/// Accounts in e-mail order, those whose e-mail contains a text (admins).
#[tracing::instrument(name = "accounts::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    email_contains: Option<&str>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<AccountRecord>> {
    require(conn, subject, Action::ManageAccounts)?;
    accounts::list(conn, email_contains, after, limit)
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
                "Cet arrondissement n'existe pas (voir GET /api/v1/districts).",
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
