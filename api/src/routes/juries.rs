//! The jury of a call for projects, as a whole: the bureau sets its rules, grid and members;
//! the chair (or the bureau) seats jurors on requests, closes the session and validates the
//! ranking, which shares out the envelope. The minutes are read as JSON or CSV. A juror's
//! own work on a request is in `jury_sheets.rs`.

use crate::auth::Caller;
use crate::codes::{
    AllotmentCode, DeclarationCode, LastRequestCode, OpinionCode, RequestStateCode,
    SessionStatusCode,
};
use crate::etag::with_etag;
use crate::if_match::IfMatch;
use crate::input::{Format, Json, Query};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::juries::CriterionFields;
use crate::views::requests::{AssociationRef, CampaignRef};
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::juries::{self as app, JuryAt, own_account};
use simpa_app::jury_lists::{self, Listed, SeatSeen};
use simpa_app::spreadsheet::Csv;
use simpa_domain::DomainError;
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::campaign::Campaign;
use simpa_domain::ids::{AccountId, CampaignId, RequestId};
use simpa_domain::jury::{JuryInput, SessionStatus};
use simpa_domain::scoring::{CriterionInput, LastRequest};
use simpa_persistence::audit::NewAuditEvent;
use simpa_persistence::juries;
use simpa_persistence::{DbConnection, StoreError, StoreResult};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

fn default_min_scores() -> u32 {
    2
}

/// A jury's rules, sent to set them up.
#[derive(Clone, Deserialize, ToSchema)]
pub struct JuryFields {
    /// The scoring grid; it cannot change once a juror gave a point.
    pub criteria: Vec<CriterionFields>,
    /// Rank on each juror's normalised scores (z-scores), so that a harsh and a lenient juror
    /// weigh the same.
    #[serde(default)]
    pub normalise: bool,
    /// Requests with fewer sheets handed in are flagged in the minutes.
    #[serde(default = "default_min_scores")]
    pub min_scores: u32,
    /// Out of 100: requests scored below are not funded.
    #[serde(default)]
    pub min_score: u32,
    /// What the last request reached receives when the envelope runs out (`partial`: what is
    /// left; `skip`: nothing).
    pub last_request: Option<LastRequestCode>,
    /// Jurors seated per request; absent: every juror on every request.
    pub jurors_per_request: Option<u32>,
    /// The day the session is planned to close: jurors whose sheets are not all handed in are
    /// recalled by e-mail three days before.
    pub closes_on: Option<chrono::NaiveDate>,
}

