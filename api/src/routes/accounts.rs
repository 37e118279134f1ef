//! People's accounts: registration, one's own account, and (for admins) staff roles.

use crate::auth::{Caller, Enrolling};
use crate::codes::StaffRoleKindCode;
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::accounts::MembershipView;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::accounts::{self as app, AccountFile};
use simpa_domain::DomainError;
use simpa_domain::account::Password;
use simpa_domain::ids::{AccountId, DirectionId, DistrictNumber, StaffRoleId};
use simpa_domain::roles::StaffRole;
use simpa_persistence::accounts::{AccountRecord, StaffGrant};
use simpa_persistence::tokens::Session;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
pub struct Registration {
    #[schema(example = "tresoriere@exemple.org")]
    pub email: String,
    /// 12 to 128 characters.
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
    #[schema(example = "Camille Martin")]
    pub display_name: String,
    /// Whether to receive by e-mail every step of the requests of one's associations
    /// (decisions reach presidents whatever this says). Yes unless declined.
    #[serde(default = "yes")]
    pub request_emails: bool,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, ToSchema)]
pub struct StaffRoleView {
    pub id: Uuid,
    pub kind: StaffRoleKindCode,
    /// French label of the kind.
    pub label: &'static str,
    /// For `instructor`: the direction they act for.
    pub direction_id: Option<Uuid>,
    /// For `district`: the district they act for.
    pub district_number: Option<i32>,
    pub granted_at: DateTime<Utc>,
}

impl From<StaffGrant> for StaffRoleView {
    fn from(g: StaffGrant) -> Self {
        StaffRoleView {
            id: g.id.uuid(),
            kind: StaffRoleKindCode(g.role.kind()),
            label: g.role.kind().label(),
            direction_id: g.role.direction().map(DirectionId::uuid),
            district_number: g.role.district().map(|d| d.0),
            granted_at: g.granted_at,
        }
    }
}

/// A person's account, with every role they hold.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Whether its owner proved the address (with the link sent to it): until then they
    /// cannot submit a request nor join an association.
    pub email_verified: bool,
    /// When it last signed in (from the audit trail).
    pub last_signed_in_at: Option<DateTime<Utc>>,
    /// Whether it signs in with a second factor (an authenticator app's codes).
    pub two_factor_enabled: bool,
    pub staff_roles: Vec<StaffRoleView>,
    pub memberships: Vec<MembershipView>,
}

/// An account in the admin list (roles are read one account at a time).
#[derive(Serialize, ToSchema)]
pub struct AccountSummary {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<AccountRecord> for AccountSummary {
    fn from(a: AccountRecord) -> Self {
        AccountSummary {
            id: a.id.uuid(),
            email: a.email,
            display_name: a.display_name,
            active: a.active,
            created_at: a.created_at,
        }
    }
}

impl From<AccountFile> for AccountView {
    fn from(file: AccountFile) -> Self {
        let account = file.account;
        AccountView {
            id: account.id.uuid(),
            email: account.email,
            display_name: account.display_name,
            active: account.active,
            created_at: account.created_at,
            email_verified: account.email_verified_at.is_some(),
            last_signed_in_at: file.last_sign_in,
            two_factor_enabled: file.two_factor,
            staff_roles: file
                .staff_roles
                .into_iter()
                .map(StaffRoleView::from)
                .collect(),
            memberships: file
                .memberships
                .into_iter()
                .map(MembershipView::from)
                .collect(),
        }
    }
}

/// What registration answers, whether the address had an account or not.
#[derive(Serialize, ToSchema)]
pub struct RegistrationReceived {
    pub email: String,
    /// What happens next, in French.
    pub detail: &'static str,
}

const REGISTRATION_RECEIVED: &str = "Si cette adresse n'avait pas encore de compte, il est créé : connectez-vous avec ce mot de passe. Sinon, son titulaire a été prévenu par e-mail.";

/// Registers a person. E-mails are unique whatever their case. The answer is the same
/// whether the address had an account or not (so that no one can tell which addresses
/// do): a new account is created, or the address's owner is told by e-mail that someone
/// tried. Ten registrations per address within 15 minutes at most. To join an association,
/// the person then accepts the invitation its president gave them.
#[utoipa::path(
    tag = "accounts",
    request_body = Registration,
    responses(
        (status = 202, body = RegistrationReceived),
        (status = 400, response = responses::BadRequest),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Invalid),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/accounts")]
pub async fn register(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: Json<Registration>,
) -> Result<HttpResponse, Problem> {
    let input = body.value;
    let registration =
        app::Registration::parse(&input.email, &input.password, &input.display_name)?;
    let answer = RegistrationReceived {
        email: registration.email.as_str().to_owned(),
        detail: REGISTRATION_RECEIVED,
    };
    let address = crate::auth::client_address(&req, state.config.trust_forwarded_for);
    let policy = state.config.throttle;
    app::sign_up(
        &state.runtime,
        caller.0,
        registration,
        input.request_emails,
        policy,
        &address,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(answer))
}

/// The signed-in person's account, staff roles and memberships.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, response = responses::Unauthenticated), (status = 403, response = responses::Forbidden))
)]
#[get("/me")]
pub async fn me(
    state: web::Data<AppState>,
    caller: Enrolling,
) -> Result<web::Json<AccountView>, Problem> {
    let view = state
        .read(move |conn| app::me(conn, caller.0).map(AccountView::from))
        .await?;
    Ok(web::Json(view))
}

