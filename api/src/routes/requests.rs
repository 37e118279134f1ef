//! Subsidy requests: an association starts one in a published campaign, edits it, and
//! everyone who may follows where it stands. Actions on requests are in `instruction.rs`.

use crate::access::require;
use crate::auth::Caller;
use crate::codes::{FunderCode, NatureCode, RequestStateCode};
use crate::etag::{etag, with_etag};
use crate::idempotency::{self, Attempt, IdempotencyKey, Replay};
use crate::if_match::IfMatch;
use crate::input::{Json, JsonPair, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::routes::campaigns::load_visible;
use crate::routes::reference::{district_numbers, known_district};
use crate::state::AppState;
use crate::views::requests::file_view;
use crate::views::requests::{RequestSummary, RequestView};
use crate::views::requests::{
    VIEW_FORMAT, association_view, render_for_association, request_view, summaries,
};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use simpa_app::instruction::{Telling, act};
use simpa_app::requests::{author, load_readable, signed};
use simpa_domain::budget::{BudgetLine, parse_lines};
use simpa_domain::campaign::Nature;
use simpa_domain::circuit::{Command, Instructor, decide};
use simpa_domain::ids::{AssociationId, CampaignId, DirectionId, DistrictNumber, RequestId};
use simpa_domain::policy::{self, Action, Actor, Membership, RequestAccess, Subject};
use simpa_domain::request::{self as rules, Indicator, MAX_INDICATORS, RequestContent};
use simpa_domain::{Checks, DomainError, Violation};
use simpa_persistence::Keyset;
use simpa_persistence::StoreError;
use simpa_persistence::instruction;
use simpa_persistence::requests::{RequestFilter, StoredRequest};
use simpa_persistence::{DbConnection, StoreResult, associations, campaigns, requests};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct BudgetLineFields {
    /// A CERFA account: 60–69 charges, 70–79 income, 86/87 in kind, or a sub-account (756).
    #[schema(example = "74")]
    pub account: String,
    /// For account 74 only: who pays (`commune` is the city asked).
    pub funder: Option<FunderCode>,
    #[schema(example = "Subvention demandée à la Ville de Paris")]
    pub label: String,
    /// Whole euros, in cents (a multiple of 100).
    #[schema(example = 400000)]
    pub amount_cents: i64,
}

#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct IndicatorFields {
    #[schema(example = "Jeunes accompagnés")]
    pub name: String,
    #[schema(example = "personnes")]
    pub unit: String,
    #[schema(example = 80)]
    pub target: i64,
}

/// The lines of a budget as sent (a request's, or a final report's as carried out), each
/// checked; every violation goes to `c`, named `budget[i].<field>`.
pub(crate) fn parse_budget(budget: &[BudgetLineFields], c: &mut Checks) -> Vec<BudgetLine> {
    let lines = budget.iter().map(|l| {
        (
            l.account.as_str(),
            l.funder.map(|f| f.0),
            l.label.as_str(),
            l.amount_cents,
        )
    });
    let (parsed, errors) = parse_lines(lines);
    c.extend(errors);
    parsed
}

/// What the association writes in a request (CERFA 12156, section 6 and the project budget).
/// A draft may be incomplete; submitting checks everything.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct RequestFields {
    #[schema(example = "Ateliers d'écriture pour les jeunes du quartier")]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub objectives: String,
    #[serde(default)]
    pub target_public: String,
    pub expected_beneficiaries: Option<u32>,
    /// Districts where the project takes place.
    #[serde(default)]
    pub districts: Vec<i32>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Defaults to the campaign's.
    pub nature: Option<NatureCode>,
    /// An earlier request of the same association that this one renews.
    pub renews_request_id: Option<Uuid>,
    /// What is asked of the city, in cents: the 74 `commune` lines of the budget.
    #[serde(default)]
    pub requested_cents: i64,
    #[serde(default)]
    pub budget: Vec<BudgetLineFields>,
    #[serde(default)]
    pub indicators: Vec<IndicatorFields>,
}

