//! What the city's indicators count: a narrow row per submitted request (`request_figures`)
//! and the steps of its history it went through (`request_spans`), both kept by the writes
//! that change them; and the groupings of those rows the indicators are made of, a few
//! statements whatever the number of requests.

use crate::DbConnection;
use crate::connection::{MultiBackend, OverIds, one_of};
use crate::convert::{naive, utc};
use crate::error::{StoreError, StoreResult};
use crate::requests::{RequestFilter, scoped};
use crate::schema::{associations, campaigns, grants, request_figures, request_spans, requests};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use simpa_domain::campaign::Nature;
use simpa_domain::ids::RequestId;
use simpa_domain::indicators::{Amounts, Step, StepSpan, spans_ended, tenths};
use simpa_domain::policy::RequestScope;
use simpa_domain::request::RequestState;
use std::collections::{BTreeMap, HashMap};

/// Rewrites the figures of these requests from their rows, lead instructors, grants and
/// payments: what every write to those calls for the requests it changed, however many (their
/// ids are bound as one value). A draft has none;
/// a request once submitted stays so, and its row is updated in place (its association,
/// campaign and nature never change). One statement, prepared once per connection, that
/// reaches each table by its index.
pub(crate) fn refresh(conn: &mut DbConnection, ids: &[String]) -> StoreResult<()> {
    if !ids.is_empty() {
        OverIds::new(REFRESH_BEFORE, ids, REFRESH_AFTER).execute(conn)?;
    }
    Ok(())
}

/// [`refresh`]'s statement, before and after its ids.
const REFRESH_BEFORE: &str = "INSERT INTO request_figures (request_id, association_id, \
    campaign_id, state, nature, requested_cents, proposed_cents, sla_due_at, lead, voted_cents, \
    paid_cents, voted_on, first_paid_on) \
    SELECT r.id, r.association_id, r.campaign_id, r.state, r.nature, r.requested_cents, \
    r.proposed_cents, r.sla_due_at, \
    (SELECT i.instructor FROM request_instructors i \
     WHERE i.request_id = r.id AND i.lead ORDER BY i.instructor LIMIT 1), \
    g.cents, g.paid_cents, g.voted_on, \
    (SELECT MIN(p.paid_on) FROM payments p WHERE p.request_id = r.id) \
    FROM requests r LEFT JOIN grants g ON g.request_id = r.id \
    WHERE r.id";
const REFRESH_AFTER: &str = " AND r.submitted_at IS NOT NULL \
    ON CONFLICT (request_id) DO UPDATE SET state = excluded.state, \
    requested_cents = excluded.requested_cents, proposed_cents = excluded.proposed_cents, \
    sla_due_at = excluded.sla_due_at, lead = excluded.lead, voted_cents = excluded.voted_cents, \
    paid_cents = excluded.paid_cents, voted_on = excluded.voted_on, \
    first_paid_on = excluded.first_paid_on";

/// Stores the steps that actions ended (`indicators::spans_ended`).
pub(crate) fn record_spans(
    conn: &mut DbConnection,
    spans: &[(RequestId, StepSpan)],
) -> StoreResult<()> {
    #[derive(Insertable)]
    #[diesel(table_name = request_spans)]
    // Several rows a statement on SQLite too (without it, diesel inserts them one by one).
    #[diesel(treat_none_as_default_value = false)]
    struct Row {
        request_id: String,
        step: &'static str,
        days_tenths: i64,
        waiting_tenths: i64,
    }
    let rows: Vec<Row> = spans
        .iter()
        .map(|(request, span)| Row {
            request_id: request.to_string(),
            step: span.step.code(),
            days_tenths: tenths(span.days),
            waiting_tenths: tenths(span.waiting_days),
        })
        .collect();
    crate::connection::insert_batches!(conn, request_spans::table, &rows);
    Ok(())
}