#[derive(Deserialize, IntoParams)]
pub struct AccountQuery {
    /// Only accounts whose e-mail or name contains this text (case-insensitive).
    pub q: Option<String>,
    /// The former name of `q` (deprecated).
    pub email: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Lists accounts, in e-mail order (admins).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(AccountQuery),
    responses(
        (status = 200, body = Page<AccountSummary>),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/accounts")]
pub async fn list_accounts(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AccountQuery>,
) -> Result<web::Json<Page<AccountSummary>>, Problem> {
    let query = query.0;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let page = state
        .read(move |conn| {
            app::list(
                conn,
                caller.0,
                query.q.as_deref().or(query.email.as_deref()),
                after.as_ref(),
                limit,
            )
        })
        .await?;
    Ok(web::Json(Page::from_stored(page, AccountSummary::from)))
}

/// One account with its roles: one's own, or anyone's for admins.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, response = responses::Unauthenticated), (status = 404, response = responses::NotFound))
)]
#[get("/accounts/{account_id}")]
pub async fn get_account(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<AccountView>, Problem> {
    let id = AccountId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| app::read(conn, caller.0, id).map(AccountView::from))
        .await?;
    Ok(web::Json(view))
}

#[derive(Deserialize, ToSchema)]
pub struct StaffRoleGrant {
    pub kind: StaffRoleKindCode,
    /// Required for `instructor`, refused otherwise.
    pub direction_id: Option<Uuid>,
    /// Required for `district`, refused otherwise.
    pub district_number: Option<i32>,
}

