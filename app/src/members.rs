//! The members of an association: the president invites people, changes their roles and
//! removes them; the person invited accepts with the invitation's token. Every change is in
//! the audit trail.

use crate::access::{person, require};
use crate::notify::{InvitationLetter, Notifier, tell_invited};
use crate::secrets::random_token;
use chrono::{DateTime, Utc};
use simpa_domain::DomainError;
use simpa_domain::association::{
    INVITATION_VALIDITY_DAYS, check_acceptance, ensure_keeps_a_president,
};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::contact::EmailAddress;
use simpa_domain::digest::sha256_hex;
use simpa_domain::existed;
use simpa_domain::ids::{AccountId, AssociationId};
use simpa_domain::policy::{Action, Actor, Subject};
use simpa_domain::roles::MemberRole;
use simpa_persistence::accounts::MembershipRecord;
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::members::{Invitation, Member, NewInvitation};
use simpa_persistence::{DbConnection, StoreError, StoreResult, accounts, associations, members};
use uuid::Uuid;

/// An association's members and its pending invitations.
pub struct Members {
    pub members: Vec<Member>,
    pub invitations: Vec<Invitation>,
}

/// The members of an association and its pending invitations, for whom may read them.
#[tracing::instrument(name = "members::list", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
) -> StoreResult<Members> {
    require(conn, subject, Action::ReadMembers(id))?;
    existed(associations::exists(conn, id)?, "association")?;
    Ok(Members {
        members: members::list(conn, id)?,
        invitations: members::pending_invitations(conn, id)?,
    })
}

/// The actor, if they manage the association's members, with the association locked (its
/// members change one change at a time).
fn managing(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
) -> StoreResult<Actor> {
    // Asked before the lock and again after: whoever may not learns nothing, and a role
    // changed meanwhile counts.
    require(conn, subject, Action::ManageMembers(id))?;
    existed(associations::lock(conn, id)?, "association")?;
    require(conn, subject, Action::ManageMembers(id))
}

fn member(
    conn: &mut DbConnection,
    association: AssociationId,
    account: AccountId,
) -> StoreResult<Member> {
    members::get(conn, association, account)?
        .ok_or_else(|| DomainError::NotFound { what: "member" }.into())
}

/// An invitation made, and its token: the secret the invited person presents to accept it,
/// stored only as its hash.
pub struct Invited {
    pub invitation: Invitation,
    pub token: String,
}

/// Invites someone by e-mail to join the association with a role (its president). An
/// address already a member, or already invited, is refused; an expired invitation gives way.
#[tracing::instrument(name = "members::invite", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn invite(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    email: EmailAddress,
    role: MemberRole,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<Invited> {
    let Actor::Person { id: inviter, .. } = managing(conn, subject, id)? else {
        return Err(DomainError::Forbidden.into());
    };
    if let Some(account) = accounts::find_by_email(conn, &email)?
        && members::role_of(conn, id, account.id)?.is_some()
    {
        return Err(DomainError::conflict(
            "member.already_member",
            Some("email"),
            "Cette personne est déjà membre de l'association.",
        )
        .into());
    }
    match members::pending_invitation(conn, id, &email)? {
        Some(pending) if pending.expires_at > now => {
            return Err(DomainError::conflict(
                "member.already_invited",
                Some("email"),
                "Cette adresse est déjà invitée.",
            )
            .into());
        }
        // An expired invitation gives way to the new one.
        Some(expired) => existed(
            members::cancel_invitation(conn, id, expired.id, now)?,
            "invitation",
        )?,
        None => {}
    }
    let token = random_token();
    let token_hash = sha256_hex(token.as_bytes());
    members::invite(
        conn,
        NewInvitation {
            id: Uuid::now_v7(),
            association: id,
            email: &email,
            role,
            token_hash: &token_hash,
            invited_by: inviter,
            now,
            expires_at: now + chrono::Duration::days(INVITATION_VALIDITY_DAYS),
        },
    )?;
    let event = NewAuditEvent::new(
        AuditAction::MemberInvited,
        AuditActor::of(Subject::Person(inviter)),
    )
    .about("association", id)
    .with(serde_json::json!({"email": email.as_str(), "role": role.code()}));
    audit::record(conn, &event, now)?;
    let invitation = members::pending_invitation(conn, id, &email)?
        .ok_or_else(|| StoreError::from(DomainError::NotFound { what: "invitation" }))?;
    mail_invitation(conn, notifier, inviter, &invitation, &token, now)?;
    Ok(Invited { invitation, token })
}

/// Mails an invitation, with its token, to the address invited.
fn mail_invitation(
    conn: &mut DbConnection,
    notifier: &Notifier,
    inviter: AccountId,
    invitation: &Invitation,
    token: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let email = EmailAddress::parse(&invitation.email)
        .map_err(|_| StoreError::Corrupt(format!("the e-mail of invitation {}", invitation.id)))?;
    let inviter = accounts::get(conn, inviter)?.map_or_else(|| "?".into(), |a| a.display_name);
    let association = associations::name(conn, invitation.association_id)?;
    let role = invitation.role.label().to_lowercase();
    let letter = InvitationLetter {
        association: &association,
        inviter: &inviter,
        role: &role,
        token,
        expires_on: invitation
            .expires_at
            .with_timezone(&notifier.timezone)
            .date_naive(),
    };
    tell_invited(conn, notifier, &email, &letter, now)
}