impl RequestFields {
    /// Checks every field at once; completeness waits for submission.
    fn into_content(
        self,
        known_districts: &[i32],
        default_nature: Nature,
    ) -> Result<RequestContent, DomainError> {
        let mut c = Checks::default();
        let title = c.check("title", rules::parse_title(&self.title));
        let summary = c.check("summary", rules::parse_text(&self.summary));
        let objectives = c.check("objectives", rules::parse_text(&self.objectives));
        let target_public = c.check("target_public", rules::parse_text(&self.target_public));
        let requested_cents = c.check(
            "requested_cents",
            rules::parse_requested_cents(self.requested_cents),
        );
        let mut districts = Vec::new();
        for (i, n) in self.districts.iter().enumerate() {
            match known_district(known_districts, format!("districts[{i}]"), *n) {
                Ok(district) if !districts.contains(&district) => districts.push(district),
                Ok(_) => {}
                Err(e) => c.push(e),
            }
        }
        let start_date = c.check(
            "start_date",
            self.start_date.map(rules::parse_project_date).transpose(),
        );
        let end_date = c.check(
            "end_date",
            self.end_date.map(rules::parse_project_date).transpose(),
        );
        if self.expected_beneficiaries.is_some_and(|n| n > 100_000_000) {
            c.push(
                Violation::new(
                    "beneficiaries.out_of_range",
                    "Au plus 100 millions de bénéficiaires.",
                )
                .at("expected_beneficiaries"),
            );
        }
        let lines = parse_budget(&self.budget, &mut c);
        if self.indicators.len() > MAX_INDICATORS {
            c.push(
                Violation::new(
                    "indicators.too_many",
                    format!("Au plus {MAX_INDICATORS} indicateurs."),
                )
                .at("indicators"),
            );
        }
        let indicators: Vec<Indicator> = self
            .indicators
            .iter()
            .enumerate()
            .filter_map(|(i, ind)| {
                Indicator::parse(i, &ind.name, &ind.unit, ind.target)
                    .map_err(|e| c.extend(e))
                    .ok()
            })
            .collect();
        let (
            Some(title),
            Some(summary),
            Some(objectives),
            Some(target_public),
            Some(requested_cents),
            Some(start_date),
            Some(end_date),
        ) = (
            title,
            summary,
            objectives,
            target_public,
            requested_cents,
            start_date,
            end_date,
        )
        else {
            return Err(c.into_error());
        };
        c.finish()?;
        Ok(RequestContent {
            title,
            summary,
            objectives,
            target_public,
            expected_beneficiaries: self.expected_beneficiaries,
            districts,
            start_date,
            end_date,
            nature: self.nature.map_or(default_nature, |n| n.0),
            renews: self.renews_request_id.map(RequestId::from_uuid),
            requested_cents,
            budget: simpa_domain::budget::Budget { lines },
            indicators,
        })
    }

    pub(crate) fn from_content(c: RequestContent) -> RequestFields {
        RequestFields {
            title: c.title,
            summary: c.summary,
            objectives: c.objectives,
            target_public: c.target_public,
            expected_beneficiaries: c.expected_beneficiaries,
            districts: c.districts.iter().map(|d| d.0).collect(),
            start_date: c.start_date,
            end_date: c.end_date,
            nature: Some(NatureCode(c.nature)),
            renews_request_id: c.renews.map(RequestId::uuid),
            requested_cents: c.requested_cents,
            budget: c
                .budget
                .lines
                .into_iter()
                .map(|l| BudgetLineFields {
                    account: l.account.as_str().to_owned(),
                    funder: l.funder.map(FunderCode),
                    label: l.label,
                    amount_cents: l.amount_cents,
                })
                .collect(),
            indicators: c
                .indicators
                .into_iter()
                .map(|i| IndicatorFields {
                    name: i.name,
                    unit: i.unit,
                    target: i.target,
                })
                .collect(),
        }
    }
}

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