/// Fills the figures and spans of the requests already there, a thousand at a time: what
/// the migration that made them leaves to do (`backfills`).
pub(crate) fn backfill(conn: &mut DbConnection) -> StoreResult<()> {
    let submitted: Vec<String> = requests::table
        .filter(requests::submitted_at.is_not_null())
        .order(requests::id)
        .select(requests::id)
        .load(conn)?;
    diesel::delete(request_spans::table).execute(conn)?;
    for ids in submitted.chunks(1000) {
        refresh(conn, ids)?;
        let histories = crate::history::transitions_of(conn, ids)?;
        let mut spans = vec![];
        for (id, history) in histories {
            let request: RequestId = id
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("request_events.request_id {id}")))?;
            spans.extend(spans_ended(&history, 0).into_iter().map(|s| (request, s)));
        }
        record_spans(conn, &spans)?;
    }
    Ok(())
}

/// Requests grouped by what the indicators split them by.
#[derive(Debug, Clone)]
pub struct Group {
    pub state: RequestState,
    pub nature: Nature,
    pub budget_year: i32,
    /// The code of the direction the requests answer to: their lead direction, or their
    /// campaign's (`requests::direction_codes_of`); empty for none.
    pub direction: String,
    pub amounts: Amounts,
    /// How many of them were granted.
    pub granted: u64,
}

/// A request whose current step is due before the time asked.
#[derive(Debug, Clone)]
pub struct DueStep {
    pub id: String,
    pub number: String,
    pub title: String,
    pub state: RequestState,
    pub due_at: DateTime<Utc>,
}

/// A grant with money due before the day asked.
#[derive(Debug, Clone)]
pub struct DuePayment {
    pub id: String,
    pub number: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub unpaid_cents: i64,
}

/// Tenths of a day and how many durations of a step last that long, in increasing order.
pub type Counts = Vec<(i64, u64)>;

/// What the indicators of a set of requests are made of.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub groups: Vec<Group>,
    /// By the district of the association's head office (none outside Paris).
    pub districts: Vec<(Option<i32>, Amounts)>,
    /// By each of the association's sectors, labelled (none for the associations without).
    pub sectors: Vec<(Option<String>, Amounts)>,
    /// Each step's durations and the time the request waited for the association.
    pub spans: Vec<(Step, Counts, Counts)>,
    /// The days of votes and of the grants' first payments, and how many grants had both.
    pub first_payments: Vec<(NaiveDate, NaiveDate, u64)>,
    /// The requests whose step was due before `now`, in a state that is not final.
    pub steps_due: Vec<DueStep>,
    /// The grants whose payment was due before `today`.
    pub payments_due: Vec<DuePayment>,
    /// The grants whose final report is overdue on `today`.
    pub reports_overdue: u64,
}

/// The count, then the sums of the requested, proposed, voted and paid cents, and the count
/// of grants of the figures grouped.
type Totals = (i64, i64, i64, i64, i64, i64);

type Sum = diesel::expression::SqlLiteral<BigInt>;

fn totals() -> (Sum, Sum, Sum, Sum, Sum, Sum) {
    (
        sql("COUNT(*)"),
        sql("CAST(COALESCE(SUM(request_figures.requested_cents), 0) AS BIGINT)"),
        sql("CAST(COALESCE(SUM(request_figures.proposed_cents), 0) AS BIGINT)"),
        sql("CAST(COALESCE(SUM(request_figures.voted_cents), 0) AS BIGINT)"),
        sql("CAST(COALESCE(SUM(request_figures.paid_cents), 0) AS BIGINT)"),
        sql("COUNT(request_figures.voted_cents)"),
    )
}

fn amounts((requests, requested, proposed, voted, paid, _): Totals) -> Amounts {
    Amounts {
        requests: requests as u64,
        requested_cents: requested,
        proposed_cents: proposed,
        voted_cents: voted,
        paid_cents: paid,
    }
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value}"))
}

/// `$query` boxed, kept to the requests counted when `$only` names them (by `$column`).
macro_rules! counted {
    ($only:expr, $query:expr, $column:expr) => {{
        let mut query = $query.into_boxed::<MultiBackend>();
        if let Some(ids) = $only {
            query = query.filter(one_of($column, ids));
        }
        query
    }};
}

