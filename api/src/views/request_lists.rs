//! Lists of requests: the filter people and programs send, and a page of summaries.

use crate::auth::Caller;
use crate::codes::RequestStateCode;
use crate::pagination::{self, Page};
use crate::problem::Problem;
use crate::state::AppState;
use crate::views::requests::RequestSummary;
use crate::views::requests::summaries;
use actix_web::web;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use simpa_domain::ids::{AssociationId, CampaignId, DirectionId, DistrictNumber};
use simpa_domain::life::RequestLine;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{Actor, Subject};
use simpa_domain::request::{self as rules};
use simpa_persistence::Keyset;
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::{DbConnection, StoreResult};
use utoipa::IntoParams;
use uuid::Uuid;

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
            Ok(simpa_app::clock::start_of_day(date, timezone))
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
            followed_by: None,
            ..RequestFilter::default()
        })
    }
}

/// A use case reading a page of requests for the caller, with the actor it found.
type ReadPage = fn(
    &mut DbConnection,
    Option<Subject>,
    &RequestFilter,
    Option<&Keyset>,
    usize,
) -> StoreResult<(Actor, simpa_persistence::Page<RequestLine>)>;

/// A page of requests as summaries, read by the use case `read` for the caller.
pub(crate) async fn summary_page(
    state: &AppState,
    caller: Caller,
    query: RequestQuery,
    read: ReadPage,
) -> Result<web::Json<Page<RequestSummary>>, Problem> {
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let now = state.now();
    let filter = query.filter(now, state.config.timezone)?;
    let page = state
        .read(move |conn| {
            let (actor, page) = read(conn, caller.0, &filter, after.as_ref(), limit)?;
            let next = page.next.clone();
            let items = summaries(conn, &actor, page.items, now)?;
            Ok(simpa_persistence::Page { items, next })
        })
        .await?;
    Ok(web::Json(Page::from_stored(page, |s| s)))
}