fn check_renewal(
    conn: &mut DbConnection,
    content: &RequestContent,
    association: AssociationId,
    itself: Option<RequestId>,
) -> StoreResult<()> {
    if let Some(renews) = content.renews
        && (Some(renews) == itself || !requests::belongs_to(conn, renews, association)?)
    {
        return Err(DomainError::invalid(
            "renews_request_id",
            Violation::new(
                "request.renews_unknown",
                "Une demande renouvelée est une demande antérieure de la même association.",
            ),
        )
        .into());
    }
    Ok(())
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
    let now = state.now();
    let outcome: Result<RequestView, Replay> = state
        .write(move |conn| {
            let association = AssociationId::from_uuid(input.association_id);
            let actor = require(conn, caller, Action::CreateRequest(association))?;
            if let Some(replay) = attempt.replay(conn, &actor)? {
                return Ok(Err(replay));
            }
            existed_association(conn, association)?;
            let campaign_id = CampaignId::from_uuid(input.campaign_id);
            load_visible(conn, caller, campaign_id)?;
            // Its circuit cannot change while a draft starts on it.
            let campaign = campaigns::get_shared(conn, campaign_id)?
                .ok_or(DomainError::NotFound { what: "campaign" })?;
            campaign.check_accepts_drafts(now)?;
            let content =
                fields.into_content(&district_numbers(conn)?, campaign.settings.nature)?;
            check_renewal(conn, &content, association, None)?;
            let id = RequestId::from_uuid(Uuid::now_v7());
            let author = author(&signed(conn, &actor)?);
            instruction::start_draft(conn, id, &campaign, association, &content, author, now)?;
            let request =
                requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "request" })?;
            let view = request_view(conn, &actor, request, now)?;
            attempt.remember(conn, &actor, 201, &view.headers(), &view, now)?;
            Ok(Ok(view))
        })
        .await?;
    Ok(idempotency::created(outcome, RequestView::headers))
}

fn existed_association(conn: &mut DbConnection, id: AssociationId) -> StoreResult<()> {
    crate::routes::existed(associations::exists(conn, id)?, "association")
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
    let now = state.now();
    let (version, body, to_keep) = state
        .read(move |conn| {
            // The association reading its own request: one query when its view is kept.
            let own = match caller.0 {
                Some(Subject::Person(reader)) => {
                    requests::view_at_read(conn, id, reader, VIEW_FORMAT)?
                        .and_then(|at_read| at_read.reader_role.map(|role| (reader, role, at_read)))
                }
                _ => None,
            };
            if let Some((reader, role, at_read)) = own {
                // The one policy decides, on what that query knows of the reader.
                let member = Actor::Person {
                    id: reader,
                    memberships: vec![Membership {
                        association: at_read.association,
                        role,
                    }],
                    staff: vec![],
                };
                let access = RequestAccess {
                    association: at_read.association,
                    submitted: at_read.submitted,
                    local_district: None,
                    instructors: vec![],
                };
                policy::authorize(&member, Action::ReadRequest(access))?;
                let kept = at_read
                    .rendered
                    .as_ref()
                    .and_then(|(body, clock)| association_view(&at_read, body, clock, now).ok());
                if let Some(body) = kept {
                    return Ok((at_read.version, body, None));
                }
                // Not kept yet (or kept in an older shape): render it, and keep it.
                let (signed, request) = load_readable(conn, caller.0, id, false)?;
                let actor = signed.actor;
                let version = request.version;
                let rendered = render_for_association(conn, &actor, request, now)?;
                let body = association_view(&at_read, &rendered.0, &rendered.1, now)?;
                return Ok((version, body, Some(rendered)));
            }
            let (signed, request) = load_readable(conn, caller.0, id, false)?;
            let actor = signed.actor;
            let view = request_view(conn, &actor, request, now)?;
            let body = serde_json::to_string(&view)
                .map_err(|e| StoreError::Corrupt(format!("request view: {e}")))?;
            Ok((view.version, body, None))
        })
        .await?;
    if let Some((rendered, clock)) = to_keep {
        // Only saves work for the next reads: a failure here changes nothing for this one.
        let kept = state
            .write(move |conn| {
                requests::keep_view(conn, id, version, VIEW_FORMAT, &rendered, &clock)
            })
            .await;
        if let Err(problem) = kept {
            tracing::warn!(%problem, "the rendered view of a request was not kept");
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag(version)))
        .body(body))
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
            let (signed, request) = load_readable(conn, caller.0, id, true)?;
            let actor = &signed.actor;
            // Who may edit, and when, before what they wrote is read.
            let now = city.at.max(request.updated_at);
            let parties = policy::parties(actor, request.association);
            decide(&request.facts, Command::Edit, &parties, now, city.today())?;
            let expected = if_match.expected(request.version);
            simpa_domain::association::check_version(request.version, expected)?;
            let campaign = campaigns::get(conn, request.campaign)?
                .ok_or(DomainError::NotFound { what: "campaign" })?;
            let content = input.into_content(&district_numbers(conn)?, campaign.settings.nature)?;
            check_renewal(conn, &content, request.association, Some(id))?;
            if content == request.content {
                // Nothing changed (an autosave): nothing to record.
                return request_view(conn, actor, request, now);
            }
            requests::update_content(conn, id, &content, expected, now)?;
            let edited =
                requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "request" })?;
            let telling = Telling::Everyone(&notifier);
            let acted = act(
                conn,
                &signed,
                edited,
                &parties,
                Command::Edit,
                city,
                telling,
            )?;
            let file = acted.into_file(conn)?;
            file_view(conn, actor, file, now)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

