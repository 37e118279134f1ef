//! Subsidy requests: content, circuit facts, instructors and opinions, numbers, the document
//! snapshot, and the lists staff and associations read.

use crate::DbConnection;
use crate::connection::{
    MultiBackend, PerBackend, execute_with_rows, insert_batches, on_each_backend, one_of,
};
use crate::convert::{naive, parse, utc};
use crate::documents::{self, DocumentVersion};
use crate::error::{StoreError, StoreResult};
use crate::json;
use crate::locks;
use crate::page::{Keyset, Page, ordered_after};
use crate::schema::{
    accounts, agreements, association_members, association_sectors, associations, campaigns,
    deliberations, grants, kept_views, request_assignees, request_counters, request_documents,
    request_followers, request_instructors, requests,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use simpa_domain::DomainError;
use simpa_domain::budget::Budget;
use simpa_domain::campaign::{CircuitKind, Nature};
use simpa_domain::circuit::{Assignment, Opinion, OpinionValue, RequestFacts};
use simpa_domain::ids::{
    AccountId, AssociationId, CampaignId, DistrictNumber, DocumentVersionId, RequestId,
};
use simpa_domain::life::{RequestLine, StoredRequest};
use simpa_domain::listing::RequestOrder;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{RequestAccess, RequestScope, WorkScope};
use simpa_domain::request::{Indicator, RequestContent, RequestNumber, RequestState};
use simpa_domain::roles::MemberRole;
use simpa_domain::search::fold;
use std::collections::HashMap;

#[derive(Queryable, Selectable)]
#[diesel(table_name = requests)]
struct Row {
    id: String,
    number: Option<String>,
    campaign_id: String,
    association_id: String,
    circuit: String,
    local_district: Option<i32>,
    state: String,
    state_since: NaiveDateTime,
    resume_state: Option<String>,
    title: String,
    summary: String,
    objectives: String,
    target_public: String,
    expected_beneficiaries: Option<i32>,
    districts: String,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    nature: String,
    renews_request_id: Option<String>,
    requested_cents: i64,
    proposed_cents: Option<i64>,
    budget: String,
    indicators: String,
    sla_due_at: Option<NaiveDateTime>,
    submitted_at: Option<NaiveDateTime>,
    head_hash: String,
    version: i64,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = request_instructors)]
struct InstructorRow {
    request_id: String,
    instructor: String,
    lead: bool,
    opinion: Option<String>,
    proposed_cents: Option<i64>,
    public_comment: Option<String>,
    internal_comment: Option<String>,
    opinion_at: Option<NaiveDateTime>,
}

/// The columns of what the association writes.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = requests, treat_none_as_null = true, treat_none_as_default_value = false)]
struct ContentColumns<'a> {
    title: &'a str,
    search_text: String,
    summary: &'a str,
    objectives: &'a str,
    target_public: &'a str,
    expected_beneficiaries: Option<i32>,
    districts: String,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    nature: &'static str,
    renews_request_id: Option<String>,
    requested_cents: i64,
    budget: String,
    indicators: String,
    updated_at: NaiveDateTime,
}

fn indicators_json(indicators: &[Indicator]) -> String {
    Indicator::list_to_json(indicators).to_string()
}

fn content_columns(c: &RequestContent, now: DateTime<Utc>) -> ContentColumns<'_> {
    let districts: Vec<i32> = c.districts.iter().map(|d| d.0).collect();
    ContentColumns {
        title: &c.title,
        search_text: fold(&c.title),
        summary: &c.summary,
        objectives: &c.objectives,
        target_public: &c.target_public,
        expected_beneficiaries: c
            .expected_beneficiaries
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
        districts: json::write(&districts),
        start_date: c.start_date,
        end_date: c.end_date,
        nature: c.nature.code(),
        renews_request_id: c.renews.map(|r| r.to_string()),
        requested_cents: c.requested_cents,
        budget: json::write_budget(&c.budget),
        indicators: indicators_json(&c.indicators),
        updated_at: naive(now),
    }
}

fn read_budget(id: &str, raw: &str) -> StoreResult<Budget> {
    json::read_budget("requests.budget", id, raw)
}

fn read_indicators(id: &str, raw: &str) -> StoreResult<Vec<Indicator>> {
    /// An indicator as stored, read without building a tree of values.
    #[derive(serde::Deserialize)]
    struct StoredIndicator<'a> {
        #[serde(borrow, default)]
        name: std::borrow::Cow<'a, str>,
        #[serde(borrow, default)]
        unit: std::borrow::Cow<'a, str>,
        target: i64,
    }
    let items: Vec<StoredIndicator> = serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("requests.indicators of {id}: {e}")))?;
    Ok(items
        .iter()
        .map(|item| Indicator::stored(&item.name, &item.unit, item.target))
        .collect())
}

/// A request's number as stored, if it has one.
fn stored_number(id: &str, number: Option<&str>) -> StoreResult<Option<RequestNumber>> {
    number
        .map(|n| {
            RequestNumber::parse(n)
                .map_err(|_| StoreError::Corrupt(format!("requests.number of {id}")))
        })
        .transpose()
}

fn state(column: &str, code: &str) -> StoreResult<RequestState> {
    RequestState::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("{column} = {code:?}")))
}

fn assignment_from_row(row: InstructorRow) -> StoreResult<Assignment> {
    let corrupt = |what: &str| {
        StoreError::Corrupt(format!("request_instructors.{what} of {}", row.request_id))
    };
    let opinion = match (row.opinion.as_deref(), row.proposed_cents, row.opinion_at) {
        (Some(value), Some(proposed_cents), Some(given_at)) => Some(Opinion {
            value: OpinionValue::from_code(value).ok_or_else(|| corrupt("opinion"))?,
            proposed_cents,
            public_comment: row.public_comment,
            internal_comment: row.internal_comment,
            given_at: utc(given_at),
        }),
        _ => None,
    };
    Ok(Assignment {
        instructor: Instructor::parse_key(&row.instructor).ok_or_else(|| corrupt("instructor"))?,
        lead: row.lead,
        opinion,
    })
}