/// What the indicators of the submitted requests of `scope` that pass `filter` are made of,
/// on `now` (`today` in the city).
pub fn tally(
    conn: &mut DbConnection,
    scope: &RequestScope,
    filter: &RequestFilter,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> StoreResult<Tally> {
    // The whole city reads the figures alone; a scope or a filter keeps the requests it
    // selects, their ids bound once to each statement.
    let only: Option<Vec<String>> = match scoped(scope, filter) {
        None => return Ok(Tally::default()),
        Some(_) if scope.everything && !filter.narrows() => None,
        Some(query) => Some(
            query
                .filter(requests::submitted_at.is_not_null())
                .select(requests::id)
                .load(conn)?,
        ),
    };
    let only = only.as_deref();
    let (districts, sectors) = districts_and_sectors(conn, only)?;
    Ok(Tally {
        groups: groups(conn, only)?,
        districts,
        sectors,
        spans: step_counts(conn, only)?,
        first_payments: first_payments(conn, only)?,
        steps_due: steps_due(conn, only, now)?,
        payments_due: payments_due(conn, only, today)?,
        reports_overdue: counted!(
            only,
            crate::grants::reports_awaited_before(today),
            grants::request_id
        )
        .count()
        .get_result::<i64>(conn)? as u64,
    })
}

/// Each campaign's budget year and owning direction, by id.
pub(crate) fn campaign_years(
    conn: &mut DbConnection,
) -> StoreResult<HashMap<String, (i32, Option<String>)>> {
    Ok(campaigns::table
        .select((
            campaigns::id,
            (campaigns::budget_year, campaigns::owner_direction_id),
        ))
        .load::<(String, (i32, Option<String>))>(conn)?
        .into_iter()
        .collect())
}

/// The figures grouped by state, nature, campaign and lead, each group with its budget year
/// and direction.
fn groups(conn: &mut DbConnection, only: Option<&[String]>) -> StoreResult<Vec<Group>> {
    use request_figures as f;
    let campaigns = campaign_years(conn)?;
    let codes = crate::reference::direction_codes(conn)?;
    let grouped: Vec<(String, String, String, Option<String>, Totals)> = counted!(
        only,
        f::table
            .group_by((f::state, f::nature, f::campaign_id, f::lead))
            .select((f::state, f::nature, f::campaign_id, f::lead, totals())),
        f::request_id
    )
    .load(conn)?;
    grouped
        .into_iter()
        .map(|(state, nature, campaign, lead, sums)| {
            let (budget_year, owner) = campaigns
                .get(&campaign)
                .ok_or_else(|| corrupt("request_figures.campaign_id", &campaign))?;
            Ok(Group {
                state: RequestState::from_code(&state)
                    .ok_or_else(|| corrupt("request_figures.state", &state))?,
                nature: Nature::from_code(&nature)
                    .ok_or_else(|| corrupt("request_figures.nature", &nature))?,
                budget_year: *budget_year,
                direction: crate::requests::direction_code(&codes, lead.as_deref(), owner.as_ref())
                    .unwrap_or_default(),
                granted: sums.5 as u64,
                amounts: amounts(sums),
            })
        })
        .collect()
}

/// The figures by the district of the association's head office and by each of its sectors:
/// grouped by association first (a few thousand rows), then looked up.
type ByDistrictAndSector = (Vec<(Option<i32>, Amounts)>, Vec<(Option<String>, Amounts)>);

fn districts_and_sectors(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> StoreResult<ByDistrictAndSector> {
    use request_figures as f;
    let by_association: Vec<(String, Totals)> = counted!(
        only,
        f::table
            .group_by(f::association_id)
            .select((f::association_id, totals())),
        f::request_id
    )
    .load(conn)?;
    let owners: Vec<String> = by_association.iter().map(|(a, _)| a.clone()).collect();
    let districts_of: HashMap<String, Option<i32>> = associations::table
        .filter(one_of(associations::id, &owners))
        .select((associations::id, associations::district_number))
        .load::<(String, Option<i32>)>(conn)?
        .into_iter()
        .collect();
    let sectors_of = crate::associations::sector_labels(conn, &owners)?;
    let mut districts: BTreeMap<Option<i32>, Amounts> = BTreeMap::new();
    let mut sectors: BTreeMap<Option<String>, Amounts> = BTreeMap::new();
    for (association, sums) in by_association {
        let sums = amounts(sums);
        let district = districts_of.get(&association).copied().flatten();
        districts.entry(district).or_default().add(&sums);
        match sectors_of.get(&association) {
            Some(labels) if !labels.is_empty() => {
                for label in labels {
                    sectors.entry(Some(label.clone())).or_default().add(&sums);
                }
            }
            _ => sectors.entry(None).or_default().add(&sums),
        }
    }
    Ok((
        districts.into_iter().collect(),
        sectors.into_iter().collect(),
    ))
}

/// Each step's durations and waiting times, counted by tenths of a day, for the steps some
/// request went through.
fn step_counts(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> StoreResult<Vec<(Step, Counts, Counts)>> {
    use request_spans as s;
    macro_rules! counts_by {
        ($tenths:expr) => {
            counted!(
                only,
                s::table
                    .group_by((s::step, $tenths))
                    .select((s::step, $tenths, sql::<BigInt>("COUNT(*)")))
                    .order((s::step, $tenths)),
                s::request_id
            )
            .load::<(String, i64, i64)>(conn)?
        };
    }
    let days = counts_by!(s::days_tenths);
    let waiting = counts_by!(s::waiting_tenths);
    let of_step = |rows: &[(String, i64, i64)], step: Step| -> Counts {
        rows.iter()
            .filter(|(code, ..)| code == step.code())
            .map(|(_, tenths, count)| (*tenths, *count as u64))
            .collect()
    };
    Ok(Step::ALL
        .iter()
        .map(|&step| (step, of_step(&days, step), of_step(&waiting, step)))
        .filter(|(_, days, _)| !days.is_empty())
        .collect())
}

/// The days of votes and of their grants' first payments, with how many grants had both.
fn first_payments(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> StoreResult<Vec<(NaiveDate, NaiveDate, u64)>> {
    use request_figures as f;
    let rows: Vec<(Option<NaiveDate>, Option<NaiveDate>, i64)> = counted!(
        only,
        f::table
            .filter(f::first_paid_on.is_not_null())
            .group_by((f::voted_on, f::first_paid_on))
            .select((f::voted_on, f::first_paid_on, sql::<BigInt>("COUNT(*)"))),
        f::request_id
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(voted, paid, n)| Some((voted?, paid?, n as u64)))
        .collect())
}

/// The requests in a state that is not final whose step was due before `now`.
fn steps_due(
    conn: &mut DbConnection,
    only: Option<&[String]>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<DueStep>> {
    use request_figures as f;
    let finals: Vec<&str> = RequestState::ALL
        .iter()
        .filter(|s| s.is_final())
        .map(|s| s.code())
        .collect();
    counted!(only, f::table.inner_join(requests::table), f::request_id)
        .filter(f::sla_due_at.lt(naive(now)))
        .filter(f::state.ne_all(finals))
        .select((
            f::request_id,
            requests::number,
            requests::title,
            f::state,
            f::sla_due_at.assume_not_null(),
        ))
        .load::<(String, Option<String>, String, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, number, title, state, due_at)| {
            Ok(DueStep {
                state: RequestState::from_code(&state)
                    .ok_or_else(|| corrupt("request_figures.state", &state))?,
                id,
                number: number.unwrap_or_default(),
                title,
                due_at: utc(due_at),
            })
        })
        .collect()
}

/// The grants whose payment was due before `today`.
fn payments_due(
    conn: &mut DbConnection,
    only: Option<&[String]>,
    today: NaiveDate,
) -> StoreResult<Vec<DuePayment>> {
    Ok(counted!(
        only,
        grants::table.inner_join(requests::table),
        grants::request_id
    )
    .filter(grants::due_on.lt(today))
    .select((
        grants::request_id,
        requests::number,
        requests::title,
        grants::due_on.assume_not_null(),
        grants::payable_cents,
        grants::paid_cents,
    ))
    .load::<(String, Option<String>, String, NaiveDate, i64, i64)>(conn)?
    .into_iter()
    .map(|(id, number, title, due_on, payable, paid)| DuePayment {
        id,
        number: number.unwrap_or_default(),
        title,
        due_on,
        unpaid_cents: payable - paid,
    })
    .collect())
}