#[derive(Deserialize, IntoParams)]
pub struct RequestQuery {
    /// Only requests in this state.
    pub state: Option<RequestStateCode>,
    pub campaign_id: Option<Uuid>,
    pub association_id: Option<Uuid>,
    /// Only requests this direction instructs.
    pub direction_id: Option<Uuid>,
    /// Only requests of associations whose head office is in this district.
    pub district: Option<i32>,
    /// Only requests of associations working in this sector.
    pub sector: Option<String>,
    pub min_requested_cents: Option<i64>,
    pub max_requested_cents: Option<i64>,
    /// Submitted on or after this day (city time).
    pub submitted_from: Option<NaiveDate>,
    /// Submitted on or before this day (city time).
    pub submitted_until: Option<NaiveDate>,
    /// Only requests past the deadline of their step.
    pub overdue: Option<bool>,
    /// A number (`2026_04217`) or words of the title.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The start of a day in the city, as a UTC instant.
fn start_of(day: NaiveDate, timezone: Tz) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    timezone
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

impl RequestQuery {
    /// The filter, its dates read in the city's time; dates beyond belief are refused.
    pub(crate) fn filter(
        &self,
        now: DateTime<Utc>,
        timezone: Tz,
    ) -> Result<RequestFilter, Problem> {
        let day = |field: &str,
                   date: Option<NaiveDate>,
                   next: bool|
         -> Result<Option<DateTime<Utc>>, Problem> {
            let Some(date) = date else { return Ok(None) };
            let date = rules::parse_project_date(date)
                .map_err(|v| Problem::invalid_query(vec![v.at(field)]))?;
            let date = if next {
                date.succ_opt().unwrap_or(date)
            } else {
                date
            };
            Ok(start_of(date, timezone))
        };
        Ok(RequestFilter {
            states: self.state.map(|s| vec![s.0]).unwrap_or_default(),
            campaign: self.campaign_id.map(CampaignId::from_uuid),
            budget_year: None,
            association: self.association_id.map(AssociationId::from_uuid),
            instructor: self
                .direction_id
                .map(|d| Instructor::Direction(DirectionId::from_uuid(d))),
            district: self.district.map(DistrictNumber),
            sector: self.sector.clone(),
            min_requested_cents: self.min_requested_cents,
            max_requested_cents: self.max_requested_cents,
            submitted_from: day("submitted_from", self.submitted_from, false)?,
            submitted_until: day("submitted_until", self.submitted_until, true)?,
            overdue_at: self.overdue.filter(|o| *o).map(|_| now),
            text: self.q.clone(),
        })
    }
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
    summary_page(
        &state,
        caller,
        query.0,
        Action::ListRequests,
        |conn, actor, filter, after, limit| {
            requests::list(conn, &policy::request_scope(actor), filter, after, limit)
        },
    )
    .await
}

/// A page of requests as summaries, for a caller the `action` admits, fetched by `fetch`.
pub(crate) async fn summary_page(
    state: &AppState,
    caller: Caller,
    query: RequestQuery,
    action: Action,
    fetch: impl FnOnce(
        &mut DbConnection,
        &Actor,
        &RequestFilter,
        Option<&Keyset>,
        usize,
    ) -> StoreResult<simpa_persistence::Page<StoredRequest>>
    + Send
    + 'static,
) -> Result<web::Json<Page<RequestSummary>>, Problem> {
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let now = state.now();
    let filter = query.filter(now, state.config.timezone)?;
    let page = state
        .read(move |conn| {
            let actor = require(conn, caller, action)?;
            let page = fetch(conn, &actor, &filter, after.as_ref(), limit)?;
            let next = page.next.clone();
            let items = summaries(conn, &actor, page.items, now)?;
            Ok(simpa_persistence::Page { items, next })
        })
        .await?;
    Ok(web::Json(Page::from_stored(page, |s| s)))
}