fn from_row(row: Row, instructors: Vec<Assignment>) -> StoreResult<StoredRequest> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("requests.{what} of {}", row.id));
    let districts: Vec<i32> = json::read("requests.districts", &row.districts)?;
    let content = RequestContent {
        budget: read_budget(&row.id, &row.budget)?,
        indicators: read_indicators(&row.id, &row.indicators)?,
        title: row.title,
        summary: row.summary,
        objectives: row.objectives,
        target_public: row.target_public,
        expected_beneficiaries: row
            .expected_beneficiaries
            .map(|n| u32::try_from(n).map_err(|_| corrupt("expected_beneficiaries")))
            .transpose()?,
        districts: districts.into_iter().map(DistrictNumber).collect(),
        start_date: row.start_date,
        end_date: row.end_date,
        nature: Nature::from_code(&row.nature).ok_or_else(|| corrupt("nature"))?,
        renews: row
            .renews_request_id
            .as_deref()
            .map(|r| parse("requests.renews_request_id", r))
            .transpose()?,
        requested_cents: row.requested_cents,
    };
    Ok(StoredRequest {
        id: parse("requests.id", &row.id)?,
        number: stored_number(&row.id, row.number.as_deref())?,
        campaign: parse("requests.campaign_id", &row.campaign_id)?,
        association: parse("requests.association_id", &row.association_id)?,
        facts: RequestFacts {
            state: state("requests.state", &row.state)?,
            resume_state: row
                .resume_state
                .as_deref()
                .map(|s| state("requests.resume_state", s))
                .transpose()?,
            circuit: CircuitKind::from_code(&row.circuit).ok_or_else(|| corrupt("circuit"))?,
            local_district: row.local_district.map(DistrictNumber),
            instructors,
            requested_cents: content.requested_cents,
            proposed_cents: row.proposed_cents,
        },
        content,
        state_since: utc(row.state_since),
        sla_due_at: row.sla_due_at.map(utc),
        submitted_at: row.submitted_at.map(utc),
        head_hash: row.head_hash,
        version: row.version,
        created_by: parse("requests.created_by", &row.created_by)?,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

/// Loads the instructors of many requests in one query and assembles them.
fn with_instructors(conn: &mut DbConnection, rows: Vec<Row>) -> StoreResult<Vec<StoredRequest>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let instructors: Vec<InstructorRow> = request_instructors::table
        .filter(one_of(request_instructors::request_id, &ids))
        .select(InstructorRow::as_select())
        .order((
            request_instructors::request_id,
            request_instructors::position,
        ))
        .load(conn)?;
    let mut by_request: std::collections::HashMap<String, Vec<InstructorRow>> =
        std::collections::HashMap::new();
    for instructor in instructors {
        by_request
            .entry(instructor.request_id.clone())
            .or_default()
            .push(instructor);
    }
    rows.into_iter()
        .map(|row| {
            let mine = by_request
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(assignment_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
            from_row(row, mine)
        })
        .collect()
}

/// The columns of a request's row, as inserted.
#[derive(Insertable)]
#[diesel(table_name = requests, treat_none_as_default_value = false)]
struct NewRow<'a> {
    id: String,
    number: Option<String>,
    campaign_id: String,
    association_id: String,
    circuit: &'static str,
    local_district: Option<i32>,
    state: &'static str,
    state_since: NaiveDateTime,
    resume_state: Option<&'static str>,
    #[diesel(embed)]
    content: ContentColumns<'a>,
    proposed_cents: Option<i64>,
    sla_due_at: Option<NaiveDateTime>,
    submitted_at: Option<NaiveDateTime>,
    head_hash: &'a str,
    version: i64,
    created_by: String,
    created_at: NaiveDateTime,
    dispatch_waiting_since: Option<NaiveDateTime>,
}

fn new_row(r: &StoredRequest) -> NewRow<'_> {
    NewRow {
        id: r.id.to_string(),
        number: r.number.map(|n| n.to_string()),
        campaign_id: r.campaign.to_string(),
        association_id: r.association.to_string(),
        circuit: r.facts.circuit.code(),
        local_district: r.facts.local_district.map(|d| d.0),
        state: r.facts.state.code(),
        state_since: naive(r.state_since),
        resume_state: r.facts.resume_state.map(|s| s.code()),
        content: content_columns(&r.content, r.updated_at),
        proposed_cents: r.facts.proposed_cents,
        sla_due_at: r.sla_due_at.map(naive),
        submitted_at: r.submitted_at.map(naive),
        head_hash: &r.head_hash,
        version: r.version,
        created_by: r.created_by.to_string(),
        created_at: naive(r.created_at),
        dispatch_waiting_since: dispatch_waiting_since(r),
    }
}

#[derive(Insertable)]
#[diesel(table_name = request_instructors, treat_none_as_default_value = false)]
struct NewInstructorRow<'a> {
    request_id: String,
    instructor: String,
    lead: bool,
    position: i32,
    opinion: Option<&'static str>,
    proposed_cents: Option<i64>,
    public_comment: Option<&'a str>,
    internal_comment: Option<&'a str>,
    opinion_at: Option<NaiveDateTime>,
    waiting_since: Option<NaiveDateTime>,
}

/// Since when the request has been waiting for the bureau's dispatch (`awaits_dispatch`: what
/// the bureau's worklist reads, in the index `requests_dispatch_waiting`).
fn dispatch_waiting_since(r: &StoredRequest) -> Option<NaiveDateTime> {
    r.facts.awaits_dispatch().then(|| naive(r.state_since))
}

/// Since when the request has been waiting for this assignment's opinion (`awaits_opinion`:
/// what an instructor's worklist reads, in the index `request_instructors_waiting`).
fn waiting_since(r: &StoredRequest, assignment: &Assignment) -> Option<NaiveDateTime> {
    r.facts
        .awaits_opinion(assignment)
        .then(|| naive(r.state_since))
}

fn instructor_rows(r: &StoredRequest) -> impl Iterator<Item = NewInstructorRow<'_>> {
    r.facts
        .instructors
        .iter()
        .enumerate()
        .map(move |(position, a)| {
            let opinion = a.opinion.as_ref();
            NewInstructorRow {
                request_id: r.id.to_string(),
                instructor: a.instructor.key(),
                lead: a.lead,
                position: i32::try_from(position).unwrap_or(0),
                opinion: opinion.map(|o| o.value.code()),
                proposed_cents: opinion.map(|o| o.proposed_cents),
                public_comment: opinion.and_then(|o| o.public_comment.as_deref()),
                internal_comment: opinion.and_then(|o| o.internal_comment.as_deref()),
                opinion_at: opinion.map(|o| naive(o.given_at)),
                waiting_since: waiting_since(r, a),
            }
        })
}

/// Inserts requests as they are, with their instructors and opinions.
pub(crate) fn insert(conn: &mut DbConnection, stored: &[StoredRequest]) -> StoreResult<()> {
    let rows: Vec<NewRow> = stored.iter().map(new_row).collect();
    insert_batches!(conn, requests::table, &rows);
    let instructors: Vec<NewInstructorRow> = stored.iter().flat_map(instructor_rows).collect();
    insert_batches!(conn, request_instructors::table, &instructors);
    let submitted: Vec<String> = stored
        .iter()
        .filter(|r| r.submitted_at.is_some())
        .map(|r| r.id.to_string())
        .collect();
    crate::indicators::refresh(conn, &submitted)
}

