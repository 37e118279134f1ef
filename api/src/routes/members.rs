//! Members of an association: the president invites, changes roles, removes.

use crate::access::require;
use crate::auth::Caller;
use crate::codes::MemberRoleCode;
use crate::input::Json;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_domain::DomainError;
use simpa_domain::association::ensure_keeps_a_president;
use simpa_domain::contact::EmailAddress;
use simpa_domain::ids::{AccountId, AssociationId};
use simpa_domain::policy::{Action, Actor};
use simpa_persistence::members::{Invitation, Member, NewInvitation};
use simpa_persistence::{DbConnection, StoreResult, accounts, members};
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

/// An invitation to someone who has no account yet: they become a member when they register
/// with this e-mail.
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub role: MemberRoleCode,
    pub role_label: &'static str,
    pub invited_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        InvitationView {
            id: i.id,
            email: i.email,
            role: MemberRoleCode(i.role),
            role_label: i.role.label(),
            invited_at: i.invited_at,
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

#[derive(Deserialize, ToSchema)]
pub struct RoleChange {
    pub role: MemberRoleCode,
}

/// What an invitation did: a registered person became a member at once, or an invitation
/// waits for the person to register.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum InvitationOutcome {
    Member(MemberView),
    Invited(InvitationView),
}

fn member(
    conn: &mut DbConnection,
    association: AssociationId,
    account: AccountId,
) -> StoreResult<Member> {
    members::list(conn, association)?
        .into_iter()
        .find(|m| m.account_id == account)
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
            require(conn, caller, Action::ReadMembers(id))?;
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

/// Invites a person (the president). Someone already registered becomes a member at once;
/// someone else becomes one when they register with this e-mail.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    request_body = MemberInvitation,
    responses(
        (status = 201, body = InvitationOutcome),
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
    let now = state.now();
    let outcome = state
        .write(move |conn| {
            let Actor::Person { id: inviter, .. } =
                require(conn, caller, Action::ManageMembers(id))?
            else {
                return Err(DomainError::Forbidden.into());
            };
            match accounts::find_by_email(conn, &email)? {
                Some(account) => {
                    if members::role_of(conn, id, account.id)?.is_some() {
                        return Err(DomainError::conflict(
                            "member.already_member",
                            Some("email"),
                            "Cette personne est déjà membre de l'association.",
                        )
                        .into());
                    }
                    members::add(conn, id, account.id, role, now)?;
                    Ok(InvitationOutcome::Member(
                        member(conn, id, account.id)?.into(),
                    ))
                }
                None => {
                    if members::pending_invitation(conn, id, &email)?.is_some() {
                        return Err(DomainError::conflict(
                            "member.already_invited",
                            Some("email"),
                            "Cette adresse est déjà invitée.",
                        )
                        .into());
                    }
                    let invitation = Uuid::now_v7();
                    members::invite(
                        conn,
                        NewInvitation {
                            id: invitation,
                            association: id,
                            email: &email,
                            role,
                            invited_by: inviter,
                            now,
                        },
                    )?;
                    let pending = members::pending_invitation(conn, id, &email)?
                        .ok_or(DomainError::NotFound { what: "invitation" })?;
                    Ok(InvitationOutcome::Invited(pending.into()))
                }
            }
        })
        .await?;
    Ok(HttpResponse::Created().json(outcome))
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
    let view = state
        .write(move |conn| {
            require(conn, caller, Action::ManageMembers(id))?;
            let current = members::role_of(conn, id, account)?
                .ok_or(DomainError::NotFound { what: "member" })?;
            ensure_keeps_a_president(members::presidents(conn, id)?, current, Some(role))?;
            members::set_role(conn, id, account, role)?;
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
    state
        .write(move |conn| {
            require(conn, caller, Action::ManageMembers(id))?;
            let current = members::role_of(conn, id, account)?
                .ok_or(DomainError::NotFound { what: "member" })?;
            ensure_keeps_a_president(members::presidents(conn, id)?, current, None)?;
            members::remove(conn, id, account)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancels a pending invitation (the president).
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
            require(conn, caller, Action::ManageMembers(id))?;
            if members::cancel_invitation(conn, id, invitation, now)? {
                Ok(())
            } else {
                Err(DomainError::NotFound { what: "invitation" }.into())
            }
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
