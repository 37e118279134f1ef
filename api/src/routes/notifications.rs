//! What people want to hear by e-mail, and, for admins, what the outbox holds.

use crate::access::{person, require};
use crate::auth::Caller;
use crate::codes::{ChannelCode, MessageStatusCode, WorkEmailsCode};
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::{get, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_domain::DomainError;
use simpa_domain::policy::Action;
use simpa_persistence::accounts::{self, Preferences};
use simpa_persistence::outbox::{self, Message};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What a person wants to hear by e-mail.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct PreferencesView {
    /// Every step of the requests of one's associations (presidents hear of decisions
    /// whatever this says).
    pub request_emails: bool,
    /// For the city's staff: new work at once, in a daily digest, or not at all.
    pub work_emails: WorkEmailsCode,
}

impl From<Preferences> for PreferencesView {
    fn from(p: Preferences) -> Self {
        PreferencesView {
            request_emails: p.request_emails,
            work_emails: WorkEmailsCode(p.work_emails),
        }
    }
}

/// One's e-mail preferences.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, body = PreferencesView), (status = 403, response = responses::Forbidden))
)]
#[get("/me/preferences")]
pub async fn get_preferences(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<PreferencesView>, Problem> {
    let view = state
        .read(move |conn| {
            let me = person(&require(conn, caller, Action::ReadOwnAccount)?)?;
            accounts::preferences(conn, me)?
                .map(PreferencesView::from)
                .ok_or_else(|| DomainError::NotFound { what: "account" }.into())
        })
        .await?;
    Ok(web::Json(view))
}

/// Changes one's e-mail preferences.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = PreferencesView,
    responses((status = 200, body = PreferencesView), (status = 403, response = responses::Forbidden))
)]
#[put("/me/preferences")]
pub async fn set_preferences(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<PreferencesView>,
) -> Result<web::Json<PreferencesView>, Problem> {
    let wanted = Preferences {
        request_emails: body.value.request_emails,
        work_emails: body.value.work_emails.0,
    };
    let view = state
        .write(move |conn| {
            let me = person(&require(conn, caller, Action::ReadOwnAccount)?)?;
            crate::routes::existed(accounts::set_preferences(conn, me, wanted)?, "account")?;
            Ok(PreferencesView::from(wanted))
        })
        .await?;
    Ok(web::Json(view))
}

/// A message of the outbox.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessageView {
    pub id: Uuid,
    pub channel: ChannelCode,
    pub recipient: String,
    pub subject: String,
    pub status: MessageStatusCode,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub request_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When it is due (again), while pending.
    pub available_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<Message> for OutboxMessageView {
    fn from(m: Message) -> Self {
        OutboxMessageView {
            id: m.id,
            channel: ChannelCode(m.channel),
            recipient: m.recipient,
            subject: m.subject,
            status: MessageStatusCode(m.status),
            attempts: m.attempts,
            last_error: m.last_error,
            request_id: m.request.map(|r| r.uuid()),
            created_at: m.created_at,
            available_at: m.available_at,
            sent_at: m.sent_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct OutboxQuery {
    /// Every status when absent.
    pub status: Option<MessageStatusCode>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The outbox, the latest first: what waits to be sent, what was, and what was given up
/// (with the last error), for admins.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(OutboxQuery),
    responses((status = 200, body = Page<OutboxMessageView>), (status = 400, response = responses::BadRequest), (status = 403, response = responses::Forbidden))
)]
#[get("/outbox")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<OutboxQuery>,
) -> Result<web::Json<Page<OutboxMessageView>>, Problem> {
    let query = query.0;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let status = query.status.map(|s| s.0);
    let page = state
        .read(move |conn| {
            require(conn, caller, Action::ReadOutbox)?;
            outbox::list(conn, status, None, after.as_ref(), limit)
        })
        .await?;
    Ok(web::Json(Page::from_stored(page, OutboxMessageView::from)))
}