pub fn get(conn: &mut DbConnection, id: RequestId) -> StoreResult<Option<StoredRequest>> {
    // One statement: the row with each of its instructors (none before dispatch).
    let rows: Vec<(Row, Option<InstructorRow>)> = requests::table
        .left_join(request_instructors::table)
        .filter(requests::id.eq(id.to_string()))
        .select((Row::as_select(), Option::<InstructorRow>::as_select()))
        .order(request_instructors::position)
        .load(conn)?;
    let mut rows = rows.into_iter();
    let Some((row, first)) = rows.next() else {
        return Ok(None);
    };
    let instructors = first
        .into_iter()
        .chain(rows.filter_map(|(_, instructor)| instructor))
        .map(assignment_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    from_row(row, instructors).map(Some)
}

/// The request, locked (see [`get_locked`]) when the caller is about to change it.
pub fn get_maybe_locked(
    conn: &mut DbConnection,
    id: RequestId,
    lock: bool,
) -> StoreResult<Option<StoredRequest>> {
    if lock {
        get_locked(conn, id)
    } else {
        get(conn, id)
    }
}

/// The request, kept from changing until the transaction ends: actions on one request take
/// turns. SQLite's writers already hold the database's write lock (see `Db::write`); on
/// PostgreSQL the row is locked for update.
pub fn get_locked(conn: &mut DbConnection, id: RequestId) -> StoreResult<Option<StoredRequest>> {
    let DbConnection::Postgres(pg) = conn else {
        return get(conn, id);
    };
    let row: Option<Row> = requests::table
        .find(id.to_string())
        .select(Row::as_select())
        .for_update()
        .first(pg)
        .optional()?;
    match row {
        Some(row) => Ok(with_instructors(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// Saves what actions changed of many requests (see [`save_facts`]): the rows in a few
/// statements (`UPDATE … FROM` a list of values), the instructors of those whose changed.
pub(crate) fn save_many_facts(
    conn: &mut DbConnection,
    changed: &[(StoredRequest, StoredRequest)],
) -> StoreResult<()> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    const COLUMNS: &str = "id, number, submitted_at, state, state_since, resume_state, proposed_cents, sla_due_at, head_hash, version, updated_at, dispatch_waiting_since";
    // Twelve values a row: 500 rows stay within both databases' limits on bound parameters.
    for chunk in changed.chunks(500) {
        execute_with_rows!(
            conn,
            12,
            chunk,
            |values| format!(
                "WITH v({COLUMNS}) AS (VALUES {values}) UPDATE requests SET number = v.number, \
                 submitted_at = v.submitted_at, state = v.state, state_since = v.state_since, \
                 resume_state = v.resume_state, proposed_cents = v.proposed_cents, \
                 sla_due_at = v.sla_due_at, head_hash = v.head_hash, version = v.version, \
                 updated_at = v.updated_at, dispatch_waiting_since = v.dispatch_waiting_since \
                 FROM v WHERE requests.id = v.id"
            ),
            |query, (_, after)| query
                .bind::<Text, _>(after.id.to_string())
                .bind::<Nullable<Text>, _>(after.number.map(|n| n.to_string()))
                .bind::<Nullable<Timestamp>, _>(after.submitted_at.map(naive))
                .bind::<Text, _>(after.facts.state.code())
                .bind::<Timestamp, _>(naive(after.state_since))
                .bind::<Nullable<Text>, _>(after.facts.resume_state.map(|s| s.code()))
                .bind::<Nullable<BigInt>, _>(after.facts.proposed_cents)
                .bind::<Nullable<Timestamp>, _>(after.sla_due_at.map(naive))
                .bind::<Text, _>(after.head_hash.clone())
                .bind::<BigInt, _>(after.version)
                .bind::<Timestamp, _>(naive(after.updated_at))
                .bind::<Nullable<Timestamp>, _>(dispatch_waiting_since(after))
        )?;
    }
    save_instructors(conn, changed.iter().map(|(before, after)| (before, after)))?;
    let recounted: Vec<String> = changed
        .iter()
        .filter(|(before, after)| counts_differently(before, after))
        .map(|(_, after)| after.id.to_string())
        .collect();
    crate::indicators::refresh(conn, &recounted)
}

/// Whether an action changed what the indicators count of a submitted request
/// (`indicators::refresh`): its state, proposal, deadline or instructors.
fn counts_differently(before: &StoredRequest, after: &StoredRequest) -> bool {
    after.submitted_at.is_some()
        && (before.submitted_at != after.submitted_at
            || before.facts.state != after.facts.state
            || before.facts.proposed_cents != after.facts.proposed_cents
            || before.sla_due_at != after.sla_due_at
            || before.facts.instructors != after.facts.instructors)
}

/// Writes the instructors of the requests whose actions changed them again, and moves the
/// waiting time of the others' open assignments with their request's state.
fn save_instructors<'a>(
    conn: &mut DbConnection,
    changed: impl IntoIterator<Item = (&'a StoredRequest, &'a StoredRequest)>,
) -> StoreResult<()> {
    // The requests whose open assignments wait since another time, or no longer wait.
    let mut moved: Vec<(String, Option<NaiveDateTime>)> = Vec::new();
    for (before, after) in changed {
        if after.facts.instructors != before.facts.instructors {
            diesel::delete(
                request_instructors::table
                    .filter(request_instructors::request_id.eq(after.id.to_string())),
            )
            .execute(conn)?;
            let rows: Vec<NewInstructorRow> = instructor_rows(after).collect();
            insert_batches!(conn, request_instructors::table, &rows);
        } else if let Some(open) = after.facts.instructors.iter().find(|a| a.opinion.is_none()) {
            let since = waiting_since(after, open);
            if waiting_since(before, open) != since {
                moved.push((after.id.to_string(), since));
            }
        }
    }
    use diesel::sql_types::{Nullable, Text, Timestamp};
    for chunk in moved.chunks(500) {
        execute_with_rows!(
            conn,
            2,
            chunk,
            |values| format!(
                "WITH v(id, waiting_since) AS (VALUES {values}) UPDATE request_instructors \
                 SET waiting_since = v.waiting_since FROM v \
                 WHERE request_instructors.request_id = v.id AND request_instructors.opinion IS NULL"
            ),
            |query, (id, since)| query
                .bind::<Text, _>(id)
                .bind::<Nullable<Timestamp>, _>(since)
        )?;
    }
    Ok(())
}

/// Replaces what the association wrote if the stored version is still `expected`.
///
/// The version moves with the `edit` event recorded next, in the same transaction.
pub fn update_content(
    conn: &mut DbConnection,
    id: RequestId,
    content: &RequestContent,
    expected: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let updated = diesel::update(
        requests::table
            .find(id.to_string())
            .filter(requests::version.eq(expected)),
    )
    .set(content_columns(content, now))
    .execute(conn)?;
    if updated == 0 {
        let current: Option<i64> = requests::table
            .find(id.to_string())
            .select(requests::version)
            .first(conn)
            .optional()?;
        return Err(match current {
            Some(current) => DomainError::StaleVersion { current },
            None => DomainError::NotFound { what: "request" },
        }
        .into());
    }
    // What it asks may change once submitted, while the association completes it.
    crate::indicators::refresh(conn, &[id.to_string()])
}

/// Stores what an action changed (see `simpa_domain::life::apply`): number, state, instructors and
/// opinions, proposal, deadline, head and version.
pub(crate) fn save_facts(
    conn: &mut DbConnection,
    before: &StoredRequest,
    after: &StoredRequest,
) -> StoreResult<()> {
    let facts = &after.facts;
    diesel::update(requests::table.find(after.id.to_string()))
        .set((
            requests::number.eq(after.number.map(|n| n.to_string())),
            requests::submitted_at.eq(after.submitted_at.map(naive)),
            requests::state.eq(facts.state.code()),
            requests::state_since.eq(naive(after.state_since)),
            requests::resume_state.eq(facts.resume_state.map(|s| s.code())),
            requests::proposed_cents.eq(facts.proposed_cents),
            requests::sla_due_at.eq(after.sla_due_at.map(naive)),
            requests::head_hash.eq(&after.head_hash),
            requests::version.eq(after.version),
            requests::updated_at.eq(naive(after.updated_at)),
            requests::dispatch_waiting_since.eq(dispatch_waiting_since(after)),
        ))
        .execute(conn)?;
    save_instructors(conn, [(before, after)])?;
    if counts_differently(before, after) {
        crate::indicators::refresh(conn, &[after.id.to_string()])?;
    }
    Ok(())
}

/// Moves the counter of `year` to `next(last serial given)`, with the year's numbers locked
/// until the transaction ends; returns the new value.
fn move_counter(
    conn: &mut DbConnection,
    year: i32,
    next: impl FnOnce(i32) -> i32,
) -> StoreResult<i32> {
    locks::lock_names(conn, &[&format!("request_number:{year}")])?;
    let last: Option<i32> = request_counters::table
        .find(year)
        .select(request_counters::last_serial)
        .first(conn)
        .optional()?;
    let serial = next(last.unwrap_or(0));
    match last {
        None => diesel::insert_into(request_counters::table)
            .values((
                request_counters::year.eq(year),
                request_counters::last_serial.eq(serial),
            ))
            .execute(conn)?,
        Some(last) if last != serial => diesel::update(request_counters::table.find(year))
            .set(request_counters::last_serial.eq(serial))
            .execute(conn)?,
        Some(_) => 0,
    };
    Ok(serial)
}

/// The next number of `year`, in one statement. The counter's row, created or moved on, stays
/// locked until the transaction ends: submissions of a year take turns here until they
/// commit, so a rolled-back one gives its number back and numbers have no gaps.
pub(crate) fn allocate_number(conn: &mut DbConnection, year: i32) -> StoreResult<RequestNumber> {
    let serial: i32 = on_each_backend!(conn, c => {
        diesel::insert_into(request_counters::table)
            .values((
                request_counters::year.eq(year),
                request_counters::last_serial.eq(1),
            ))
            .on_conflict(request_counters::year)
            .do_update()
            .set(request_counters::last_serial.eq(request_counters::last_serial + 1))
            .returning(request_counters::last_serial)
            .get_result(c)
    })?;
    Ok(RequestNumber {
        year,
        serial: u32::try_from(serial).unwrap_or(0),
    })
}

/// Makes the counters of the numbers' years reach these numbers (numbers given in bulk).
pub(crate) fn raise_counters(
    conn: &mut DbConnection,
    numbers: &[RequestNumber],
) -> StoreResult<()> {
    let mut highest = std::collections::BTreeMap::new();
    for n in numbers {
        let serial = highest.entry(n.year).or_insert(0);
        *serial = (*serial).max(i32::try_from(n.serial).unwrap_or(i32::MAX));
    }
    for (year, serial) in highest {
        move_counter(conn, year, |last| last.max(serial))?;
    }
    Ok(())
}

/// The last number given in each year, for numbering in bulk after it.
pub fn last_serials(conn: &mut DbConnection) -> StoreResult<Vec<(i32, u32)>> {
    let rows: Vec<(i32, i32)> = request_counters::table
        .select((request_counters::year, request_counters::last_serial))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(year, serial)| (year, u32::try_from(serial).unwrap_or(0)))
        .collect())
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = request_documents)]
struct SnapshotRow<'a> {
    request_id: String,
    kind_code: &'a str,
    version_id: String,
}

