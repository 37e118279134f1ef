//! Deliberations: the bureau prepares a council's agenda (instructed or ranked requests, each
//! with the amount proposed) and records its vote, which decides every line in one
//! transaction: granted with the amount voted, or refused. The associations are told.

use crate::auth::Caller;
use crate::codes::{CouncilCode, RequestStateCode, VoteOutcomeCode};
use crate::etag::with_etag;
use crate::input::{Json, Query};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::requests::AssociationRef;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::access::{person, require};
use simpa_app::instruction::{Telling, act};
use simpa_app::notify;
use simpa_app::requests::{signed, signed_actor};
use simpa_domain::circuit::{Command, decide};
use simpa_domain::council::{Council, CouncilKind, DeliberationReference};
use simpa_domain::deliberation::{self as rules, Amendment, decide_vote};
use simpa_domain::ids::{DistrictNumber, EventId, RequestId};
use simpa_domain::money;
use simpa_domain::policy::{self, Action, Actor};
use simpa_domain::request::RequestState;
use simpa_domain::{Checks, DomainError};
use simpa_persistence::deliberations::{self, Deliberation, NewDeliberation};
use simpa_persistence::instruction::{self, Decided};
use simpa_persistence::{DbConnection, StoreResult, associations, requests};
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
    let requests = requests::get_many(conn, &ids)?;
    let names = associations::names(
        conn,
        &requests.iter().map(|r| r.association).collect::<Vec<_>>(),
    )?;
    let lines: Vec<LineView> = lines
        .into_iter()
        .filter_map(|line| {
            let r = requests.iter().find(|r| r.id == line.request)?;
            Some(LineView {
                request_id: r.id.uuid(),
                number: r.number.map(|n| n.to_string()),
                title: r.content.title.clone(),
                association: AssociationRef {
                    id: r.association.uuid(),
                    name: names
                        .iter()
                        .find(|(id, _)| *id == r.association)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default(),
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

/// The deliberation, if the caller manages its council's (the bureau, or the district's town
/// hall for a district council); locked when `lock` (its agenda and vote take turns).
fn managed(
    conn: &mut DbConnection,
    caller: Caller,
    id: Uuid,
    lock: bool,
) -> StoreResult<(Actor, Deliberation)> {
    // Who may not reach deliberations at all learns nothing of this one.
    let actor = require(conn, caller.0, Action::PrepareDeliberations)?;
    let d = if lock {
        deliberations::get_locked(conn, id)?
    } else {
        deliberations::get(conn, id)?
    }
    .ok_or(DomainError::NotFound {
        what: "deliberation",
    })?;
    policy::authorize(
        &actor,
        Action::ManageDeliberations {
            district: d.council.district,
        },
    )?;
    Ok((actor, d))
}

/// The deliberation, managed by the caller and not yet voted (409 `deliberation.voted`).
fn managed_draft(
    conn: &mut DbConnection,
    caller: Caller,
    id: Uuid,
) -> StoreResult<(Actor, Deliberation)> {
    let (actor, d) = managed(conn, caller, id, true)?;
    if d.vote.is_some() {
        return Err(DomainError::conflict(
            "deliberation.voted",
            None,
            format!(
                "La délibération {} a déjà été votée : elle ne change plus.",
                d.reference
            ),
        )
        .into());
    }
    Ok((actor, d))
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
    let input = body.value;
    let city = state.city_now();
    let now = city.at;
    let view = state
        .write(move |conn| {
            let district = (input.council.0 == CouncilKind::District)
                .then(|| input.district_number.map(DistrictNumber))
                .flatten();
            let actor = require(conn, caller.0, Action::ManageDeliberations { district })?;
            let mut c = Checks::default();
            let reference = c.check("reference", DeliberationReference::parse(&input.reference));
            let title = c.check("title", rules::parse_title(&input.title));
            let council = Council::new(input.council.0, input.district_number.map(DistrictNumber))
                .map_err(|e| c.push(e))
                .ok();
            let (Some(reference), Some(title), Some(council)) = (reference, title, council) else {
                return Err(c.into_error().into());
            };
            if deliberations::reference_taken(conn, &reference)? {
                return Err(DomainError::conflict(
                    "deliberation.reference_taken",
                    Some("reference"),
                    format!("Une délibération porte déjà la référence {reference}."),
                )
                .into());
            }
            let id = Uuid::now_v7();
            deliberations::insert(
                conn,
                &NewDeliberation {
                    id,
                    reference: &reference,
                    council,
                    session_on: input.session_on,
                    title: &title,
                    created_by: person(&actor)?,
                },
                now,
            )?;
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

#[derive(Serialize, ToSchema)]
pub struct DeliberationList {
    pub items: Vec<DeliberationSummary>,
}

#[derive(Deserialize, IntoParams)]
pub struct DeliberationsQuery {
    /// Only this district council's (what its town hall lists).
    pub district: Option<i32>,
}

/// The deliberations, the latest session first: every council's for the bureau; with
/// `district`, that district council's, which its town hall lists too.
#[utoipa::path(
    tag = "deliberations",
    security(("bearer" = [])),
    params(DeliberationsQuery),
    responses(
        (status = 200, body = DeliberationList),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/deliberations")]
pub async fn list_deliberations(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<DeliberationsQuery>,
) -> Result<HttpResponse, Problem> {
    let district = query.0.district.map(DistrictNumber);
    let list = state
        .read(move |conn| {
            require(conn, caller.0, Action::ManageDeliberations { district })?;
            Ok(DeliberationList {
                items: deliberations::list(conn)?
                    .into_iter()
                    .filter(|d| district.is_none() || d.council.district == district)
                    .map(|d| DeliberationSummary {
                        id: d.id,
                        reference: d.reference.to_string(),
                        council: CouncilCode(d.council.kind),
                        district_number: d.council.district.map(|n| n.0),
                        session_on: d.session_on,
                        title: d.title,
                        status: if d.vote.is_some() { "voted" } else { "draft" },
                        outcome: d.vote.map(|(o, _)| VoteOutcomeCode(o)),
                        voted_on: d.vote.map(|(_, on)| on),
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
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
            let (_, d) = managed(conn, caller, id, false)?;
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
    let now = city.at;
    let view = state
        .write(move |conn| {
            let (actor, d) = managed_draft(conn, caller, id)?;
            let request_id = RequestId::from_uuid(input.request_id);
            let request = requests::get_locked(conn, request_id)?
                .filter(|r| r.submitted_at.is_some())
                .ok_or(DomainError::NotFound { what: "request" })?;
            policy::authorize(&actor, Action::ReadRequest(request.access()))?;
            d.council
                .admits(request.facts.circuit, request.facts.local_district)?;
            if let Some(other) = deliberations::of_request(conn, request_id)? {
                return Err(DomainError::conflict(
                    "deliberation.already_scheduled",
                    Some("request_id"),
                    format!("Cette demande figure déjà dans une délibération ({other})."),
                )
                .into());
            }
            let proposed_cents = input
                .proposed_cents
                .or(request.facts.proposed_cents)
                .unwrap_or(0);
            let command = Command::Schedule {
                deliberation: d.reference.clone(),
                council: d.council,
                session_on: d.session_on,
                proposed_cents,
            };
            let parties = policy::parties(&actor, request.association);
            let signer = signed(conn, &actor)?;
            act(
                conn,
                &signer,
                request,
                &parties,
                command,
                city,
                Telling::NoOne,
            )?;
            deliberations::add_lines(conn, id, &[(request_id, proposed_cents)], now)?;
            view_of(conn, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
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
    let view = state
        .write(move |conn| {
            let (actor, d) = managed_draft(conn, caller, id)?;
            simpa_domain::existed(deliberations::remove_line(conn, id, request_id)?, "line")?;
            let request = requests::get_locked(conn, request_id)?
                .ok_or(DomainError::NotFound { what: "request" })?;
            if request.facts.state == RequestState::Scheduled {
                let command = Command::Unschedule {
                    deliberation: d.reference.clone(),
                };
                let parties = policy::parties(&actor, request.association);
                let signer = signed(conn, &actor)?;
                act(
                    conn,
                    &signer,
                    request,
                    &parties,
                    command,
                    city,
                    Telling::NoOne,
                )?;
            }
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
    let (now, today) = (city.at, city.today());
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let (actor, d) = managed_draft(conn, caller, id)?;
            let lines = deliberations::lines(conn, id)?;
            let ids: Vec<RequestId> = lines.iter().map(|l| l.request).collect();
            requests::lock_many(conn, &ids)?;
            let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
            let before = requests::get_many(conn, &keys)?;
            let domain_lines: Vec<rules::Line> = lines
                .iter()
                .filter_map(|l| {
                    let r = before.iter().find(|r| r.id == l.request)?;
                    Some(rules::Line {
                        request: r.id,
                        number: r.number.map_or_else(|| r.id.to_string(), |n| n.to_string()),
                        state: r.facts.state,
                        proposed_cents: l.proposed_cents,
                    })
                })
                .collect();
            let amendments: Vec<Amendment> = input
                .amendments
                .iter()
                .map(|a| Amendment {
                    request: RequestId::from_uuid(a.request_id),
                    voted_cents: a.voted_cents,
                })
                .collect();
            rules::check_vote_date(input.voted_on, d.session_on, today)?;
            let decisions = decide_vote(&domain_lines, input.outcome.0, &amendments)?;
            let actor_name = signed_actor(&signed(conn, &actor)?);
            let mut decided = Vec::with_capacity(decisions.len());
            let mut voted = Vec::with_capacity(decisions.len());
            for (request_id, decision) in &decisions {
                let Some(request) = before.iter().find(|r| r.id == *request_id) else {
                    continue;
                };
                let (command, cents) = decision.command(&d.reference, d.council, input.voted_on);
                // Only what the vote changed from the proposal is written line by line.
                if lines
                    .iter()
                    .any(|l| l.request == *request_id && l.proposed_cents != cents)
                {
                    voted.push((*request_id, cents));
                }
                let at = now.max(request.updated_at);
                let parties = policy::parties(&actor, request.association);
                let outcome = decide(&request.facts, command, &parties, at, at.date_naive())?;
                let author = instruction::Author {
                    event: EventId::from_uuid(Uuid::now_v7()),
                    actor: actor_name.clone(),
                };
                decided.push(Decided {
                    request: request.clone(),
                    actions: vec![(outcome, author, at)],
                });
            }
            let (recorded, after) = instruction::record_many(conn, decided)?;
            let told: Vec<notify::Told<'_>> = recorded
                .iter()
                .filter_map(|rec| {
                    let before = before.iter().find(|r| r.id == rec.event.request)?;
                    let request = after.iter().find(|r| r.id == rec.event.request)?;
                    Some(notify::Told {
                        recorded: rec,
                        before: &before.facts,
                        request,
                        held: notify::Held::default(),
                    })
                })
                .collect();
            notify::tell_all(conn, &notifier, &told, now)?;
            deliberations::record_vote(
                conn,
                id,
                input.outcome.0,
                input.voted_on,
                &voted,
                today,
                now,
            )?;
            instruction::publish_all(conn, recorded.into_iter().map(|r| r.change).collect())?;
            view_of(conn, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}
