//! Campaigns: the bureau (or a town hall, for its local campaigns) sets them up, publishes and
//! closes them; anyone reads the published ones.

use crate::auth::Caller;
use crate::codes::{CampaignStatusCode, CircuitCode, NatureCode};
use crate::etag::{etag, with_etag};
use crate::idempotency::{self, Attempt, IdempotencyKey, Replay};
use crate::if_match::IfMatch;
use crate::input::{Json, Query};
use crate::pagination::Page;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use simpa_app::access::{person, require};
use simpa_app::campaigns::{self as app, CampaignInput, EligibilityInput, load_visible};
use simpa_app::clock::city_time;
use simpa_domain::campaign::{Campaign, CampaignSettings, CampaignStatus, Sla};
use simpa_domain::ids::{CampaignId, DirectionId, DistrictNumber};
use simpa_domain::policy::Action;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct EligibilityFields {
    /// Head office in one of these districts (empty: any).
    #[serde(default)]
    pub districts: Vec<i32>,
    /// Working in one of these sectors (empty: any).
    #[serde(default)]
    pub sectors: Vec<String>,
    pub max_requested_cents: Option<i64>,
    /// Created at least this many months before submitting.
    pub min_association_age_months: Option<u32>,
    /// Final reports of earlier subsidies delivered.
    #[serde(default)]
    pub final_reports_delivered: bool,
}

/// Days the city gives itself per step; waiting for the association does not count.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct SlaFields {
    #[schema(example = 15)]
    pub admissibility_days: u32,
    #[schema(example = 60)]
    pub instruction_days: u32,
}

impl Default for SlaFields {
    fn default() -> Self {
        let sla = Sla::default();
        SlaFields {
            admissibility_days: sla.admissibility_days,
            instruction_days: sla.instruction_days,
        }
    }
}

/// A campaign's settings, sent to create or edit it and found again when read.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct CampaignFields {
    #[schema(example = "ANNUELLE_2027")]
    pub code: String,
    #[schema(example = "Campagne annuelle de subventions 2027")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The direction in charge (`GET /api/v1/directions`); required, except for a `local`
    /// campaign, which its town hall runs.
    #[serde(default)]
    pub owner_direction_id: Option<Uuid>,
    /// For the `local` circuit only: the district whose town hall runs it.
    pub district_number: Option<i32>,
    pub nature: NatureCode,
    pub circuit: CircuitCode,
    /// The financial year of the subsidies; it also numbers the requests (`2027_00042`).
    #[schema(example = 2027)]
    pub budget_year: i32,
    /// RFC 3339, or a local time of the city without offset. Read back in the city's time.
    #[schema(example = "2026-09-01T09:00:00")]
    pub opens_at: String,
    /// Absent for a permanent campaign ("au fil de l'eau").
    #[schema(example = "2026-11-29T12:00:00")]
    pub closes_at: Option<String>,
    pub envelope_cents: Option<i64>,
    /// Kinds of documents a request needs (`GET /api/v1/document-kinds`); attestations such as
    /// the contrat d'engagement républicain are always required.
    #[serde(default)]
    pub required_documents: Vec<String>,
    #[serde(default)]
    pub eligibility: EligibilityFields,
    #[serde(default)]
    pub sla: SlaFields,
}

impl From<CampaignFields> for CampaignInput {
    fn from(f: CampaignFields) -> CampaignInput {
        CampaignInput {
            code: f.code,
            title: f.title,
            description: f.description,
            owner_direction: f.owner_direction_id.map(DirectionId::from_uuid),
            district_number: f.district_number,
            nature: f.nature.0,
            circuit: f.circuit.0,
            budget_year: f.budget_year,
            opens_at: f.opens_at,
            closes_at: f.closes_at,
            envelope_cents: f.envelope_cents,
            required_documents: f.required_documents,
            eligibility: EligibilityInput {
                districts: f.eligibility.districts,
                sectors: f.eligibility.sectors,
                max_requested_cents: f.eligibility.max_requested_cents,
                min_association_age_months: f.eligibility.min_association_age_months,
                final_reports_delivered: f.eligibility.final_reports_delivered,
            },
            sla: Sla {
                admissibility_days: f.sla.admissibility_days,
                instruction_days: f.sla.instruction_days,
            },
        }
    }
}

