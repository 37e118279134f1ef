//! Webhook endpoints of directions' systems (and admins'), their delivery log, and redelivery.
//! Deliveries themselves are outbox messages, sent by the worker (see `crate::webhooks`).

use crate::auth::{Caller, secrets};
use crate::codes::ActionCode;
use crate::idempotency::{self, Attempt, IdempotencyKey, Replay};
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::outbox::OutboxMessageView;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::webhooks::{self as app, NewEndpoint};
use simpa_domain::DomainError;
use simpa_domain::contact::WebsiteUrl;
use simpa_domain::ids::DirectionId;
use simpa_persistence::outbox::Message;
use simpa_persistence::webhooks::Endpoint;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
pub struct NewWebhook {
    /// Where deliveries are POSTed (`https://` in production).
    #[schema(example = "https://dac.paris.fr/simpa/evenements")]
    pub url: String,
    /// The direction whose requests it follows. Omitted: the caller's direction (an API
    /// client's, or the one an instructor acts for); for admins, every submitted request.
    pub direction_id: Option<Uuid>,
    /// The event types wanted; empty or omitted: every type.
    #[serde(default)]
    pub event_types: Vec<ActionCode>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    /// The direction followed; `null`: every submitted request (registered by an admin).
    pub direction_id: Option<Uuid>,
    /// Empty: every type.
    pub event_types: Vec<String>,
    /// A removed endpoint gets nothing more.
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Endpoint> for WebhookView {
    fn from(e: Endpoint) -> Self {
        WebhookView {
            id: e.id,
            url: e.url,
            direction_id: e.direction.map(|d| d.uuid()),
            event_types: e.event_types,
            active: e.active,
            created_at: e.created_at,
        }
    }
}

/// A new endpoint with the secret that signs its deliveries, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The HMAC-SHA256 key of the `Simpa-Signature` header.
    pub secret: String,
}

/// Registers an endpoint told of every change of the requests of a direction (its
/// instructors and API clients), or of every submitted request (admins). An
/// `Idempotency-Key` makes a retry answer the first registration again.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = NewWebhook,
    responses(
        (status = 201, body = CreatedWebhook),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/webhooks")]
pub async fn register_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewWebhook>,
) -> Result<HttpResponse, Problem> {
    let attempt = Attempt::new(key, REGISTER, &[&body.raw]);
    let input = body.value;
    let url = WebsiteUrl::parse(&input.url).map_err(|v| DomainError::invalid("url", v))?;
    // Who may register, and whether this is a retry, are known before the URL's host is
    // looked up: a retry is answered as the first call was, whatever the DNS says now.
    let asked = input.direction_id.map(DirectionId::from_uuid);
    let first = attempt.clone();
    let replayed = state
        .read(move |conn| {
            let (actor, _) = app::may_register(conn, caller.0, asked)?;
            first.replay(conn, &actor)
        })
        .await?;
    if let Some(replay) = replayed {
        return Ok(replay.into_response());
    }
    simpa_app::webhooks::check_reachable(url.as_str(), &state.config.webhook_allowed_hosts)
        .await
        .map_err(|v| DomainError::invalid("url", v))?;
    let new = NewEndpoint {
        url,
        secret: secrets::random_token(),
        event_types: input
            .event_types
            .iter()
            .map(|t| t.0.code().to_owned())
            .collect(),
    };
    let now = state.now();
    let outcome: Result<CreatedWebhook, Replay> = state
        .write(move |conn| {
            let (actor, direction) = app::may_register(conn, caller.0, asked)?;
            if let Some(replay) = attempt.replay(conn, &actor)? {
                return Ok(Err(replay));
            }
            let endpoint = app::register(conn, &actor, direction, new, now)?;
            let created = CreatedWebhook {
                secret: endpoint.secret.clone(),
                webhook: endpoint.into(),
            };
            attempt.remember(conn, &actor, 201, &created.headers(), &created, now)?;
            Ok(Ok(created))
        })
        .await?;
    Ok(idempotency::created(outcome, CreatedWebhook::headers))
}

const REGISTER: &str = "register_webhook";

impl CreatedWebhook {
    /// Its place, and no caching: the secret is shown once.
    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Cache-Control", "no-store".to_owned()),
            ("Location", format!("/api/v1/webhooks/{}", self.webhook.id)),
        ]
    }
}

/// The endpoints one manages: one's directions' (all of them for admins), removed ones
/// included.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 200, body = Page<WebhookView>), (status = 401, response = responses::Unauthenticated), (status = 403, response = responses::Forbidden))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Page<WebhookView>>, Problem> {
    let endpoints = state.read(move |conn| app::list(conn, caller.0)).await?;
    Ok(web::Json(Page::all(
        endpoints.into_iter().map(WebhookView::from),
    )))
}

/// Removes an endpoint: it gets nothing more; deliveries still waiting are given up when
/// next due.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = responses::Unauthenticated),
        (status = 404, response = responses::NotFound),
    )
)]
#[delete("/webhooks/{webhook_id}")]
pub async fn remove_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    state
        .write(move |conn| app::remove(conn, caller.0, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One delivery: the outbox message and the JSON it carries.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    #[serde(flatten)]
    pub message: OutboxMessageView,
    /// The body POSTed (`id`, `type`, `seq`, `request_id`, `number`, `state`, `in_scope`,
    /// `occurred_at`).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<Message> for DeliveryView {
    fn from(m: Message) -> Self {
        let payload = serde_json::from_str(&m.body).unwrap_or(serde_json::Value::Null);
        DeliveryView {
            message: m.into(),
            payload,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct DeliveriesQuery {
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The deliveries to an endpoint, the latest first: sent, waiting (with when they are tried
/// again) or given up (with the last error).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(DeliveriesQuery),
    responses(
        (status = 200, body = Page<DeliveryView>),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/webhooks/{webhook_id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: Query<DeliveriesQuery>,
) -> Result<web::Json<Page<DeliveryView>>, Problem> {
    let id = path.into_inner();
    let after = pagination::decode_cursor(query.0.cursor.as_deref())?;
    let limit = pagination::limit(query.0.limit)?;
    let page = state
        .read(move |conn| app::deliveries(conn, caller.0, id, after.as_ref(), limit))
        .await?;
    Ok(web::Json(Page::from_stored(page, DeliveryView::from)))
}

/// Delivers an event again (the same body, so the same event `id`), as a new delivery.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 202, body = DeliveryView),
        (status = 401, response = responses::Unauthenticated),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, delivery) = path.into_inner();
    let now = state.now();
    let again = state
        .write(move |conn| app::redeliver(conn, caller.0, id, delivery, now))
        .await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(again)))
}
