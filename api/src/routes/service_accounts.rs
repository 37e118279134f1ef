//! Directions' API clients, managed by admins. A client acts as an instructor of its direction.

use crate::auth::Caller;
use crate::input::Json;
use crate::pagination::Page;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::service_accounts as app;
use simpa_domain::ids::{DirectionId, ServiceAccountId};
use simpa_persistence::service_accounts::ServiceAccount;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
pub struct NewClient {
    /// What the client is, for people reading the list.
    #[schema(example = "Progiciel de gestion de la DAC")]
    pub name: String,
    /// The direction it acts for.
    pub direction_id: Uuid,
}

#[derive(Serialize, ToSchema)]
pub struct ClientView {
    pub id: Uuid,
    /// The `client_id` of the client-credentials grant.
    pub client_id: String,
    pub name: String,
    pub direction_id: Uuid,
    #[schema(example = "DAC")]
    pub direction_code: String,
    /// A revoked client can no longer sign in, and its tokens stop working.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// When it last signed in.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation still works (past: it no longer does).
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
}

impl From<ServiceAccount> for ClientView {
    fn from(s: ServiceAccount) -> Self {
        ClientView {
            id: s.id.uuid(),
            client_id: s.client_id,
            name: s.name,
            direction_id: s.direction_id.uuid(),
            direction_code: s.direction_code,
            active: s.active,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            previous_secret_valid_until: s.previous_secret_until,
        }
    }
}

/// A new client with its secret, shown this once: only its hash is kept.
#[derive(Serialize, ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientView,
    pub client_secret: String,
}

/// Creates an API client for a direction (admins).
#[utoipa::path(
    tag = "service accounts",
    security(("bearer" = [])),
    request_body = NewClient,
    responses(
        (status = 201, body = CreatedClient),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/service-accounts")]
pub async fn create_client(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewClient>,
) -> Result<HttpResponse, Problem> {
    let input = body.value;
    let direction = DirectionId::from_uuid(input.direction_id);
    let now = state.now();
    let created = state
        .write(move |conn| app::create(conn, caller.0, &input.name, direction, now))
        .await?;
    Ok(shown_once(created))
}

/// A client with its secret: shown once, it must not stay in any cache.
fn shown_once(created: app::CreatedClient) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedClient {
            client: created.client.into(),
            client_secret: created.secret,
        })
}

/// Lists API clients (admins).
#[utoipa::path(
    tag = "service accounts",
    security(("bearer" = [])),
    responses((status = 200, body = Page<ClientView>), (status = 401, response = responses::Unauthenticated), (status = 403, response = responses::Forbidden))
)]
#[get("/service-accounts")]
pub async fn list_clients(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Page<ClientView>>, Problem> {
    let clients = state.read(move |conn| app::list(conn, caller.0)).await?;
    Ok(web::Json(Page::all(
        clients.into_iter().map(ClientView::from),
    )))
}

/// Revokes an API client (admins): it can no longer sign in and its tokens stop working.
#[utoipa::path(
    tag = "service accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[delete("/service-accounts/{service_account_id}")]
pub async fn revoke_client(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = ServiceAccountId::from_uuid(path.into_inner());
    let now = state.now();
    state
        .write(move |conn| app::revoke(conn, caller.0, id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn default_overlap() -> i64 {
    24
}

/// How long the secret before keeps working.
#[derive(Deserialize, ToSchema)]
pub struct SecretRotation {
    /// 0 to 168 hours (default 24): meanwhile both secrets work.
    #[serde(default = "default_overlap")]
    #[schema(minimum = 0, maximum = 168, default = 24)]
    pub overlap_hours: i64,
}

/// Gives an API client a new secret (admins), shown once; the one before keeps working
/// `overlap_hours` more, so that the direction's system moves over without a gap. In the
/// audit trail.
#[utoipa::path(
    tag = "service accounts",
    security(("bearer" = [])),
    request_body = SecretRotation,
    responses(
        (status = 201, body = CreatedClient),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/service-accounts/{service_account_id}/secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<SecretRotation>,
) -> Result<HttpResponse, Problem> {
    let id = ServiceAccountId::from_uuid(path.into_inner());
    let overlap = body.value.overlap_hours;
    let now = state.now();
    let created = state
        .write(move |conn| app::rotate_secret(conn, caller.0, id, overlap, now))
        .await?;
    Ok(shown_once(created))
}