impl JuryFields {
    fn into_input(self) -> JuryInput {
        JuryInput {
            criteria: self
                .criteria
                .into_iter()
                .map(|c| CriterionInput {
                    label: c.label,
                    description: c.description,
                    weight: c.weight,
                    max_points: c.max_points,
                })
                .collect(),
            normalise: self.normalise,
            min_scores: self.min_scores,
            min_score: self.min_score,
            last_request: self.last_request.map_or(LastRequest::Partial, |l| l.0),
            jurors_per_request: self.jurors_per_request,
            closes_on: self.closes_on,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct JurorRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct JurorView {
    pub id: Uuid,
    pub name: String,
    pub chair: bool,
    pub joined_at: DateTime<Utc>,
    /// A juror who withdrew: their seats went to others, their scores do not count.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// A call for projects' jury: its rules, grid, members and session.
#[derive(Serialize, ToSchema)]
pub struct JuryView {
    pub campaign: CampaignRef,
    pub envelope_cents: Option<i64>,
    pub status: SessionStatusCode,
    pub status_label: &'static str,
    pub criteria: Vec<CriterionFields>,
    pub normalise: bool,
    pub min_scores: u32,
    pub min_score: u32,
    pub last_request: LastRequestCode,
    pub jurors_per_request: Option<u32>,
    /// The day the session is planned to close.
    pub closes_on: Option<chrono::NaiveDate>,
    /// Whether a juror gave a point: the grid is then locked.
    pub scored: bool,
    pub members: Vec<JurorView>,
    pub version: i64,
}

fn campaign_ref(campaign: &Campaign) -> CampaignRef {
    CampaignRef {
        id: campaign.id.uuid(),
        code: campaign.settings.code.clone(),
        title: campaign.settings.title.clone(),
    }
}

fn jury_view(conn: &mut DbConnection, campaign: &Campaign) -> StoreResult<JuryView> {
    let jury = juries::get(conn, campaign.id)?.ok_or(DomainError::NotFound { what: "jury" })?;
    let settings = &jury.settings;
    Ok(JuryView {
        campaign: campaign_ref(campaign),
        envelope_cents: campaign.settings.envelope_cents,
        status: SessionStatusCode(jury.status),
        status_label: jury.status.label(),
        criteria: CriterionFields::of_grid(&settings.grid),
        normalise: settings.normalise,
        min_scores: settings.min_scores,
        min_score: settings.min_score,
        last_request: LastRequestCode(settings.last_request),
        jurors_per_request: settings.jurors_per_request,
        closes_on: settings.closes_on,
        scored: juries::scored(conn, campaign.id)?,
        members: juries::members(conn, campaign.id)?
            .into_iter()
            .map(|m| JurorView {
                id: m.account.uuid(),
                name: m.name,
                chair: m.chair,
                joined_at: m.joined_at,
                withdrawn_at: m.withdrawn_at,
            })
            .collect(),
        version: jury.version,
    })
}

/// Sets up the jury of a call for projects: its grid and rules; members are added next. The
/// bureau only; 409 when the campaign is no call for projects or already has its jury.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    request_body = JuryFields,
    responses(
        (status = 201, body = JuryView, headers(("ETag" = String), ("Location" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/campaigns/{campaign_id}/jury")]
pub async fn create_jury(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<JuryFields>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let now = city.at;
    let view = state
        .write(move |conn| {
            let campaign = app::create(conn, caller.0, id, &input.into_input(), now)?;
            jury_view(conn, &campaign)
        })
        .await?;
    Ok(with_etag(HttpResponse::Created(), view.version, &view))
}

/// Changes a jury's rules (`If-Match`: the `ETag` read). The grid is locked by the first
/// score given (409 `jury.grid_locked`), everything by the validation of the ranking. The
/// bureau only.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    params(IfMatch),
    request_body = JuryFields,
    responses(
        (status = 200, body = JuryView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
        (status = 428, response = responses::PreconditionRequired),
    )
)]
#[put("/campaigns/{campaign_id}/jury")]
pub async fn update_jury(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<JuryFields>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let now = city.at;
    let view = state
        .write(move |conn| {
            let input = input.into_input();
            let campaign = app::update(conn, caller.0, id, if_match.version(), &input, now)?;
            jury_view(conn, &campaign)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// A call for projects' jury: rules, grid, members and session. The bureau and the jury's
/// own jurors.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = JuryView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/campaigns/{campaign_id}/jury")]
pub async fn get_jury(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| {
            let at = app::read(conn, caller.0, id)?;
            jury_view(conn, &at.campaign)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Someone to seat on the jury.
#[derive(Clone, Deserialize, ToSchema)]
pub struct NewJuror {
    /// A person holding the `juror` staff role.
    pub account_id: Uuid,
    /// The chair closes the session and validates the ranking; a new chair replaces the former.
    #[serde(default)]
    pub chair: bool,
}

/// Adds a juror to the jury (or takes back one who withdrew); the bureau only, while the
/// session is open. The person must hold the `juror` role (422 otherwise).
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    request_body = NewJuror,
    responses(
        (status = 200, body = JuryView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/campaigns/{campaign_id}/jury/members")]
pub async fn add_juror(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<NewJuror>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let now = city.at;
    let view = state
        .write(move |conn| {
            let account = AccountId::from_uuid(input.account_id);
            let at = app::add_juror(conn, caller.0, id, account, input.chair, now)?;
            jury_view(conn, &at.campaign)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// A juror withdraws from the jury: their seats on requests go to the least-loaded others
/// (when the jury seats a number of jurors per request), and their scores no longer count.
/// The bureau only, while the session is open.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = JuryView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[delete("/campaigns/{campaign_id}/jury/members/{account_id}")]
pub async fn withdraw_juror(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, account) = path.into_inner();
    let (id, account) = (CampaignId::from_uuid(id), AccountId::from_uuid(account));
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let at = app::withdraw_juror(conn, caller.0, id, account, city, &notifier)?;
            jury_view(conn, &at.campaign)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// A request as the jury's lists show it.
#[derive(Serialize, ToSchema)]
pub struct JuryRequestRef {
    pub id: Uuid,
    pub number: Option<String>,
    pub title: String,
    pub association: AssociationRef,
    pub state: RequestStateCode,
    pub requested_cents: i64,
}

/// A juror's seat on a request, as the jury's lists show it.
#[derive(Serialize, ToSchema)]
pub struct SeatLine {
    pub juror: JurorRef,
    /// Absent until the juror declares.
    pub declaration: Option<DeclarationCode>,
    /// Recused by Simpa: the juror is a member of the applicant.
    pub automatic: bool,
    pub drafted: bool,
    pub handed_in: bool,
}

/// A request and its jurors: whether it is covered.
#[derive(Serialize, ToSchema)]
pub struct CoverageLine {
    pub request: JuryRequestRef,
    pub seats: Vec<SeatLine>,
    /// Jurors who may score it (not recused, still on the jury).
    pub jurors: usize,
    pub handed_in: usize,
    /// Fewer sheets handed in than the jury wants.
    pub flagged: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CoverageView {
    pub status: SessionStatusCode,
    pub items: Vec<CoverageLine>,
}

/// A request before the jury, as its lists show it.
fn request_ref(listed: Listed) -> JuryRequestRef {
    let Listed {
        request: r,
        association_name,
    } = listed;
    JuryRequestRef {
        id: r.id.uuid(),
        number: r.number.map(|n| n.to_string()),
        title: r.content.title,
        association: AssociationRef {
            id: r.association.uuid(),
            name: association_name,
        },
        state: RequestStateCode(r.facts.state),
        requested_cents: r.content.requested_cents,
    }
}

/// The jury's coverage as the caller may see it (a juror: their own seats).
fn coverage(
    conn: &mut DbConnection,
    at: &JuryAt,
    only: Option<AccountId>,
) -> StoreResult<CoverageView> {
    let items = jury_lists::coverage(conn, at, only)?
        .into_iter()
        .map(|covered| CoverageLine {
            request: request_ref(covered.listed),
            seats: covered
                .seats
                .into_iter()
                .map(|SeatSeen { seat, juror_name }| SeatLine {
                    juror: JurorRef {
                        id: seat.juror.uuid(),
                        name: juror_name,
                    },
                    declaration: seat.declaration.map(DeclarationCode),
                    automatic: seat.automatic,
                    drafted: seat.marks.is_some(),
                    handed_in: seat.handed_in_at.is_some(),
                })
                .collect(),
            jurors: covered.jurors,
            handed_in: covered.handed_in,
            flagged: covered.flagged,
        })
        .collect();
    Ok(CoverageView {
        status: SessionStatusCode(at.jury.status),
        items,
    })
}

/// The requests before the jury and who sits on each: for the bureau and the chair, every
/// request with its coverage; for a juror, the requests they sit on (not those they are
/// recused from), with their own seat.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CoverageView),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/campaigns/{campaign_id}/jury/requests")]
pub async fn jury_requests(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| {
            let at = app::read(conn, caller.0, id)?;
            coverage(conn, &at, own_account(&at))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Seats jurors on every request without its count of jurors (every juror on every request,
/// or `jurors_per_request` spread evenly and deterministically); members of an applicant are
/// recused by Simpa. Run again after new requests are admitted. The chair or the bureau,
/// while the session is open.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CoverageView),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/campaigns/{campaign_id}/jury/seats")]
pub async fn seat_jurors(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let at = app::seat_jurors(conn, caller.0, id, city, &notifier)?;
            coverage(conn, &at, None)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Seats one more juror on a request (after a recusal, to keep it covered). The chair or the
/// bureau, while the session is open.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CoverageView),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[put("/campaigns/{campaign_id}/jury/seats/{request_id}/{account_id}")]
pub async fn seat_juror(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid, Uuid)>,
) -> Result<HttpResponse, Problem> {
    let (id, request, juror) = path.into_inner();
    let id = CampaignId::from_uuid(id);
    let (request, juror) = (RequestId::from_uuid(request), AccountId::from_uuid(juror));
    let city = state.city_now();
    let now = city.at;
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let at = app::seat_juror(conn, caller.0, id, request, juror, now, &notifier)?;
            let mut view = coverage(conn, &at, None)?;
            view.items.retain(|line| line.request.id == request.uuid());
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Closes the session: sheets not handed in no longer count, and scores are locked. The chair
/// or the bureau.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = JuryView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/campaigns/{campaign_id}/jury/close")]
pub async fn close_session(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let city = state.city_now();
    let now = city.at;
    let view = state
        .write(move |conn| {
            let at = app::close(conn, caller.0, id, now)?;
            jury_view(conn, &at.campaign)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// A juror's sheet in the minutes: named for the city's staff.
#[derive(Serialize, ToSchema)]
pub struct MinutesSheet {
    pub juror: JurorRef,
    /// Out of 100.
    pub weighted_score: f64,
    /// In the order of the grid.
    pub points: Vec<u32>,
    pub comments: Vec<Option<String>>,
}

/// A line of the ranking.
#[derive(Serialize, ToSchema)]
pub struct MinutesLine {
    pub rank: u32,
    pub request: JuryRequestRef,
    /// The mean of the counted sheets, out of 100.
    pub score: Option<f64>,
    /// The mean z-score, when the jury normalises.
    pub normalised_score: Option<f64>,
    pub sheets: u32,
    pub flagged: bool,
    /// The lead instructor's opinion.
    pub opinion: Option<OpinionCode>,
    pub proposed_cents: Option<i64>,
    pub funded_cents: i64,
    pub allotment: AllotmentCode,
    pub allotment_label: &'static str,
    /// The mean points per criterion, in the order of the grid.
    pub criteria_means: Vec<Option<f64>>,
    pub scores: Vec<MinutesSheet>,
}

/// A recusal, for the record.
#[derive(Serialize, ToSchema)]
pub struct RecusalLine {
    pub request_number: Option<String>,
    pub juror: JurorRef,
    pub reason: Option<String>,
    /// By Simpa: the juror is a member of the applicant.
    pub automatic: bool,
    pub at: Option<DateTime<Utc>>,
}

/// The jury's minutes: provisional while the session is open or closed, final once validated.
#[derive(Serialize, ToSchema)]
pub struct MinutesView {
    pub campaign: CampaignRef,
    pub status: SessionStatusCode,
    pub provisional: bool,
    pub criteria: Vec<CriterionFields>,
    pub normalise: bool,
    pub min_score: u32,
    pub min_scores: u32,
    pub jurors: Vec<JurorView>,
    pub envelope_cents: i64,
    pub allocated_cents: i64,
    pub envelope_left_cents: i64,
    pub ranking: Vec<MinutesLine>,
    pub recusals: Vec<RecusalLine>,
}

fn minutes(conn: &mut DbConnection, at: &JuryAt) -> StoreResult<MinutesView> {
    let minutes = jury_lists::minutes(conn, at)?;
    let juror_ref = |id: AccountId, name: String| JurorRef {
        id: id.uuid(),
        name,
    };
    let ranking = minutes
        .ranking
        .into_iter()
        .map(|ranked| {
            let (p, opinion) = (ranked.placed, ranked.listed.request.facts.lead_opinion());
            MinutesLine {
                rank: p.rank,
                request: request_ref(ranked.listed),
                score: p.score,
                normalised_score: p.normalised,
                sheets: p.sheets,
                flagged: p.flagged,
                opinion: opinion.map(OpinionCode),
                proposed_cents: ranked.proposed_cents,
                funded_cents: p.funded_cents,
                allotment: AllotmentCode(p.allotment),
                allotment_label: p.allotment.label(),
                criteria_means: ranked.criteria_means,
                scores: ranked
                    .sheets
                    .into_iter()
                    .map(|sheet| MinutesSheet {
                        juror: juror_ref(sheet.juror, sheet.juror_name),
                        weighted_score: sheet.weighted_score,
                        points: sheet.points,
                        comments: sheet.comments,
                    })
                    .collect(),
            }
        })
        .collect();
    let jury = &at.jury;
    Ok(MinutesView {
        campaign: campaign_ref(&at.campaign),
        status: SessionStatusCode(jury.status),
        provisional: minutes.provisional,
        criteria: CriterionFields::of_grid(&jury.settings.grid),
        normalise: jury.settings.normalise,
        min_score: jury.settings.min_score,
        min_scores: jury.settings.min_scores,
        jurors: minutes
            .members
            .into_iter()
            .map(|m| JurorView {
                id: m.account.uuid(),
                name: m.name,
                chair: m.chair,
                joined_at: m.joined_at,
                withdrawn_at: m.withdrawn_at,
            })
            .collect(),
        envelope_cents: minutes.envelope_cents,
        allocated_cents: minutes.allocated_cents,
        envelope_left_cents: minutes
            .envelope_cents
            .saturating_sub(minutes.allocated_cents),
        ranking,
        recusals: minutes
            .recusals
            .into_iter()
            .map(|r| RecusalLine {
                request_number: r.request_number.map(|n| n.to_string()),
                juror: juror_ref(r.juror, r.juror_name),
                reason: r.reason,
                automatic: r.automatic,
                at: r.at,
            })
            .collect(),
    })
}

#[derive(Deserialize, IntoParams)]
pub struct MinutesQuery {
    /// `json` (the default) or `csv` (one line per request, for spreadsheets).
    #[param(inline)]
    pub format: Option<Format>,
}

/// Decimal numbers as French spreadsheets read them: a comma, two decimals.
fn decimal(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.2}").replace('.', ","))
}

fn minutes_csv(view: &MinutesView) -> StoreResult<String> {
    let failed = |e: csv::Error| StoreError::Corrupt(format!("minutes as CSV: {e}"));
    let mut writer = Csv::new(vec![], b';');
    let mut header: Vec<String> = [
        "rang",
        "numero",
        "association",
        "titre",
        "note_sur_100",
        "note_normalisee",
        "fiches",
        "a_verifier",
        "avis",
        "montant_demande",
        "montant_propose",
        "montant_retenu",
        "issue",
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    header.extend(view.criteria.iter().map(|c| format!("moyenne {}", c.label)));
    writer.row(&header).map_err(failed)?;
    let euros = |cents: i64| format!("{},{:02}", cents / 100, cents % 100);
    for line in &view.ranking {
        let mut record = vec![
            line.rank.to_string(),
            line.request.number.clone().unwrap_or_default(),
            line.request.association.name.clone(),
            line.request.title.clone(),
            decimal(line.score),
            decimal(line.normalised_score),
            line.sheets.to_string(),
            if line.flagged { "oui" } else { "non" }.to_owned(),
            line.opinion.map_or("", |o| o.0.label()).to_owned(),
            euros(line.request.requested_cents),
            line.proposed_cents.map(euros).unwrap_or_default(),
            euros(line.funded_cents),
            line.allotment_label.to_owned(),
        ];
        record.extend(line.criteria_means.iter().map(|m| decimal(*m)));
        writer.row(&record).map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| StoreError::Corrupt(format!("minutes as CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(format!("minutes as CSV: {e}")))
}

/// The jury's minutes: the ranking with each request's score, sheets per juror (named) and
/// criterion, recusals, the allocation and the envelope left. Provisional until validated.
/// `?format=csv` gives one line per request (`;`-separated, decimal commas). The bureau and
/// the jury's jurors.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    params(MinutesQuery),
    responses(
        (status = 200, description = "JSON, or CSV with `?format=csv`", content(
            (MinutesView = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/campaigns/{campaign_id}/jury/minutes")]
pub async fn jury_minutes(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: Query<MinutesQuery>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let csv = query.0.format == Some(Format::Csv);
    let (actor, view, text) = state
        .read(move |conn| {
            let at = app::read_minutes(conn, caller.0, id)?;
            let view = minutes(conn, &at)?;
            let text = if csv { Some(minutes_csv(&view)?) } else { None };
            Ok((AuditActor::acting(&at.actor), view, text))
        })
        .await?;
    if text.is_some() {
        let export =
            NewAuditEvent::new(AuditAction::JuryMinutesExported, actor).about("campaign", id);
        state.audit(export).await?;
    }
    Ok(match text {
        Some(text) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!(
                    "attachment; filename=\"jury-{}.csv\"",
                    view.campaign.code.to_lowercase()
                ),
            ))
            .body(text),
        None => HttpResponse::Ok().json(view),
    })
}

/// What validating the ranking did.
#[derive(Serialize, ToSchema)]
pub struct ValidationView {
    pub status: SessionStatusCode,
    /// Requests ranked with an amount, and left out.
    pub ranked: usize,
    pub rejected: usize,
    pub envelope_cents: i64,
    pub allocated_cents: i64,
    pub envelope_left_cents: i64,
    /// Where the minutes are read.
    pub minutes: String,
}

/// Validates the ranking of a closed session, in one transaction: the envelope is shared out
/// top-down and each request moves to `ranked` with the amount the jury proposes, or to
/// `rejected` with the reason; every association is told. Requests still in instruction
/// stop it (409 `jury.instruction_pending`), and so does a second validation (409
/// `jury.already_validated`). The chair or the bureau.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = ValidationView),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/campaigns/{campaign_id}/jury/validate")]
pub async fn validate_ranking(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let validated = app::validate_ranking(conn, caller.0, id, city, &notifier)?;
            let allocated = validated.allocated_cents;
            Ok(ValidationView {
                status: SessionStatusCode(SessionStatus::Validated),
                ranked: validated.ranked,
                rejected: validated.rejected,
                envelope_cents: validated.envelope_cents,
                allocated_cents: allocated,
                envelope_left_cents: validated.envelope_cents.saturating_sub(allocated),
                minutes: format!("/api/v1/campaigns/{}/jury/minutes", id.uuid()),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