/// Attaches versions to requests that have none attached yet.
pub(crate) fn insert_snapshots(
    conn: &mut DbConnection,
    snapshots: &[(RequestId, &[(String, DocumentVersionId)])],
) -> StoreResult<()> {
    let rows: Vec<SnapshotRow> = snapshots
        .iter()
        .flat_map(|(id, versions)| {
            versions.iter().map(move |(kind, version)| SnapshotRow {
                request_id: id.to_string(),
                kind_code: kind,
                version_id: version.to_string(),
            })
        })
        .collect();
    insert_batches!(conn, request_documents::table, &rows);
    Ok(())
}

/// Detaches what an earlier submission attached to the request.
pub(crate) fn detach_documents(conn: &mut DbConnection, id: RequestId) -> StoreResult<()> {
    diesel::delete(
        request_documents::table.filter(request_documents::request_id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(())
}

/// The versions attached to the request, in the kinds' order.
pub fn snapshot(conn: &mut DbConnection, id: RequestId) -> StoreResult<Vec<DocumentVersion>> {
    documents::attached_to(conn, id)
}

/// Who instructs a submitted request of the association, or runs it on the local circuit:
/// they read its documents.
pub fn instructing(
    conn: &mut DbConnection,
    association: AssociationId,
) -> StoreResult<Vec<Instructor>> {
    let submitted = requests::association_id
        .eq(association.to_string())
        .and(requests::submitted_at.is_not_null());
    let keys: Vec<String> = request_instructors::table
        .inner_join(requests::table)
        .filter(submitted.clone())
        .select(request_instructors::instructor)
        .distinct()
        .load(conn)?;
    let local: Vec<Option<i32>> = requests::table
        .filter(submitted)
        .select(requests::local_district)
        .distinct()
        .load(conn)?;
    let mut instructors: Vec<Instructor> = keys
        .iter()
        .filter_map(|k| Instructor::parse_key(k))
        .collect();
    instructors.extend(
        local
            .into_iter()
            .flatten()
            .map(|d| Instructor::District(DistrictNumber(d))),
    );
    Ok(instructors)
}

/// Whether `id` is a request of the association (what a renewal may refer to).
pub fn belongs_to(
    conn: &mut DbConnection,
    id: RequestId,
    association: AssociationId,
) -> StoreResult<bool> {
    Ok(diesel::select(exists(
        requests::table
            .find(id.to_string())
            .filter(requests::association_id.eq(association.to_string())),
    ))
    .get_result(conn)?)
}

type Condition = Box<dyn BoxableExpression<requests::table, MultiBackend, SqlType = Bool>>;

fn either(a: Option<Condition>, b: Condition) -> Option<Condition> {
    Some(match a {
        Some(a) => Box::new(a.or(b)),
        None => b,
    })
}

fn instructed_by(keys: Vec<String>) -> Condition {
    Box::new(
        requests::id.eq_any(
            request_instructors::table
                .filter(request_instructors::instructor.eq_any(keys))
                .select(request_instructors::request_id),
        ),
    )
}

/// The requests a scope covers; `None` when it covers none. Drafts only through the
/// association's own scope.
fn scope_condition(scope: &RequestScope) -> Option<Condition> {
    let mut condition: Option<Condition> = None;
    if scope.everything {
        condition = either(condition, Box::new(requests::submitted_at.is_not_null()));
    }
    if !scope.associations.is_empty() {
        let ids: Vec<String> = scope.associations.iter().map(|a| a.to_string()).collect();
        condition = either(condition, Box::new(requests::association_id.eq_any(ids)));
    }
    if !scope.instructors.is_empty() {
        let keys = scope.instructors.iter().map(|i| i.key()).collect();
        condition = either(condition, instructed_by(keys));
    }
    if !scope.local_districts.is_empty() {
        let districts: Vec<i32> = scope.local_districts.iter().map(|d| d.0).collect();
        condition = either(
            condition,
            Box::new(
                requests::local_district
                    .assume_not_null()
                    .eq_any(districts)
                    .and(requests::submitted_at.is_not_null()),
            ),
        );
    }
    condition
}

/// Filters of the lists of requests; each is served by an index or a small subquery.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFilter {
    pub states: Vec<RequestState>,
    pub campaign: Option<CampaignId>,
    /// The budget year of the campaign.
    pub budget_year: Option<i32>,
    pub association: Option<AssociationId>,
    pub instructor: Option<Instructor>,
    /// The district of the association's head office.
    pub district: Option<DistrictNumber>,
    pub sector: Option<String>,
    pub min_requested_cents: Option<i64>,
    pub max_requested_cents: Option<i64>,
    pub submitted_from: Option<DateTime<Utc>>,
    pub submitted_until: Option<DateTime<Utc>>,
    /// Only requests whose step is past its deadline at this time.
    pub overdue_at: Option<DateTime<Utc>>,
    /// A number (`2026_04217`) or words of the title.
    pub text: Option<String>,
    /// Only the requests this agent follows: named to follow them, or keeping an eye on them.
    pub followed_by: Option<AccountId>,
    /// Only granted requests whose final report was filed and waits for review.
    pub report_filed: bool,
    /// How a list orders them (a worklist keeps its own order: the longest waiting first).
    pub order: RequestOrder,
}

impl RequestFilter {
    /// Whether it leaves any request out (its order aside).
    pub fn narrows(&self) -> bool {
        *self
            != RequestFilter {
                order: self.order,
                ..RequestFilter::default()
            }
    }
}

/// The code of the direction each request (its id, and its campaign's direction's id)
/// answers to (`Instructor::answering_direction`).
pub fn direction_codes_of(
    conn: &mut DbConnection,
    requests: &[(&String, Option<&String>)],
) -> StoreResult<HashMap<String, String>> {
    let ids: Vec<&String> = requests.iter().map(|(id, _)| *id).collect();
    let leads: HashMap<String, String> = request_instructors::table
        .filter(request_instructors::request_id.eq_any(&ids))
        .filter(request_instructors::lead.eq(true))
        .select((
            request_instructors::request_id,
            request_instructors::instructor,
        ))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let codes = crate::reference::direction_codes(conn)?;
    Ok(requests
        .iter()
        .filter_map(|(id, owner)| {
            let code = direction_code(&codes, leads.get(*id).map(String::as_str), *owner)?;
            Some(((*id).clone(), code))
        })
        .collect())
}

/// The code of the direction a request answers to, from its lead instructor's key and its
/// campaign's direction's id (`Instructor::answering_direction`); `codes`: each direction's
/// code by id.
pub(crate) fn direction_code(
    codes: &HashMap<String, String>,
    lead: Option<&str>,
    campaign_owner: Option<&String>,
) -> Option<String> {
    let direction = Instructor::answering_direction(
        lead.and_then(Instructor::parse_key),
        campaign_owner.and_then(|o| o.parse().ok()),
    )?;
    codes.get(&direction.to_string()).cloned()
}

/// The requests of a scope that pass a filter; `None` when the scope covers none.
pub(crate) fn scoped(
    scope: &RequestScope,
    filter: &RequestFilter,
) -> Option<requests::BoxedQuery<'static, MultiBackend>> {
    scope_condition(scope).map(|in_scope| filtered(filter).filter(in_scope))
}

