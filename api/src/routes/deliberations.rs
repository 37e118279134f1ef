//! Deliberations: the bureau prepares a council's agenda (instructed or ranked requests, each
//! with the amount proposed) and records its vote, which decides every line in one
//! transaction: granted with the amount voted, or refused. The associations are told.

use crate::auth::Caller;
use crate::codes::{CouncilCode, RequestStateCode, VoteOutcomeCode};
use crate::etag::with_etag;
use crate::if_match::IfMatch;
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::requests::AssociationRef;
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::deliberations::{self as app, NewDeliberationCommand, Vote};
use simpa_domain::DomainError;
use simpa_domain::deliberation::Amendment;
use simpa_domain::ids::{AssociationId, DistrictNumber, RequestId};
use simpa_domain::life::StoredRequest;
use simpa_domain::money;
use simpa_persistence::deliberations::{self, Deliberation};
use simpa_persistence::{DbConnection, StoreResult, associations, requests};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A deliberation, as the bureau prepares it.
#[derive(Clone, Deserialize, ToSchema)]
pub struct NewDeliberationFields {
    /// `YYYY DIR NN`, as Paris writes them (`2027 DAC 123`); unique.
    #[schema(example = "2027 DAC 123")]
    pub reference: String,
    pub council: CouncilCode,
    /// For a district council.
    pub district_number: Option<i32>,
    pub session_on: NaiveDate,
    #[schema(example = "Subventions à des associations culturelles (12 associations)")]
    pub title: String,
}

impl NewDeliberationFields {
    fn into_command(self) -> NewDeliberationCommand {
        NewDeliberationCommand {
            reference: self.reference,
            council: self.council.0,
            district_number: self.district_number,
            session_on: self.session_on,
            title: self.title,
        }
    }
}

