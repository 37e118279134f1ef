//! Following requests: each staff member's worklist, the change feed directions' systems
//! sync from, and the verification of a request's history.

use crate::auth::Caller;
use crate::codes::RequestStateCode;
use crate::input::Query;
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::request_lists::{RequestQuery, summary_page};
use crate::views::requests::RequestSummary;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::tracking::SeenChange;
use simpa_domain::Violation;
use simpa_domain::ids::RequestId;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What waits for the caller: for the bureau, submitted requests to check and admitted ones
/// to dispatch; for a direction (or its API client), the requests awaiting its opinion; for a
/// town hall, its district's local requests. The longest waiting first.
#[utoipa::path(
    tag = "tracking",
    security(("bearer" = [])),
    params(RequestQuery),
    responses((status = 200, body = Page<RequestSummary>), (status = 400, response = responses::BadRequest), (status = 403, response = responses::Forbidden))
)]
#[get("/worklist")]
pub async fn worklist(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<RequestQuery>,
) -> Result<web::Json<Page<RequestSummary>>, Problem> {
    summary_page(&state, caller, query.0, simpa_app::requests::worklist).await
}

fn invalid_since(code: &'static str, message: &str) -> Problem {
    Problem::invalid_query(vec![Violation::new(code, message).at("since")])
}

#[derive(Deserialize, IntoParams)]
pub struct ChangesQuery {
    /// The `cursor` of the previous answer; 0 (the default) starts from the beginning.
    pub since: Option<String>,
    /// Changes per answer, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// A request that changed.
#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    /// The change's position in the feed.
    pub seq: i64,
    pub request_id: Uuid,
    pub changed_at: DateTime<Utc>,
    /// Whether the caller still followed the request after this change: a direction relieved
    /// of it by a dispatch gets that change with `false`, and none after it. `number` and
    /// `state` are the request's now, for whoever may still read it.
    pub in_scope: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<RequestStateCode>,
}

#[derive(Serialize, ToSchema)]
pub struct ChangesPage {
    pub items: Vec<ChangeView>,
    /// Pass it as `since` next time: it is the last change given (or `since` again when none).
    pub cursor: String,
}

/// Requests changed since a cursor, in the order of the changes, including those that left
/// the caller's scope: a direction's system keeps in sync without polling every request.
#[utoipa::path(
    tag = "tracking",
    security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = ChangesPage), (status = 400, response = responses::BadRequest), (status = 403, response = responses::Forbidden))
)]
#[get("/requests/changes")]
pub async fn changes(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ChangesQuery>,
) -> Result<web::Json<ChangesPage>, Problem> {
    let query = query.0;
    let since: i64 = match query.since.as_deref() {
        None => 0,
        Some(raw) => raw.parse().ok().filter(|s| *s >= 0).ok_or_else(|| {
            invalid_since(
                "cursor.invalid",
                "Reprenez le curseur d'une réponse précédente (ou 0).",
            )
        })?,
    };
    let limit = pagination::limit(query.limit)?;
    let seen = state
        .read(move |conn| simpa_app::tracking::changes(conn, caller.0, since, limit))
        .await?;
    let page = seen.map(|seen| {
        let items: Vec<ChangeView> = seen
            .into_iter()
            .map(|SeenChange { change, visible }| ChangeView {
                seq: change.seq,
                request_id: change.request.uuid(),
                changed_at: change.changed_at,
                in_scope: change.followed,
                number: visible.and_then(|(number, _)| number.map(|n| n.to_string())),
                state: visible.map(|(_, state)| RequestStateCode(state)),
            })
            .collect();
        let cursor = items.last().map_or(since, |c| c.seq).to_string();
        ChangesPage { items, cursor }
    });
    page.map(web::Json).ok_or_else(|| invalid_since("cursor.ahead", "Ce curseur est au-delà des changements connus : reprenez depuis le dernier curseur reçu, ou depuis 0."))
}

/// What verifying a history found.
#[derive(Serialize, ToSchema)]
pub struct HistoryCheckView {
    /// Every hash matches its event and links to the previous one, up to the request's head.
    pub intact: bool,
    /// For the city's staff: how many events the history holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<usize>,
    /// The first event that does not match, with why.
    pub broken_at_seq: Option<i32>,
    pub reason: Option<String>,
    /// The state the history replays to; it must be the request's.
    pub replayed_state: Option<RequestStateCode>,
    pub state: RequestStateCode,
    pub consistent: bool,
}

/// Recomputes the hash chain of a request's history and replays it to its state.
#[utoipa::path(
    tag = "tracking",
    security(("bearer" = [])),
    responses((status = 200, body = HistoryCheckView), (status = 404, response = responses::NotFound))
)]
#[get("/requests/{request_id}/history/verify")]
pub async fn verify_history(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<HistoryCheckView>, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| {
            let check = simpa_app::tracking::verify_history(conn, caller.0, id)?;
            Ok(HistoryCheckView {
                intact: check.intact,
                events: check.events,
                broken_at_seq: check.broken_at_seq,
                reason: check.reason,
                replayed_state: check.replayed_state.map(RequestStateCode),
                state: RequestStateCode(check.state),
                consistent: check.consistent,
            })
        })
        .await?;
    Ok(web::Json(view))
}
