//! What people want to hear by e-mail, and, for admins, what the outbox holds.

use crate::auth::Caller;
use crate::codes::{MessageStatusCode, WorkEmailsCode};
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::outbox::OutboxMessageView;
use actix_web::{get, put, web};
use serde::{Deserialize, Serialize};
use simpa_persistence::accounts::Preferences;
use utoipa::{IntoParams, ToSchema};

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
            simpa_app::accounts::preferences(conn, caller.0).map(PreferencesView::from)
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
            simpa_app::accounts::set_preferences(conn, caller.0, wanted).map(PreferencesView::from)
        })
        .await?;
    Ok(web::Json(view))
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
        .read(move |conn| simpa_app::notify::outbox(conn, caller.0, status, after.as_ref(), limit))
        .await?;
    Ok(web::Json(Page::from_stored(page, OutboxMessageView::from)))
}