/// A line of a deliberation: a request and the amounts.
#[derive(Serialize, ToSchema)]
pub struct LineView {
    pub request_id: Uuid,
    pub number: Option<String>,
    pub title: String,
    pub association: AssociationRef,
    pub state: RequestStateCode,
    pub proposed_cents: i64,
    /// Once voted: the amount granted (0 refused).
    pub voted_cents: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliberationView {
    pub id: Uuid,
    pub reference: String,
    pub council: CouncilCode,
    pub council_label: &'static str,
    pub district_number: Option<i32>,
    pub session_on: NaiveDate,
    pub title: String,
    /// `draft` until voted, then `voted`.
    pub status: &'static str,
    pub outcome: Option<VoteOutcomeCode>,
    pub voted_on: Option<NaiveDate>,
    pub lines: Vec<LineView>,
    pub proposed_cents: i64,
    pub voted_cents: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The deliberation as it now stands, after a change.
fn view_of(conn: &mut DbConnection, id: Uuid) -> StoreResult<DeliberationView> {
    let d = deliberations::get(conn, id)?.ok_or(DomainError::NotFound {
        what: "deliberation",
    })?;
    view(conn, d)
}

fn view(conn: &mut DbConnection, d: Deliberation) -> StoreResult<DeliberationView> {
    let lines = deliberations::lines(conn, d.id)?;
    let ids: Vec<String> = lines.iter().map(|l| l.request.to_string()).collect();
    let requests: HashMap<RequestId, StoredRequest> = requests::get_many(conn, &ids)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let names: HashMap<AssociationId, String> = associations::names(
        conn,
        &requests.values().map(|r| r.association).collect::<Vec<_>>(),
    )?
    .into_iter()
    .collect();
    let lines: Vec<LineView> = lines
        .into_iter()
        .filter_map(|line| {
            let r = requests.get(&line.request)?;
            Some(LineView {
                request_id: r.id.uuid(),
                number: r.number.map(|n| n.to_string()),
                title: r.content.title.clone(),
                association: AssociationRef {
                    id: r.association.uuid(),
                    name: names.get(&r.association).cloned().unwrap_or_default(),
                },
                state: RequestStateCode(r.facts.state),
                proposed_cents: line.proposed_cents,
                voted_cents: line.voted_cents,
            })
        })
        .collect();
    Ok(DeliberationView {
        id: d.id,
        reference: d.reference.to_string(),
        council: CouncilCode(d.council.kind),
        council_label: d.council.kind.label(),
        district_number: d.council.district.map(|n| n.0),
        session_on: d.session_on,
        title: d.title,
        status: if d.vote.is_some() { "voted" } else { "draft" },
        outcome: d.vote.map(|(o, _)| VoteOutcomeCode(o)),
        voted_on: d.vote.map(|(_, on)| on),
        proposed_cents: money::total(lines.iter().map(|l| l.proposed_cents)),
        voted_cents: d
            .vote
            .map(|_| money::total(lines.iter().map(|l| l.voted_cents.unwrap_or(0)))),
        lines,
        version: d.version,
        created_at: d.created_at,
        updated_at: d.updated_at,
    })
}

/// Creates a deliberation for a council's session (bureau). 409 when its reference is taken.
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    request_body = NewDeliberationFields,
    responses(
        (status = 201, body = DeliberationView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/deliberations")]
pub async fn create_deliberation(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewDeliberationFields>,
) -> Result<HttpResponse, Problem> {
    let command = body.value.into_command();
    let city = state.city_now();
    let view = state
        .write(move |conn| {
            let id = app::create(conn, caller.0, command, city)?;
            view_of(conn, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Created(), view.version, &view))
}

/// A deliberation in a list: its lines counted, not listed.
#[derive(Serialize, ToSchema)]
pub struct DeliberationSummary {
    pub id: Uuid,
    pub reference: String,
    pub council: CouncilCode,
    pub district_number: Option<i32>,
    pub session_on: NaiveDate,
    pub title: String,
    /// `draft` until voted, then `voted`.
    pub status: &'static str,
    pub outcome: Option<VoteOutcomeCode>,
    pub voted_on: Option<NaiveDate>,
}

#[derive(Deserialize, IntoParams)]
pub struct DeliberationsQuery {
    /// Only this district council's.
    pub district: Option<i32>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The deliberations the caller manages, the latest session first, a page at a time: every
/// council's for the bureau, its district council's for a town hall; with `district`, that
/// district council's only.
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    params(DeliberationsQuery),
    responses(
        (status = 200, body = Page<DeliberationSummary>),
        (status = 400, response = responses::BadRequest),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/deliberations")]
pub async fn list_deliberations(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<DeliberationsQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.0;
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let district = query.district.map(DistrictNumber);
    let page = state
        .read(move |conn| app::list(conn, caller.0, district, after.as_ref(), limit))
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_stored(page, |d| DeliberationSummary {
            id: d.id,
            reference: d.reference.to_string(),
            council: CouncilCode(d.council.kind),
            district_number: d.council.district.map(|n| n.0),
            session_on: d.session_on,
            title: d.title,
            status: if d.vote.is_some() { "voted" } else { "draft" },
            outcome: d.vote.map(|(o, _)| VoteOutcomeCode(o)),
            voted_on: d.vote.map(|(_, on)| on),
        })),
    )
}

/// A deliberation with its lines (bureau).
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    responses(
        (status = 200, body = DeliberationView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/deliberations/{deliberation_id}")]
pub async fn get_deliberation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = state
        .read(move |conn| {
            let d = app::read(conn, caller.0, id)?;
            view(conn, d)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// A request to put on the agenda.
#[derive(Clone, Deserialize, ToSchema)]
pub struct NewLine {
    pub request_id: Uuid,
    /// Defaults to what instruction (or the jury) proposed.
    pub proposed_cents: Option<i64>,
}

/// Puts an instructed (or, for a call for projects, ranked) request on the deliberation's
/// agenda with the amount proposed: it becomes `scheduled` and its association is told.
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    request_body = NewLine,
    responses(
        (status = 200, body = DeliberationView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/deliberations/{deliberation_id}/lines")]
pub async fn add_line(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<NewLine>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let input = body.value;
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let request = RequestId::from_uuid(input.request_id);
            app::schedule(
                conn,
                caller.0,
                id,
                request,
                input.proposed_cents,
                city,
                &notifier,
            )?;
            view_of(conn, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Corrects a deliberation not yet voted (`If-Match`: the `ETag` read): its reference,
/// council, session and title. While requests are on its agenda, only its title changes (409
/// `deliberation.agenda_not_empty`: they were told the reference and the day); once voted,
/// nothing (409 `deliberation.voted`).
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    params(IfMatch),
    request_body = NewDeliberationFields,
    responses(
        (status = 200, body = DeliberationView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
        (status = 428, response = responses::PreconditionRequired),
    )
)]
#[put("/deliberations/{deliberation_id}")]
pub async fn update_deliberation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<NewDeliberationFields>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let command = body.value.into_command();
    let city = state.city_now();
    let view = state
        .write(move |conn| {
            app::update(conn, caller.0, id, if_match.version(), command, city)?;
            view_of(conn, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Deletes a deliberation not yet voted: the requests on its agenda go back to `instructed`
/// (or `ranked`), and its reference is free again (409 `deliberation.voted` once voted).
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[delete("/deliberations/{deliberation_id}")]
pub async fn delete_deliberation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let city = state.city_now();
    let notifier = state.notifier.clone();
    state
        .write(move |conn| app::discard(conn, caller.0, id, city, &notifier))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Takes a request off the agenda before the vote: back to `instructed` (or `ranked`); a
/// request withdrawn meanwhile simply leaves the deliberation.
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    responses(
        (status = 200, body = DeliberationView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[delete("/deliberations/{deliberation_id}/lines/{request_id}")]
pub async fn remove_line(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, request_id) = path.into_inner();
    let request_id = RequestId::from_uuid(request_id);
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            app::unschedule(conn, caller.0, id, request_id, city, &notifier)?;
            view_of(conn, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// An amendment: the amount voted for one line instead of the one proposed (0 refuses it).
#[derive(Clone, Deserialize, ToSchema)]
pub struct AmendmentFields {
    pub request_id: Uuid,
    pub voted_cents: i64,
    /// Required when the amount voted exceeds what the association asked: why the council
    /// grants more (the association reads it in its request's history).
    pub reason: Option<String>,
}

/// The council's vote.
#[derive(Clone, Deserialize, ToSchema)]
pub struct VoteFields {
    /// `adopted` (every line as proposed), `adopted_with_amendments` or `rejected`.
    pub outcome: VoteOutcomeCode,
    pub voted_on: NaiveDate,
    #[serde(default)]
    pub amendments: Vec<AmendmentFields>,
}

/// Records the council's vote of the whole deliberation, in one transaction: every line's
/// request becomes `granted` (the amount voted) or `rejected`, and its association is told. A
/// line no longer scheduled (withdrawn meanwhile) stops it with 409 naming the line; a second
/// vote gets 409 `deliberation.voted`; an invalid amendment 422, and nothing changes.
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    request_body = VoteFields,
    responses(
        (status = 200, body = DeliberationView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/deliberations/{deliberation_id}/vote")]
pub async fn record_vote(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<VoteFields>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let input = body.value;
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let vote = Vote {
        outcome: input.outcome.0,
        voted_on: input.voted_on,
        amendments: input
            .amendments
            .iter()
            .map(|a| Amendment {
                request: RequestId::from_uuid(a.request_id),
                voted_cents: a.voted_cents,
                reason: a.reason.clone(),
            })
            .collect(),
    };
    let view = state
        .write(move |conn| {
            app::vote(conn, caller.0, id, vote, city, &notifier)?;
            view_of(conn, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}
