//! Members of an association: the president invites, changes roles, removes; the invited
//! person accepts with the token of the invitation.

use crate::auth::{Caller, secrets};
use crate::codes::MemberRoleCode;
use crate::input::Json;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::accounts::MembershipView;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::access::require;
use simpa_domain::DomainError;
use simpa_domain::association::{
    INVITATION_VALIDITY_DAYS, check_acceptance, ensure_keeps_a_president,
};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::contact::EmailAddress;
use simpa_domain::existed;
use simpa_domain::ids::{AccountId, AssociationId};
use simpa_domain::policy::{Action, Actor, Subject};
use simpa_persistence::accounts::MembershipRecord;
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::members::{Invitation, Member, NewInvitation};
use simpa_persistence::{DbConnection, StoreError, StoreResult, accounts, associations, members};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub account_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: MemberRoleCode,
    pub role_label: &'static str,
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        MemberView {
            account_id: m.account_id.uuid(),
            email: m.email,
            display_name: m.display_name,
            role: MemberRoleCode(m.role),
            role_label: m.role.label(),
            joined_at: m.joined_at,
        }
    }
}

/// An invitation waiting to be accepted.
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub role: MemberRoleCode,
    pub role_label: &'static str,
    pub invited_at: DateTime<Utc>,
    /// After this, the invitation can no longer be accepted.
    pub expires_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        InvitationView {
            id: i.id,
            email: i.email,
            role: MemberRoleCode(i.role),
            role_label: i.role.label(),
            invited_at: i.invited_at,
            expires_at: i.expires_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MembersView {
    pub members: Vec<MemberView>,
    pub invitations: Vec<InvitationView>,
}

#[derive(Deserialize, ToSchema)]
pub struct MemberInvitation {
    #[schema(example = "tresorier@exemple.org")]
    pub email: String,
    pub role: MemberRoleCode,
}

/// A new invitation, with its token, shown this once: give it to the invited person, who
/// accepts with `POST /api/v1/invitations/accept` once signed in with the invited address.
#[derive(Serialize, ToSchema)]
pub struct CreatedInvitation {
    pub invitation: InvitationView,
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
pub struct InvitationAcceptance {
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
pub struct RoleChange {
    pub role: MemberRoleCode,
}

/// Locks the association for a change of its members; 404 if it does not exist.
fn lock_association(conn: &mut DbConnection, id: AssociationId) -> StoreResult<()> {
    Ok(existed(associations::lock(conn, id)?, "association")?)
}

/// Asks the policy, locks the association, then asks again: roles read before waiting for
/// the lock may have changed meanwhile (a president demoted by the change that held it).
fn require_managing(
    conn: &mut DbConnection,
    caller: Caller,
    id: AssociationId,
) -> StoreResult<Actor> {
    require(conn, caller.0, Action::ManageMembers(id))?;
    lock_association(conn, id)?;
    require(conn, caller.0, Action::ManageMembers(id))
}

fn member(
    conn: &mut DbConnection,
    association: AssociationId,
    account: AccountId,
) -> StoreResult<Member> {
    members::get(conn, association, account)?
        .ok_or_else(|| DomainError::NotFound { what: "member" }.into())
}

/// The association's members and pending invitations.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MembersView),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/associations/{association_id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<MembersView>, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| {
            require(conn, caller.0, Action::ReadMembers(id))?;
            existed(associations::exists(conn, id)?, "association")?;
            Ok(MembersView {
                members: members::list(conn, id)?
                    .into_iter()
                    .map(MemberView::from)
                    .collect(),
                invitations: members::pending_invitations(conn, id)?
                    .into_iter()
                    .map(InvitationView::from)
                    .collect(),
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Invites a person to join (the president). The answer holds a single-use token, shown
/// once, that the person uses to accept within 30 days, signed in with the invited address.
/// The answer is the same whether or not the address already has an account.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    request_body = MemberInvitation,
    responses(
        (status = 201, body = CreatedInvitation),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/associations/{association_id}/members")]
pub async fn invite_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<MemberInvitation>,
) -> Result<HttpResponse, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let input = body.value;
    let email = EmailAddress::parse(&input.email).map_err(|v| DomainError::invalid("email", v))?;
    let role = input.role.0;
    let token = secrets::random_token();
    let token_hash = secrets::sha256_hex(token.as_bytes());
    let now = state.now();
    let invitation = state
        .write(move |conn| {
            let Actor::Person { id: inviter, .. } = require_managing(conn, caller, id)? else {
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
            let expires_at = now + chrono::Duration::days(INVITATION_VALIDITY_DAYS);
            let new = NewInvitation {
                id: Uuid::now_v7(),
                association: id,
                email: &email,
                role,
                token_hash: &token_hash,
                invited_by: inviter,
                now,
                expires_at,
            };
            members::invite(conn, new)?;
            let event = NewAuditEvent::new(
                AuditAction::MemberInvited,
                AuditActor::of(Subject::Person(inviter)),
            )
            .about("association", id)
            .with(serde_json::json!({"email": email.as_str(), "role": role.code()}));
            audit::record(conn, &event, now)?;
            members::pending_invitation(conn, id, &email)?
                .ok_or_else(|| StoreError::from(DomainError::NotFound { what: "invitation" }))
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedInvitation {
            invitation: invitation.into(),
            token,
        }))
}

/// Accepts an invitation: the signed-in person, whose e-mail must be the invited one, becomes
/// a member with the role offered. A token works once.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    request_body = InvitationAcceptance,
    responses(
        (status = 201, body = MembershipView),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/invitations/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<InvitationAcceptance>,
) -> Result<HttpResponse, Problem> {
    let token_hash = secrets::sha256_hex(body.value.token.as_bytes());
    let now = state.now();
    let membership = state
        .write(move |conn| {
            let Actor::Person { id: person, .. } =
                require(conn, caller.0, Action::AcceptInvitation)?
            else {
                return Err(DomainError::Forbidden.into());
            };
            let presented = members::invitation_by_token(conn, &token_hash)?
                .ok_or(DomainError::NotFound { what: "invitation" })?;
            let association = presented.invitation.association_id;
            lock_association(conn, association)?;
            let account =
                accounts::get(conn, person)?.ok_or(DomainError::NotFound { what: "account" })?;
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
        })
        .await?;
    Ok(HttpResponse::Created().json(MembershipView::from(membership)))
}

/// Changes a member's role (the president). The last president cannot step down until
/// another one is named.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    request_body = RoleChange,
    responses(
        (status = 200, body = MemberView),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::Invalid),
    )
)]
#[put("/associations/{association_id}/members/{account_id}")]
pub async fn change_member_role(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<RoleChange>,
) -> Result<web::Json<MemberView>, Problem> {
    let (id, account) = path.into_inner();
    let (id, account) = (AssociationId::from_uuid(id), AccountId::from_uuid(account));
    let role = body.value.role.0;
    let now = state.now();
    let view = state
        .write(move |conn| {
            let actor = require_managing(conn, caller, id)?;
            let current = member(conn, id, account)?.role;
            ensure_keeps_a_president(members::presidents(conn, id)?, current, Some(role))?;
            members::set_role(conn, id, account, role)?;
            let event =
                NewAuditEvent::new(AuditAction::MemberRoleChanged, AuditActor::acting(&actor))
                    .about("association", id)
                    .with(serde_json::json!({
                        "account_id": account.to_string(),
                        "from": current.code(),
                        "to": role.code(),
                    }));
            audit::record(conn, &event, now)?;
            member(conn, id, account).map(MemberView::from)
        })
        .await?;
    Ok(web::Json(view))
}

/// Removes a member (the president). The last president cannot be removed.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[delete("/associations/{association_id}/members/{account_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, account) = path.into_inner();
    let (id, account) = (AssociationId::from_uuid(id), AccountId::from_uuid(account));
    let now = state.now();
    state
        .write(move |conn| {
            let actor = require_managing(conn, caller, id)?;
            let current = member(conn, id, account)?.role;
            ensure_keeps_a_president(members::presidents(conn, id)?, current, None)?;
            members::remove(conn, id, account)?;
            let event = NewAuditEvent::new(AuditAction::MemberRemoved, AuditActor::acting(&actor))
                .about("association", id)
                .with(
                    serde_json::json!({"account_id": account.to_string(), "role": current.code()}),
                );
            audit::record(conn, &event, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancels a pending invitation (the president): its token stops working.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[delete("/associations/{association_id}/invitations/{invitation_id}")]
pub async fn cancel_invitation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, invitation) = path.into_inner();
    let id = AssociationId::from_uuid(id);
    let now = state.now();
    state
        .write(move |conn| {
            let actor = require_managing(conn, caller, id)?;
            existed(
                members::cancel_invitation(conn, id, invitation, now)?,
                "invitation",
            )?;
            let event =
                NewAuditEvent::new(AuditAction::InvitationCancelled, AuditActor::acting(&actor))
                    .about("association", id)
                    .with(serde_json::json!({"invitation_id": invitation}));
            audit::record(conn, &event, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
