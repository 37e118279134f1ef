//! Members of an association: the president invites, changes roles, removes; the invited
//! person accepts with the token of the invitation.

use crate::auth::Caller;
use crate::codes::MemberRoleCode;
use crate::input::Json;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::accounts::MembershipView;
use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::members as app;
use simpa_domain::DomainError;
use simpa_domain::contact::EmailAddress;
use simpa_domain::ids::{AccountId, AssociationId};
use simpa_persistence::members::{Invitation, Member};
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
            let found = app::list(conn, caller.0, id)?;
            Ok(MembersView {
                members: found.members.into_iter().map(MemberView::from).collect(),
                invitations: found
                    .invitations
                    .into_iter()
                    .map(InvitationView::from)
                    .collect(),
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Invites a person to join (the president): the invitation is mailed to the address with a
/// link ($SIMPA_PUBLIC_URL/compte/invitation?jeton=…) to accept within 30 days, signed in with
/// that address once verified. The answer holds the same single-use token, shown once. It is
/// the same whether or not the address already has an account.
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
    let now = state.now();
    let notifier = state.notifier.clone();
    let invited = state
        .write(move |conn| app::invite(conn, caller.0, id, email, role, now, &notifier))
        .await?;
    Ok(created_invitation(HttpResponse::Created(), invited))
}

/// An invitation and its token, which no cache may keep.
fn created_invitation(mut answer: HttpResponseBuilder, invited: app::Invited) -> HttpResponse {
    answer
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedInvitation {
            invitation: invited.invitation.into(),
            token: invited.token,
        })
}

/// Sends a pending invitation again (the president), with a new link valid 30 days: the link
/// sent before no longer works.
#[utoipa::path(
    tag = "members",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CreatedInvitation),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[post("/associations/{association_id}/invitations/{invitation_id}/resend")]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, invitation) = path.into_inner();
    let id = AssociationId::from_uuid(id);
    let now = state.now();
    let notifier = state.notifier.clone();
    let invited = state
        .write(move |conn| app::resend_invitation(conn, caller.0, id, invitation, now, &notifier))
        .await?;
    Ok(created_invitation(HttpResponse::Ok(), invited))
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
    let token = body.value.token;
    let now = state.now();
    let membership = state
        .write(move |conn| app::accept_invitation(conn, caller.0, &token, now))
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
            app::change_role(conn, caller.0, id, account, role, now).map(MemberView::from)
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
        .write(move |conn| app::remove(conn, caller.0, id, account, now))
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
        .write(move |conn| app::cancel_invitation(conn, caller.0, id, invitation, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