impl CampaignFields {
    fn from_settings(s: CampaignSettings, timezone: Tz) -> CampaignFields {
        let time = |t: DateTime<Utc>| city_time(t, timezone).to_rfc3339();
        CampaignFields {
            code: s.code,
            title: s.title,
            description: s.description,
            owner_direction_id: s.owner_direction.map(|d| d.uuid()),
            district_number: s.district.map(|d| d.0),
            nature: NatureCode(s.nature),
            circuit: CircuitCode(s.circuit),
            budget_year: s.budget_year,
            opens_at: time(s.opens_at),
            closes_at: s.closes_at.map(time),
            envelope_cents: s.envelope_cents,
            required_documents: s.required_documents,
            eligibility: EligibilityFields {
                districts: s.eligibility.districts.iter().map(|d| d.0).collect(),
                sectors: s.eligibility.sectors,
                max_requested_cents: s.eligibility.max_requested_cents,
                min_association_age_months: s.eligibility.min_association_age_months,
                final_reports_delivered: s.eligibility.final_reports_delivered,
            },
            sla: SlaFields {
                admissibility_days: s.sla.admissibility_days,
                instruction_days: s.sla.instruction_days,
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: CampaignFields,
    pub status: CampaignStatusCode,
    pub status_label: &'static str,
    /// Whether requests can be submitted right now.
    pub open_now: bool,
    /// Increases with every change; also sent as `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CampaignView {
    pub fn new(c: Campaign, timezone: Tz, now: DateTime<Utc>) -> CampaignView {
        CampaignView {
            id: c.id.uuid(),
            open_now: c.submission_window_failure(now).is_none(),
            status: CampaignStatusCode(c.status),
            status_label: c.status.label(),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
            fields: CampaignFields::from_settings(c.settings, timezone),
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ETag", etag(self.version)),
            ("Location", format!("/api/v1/campaigns/{}", self.id)),
        ]
    }
}

const CREATE: &str = "create_campaign";

/// Creates a campaign, in preparation until published (the bureau; a town hall for the local
/// campaigns of its district).
#[utoipa::path(
    tag = "campaigns",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = CampaignFields,
    responses(
        (status = 201, body = CampaignView, headers(("ETag" = String), ("Location" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/campaigns")]
pub async fn create_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<CampaignFields>,
) -> Result<HttpResponse, Problem> {
    let attempt = Attempt::new(key, CREATE, &[&body.raw]);
    let input = body.value;
    let (city, timezone) = (state.city_now(), state.config.timezone);
    let now = city.at;
    let outcome: Result<CampaignView, Replay> = state
        .write(move |conn| {
            let district = input.district_number.map(DistrictNumber);
            let actor = require(conn, caller.0, Action::ManageCampaign { district })?;
            person(&actor)?;
            if let Some(replay) = attempt.replay(conn, &actor)? {
                return Ok(Err(replay));
            }
            let campaign = app::create(conn, &actor, input.into(), city)?;
            let view = CampaignView::new(campaign, timezone, now);
            attempt.remember(conn, &actor, 201, &view.headers(), &view, now)?;
            Ok(Ok(view))
        })
        .await?;
    Ok(idempotency::created(outcome, CampaignView::headers))
}

#[derive(Deserialize, IntoParams)]
pub struct CampaignQuery {
    /// Only campaigns with this status (those in preparation are for the city's staff).
    pub status: Option<CampaignStatusCode>,
    pub circuit: Option<CircuitCode>,
}

/// Lists campaigns, the latest opened first: published and closed ones for everyone, those in
/// preparation too for the city's staff.
#[utoipa::path(
    tag = "campaigns",
    params(CampaignQuery),
    responses((status = 200, body = Page<CampaignView>), (status = 400, response = responses::BadRequest))
)]
#[get("/campaigns")]
pub async fn list_campaigns(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<CampaignQuery>,
) -> Result<web::Json<Page<CampaignView>>, Problem> {
    let query = query.0;
    let (now, timezone) = (state.now(), state.config.timezone);
    let campaigns = state
        .read(move |conn| {
            app::list(
                conn,
                caller.0,
                query.status.map(|s| s.0),
                query.circuit.map(|c| c.0),
            )
        })
        .await?;
    Ok(web::Json(Page::all(
        campaigns
            .into_iter()
            .map(|c| CampaignView::new(c, timezone, now)),
    )))
}

/// A campaign.
#[utoipa::path(
    tag = "campaigns",
    responses((status = 200, body = CampaignView, headers(("ETag" = String))), (status = 404, response = responses::NotFound))
)]
#[get("/campaigns/{campaign_id}")]
pub async fn get_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let (now, timezone) = (state.now(), state.config.timezone);
    let view = state
        .read(move |conn| {
            load_visible(conn, caller.0, id).map(|(_, c)| CampaignView::new(c, timezone, now))
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Replaces a campaign's settings (`If-Match`: the `ETag` read). Once a request has been
/// submitted to it, only its title and description may change (409 otherwise); a closed
/// campaign no longer changes.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer" = [])),
    params(IfMatch),
    request_body = CampaignFields,
    responses(
        (status = 200, body = CampaignView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
        (status = 428, response = responses::PreconditionRequired),
    )
)]
#[put("/campaigns/{campaign_id}")]
pub async fn update_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<CampaignFields>,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    let input = body.value;
    let (city, timezone) = (state.city_now(), state.config.timezone);
    let view = state
        .write(move |conn| {
            let campaign = app::update(conn, caller.0, id, if_match.version(), input.into(), city)?;
            Ok(CampaignView::new(campaign, timezone, city.at))
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Deletes a campaign in preparation (`If-Match`: the `ETag` read), with the jury set up for
/// it: its code is free again. A published campaign is closed instead (409
/// `campaign.not_draft`).
#[utoipa::path(
    tag = "campaigns",
    security(("bearer" = [])),
    params(IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
        (status = 428, response = responses::PreconditionRequired),
    )
)]
#[delete("/campaigns/{campaign_id}")]
pub async fn delete_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, Problem> {
    let id = CampaignId::from_uuid(path.into_inner());
    state
        .write(move |conn| app::discard(conn, caller.0, id, if_match.version()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn move_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    id: CampaignId,
    to: CampaignStatus,
) -> Result<HttpResponse, Problem> {
    let (now, timezone) = (state.now(), state.config.timezone);
    let view = state
        .write(move |conn| {
            let campaign = app::move_to(conn, caller.0, id, to, now)?;
            Ok(CampaignView::new(campaign, timezone, now))
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Publishes a campaign in preparation: associations see it and may start requests in it.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer" = [])),
    responses((status = 200, body = CampaignView), (status = 403, response = responses::Forbidden), (status = 409, response = responses::Conflict))
)]
#[post("/campaigns/{campaign_id}/publish")]
pub async fn publish_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    move_campaign(
        state,
        caller,
        CampaignId::from_uuid(path.into_inner()),
        CampaignStatus::Published,
    )
    .await
}

/// Closes a published campaign: no request can be started or submitted in it any more.
#[utoipa::path(
    tag = "campaigns",
    security(("bearer" = [])),
    responses((status = 200, body = CampaignView), (status = 403, response = responses::Forbidden), (status = 409, response = responses::Conflict))
)]
#[post("/campaigns/{campaign_id}/close")]
pub async fn close_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    move_campaign(
        state,
        caller,
        CampaignId::from_uuid(path.into_inner()),
        CampaignStatus::Closed,
    )
    .await
}
