//! The indicators' figures recounted from every request, its campaign, association, lead
//! instructor, grant, payments and history of states, read a few thousand at a time: how
//! they were computed before `request_figures`, kept for the tests to compare the two.

use crate::DbConnection;
use crate::convert::utc;
use crate::error::{StoreError, StoreResult};
use crate::requests::{RequestFilter, scoped};
use crate::schema::{associations, final_reports, grants, payments, requests};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::campaign::Nature;
use simpa_domain::final_report::ReportStatus;
use simpa_domain::funding;
use simpa_domain::indicators::Transition;
use simpa_domain::policy::RequestScope;
use simpa_domain::request::RequestState;
use std::collections::HashMap;

/// Ids per `IN (…)` list: far below the bind limits of both databases.
const CHUNK: usize = 2_000;

/// A submitted request, as the indicators count it.
#[derive(Debug, Clone)]
pub struct RequestFigures {
    pub id: String,
    pub number: String,
    pub title: String,
    pub state: RequestState,
    pub budget_year: i32,
    /// The code of the direction it answers to (`requests::direction_codes_of`).
    pub direction: String,
    /// The district of the association's head office.
    pub district: Option<i32>,
    /// The labels of the association's sectors.
    pub sectors: Vec<String>,
    pub nature: Nature,
    pub requested_cents: i64,
    pub proposed_cents: Option<i64>,
    /// When its current step is due (none while waiting for the association).
    pub sla_due_at: Option<DateTime<Utc>>,
    pub grant: Option<GrantFigures>,
    /// Its changes of state, in order.
    pub history: Vec<Transition>,
}

/// The money of a grant.
#[derive(Debug, Clone)]
pub struct GrantFigures {
    pub cents: i64,
    pub paid_cents: i64,
    /// What the schedule makes payable now.
    pub payable_cents: i64,
    pub voted_on: NaiveDate,
    /// When what is payable and unpaid is due; none when nothing is owed.
    pub due_on: Option<NaiveDate>,
    pub first_paid_on: Option<NaiveDate>,
    pub final_report_due_on: NaiveDate,
    pub report_status: Option<ReportStatus>,
    pub repaid_in_full: bool,
}

type RequestRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<NaiveDateTime>,
);

type GrantRow = (
    String,
    (i64, i64, i64),
    NaiveDate,
    Option<NaiveDate>,
    NaiveDate,
    i64,
    Option<String>,
);

/// The submitted requests of `scope` that pass `filter`.
pub fn figures(
    conn: &mut DbConnection,
    scope: &RequestScope,
    filter: &RequestFilter,
) -> StoreResult<Vec<RequestFigures>> {
    let Some(query) = scoped(scope, filter) else {
        return Ok(vec![]);
    };
    let rows: Vec<RequestRow> = query
        .filter(requests::submitted_at.is_not_null())
        .order(requests::number)
        .select((
            requests::id,
            requests::number,
            requests::title,
            requests::state,
            requests::campaign_id,
            requests::association_id,
            requests::nature,
            requests::requested_cents,
            requests::proposed_cents,
            requests::sla_due_at,
        ))
        .load(conn)?;
    let campaigns = crate::indicators::campaign_years(conn)?;
    let mut districts: HashMap<String, Option<i32>> = HashMap::new();
    let mut sectors_of: HashMap<String, Vec<String>> = HashMap::new();
    let mut directions: HashMap<String, String> = HashMap::new();
    let mut grant_rows: HashMap<String, GrantRow> = HashMap::new();
    let mut first_paid: HashMap<String, NaiveDate> = HashMap::new();
    let mut histories: HashMap<String, Vec<Transition>> = HashMap::new();
    for chunk in rows.chunks(CHUNK) {
        let ids: Vec<&String> = chunk.iter().map(|r| &r.0).collect();
        // Each association once, though its requests may fall in several chunks.
        let mut owners: Vec<&String> = chunk
            .iter()
            .map(|r| &r.5)
            .filter(|a| !districts.contains_key(*a))
            .collect();
        owners.sort_unstable();
        owners.dedup();
        districts.extend(
            associations::table
                .filter(associations::id.eq_any(&owners))
                .select((associations::id, associations::district_number))
                .load::<(String, Option<i32>)>(conn)?,
        );
        let owners: Vec<String> = owners.into_iter().cloned().collect();
        sectors_of.extend(crate::associations::sector_labels(conn, &owners)?);
        let owned: Vec<(&String, Option<&String>)> = chunk
            .iter()
            .filter_map(|r| Some((&r.0, campaigns.get(&r.4)?.1.as_ref())))
            .collect();
        directions.extend(crate::requests::direction_codes_of(conn, &owned)?);
        for row in grants::table
            .left_join(final_reports::table)
            .filter(grants::request_id.eq_any(&ids))
            .select((
                grants::request_id,
                (grants::cents, grants::paid_cents, grants::payable_cents),
                grants::voted_on,
                grants::due_on,
                grants::final_report_due_on,
                grants::claimed_cents,
                final_reports::status.nullable(),
            ))
            .load::<GrantRow>(conn)?
        {
            grant_rows.insert(row.0.clone(), row);
        }
        for (id, on) in payments::table
            .filter(payments::request_id.eq_any(&ids))
            .select((payments::request_id, payments::paid_on))
            .load::<(String, NaiveDate)>(conn)?
        {
            let first = first_paid.entry(id).or_insert(on);
            *first = (*first).min(on);
        }
        let owned: Vec<String> = ids.iter().map(|id| (*id).clone()).collect();
        histories.extend(crate::history::transitions_of(conn, &owned)?);
    }
    rows.into_iter()
        .map(|row| {
            let (id, number, title, state, campaign, association, nature, requested, proposed, sla) =
                row;
            let (budget_year, _) = campaigns
                .get(&campaign)
                .ok_or_else(|| StoreError::Corrupt(format!("request {id}: campaign {campaign}")))?;
            let grant = match grant_rows.remove(&id) {
                None => None,
                Some((_, (cents, paid, payable), voted_on, due_on, report_due, claimed, status)) => {
                    let report_status = match status {
                        None => None,
                        Some(code) => Some(ReportStatus::from_code(&code).ok_or_else(|| {
                            StoreError::Corrupt(format!("final_reports.status {code}"))
                        })?),
                    };
                    Some(GrantFigures {
                        cents,
                        paid_cents: paid,
                        payable_cents: payable,
                        voted_on,
                        due_on,
                        first_paid_on: first_paid.get(&id).copied(),
                        final_report_due_on: report_due,
                        report_status,
                        repaid_in_full: funding::repaid_in_full(paid, claimed),
                    })
                }
            };
            Ok(RequestFigures {
                number: number.unwrap_or_default(),
                title,
                state: RequestState::from_code(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("requests.state {state}")))?,
                budget_year: *budget_year,
                direction: directions.remove(&id).unwrap_or_default(),
                district: districts.get(&association).copied().flatten(),
                sectors: sectors_of.get(&association).cloned().unwrap_or_default(),
                nature: Nature::from_code(&nature)
                    .ok_or_else(|| StoreError::Corrupt(format!("requests.nature {nature}")))?,
                requested_cents: requested,
                proposed_cents: proposed,
                sla_due_at: sla.map(utc),
                grant,
                history: histories.remove(&id).unwrap_or_default(),
                id,
            })
        })
        .collect()
}