fn filtered(filter: &RequestFilter) -> requests::BoxedQuery<'static, MultiBackend> {
    let mut query = requests::table.into_boxed();
    if !filter.states.is_empty() {
        let codes: Vec<&str> = filter.states.iter().map(|s| s.code()).collect();
        query = query.filter(requests::state.eq_any(codes));
    }
    if let Some(campaign) = filter.campaign {
        query = query.filter(requests::campaign_id.eq(campaign.to_string()));
    }
    if let Some(year) = filter.budget_year {
        query = query.filter(
            requests::campaign_id.eq_any(
                campaigns::table
                    .filter(campaigns::budget_year.eq(year))
                    .select(campaigns::id),
            ),
        );
    }
    if let Some(association) = filter.association {
        query = query.filter(requests::association_id.eq(association.to_string()));
    }
    if let Some(instructor) = filter.instructor {
        query = query.filter(instructed_by(vec![instructor.key()]));
    }
    if let Some(district) = filter.district {
        query = query.filter(
            requests::association_id.eq_any(
                associations::table
                    .filter(associations::district_number.eq(district.0))
                    .select(associations::id),
            ),
        );
    }
    if let Some(sector) = &filter.sector {
        query = query.filter(
            requests::association_id.eq_any(
                association_sectors::table
                    .filter(association_sectors::sector_code.eq(sector.clone()))
                    .select(association_sectors::association_id),
            ),
        );
    }
    if let Some(min) = filter.min_requested_cents {
        query = query.filter(requests::requested_cents.ge(min));
    }
    if let Some(max) = filter.max_requested_cents {
        query = query.filter(requests::requested_cents.le(max));
    }
    if let Some(from) = filter.submitted_from {
        query = query.filter(requests::submitted_at.ge(naive(from)));
    }
    if let Some(until) = filter.submitted_until {
        query = query.filter(requests::submitted_at.lt(naive(until)));
    }
    if let Some(at) = filter.overdue_at {
        query = query.filter(requests::sla_due_at.lt(naive(at)));
    }
    if filter.report_filed {
        query = query.filter(report_filed());
    }
    if let Some(agent) = filter.followed_by {
        let agent = agent.to_string();
        query = query.filter(
            requests::id
                .eq_any(
                    request_assignees::table
                        .filter(request_assignees::account_id.eq(agent.clone()))
                        .select(request_assignees::request_id),
                )
                .or(requests::id.eq_any(
                    request_followers::table
                        .filter(request_followers::account_id.eq(agent))
                        .select(request_followers::request_id),
                )),
        );
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        query = match RequestNumber::parse(text) {
            Ok(number) => query.filter(requests::number.eq(number.to_string())),
            Err(_) => query.filter(
                requests::search_text
                    .like(crate::associations::contains_pattern(&fold(text)))
                    .escape('\\'),
            ),
        };
    }
    query
}

/// The column a page is ordered by (then by id).
#[derive(Clone, Copy)]
enum PageKey {
    CreatedAt,
    StateSince,
    Requested,
}

/// A page of what `query` selects, in two steps: the ids and keys first (from an index alone
/// where one covers the filter and the order: a worklist reads no row it does not show), then
/// the rows of the page by primary key.
fn load_page<T: Listable>(
    conn: &mut DbConnection,
    query: requests::BoxedQuery<'static, MultiBackend>,
    limit: usize,
    key: PageKey,
) -> StoreResult<Page<T>> {
    let query = query.limit(i64::try_from(limit + 1).unwrap_or(i64::MAX));
    let at_time = |(id, time): (String, NaiveDateTime)| {
        let key = Keyset::at_time(time, &id);
        (id, key)
    };
    let keys: Vec<(String, Keyset)> = match key {
        PageKey::CreatedAt => query
            .select((requests::id, requests::created_at))
            .load(conn)?
            .into_iter()
            .map(at_time)
            .collect(),
        PageKey::StateSince => query
            .select((requests::id, requests::state_since))
            .load(conn)?
            .into_iter()
            .map(at_time)
            .collect(),
        PageKey::Requested => query
            .select((requests::id, requests::requested_cents))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .map(|(id, cents)| {
                let key = Keyset::at_number(cents, &id);
                (id, key)
            })
            .collect(),
    };
    page_of(conn, keys, limit)
}

/// The page of `keys` (ids with their keys, in order, one more than a page when there is a
/// next one), read as `T`.
fn page_of<T: Listable>(
    conn: &mut DbConnection,
    keys: Vec<(String, Keyset)>,
    limit: usize,
) -> StoreResult<Page<T>> {
    let page = Page::from_rows(keys, limit, |(_, key)| key.clone());
    let ids: Vec<String> = page.items.into_iter().map(|(id, _)| id).collect();
    Ok(Page {
        items: T::read(conn, &ids)?,
        next: page.next,
    })
}