/// Grants a staff role (admins). An instructor acts for one direction, a district town hall
/// for one district.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = StaffRoleGrant,
    responses(
        (status = 201, body = StaffRoleView),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/accounts/{account_id}/staff-roles")]
pub async fn grant_staff_role(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<StaffRoleGrant>,
) -> Result<HttpResponse, Problem> {
    let account = AccountId::from_uuid(path.into_inner());
    let input = body.value;
    let direction = input.direction_id.map(DirectionId::from_uuid);
    let district = input.district_number.map(DistrictNumber);
    let role =
        StaffRole::from_parts(input.kind.0, direction, district).map_err(DomainError::Invalid)?;
    let now = state.now();
    let view = state
        .write(move |conn| {
            app::grant_staff_role(conn, caller.0, account, role, now).map(StaffRoleView::from)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Revokes a staff role (admins). It stops working at the holder's next request.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[delete("/accounts/{account_id}/staff-roles/{role_id}")]
pub async fn revoke_staff_role(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (account, role) = path.into_inner();
    let now = state.now();
    state
        .write(move |conn| {
            let (account, role) = (AccountId::from_uuid(account), StaffRoleId::from_uuid(role));
            app::revoke_staff_role(conn, caller.0, account, role, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A link's token, as the link sent by e-mail carries it (`?jeton=…`).
#[derive(Deserialize, ToSchema)]
pub struct TokenInput {
    pub token: String,
}

/// Verifies an address with the token of the link sent to it at registration (valid 48
/// hours, once). An unknown, used, expired or altered token: 422 `token.invalid`.
#[utoipa::path(
    tag = "accounts",
    request_body = TokenInput,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 400, response = responses::BadRequest),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/accounts/verification")]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: Json<TokenInput>,
) -> Result<HttpResponse, Problem> {
    let token = body.value.token;
    let now = state.now();
    state
        .write(move |conn| app::verify_email(conn, &token, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What a request for a link answers.
#[derive(Serialize, ToSchema)]
pub struct LinkSent {
    pub detail: &'static str,
}

/// Sends the signed-in person a new link to verify their address (five a day at most: 429
/// beyond); 409 `account.email_already_verified` once it is.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 202, body = LinkSent),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/me/verification")]
pub async fn resend_verification(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, Problem> {
    let now = state.now();
    let notifier = state.notifier.clone();
    state
        .write(move |conn| app::resend_verification(conn, caller.0, now, &notifier))
        .await?;
    Ok(HttpResponse::Accepted().json(LinkSent {
        detail: "Un nouveau lien vient de partir vers votre adresse e-mail.",
    }))
}

/// An address that forgot its password.
#[derive(Deserialize, ToSchema)]
pub struct ForgottenPassword {
    #[schema(example = "tresoriere@exemple.org")]
    pub email: String,
}

const RESET_SENT: &str = "Si un compte existe avec cette adresse, un lien pour choisir un nouveau mot de passe vient d'y partir ; il reste valable une heure.";

/// "Forgot password": mails a link to choose a new password (valid one hour, once) when the
/// address has an account, and answers the same whether it has one or not. Throttled per
/// client address (429); five links a day at most per account.
#[utoipa::path(
    tag = "auth",
    request_body = ForgottenPassword,
    responses(
        (status = 202, body = LinkSent),
        (status = 400, response = responses::BadRequest),
        (status = 422, response = responses::Invalid),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ForgottenPassword>,
) -> Result<HttpResponse, Problem> {
    let email = simpa_domain::contact::EmailAddress::parse(&body.value.email)
        .map_err(|v| DomainError::invalid("email", v))?;
    let now = state.now();
    let policy = state.config.throttle;
    let address = app::reset_key(&crate::auth::client_address(
        &req,
        state.config.trust_forwarded_for,
    ));
    let notifier = state.notifier.clone();
    state
        .write(move |conn| {
            app::request_password_reset(conn, &email, policy, &address, now, &notifier)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(LinkSent { detail: RESET_SENT }))
}

/// A new password, with the token of the link that allows it.
#[derive(Deserialize, ToSchema)]
pub struct PasswordReset {
    pub token: String,
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
}

/// Sets a new password with the token of a reset link: every sign-in of the account ends
/// (its refresh tokens are revoked) and its owner is told by e-mail. 422 `token.invalid` for
/// a link unknown, used, expired or altered; 422 on the password's rules (12 characters at
/// least, not common nor easy to guess).
#[utoipa::path(
    tag = "auth",
    request_body = PasswordReset,
    responses(
        (status = 204, description = "The password is changed"),
        (status = 400, response = responses::BadRequest),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn reset_password(
    state: web::Data<AppState>,
    body: Json<PasswordReset>,
) -> Result<HttpResponse, Problem> {
    let input = body.value;
    let now = state.now();
    let token = input.token.clone();
    let owner = state
        .read(move |conn| app::reset_link_owner(conn, &token, now))
        .await?;
    let personal = [owner.email.as_str(), owner.display_name.as_str()];
    let password = Password::parse(&input.password, &personal)
        .map_err(|v| DomainError::invalid("password", v))?;
    let hash = state.hash_password(password.expose().to_owned()).await?;
    let notifier = state.notifier.clone();
    state
        .write(move |conn| app::reset_password(conn, &input.token, &hash, now, &notifier))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One's password changed: the current one, and the new.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// Changes one's password, given the current one (422 `password.wrong` otherwise): every
/// sign-in of the account ends, this one too (sign in again), and the owner is told by e-mail.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "The password is changed"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::Invalid),
    )
)]
#[put("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<PasswordChange>,
) -> Result<HttpResponse, Problem> {
    let input = body.value;
    let (current, new) = (input.current_password, input.new_password);
    app::change_own_password(&state.runtime, caller.0, current, new).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deactivates an account (admins): it can no longer sign in, its sessions end at once and
/// the access tokens it holds stop working at its next call. 409 `account.self_deactivation`
/// for one's own account. In the audit trail.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = AccountView),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/accounts/{account_id}/deactivate")]
pub async fn deactivate_account(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<AccountView>, Problem> {
    set_active(state, caller, path.into_inner(), false).await
}

/// Reactivates an account (admins): its owner signs in again. In the audit trail.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = AccountView),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[post("/accounts/{account_id}/reactivate")]
pub async fn reactivate_account(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<AccountView>, Problem> {
    set_active(state, caller, path.into_inner(), true).await
}

async fn set_active(
    state: web::Data<AppState>,
    caller: Caller,
    account: Uuid,
    active: bool,
) -> Result<web::Json<AccountView>, Problem> {
    let account = AccountId::from_uuid(account);
    let now = state.now();
    let file = state
        .write(move |conn| app::set_active(conn, caller.0, account, active, now))
        .await?;
    Ok(web::Json(file.into()))
}

/// A sign-in still open, as its owner sees it.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    /// The client's User-Agent, as it said it.
    pub device: Option<String>,
    pub address: Option<String>,
    pub signed_in_at: DateTime<Utc>,
    /// Its last refresh.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        SessionView {
            id: s.id,
            device: s.device.user_agent,
            address: s.device.address,
            signed_in_at: s.signed_in_at,
            last_used_at: s.last_used_at,
        }
    }
}

/// One's sessions still open (each sign-in and its refresh tokens), the latest used first.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<SessionView>),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/me/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Page<SessionView>>, Problem> {
    let now = state.now();
    let sessions = state
        .read(move |conn| simpa_app::sign_in::sessions(conn, caller.0, now))
        .await?;
    Ok(web::Json(Page::all(
        sessions.into_iter().map(SessionView::from),
    )))
}

/// Ends one of one's sessions: its refresh token stops working (access tokens already issued
/// expire within 15 minutes).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[delete("/me/sessions/{session_id}")]
pub async fn end_session(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    end_sessions(state, caller, Some(path.into_inner())).await
}

/// Ends every one of one's sessions, this one too.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
    )
)]
#[delete("/me/sessions")]
pub async fn end_all_sessions(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, Problem> {
    end_sessions(state, caller, None).await
}

async fn end_sessions(
    state: web::Data<AppState>,
    caller: Caller,
    session: Option<Uuid>,
) -> Result<HttpResponse, Problem> {
    let now = state.now();
    state
        .write(move |conn| simpa_app::sign_in::end_sessions(conn, caller.0, session, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
