//! Subsidy requests: an association starts one in a published campaign, edits it, and
//! everyone who may follows where it stands. Actions on requests are in `instruction.rs`.

use crate::auth::Caller;
use crate::etag::{etag, with_etag};
use crate::idempotency::{self, Attempt, IdempotencyKey, Replay};
use crate::if_match::IfMatch;
use crate::input::{Json, JsonPair, Query};
use crate::pagination::Page;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::request_fields::RequestFields;
use crate::views::request_lists::{RequestQuery, summary_page};
use crate::views::requests::file_view;
use crate::views::requests::{RequestSummary, RequestView};
use crate::views::requests::{VIEW_FORMAT, request_view, view_json};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::requests::{Edited, load_readable, read_own};
use simpa_domain::ids::{AssociationId, CampaignId, RequestId};
use simpa_domain::policy::{Action, Subject};
use simpa_persistence::requests;
use simpa_persistence::requests::{KeptKind, KeptView};
use utoipa::ToSchema;
use uuid::Uuid;

// The document's shape of the body; it is read as a `RequestTarget` and its `RequestFields`.
/// Starting a request: in which campaign, for which association, and its first content.
#[derive(ToSchema)]
pub struct NewRequest {
    pub campaign_id: Uuid,
    pub association_id: Uuid,
    #[serde(flatten)]
    pub fields: RequestFields,
}

/// In which campaign, for which association a request starts.
#[derive(Deserialize)]
pub struct RequestTarget {
    pub campaign_id: Uuid,
    pub association_id: Uuid,
}

const CREATE: &str = "create_request";

/// Starts a request (a draft) in a published campaign, in the name of one of the caller's
/// associations. Only the association sees it until it is submitted.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = NewRequest,
    responses(
        (status = 201, body = RequestView, headers(("ETag" = String), ("Location" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/requests")]
pub async fn create_request(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: JsonPair<RequestTarget, RequestFields>,
) -> Result<HttpResponse, Problem> {
    let attempt = Attempt::new(key, CREATE, &[&body.raw]);
    let (input, fields) = (body.first, body.second);
    let now = state.city_now();
    let outcome: Result<RequestView, Replay> = state
        .write(move |conn| {
            let association = AssociationId::from_uuid(input.association_id);
            let actor = require(conn, caller.0, Action::CreateRequest(association))?;
            if let Some(replay) = attempt.replay(conn, &actor)? {
                return Ok(Err(replay));
            }
            let campaign = CampaignId::from_uuid(input.campaign_id);
            let request = simpa_app::requests::start(
                conn,
                &actor,
                association,
                campaign,
                fields.into(),
                now.at,
            )?;
            let view = request_view(conn, &actor, request, now)?;
            attempt.remember(conn, &actor, 201, &view.headers(), &view, now.at)?;
            Ok(Ok(view))
        })
        .await?;
    Ok(idempotency::created(outcome, RequestView::headers))
}

/// A request: for the association, where it stands, since when, what happens next, who holds
/// it, its documents and its public timeline; for the city's staff who may see it, the
/// internal events, notes and opinions too.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    responses((status = 200, body = RequestView, headers(("ETag" = String))), (status = 404, response = responses::NotFound))
)]
#[get("/requests/{request_id}")]
pub async fn get_request(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let city = state.city_now();
    let now = city.at;
    // A person of the association reading its own request: one lookup while its view is kept.
    let own = match caller.0 {
        Some(Subject::Person(_)) => {
            state
                .look_up(move |conn| read_own(conn, caller.0, id, KeptKind::Api))
                .await?
        }
        _ => None,
    };
    let key = match own.map(|at_read| (at_read.version, at_read.kept_in(VIEW_FORMAT, now))) {
        Some((version, Ok(kept))) => return Ok(view_answer(version, kept.body)),
        Some((_, Err(at_read))) => Some(at_read.key(VIEW_FORMAT)),
        None => None,
    };
    let (version, body, fresh_until) = state
        .read(move |conn| {
            let (signed, request) = load_readable(conn, caller.0, id, false)?;
            view_json(conn, &signed.actor, request, city)
        })
        .await?;
    if let Some(key) = key {
        // Only saves work for the next reads: a failure here changes nothing for this one.
        let kept = KeptView {
            key,
            body: body.clone(),
            fresh_until,
        };
        let kept = state
            .write(move |conn| requests::keep_view(conn, id, KeptKind::Api, &kept))
            .await;
        if let Err(problem) = kept {
            tracing::warn!(%problem, "the rendered view of a request was not kept");
        }
    }
    Ok(view_answer(version, body))
}

/// A request's view, with its version as its `ETag`.
fn view_answer(version: i64, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag(version)))
        .body(body)
}

/// Replaces what the request says (`If-Match`: the `ETag` read): while it is a draft, or
/// incomplete when the city asked for more. The association's members only.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(IfMatch),
    request_body = RequestFields,
    responses(
        (status = 200, body = RequestView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
        (status = 428, response = responses::PreconditionRequired),
    )
)]
#[put("/requests/{request_id}")]
pub async fn update_request(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<RequestFields>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let (signed, edited) = simpa_app::requests::edit(
                conn,
                caller.0,
                id,
                if_match.version(),
                input.into(),
                city,
                &notifier,
            )?;
            match edited {
                Edited::Unchanged(request) => request_view(conn, &signed.actor, *request, city),
                Edited::Changed(file) => file_view(conn, &signed.actor, *file, city),
            }
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Lists and searches requests, the latest first. Each caller sees its scope: an
/// association its own (drafts included); the bureau every submitted request; a direction
/// those it instructs; a town hall its district's local ones.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(RequestQuery),
    responses((status = 200, body = Page<RequestSummary>), (status = 400, response = responses::BadRequest), (status = 403, response = responses::Forbidden))
)]
#[get("/requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<RequestQuery>,
) -> Result<web::Json<Page<RequestSummary>>, Problem> {
    summary_page(&state, caller, query.0, simpa_app::requests::list).await
}
