//! The audit trail, for admins: sign-ins and those refused, changes of roles, exports.

use crate::auth::Caller;
use crate::codes::AuditActionCode;
use crate::input::Query;
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_persistence::audit::AuditEvent;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub action: AuditActionCode,
    /// The person who acted (or signed in).
    pub actor_account_id: Option<Uuid>,
    /// The API client that acted (or signed in).
    pub actor_service_account_id: Option<Uuid>,
    /// What a sign-in gave: an e-mail or a client id (also when it was refused).
    pub actor_identifier: Option<String>,
    /// What the event is about, as `kind:id` (`account:…`, `association:…`, `campaign:…`,
    /// `service_account:…`).
    pub subject: Option<String>,
    /// The client's address of a sign-in.
    pub client_address: Option<String>,
    /// The rest: the role granted, the export's filters…
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        AuditEventView {
            id: e.id,
            occurred_at: e.occurred_at,
            action: AuditActionCode(e.event.action),
            actor_account_id: e.event.actor.account.map(|a| a.uuid()),
            actor_service_account_id: e.event.actor.service.map(|s| s.uuid()),
            actor_identifier: e.event.actor.identifier,
            subject: e.event.subject,
            client_address: e.event.client_address,
            details: e.event.details,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Every action when absent.
    pub action: Option<AuditActionCode>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The audit trail, the latest first (admins).
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = Page<AuditEventView>),
        (status = 400, response = responses::BadRequest),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEventView>>, Problem> {
    let query = query.0;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let action = query.action.map(|a| a.0);
    let page = state
        .read(move |conn| simpa_app::audit::list(conn, caller.0, action, after.as_ref(), limit))
        .await?;
    Ok(web::Json(Page::from_stored(page, AuditEventView::from)))
}