/// Sends a pending invitation again, with a new token and a new validity (the token before
/// no longer works). The president.
#[tracing::instrument(name = "members::resend_invitation", skip_all, fields(actor = Subject::kind(subject), association = %id, invitation = %invitation))]
pub fn resend_invitation(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    invitation: Uuid,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<Invited> {
    let actor = managing(conn, subject, id)?;
    let inviter = person(&actor)?;
    let token = random_token();
    let expires_at = now + chrono::Duration::days(INVITATION_VALIDITY_DAYS);
    existed(
        members::renew_invitation(
            conn,
            id,
            invitation,
            &sha256_hex(token.as_bytes()),
            expires_at,
        )?,
        "invitation",
    )?;
    let invitation = members::pending_invitations(conn, id)?
        .into_iter()
        .find(|i| i.id == invitation)
        .ok_or(DomainError::NotFound { what: "invitation" })?;
    mail_invitation(conn, notifier, inviter, &invitation, &token, now)?;
    Ok(Invited { invitation, token })
}

/// The invited person accepts with the invitation's token, signed in with the address
/// invited: they join with the role offered.
#[tracing::instrument(name = "members::accept_invitation", skip_all, fields(actor = Subject::kind(subject)))]
pub fn accept_invitation(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    token: &str,
    now: DateTime<Utc>,
) -> StoreResult<MembershipRecord> {
    let Actor::Person { id: person, .. } = require(conn, subject, Action::AcceptInvitation)? else {
        return Err(DomainError::Forbidden.into());
    };
    let presented = members::invitation_by_token(conn, &sha256_hex(token.as_bytes()))?
        .ok_or(DomainError::NotFound { what: "invitation" })?;
    let association = presented.invitation.association_id;
    existed(associations::lock(conn, association)?, "association")?;
    let account = accounts::get(conn, person)?.ok_or(DomainError::NotFound { what: "account" })?;
    if account.email_verified_at.is_none() {
        return Err(crate::instruction::email_unverified().into());
    }
    let email = EmailAddress::parse(&account.email)
        .map_err(|_| StoreError::Corrupt(format!("accounts.email of {person}")))?;
    let already_member = members::role_of(conn, association, person)?.is_some();
    check_acceptance(&presented.state, &email.key(), already_member, now)?;
    existed(
        members::mark_accepted(conn, presented.invitation.id, person, now)?,
        "invitation",
    )?;
    members::add(conn, association, person, presented.invitation.role, now)?;
    let event = NewAuditEvent::new(
        AuditAction::MemberJoined,
        AuditActor::of(Subject::Person(person)),
    )
    .about("association", association)
    .with(serde_json::json!({"role": presented.invitation.role.code()}));
    audit::record(conn, &event, now)?;
    Ok(MembershipRecord {
        association_id: association,
        association_name: associations::name(conn, association)?,
        role: presented.invitation.role,
    })
}

/// Changes a member's role (the president); the association keeps a president.
#[tracing::instrument(name = "members::change_role", skip_all, fields(actor = Subject::kind(subject), association = %id, account = %account))]
pub fn change_role(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    account: AccountId,
    role: MemberRole,
    now: DateTime<Utc>,
) -> StoreResult<Member> {
    let actor = managing(conn, subject, id)?;
    let current = member(conn, id, account)?.role;
    ensure_keeps_a_president(members::presidents(conn, id)?, current, Some(role))?;
    members::set_role(conn, id, account, role)?;
    let event = NewAuditEvent::new(AuditAction::MemberRoleChanged, AuditActor::acting(&actor))
        .about("association", id)
        .with(serde_json::json!({
            "account_id": account.to_string(),
            "from": current.code(),
            "to": role.code(),
        }));
    audit::record(conn, &event, now)?;
    member(conn, id, account)
}

/// Removes a member (the president); the association keeps a president. Returns who it was.
#[tracing::instrument(name = "members::remove", skip_all, fields(actor = Subject::kind(subject), association = %id, account = %account))]
pub fn remove(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<Member> {
    let actor = managing(conn, subject, id)?;
    let removed = member(conn, id, account)?;
    let current = removed.role;
    ensure_keeps_a_president(members::presidents(conn, id)?, current, None)?;
    members::remove(conn, id, account)?;
    let event = NewAuditEvent::new(AuditAction::MemberRemoved, AuditActor::acting(&actor))
        .about("association", id)
        .with(serde_json::json!({"account_id": account.to_string(), "role": current.code()}));
    audit::record(conn, &event, now)?;
    Ok(removed)
}

/// Cancels a pending invitation (the president). Returns it.
#[tracing::instrument(name = "members::cancel_invitation", skip_all, fields(actor = Subject::kind(subject), association = %id, invitation = %invitation))]
pub fn cancel_invitation(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    invitation: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Invitation> {
    let actor = managing(conn, subject, id)?;
    let pending = members::pending_invitations(conn, id)?
        .into_iter()
        .find(|i| i.id == invitation)
        .ok_or(DomainError::NotFound { what: "invitation" })?;
    existed(
        members::cancel_invitation(conn, id, invitation, now)?,
        "invitation",
    )?;
    let event = NewAuditEvent::new(AuditAction::InvitationCancelled, AuditActor::acting(&actor))
        .about("association", id)
        .with(serde_json::json!({"invitation_id": invitation}));
    audit::record(conn, &event, now)?;
    Ok(pending)
}