/// What a page of requests is read as, from their ids and in their order: the whole request,
/// or the line a list shows of it.
pub trait Listable: Sized {
    fn read(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<Self>>;
}

impl Listable for StoredRequest {
    fn read(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<Self>> {
        let rows = rows_of(conn, ids)?;
        with_instructors(conn, in_order_of(ids, rows, |r| &r.id))
    }
}

impl Listable for RequestLine {
    fn read(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<Self>> {
        lines(conn, ids)
    }
}

/// `items` in the order of `ids`.
fn in_order_of<T>(ids: &[String], mut items: Vec<T>, id: impl Fn(&T) -> &String) -> Vec<T> {
    let order: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    items.sort_by_cached_key(|item| order.get(id(item).as_str()).copied());
    items
}

/// The columns of a request's line, with its association's and campaign's names.
#[derive(Queryable)]
struct LineRow {
    id: String,
    number: Option<String>,
    title: String,
    association_id: String,
    association_name: String,
    campaign_id: String,
    campaign_code: String,
    campaign_title: String,
    circuit: String,
    local_district: Option<i32>,
    state: String,
    state_since: NaiveDateTime,
    requested_cents: i64,
    proposed_cents: Option<i64>,
    sla_due_at: Option<NaiveDateTime>,
    submitted_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    /// Their keys, separated by spaces.
    instructors: Option<String>,
}

/// The lines of these requests, in the order of `ids`, in one statement: with their
/// association's and campaign's names, and their instructors' keys in order.
pub fn lines(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<RequestLine>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let instructors = PerBackend::<Nullable<Text>> {
        sqlite: "(SELECT group_concat(i.instructor, ' ' ORDER BY i.position) \
                 FROM request_instructors i WHERE i.request_id = requests.id)",
        postgres: "(SELECT string_agg(i.instructor, ' ' ORDER BY i.position) \
                   FROM request_instructors i WHERE i.request_id = requests.id)",
        sql_type: std::marker::PhantomData,
    };
    let rows: Vec<LineRow> = requests::table
        .inner_join(associations::table)
        .inner_join(campaigns::table)
        .filter(one_of(requests::id, ids))
        .select((
            requests::id,
            requests::number,
            requests::title,
            requests::association_id,
            associations::name,
            requests::campaign_id,
            campaigns::code,
            campaigns::title,
            requests::circuit,
            requests::local_district,
            requests::state,
            requests::state_since,
            requests::requested_cents,
            requests::proposed_cents,
            requests::sla_due_at,
            requests::submitted_at,
            requests::created_at,
            instructors,
        ))
        .load(conn)?;
    in_order_of(ids, rows, |r| &r.id)
        .into_iter()
        .map(line_from_row)
        .collect()
}

fn line_from_row(row: LineRow) -> StoreResult<RequestLine> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("requests.{what} of {}", row.id));
    let instructors = row
        .instructors
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(|key| Instructor::parse_key(key).ok_or_else(|| corrupt("instructors")))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(RequestLine {
        id: parse("requests.id", &row.id)?,
        number: stored_number(&row.id, row.number.as_deref())?,
        title: row.title,
        association_name: row.association_name,
        campaign: parse("requests.campaign_id", &row.campaign_id)?,
        campaign_code: row.campaign_code,
        campaign_title: row.campaign_title,
        circuit: CircuitKind::from_code(&row.circuit).ok_or_else(|| corrupt("circuit"))?,
        state: state("requests.state", &row.state)?,
        state_since: utc(row.state_since),
        requested_cents: row.requested_cents,
        proposed_cents: row.proposed_cents,
        sla_due_at: row.sla_due_at.map(utc),
        submitted_at: row.submitted_at.map(utc),
        created_at: utc(row.created_at),
        access: RequestAccess {
            association: parse("requests.association_id", &row.association_id)?,
            submitted: row.submitted_at.is_some(),
            local_district: row.local_district.map(DistrictNumber),
            instructors,
        },
    })
}

/// A page of the requests in `scope` matching `filter`, in the order it asks, read as `T`.
pub fn list<T: Listable>(
    conn: &mut DbConnection,
    scope: &RequestScope,
    filter: &RequestFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<T>> {
    let Some(query) = scoped(scope, filter) else {
        return Ok(Page {
            items: vec![],
            next: None,
        });
    };
    let (query, key) = match filter.order {
        RequestOrder::Newest => (
            ordered_after!(
                query,
                after,
                requests::id,
                requests::created_at,
                time,
                desc,
                lt
            ),
            PageKey::CreatedAt,
        ),
        RequestOrder::Oldest => (
            ordered_after!(
                query,
                after,
                requests::id,
                requests::created_at,
                time,
                asc,
                gt
            ),
            PageKey::CreatedAt,
        ),
        RequestOrder::LongestInState => (
            ordered_after!(
                query,
                after,
                requests::id,
                requests::state_since,
                time,
                asc,
                gt
            ),
            PageKey::StateSince,
        ),
        RequestOrder::LargestAmount => (
            ordered_after!(
                query,
                after,
                requests::id,
                requests::requested_cents,
                number,
                desc,
                lt
            ),
            PageKey::Requested,
        ),
        RequestOrder::SmallestAmount => (
            ordered_after!(
                query,
                after,
                requests::id,
                requests::requested_cents,
                number,
                asc,
                gt
            ),
            PageKey::Requested,
        ),
    };
    load_page(conn, query, limit, key)
}

/// A final report filed and waiting for review (few at a time).
fn report_is_filed() -> diesel::dsl::Eq<crate::schema::final_reports::status, &'static str> {
    crate::schema::final_reports::status.eq(simpa_domain::final_report::ReportStatus::Filed.code())
}

/// Granted requests whose final report was filed and waits for review.
fn report_filed() -> Box<dyn BoxableExpression<requests::table, MultiBackend, SqlType = Bool>> {
    Box::new(
        requests::state.eq(RequestState::Granted.code()).and(
            requests::id.eq_any(
                crate::schema::final_reports::table
                    .filter(report_is_filed())
                    .select(crate::schema::final_reports::request_id),
            ),
        ),
    )
}

/// The granted requests among `filed` (those whose final report waits for review: few at a
/// time, read once).
fn granted_among(filed: &[String]) -> Condition {
    Box::new(
        requests::state
            .eq(RequestState::Granted.code())
            .and(one_of(requests::id, filed)),
    )
}

/// The requests whose final report was filed and waits for review.
fn reports_filed(conn: &mut DbConnection) -> StoreResult<Vec<String>> {
    use crate::schema::final_reports;
    Ok(final_reports::table
        .filter(report_is_filed())
        .select(final_reports::request_id)
        .load(conn)?)
}

/// Of `filed`, the requests one of these instructors instructs.
fn report_to_review_by(filed: &[String], keys: Vec<String>) -> Condition {
    Box::new(
        granted_among(filed).and(exists(
            request_instructors::table
                .filter(request_instructors::request_id.eq(requests::id))
                .filter(request_instructors::instructor.eq_any(keys)),
        )),
    )
}

/// A request in instruction waiting for the opinion of one of these instructors.
fn awaiting_opinion_of(keys: Vec<String>) -> Condition {
    Box::new(
        requests::state
            .eq(RequestState::InInstruction.code())
            .and(exists(
                request_instructors::table
                    .filter(request_instructors::request_id.eq(requests::id))
                    .filter(request_instructors::instructor.eq_any(keys))
                    .filter(request_instructors::waiting_since.is_not_null()),
            )),
    )
}

/// The keys of a page of the requests waiting for the opinion of one of these instructors,
/// read from the index of waiting assignments alone (a range for one instructor).
fn awaiting_opinion_page(
    conn: &mut DbConnection,
    keys: Vec<String>,
    after: Option<(NaiveDateTime, String)>,
    take: i64,
) -> StoreResult<Vec<(NaiveDateTime, String)>> {
    let since = request_instructors::waiting_since.assume_not_null();
    let mut query = request_instructors::table
        .filter(request_instructors::waiting_since.is_not_null())
        .filter(one_of(request_instructors::instructor, &keys))
        .into_boxed();
    if let Some((time, id)) = after {
        query = query.filter(
            since
                .gt(time)
                .or(since.eq(time).and(request_instructors::request_id.gt(id))),
        );
    }
    Ok(query
        .order((since.asc(), request_instructors::request_id.asc()))
        .limit(take)
        .select((since, request_instructors::request_id))
        .load(conn)?)
}

/// The keys of a page of the requests waiting for the bureau's dispatch, in the index of
/// those.
fn dispatch_waiting_page(
    conn: &mut DbConnection,
    filter: &RequestFilter,
    after: Option<(NaiveDateTime, String)>,
    take: i64,
) -> StoreResult<Vec<(NaiveDateTime, String)>> {
    let since = requests::dispatch_waiting_since.assume_not_null();
    let mut query = filtered(filter).filter(requests::dispatch_waiting_since.is_not_null());
    if let Some((time, id)) = after {
        query = query.filter(since.gt(time).or(since.eq(time).and(requests::id.gt(id))));
    }
    Ok(query
        .order((since.asc(), requests::id.asc()))
        .limit(take)
        .select((since, requests::id))
        .load(conn)?)
}

/// What waits for the caller, the longest waiting first. Each kind of work is read on its
/// own, in the order of an index and only up to a page (one condition joining them with OR
/// made both databases read and sort every request), and the pages are merged. Unfiltered,
/// the opinions awaited are read from the index of waiting assignments alone.
pub fn worklist<T: Listable>(
    conn: &mut DbConnection,
    work: &WorkScope,
    filter: &RequestFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<T>> {
    let after = match after {
        Some(after) => Some((after.time()?, after.id.clone())),
        None => None,
    };
    let take = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let mut keys: Vec<(NaiveDateTime, String)> = Vec::new();
    let mut kinds: Vec<Condition> = Vec::new();
    let filed = if work.directions.is_empty() && work.districts.is_empty() {
        Vec::new()
    } else {
        reports_filed(conn)?
    };
    if work.bureau {
        kinds.push(Box::new(
            requests::circuit
                .ne(CircuitKind::Local.code())
                .and(requests::state.eq(RequestState::Submitted.code())),
        ));
        keys.extend(dispatch_waiting_page(conn, filter, after.clone(), take)?);
    }
    if !work.directions.is_empty() {
        let instructors: Vec<String> = work
            .directions
            .iter()
            .map(|d| Instructor::Direction(*d).key())
            .collect();
        if filter.narrows() {
            kinds.push(awaiting_opinion_of(instructors.clone()));
        } else {
            keys.extend(awaiting_opinion_page(
                conn,
                instructors.clone(),
                after.clone(),
                take,
            )?);
        }
        if !filed.is_empty() {
            kinds.push(report_to_review_by(&filed, instructors));
        }
    }
    if !work.districts.is_empty() {
        let districts: Vec<i32> = work.districts.iter().map(|d| d.0).collect();
        let of_districts = || {
            requests::local_district
                .assume_not_null()
                .eq_any(districts.clone())
        };
        for state in [RequestState::Submitted, RequestState::InInstruction] {
            kinds.push(Box::new(
                of_districts().and(requests::state.eq(state.code())),
            ));
        }
        if !filed.is_empty() {
            kinds.push(Box::new(of_districts().and(granted_among(&filed))));
        }
    }
    for kind in kinds {
        let mut query = filtered(filter).filter(kind);
        if let Some((time, id)) = after.clone() {
            query = query.filter(
                requests::state_since
                    .gt(time)
                    .or(requests::state_since.eq(time).and(requests::id.gt(id))),
            );
        }
        keys.extend(
            query
                .order((requests::state_since.asc(), requests::id.asc()))
                .limit(take)
                .select((requests::state_since, requests::id))
                .load::<(NaiveDateTime, String)>(conn)?,
        );
    }
    keys.sort();
    keys.dedup_by(|a, b| a.1 == b.1);
    let keys = keys
        .into_iter()
        .map(|(time, id)| {
            let key = Keyset::at_time(time, &id);
            (id, key)
        })
        .collect();
    page_of(conn, keys, limit)
}

/// Locks the rows of a campaign's requests in these states until the transaction ends (a
/// jury's validation moves them all: no action on one of them goes on meanwhile).
pub fn lock_of_campaign(
    conn: &mut DbConnection,
    campaign: CampaignId,
    states: &[RequestState],
) -> StoreResult<()> {
    let codes: Vec<&str> = states.iter().map(|s| s.code()).collect();
    // SQLite's writers already take turns on the whole database.
    if let DbConnection::Postgres(pg) = conn {
        requests::table
            .filter(requests::campaign_id.eq(campaign.to_string()))
            .filter(requests::state.eq_any(codes))
            .select(requests::id)
            .for_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// Locks these requests' rows until the transaction ends (a vote moves them all at once).
pub fn lock_many(conn: &mut DbConnection, ids: &[RequestId]) -> StoreResult<()> {
    // SQLite's writers already take turns on the whole database.
    if let DbConnection::Postgres(pg) = conn {
        for chunk in ids.chunks(1000) {
            let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
            requests::table
                .filter(requests::id.eq_any(ids))
                .select(requests::id)
                .for_update()
                .load::<String>(pg)?;
        }
    }
    Ok(())
}

/// The requests of a campaign in these states, in the order of their numbers.
pub fn of_campaign(
    conn: &mut DbConnection,
    campaign: CampaignId,
    states: &[RequestState],
) -> StoreResult<Vec<StoredRequest>> {
    let codes: Vec<&str> = states.iter().map(|s| s.code()).collect();
    let rows: Vec<Row> = requests::table
        .filter(requests::campaign_id.eq(campaign.to_string()))
        .filter(requests::state.eq_any(codes))
        .order((requests::number, requests::id))
        .select(Row::as_select())
        .load(conn)?;
    with_instructors(conn, rows)
}

/// Many requests by id, in no particular order (ids not found are left out).
pub fn get_many(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<StoredRequest>> {
    let rows = rows_of(conn, ids)?;
    with_instructors(conn, rows)
}

/// The rows of these requests, in no particular order.
fn rows_of(conn: &mut DbConnection, ids: &[String]) -> StoreResult<Vec<Row>> {
    Ok(requests::table
        .filter(one_of(requests::id, ids))
        .select(Row::as_select())
        .load(conn)?)
}

/// What is kept of a request for its association: the API's view, the portal's page.
#[derive(Debug, Clone, Copy)]
pub enum KeptKind {
    Api,
    Page,
}

impl KeptKind {
    fn code(self) -> &'static str {
        match self {
            KeptKind::Api => "api",
            KeptKind::Page => "page",
        }
    }
}

/// A view kept (see [`KeptKind`]): what it was made from, the whole answer, and until when
/// its clock reads the same (`None`: the clock is stopped).
#[derive(Debug, Clone)]
pub struct KeptView {
    pub key: String,
    pub body: String,
    pub fresh_until: Option<DateTime<Utc>>,
}

/// What reading a request's kept view needs, in one query: the reader's role in the request's
/// association (when the reader's account is active and a member), the view kept of this kind
/// (if any), and the versions of everything a view is made from.
#[derive(Debug, Clone)]
pub struct ViewAtRead {
    pub association: AssociationId,
    pub version: i64,
    pub submitted: bool,
    pub reader_role: Option<MemberRole>,
    /// The versions of the request, its campaign, its association, its grant, the grant's
    /// agreement and deliberation: a view made from other versions is out of date.
    pub versions: String,
    pub kept: Option<KeptView>,
}

impl ViewAtRead {
    /// The key of a view made now in `shape` (its caller's rendering) from what is there now.
    pub fn key(&self, shape: &str) -> String {
        format!("{shape}/{}", self.versions)
    }

    /// The view kept, if it was made in `shape` from what is there now and its clock still
    /// reads the same at `now`.
    pub fn kept_in(self, shape: &str, now: DateTime<Utc>) -> Result<KeptView, ViewAtRead> {
        match self.kept {
            Some(kept)
                if kept.key == self.key(shape)
                    && kept.fresh_until.is_none_or(|until| now < until) =>
            {
                Ok(kept)
            }
            _ => Err(ViewAtRead { kept: None, ..self }),
        }
    }
}

pub fn view_at_read(
    conn: &mut DbConnection,
    id: RequestId,
    reader: AccountId,
    kind: KeptKind,
) -> StoreResult<Option<ViewAtRead>> {
    type Row = (
        (String, i64, Option<NaiveDateTime>, i64, i64),
        (Option<i64>, Option<i64>, Option<i64>),
        Option<(String, String, Option<NaiveDateTime>)>,
        Option<(String, bool)>,
    );
    let id = id.to_string();
    let agreement = agreements::id.nullable().eq(grants::agreement_id);
    let deliberation = deliberations::id.eq(grants::deliberation_id);
    let kept = kept_views::request_id
        .eq(requests::id)
        .and(kept_views::kind.eq(kind.code()));
    let membership = association_members::association_id
        .eq(requests::association_id)
        .and(association_members::account_id.eq(reader.to_string()));
    let account = accounts::id.eq(association_members::account_id);
    // The joins bound to a value come last: building a join copies the joins before it, with
    // their values (a sixth of the lookup's time when the grant's was first).
    // On the backend's own connection: through diesel's MultiConnection, a statement's SQL is
    // written again at each execution (a tenth of a kept page's time).
    let rows: Vec<Row> = on_each_backend!(&mut *conn, c => {
        requests::table
            .inner_join(campaigns::table)
            .inner_join(associations::table)
            .left_join(grants::table)
            .left_join(agreements::table.on(agreement))
            .left_join(deliberations::table.on(deliberation))
            .left_join(kept_views::table.on(kept))
            .left_join(association_members::table.on(membership))
            .left_join(accounts::table.on(account))
            .filter(requests::id.eq(&id))
            .select((
                (
                    requests::association_id,
                    requests::version,
                    requests::submitted_at,
                    associations::version,
                    campaigns::version,
                ),
                (
                    grants::version.nullable(),
                    agreements::version.nullable(),
                    deliberations::version.nullable(),
                ),
                (kept_views::key, kept_views::body, kept_views::fresh_until).nullable(),
                (association_members::role, accounts::active).nullable(),
            ))
            .load::<Row>(c)
    })?;
    let Some((
        (association, version, submitted_at, association_version, campaign_version),
        (grant, agreement, deliberation),
        kept,
        member,
    )) = rows.into_iter().next()
    else {
        return Ok(None);
    };
    let reader_role =
        match member {
            Some((role, true)) => Some(MemberRole::from_code(&role).ok_or_else(|| {
                StoreError::Corrupt(format!("association_members.role = {role:?}"))
            })?),
            _ => None,
        };
    let optional = |v: Option<i64>| v.map_or("-".to_owned(), |v| v.to_string());
    Ok(Some(ViewAtRead {
        association: parse("requests.association_id", &association)?,
        version,
        submitted: submitted_at.is_some(),
        reader_role,
        versions: format!(
            "{version}.{campaign_version}.{association_version}.{}.{}.{}",
            optional(grant),
            optional(agreement),
            optional(deliberation)
        ),
        kept: kept.map(|(key, body, fresh_until)| KeptView {
            key,
            body,
            fresh_until: fresh_until.map(|at| at.and_utc()),
        }),
    }))
}

/// Keeps a view of a request, in place of the one kept of its kind.
pub fn keep_view(
    conn: &mut DbConnection,
    id: RequestId,
    kind: KeptKind,
    view: &KeptView,
) -> StoreResult<()> {
    let fresh_until = view.fresh_until.map(|at| at.naive_utc());
    on_each_backend!(&mut *conn, c => {
        diesel::insert_into(kept_views::table)
            .values((
                kept_views::request_id.eq(id.to_string()),
                kept_views::kind.eq(kind.code()),
                kept_views::key.eq(&view.key),
                kept_views::body.eq(&view.body),
                kept_views::fresh_until.eq(fresh_until),
            ))
            .on_conflict((kept_views::request_id, kept_views::kind))
            .do_update()
            .set((
                kept_views::key.eq(&view.key),
                kept_views::body.eq(&view.body),
                kept_views::fresh_until.eq(fresh_until),
            ))
            .execute(c)
    })?;
    Ok(())
}

/// Requests waiting for their association since before `before`.
/// Requests in these states since before `before`, the oldest first.
pub fn in_states_since(
    conn: &mut DbConnection,
    states: &[RequestState],
    before: DateTime<Utc>,
) -> StoreResult<Vec<StoredRequest>> {
    let codes: Vec<&str> = states.iter().map(|s| s.code()).collect();
    let rows: Vec<Row> = requests::table
        .filter(requests::state.eq_any(codes))
        .filter(requests::state_since.lt(naive(before)))
        .select(Row::as_select())
        .order((requests::state_since, requests::id))
        .load(conn)?;
    with_instructors(conn, rows)
}

pub fn incomplete_since(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
) -> StoreResult<Vec<StoredRequest>> {
    let rows: Vec<Row> = requests::table
        .filter(requests::state.eq(RequestState::Incomplete.code()))
        .filter(requests::state_since.lt(naive(before)))
        .select(Row::as_select())
        .order((requests::state_since, requests::id))
        .load(conn)?;
    with_instructors(conn, rows)
}

#[cfg(test)]
mod tests {
    use super::{read_budget, read_indicators};

    /// Texts filed before today's rules (a line break, a lone zero-width space) are shown on
    /// one line as they were written, never refused on reading.
    #[test]
    fn texts_stored_before_the_rules_still_read() {
        let budget = read_budget(
            "r",
            r#"[{"account":"60","label":"Achats\nlocaux","amount_cents":5},{"account":"74","funder":"commune","label":"\u200b","amount_cents":5}]"#,
        )
        .expect("read");
        let labels: Vec<&str> = budget.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["Achats locaux", "\u{200b}"]);
        let indicators = read_indicators("r", r#"[{"name":"Jeunes\u202e","unit":"p","target":3}]"#)
            .expect("read");
        assert_eq!(indicators[0].name, "Jeunes");
        // What no rule ever allowed is still corrupt.
        assert!(read_budget("r", r#"[{"account":"99","label":"x","amount_cents":5}]"#).is_err());
    }
}
