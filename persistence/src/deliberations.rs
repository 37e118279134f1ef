//! Deliberations and their lines: the requests on a council's agenda, the amount proposed
//! and, once voted, granted.

use crate::DbConnection;
use crate::connection::insert_batches;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, Page, ordered_after};
use crate::schema::{deliberation_lines, deliberations, grants, requests};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::DomainError;
use simpa_domain::council::{Council, CouncilKind, DeliberationReference};
use simpa_domain::deliberation::VoteOutcome;
use simpa_domain::ids::{AccountId, CampaignId, DistrictNumber, RequestId};
use std::collections::HashMap;
use uuid::Uuid;

/// A deliberation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliberation {
    pub id: Uuid,
    pub reference: DeliberationReference,
    pub council: Council,
    pub session_on: NaiveDate,
    pub title: String,
    /// Set once voted.
    pub vote: Option<(VoteOutcome, NaiveDate)>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = deliberations)]
struct Row {
    id: String,
    reference: String,
    council: String,
    district_number: Option<i32>,
    session_on: NaiveDate,
    title: String,
    outcome: Option<String>,
    voted_on: Option<NaiveDate>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn from_row(row: Row) -> StoreResult<Deliberation> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("deliberations.{what} of {}", row.id));
    let kind = CouncilKind::from_code(&row.council).ok_or_else(|| corrupt("council"))?;
    let vote = match (row.outcome, row.voted_on) {
        (Some(outcome), Some(on)) => Some((
            VoteOutcome::from_code(&outcome).ok_or_else(|| corrupt("outcome"))?,
            on,
        )),
        _ => None,
    };
    Ok(Deliberation {
        id: parse("deliberations.id", &row.id)?,
        reference: DeliberationReference::parse(&row.reference)
            .map_err(|_| corrupt("reference"))?,
        council: Council::new(kind, row.district_number.map(DistrictNumber))
            .map_err(|_| corrupt("district_number"))?,
        session_on: row.session_on,
        title: row.title,
        vote,
        version: row.version,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

/// Whether a deliberation already has this reference.
pub fn reference_taken(
    conn: &mut DbConnection,
    reference: &DeliberationReference,
) -> StoreResult<bool> {
    Ok(deliberations::table
        .filter(deliberations::reference.eq(reference.as_str()))
        .select(deliberations::id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// What a new deliberation says.
pub struct NewDeliberation<'a> {
    pub id: Uuid,
    pub reference: &'a DeliberationReference,
    pub council: Council,
    pub session_on: NaiveDate,
    pub title: &'a str,
    pub created_by: AccountId,
}

pub fn insert(
    conn: &mut DbConnection,
    new: &NewDeliberation<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(deliberations::table)
        .values((
            deliberations::id.eq(new.id.to_string()),
            deliberations::reference.eq(new.reference.as_str()),
            deliberations::council.eq(new.council.kind.code()),
            deliberations::district_number.eq(new.council.district.map(|d| d.0)),
            deliberations::session_on.eq(new.session_on),
            deliberations::title.eq(new.title),
            deliberations::status.eq("draft"),
            deliberations::version.eq(1_i64),
            deliberations::created_by.eq(new.created_by.to_string()),
            deliberations::created_at.eq(naive(now)),
            deliberations::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Rewrites a draft deliberation (read locked, at `version`) with `new`'s reference, council,
/// session and title; its version goes up.
pub fn update(
    conn: &mut DbConnection,
    version: i64,
    new: &NewDeliberation<'_>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let updated = diesel::update(
        deliberations::table
            .find(new.id.to_string())
            .filter(deliberations::status.eq("draft"))
            .filter(deliberations::version.eq(version)),
    )
    .set((
        deliberations::reference.eq(new.reference.as_str()),
        deliberations::council.eq(new.council.kind.code()),
        deliberations::district_number.eq(new.council.district.map(|d| d.0)),
        deliberations::session_on.eq(new.session_on),
        deliberations::title.eq(new.title),
        deliberations::version.eq(deliberations::version + 1),
        deliberations::updated_at.eq(naive(now)),
    ))
    .execute(conn)?;
    simpa_domain::existed(updated == 1, "deliberation")?;
    Ok(())
}

/// Deletes a draft deliberation whose agenda is empty: its reference is free again.
pub fn delete_draft(conn: &mut DbConnection, id: Uuid) -> StoreResult<()> {
    let deleted = diesel::delete(
        deliberations::table
            .find(id.to_string())
            .filter(deliberations::status.eq("draft")),
    )
    .execute(conn)?;
    simpa_domain::existed(deleted == 1, "deliberation")?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> StoreResult<Option<Deliberation>> {
    deliberations::table
        .find(id.to_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// The deliberation, its row locked until the transaction ends: its lines and its vote take
/// turns.
pub fn get_locked(conn: &mut DbConnection, id: Uuid) -> StoreResult<Option<Deliberation>> {
    // SQLite's writers hold the database's write lock already (see `Db::write`).
    let DbConnection::Postgres(pg) = conn else {
        return get(conn, id);
    };
    deliberations::table
        .find(id.to_string())
        .select(Row::as_select())
        .for_update()
        .first(pg)
        .optional()?
        .map(from_row)
        .transpose()
}

/// Deliberations, the latest session first, a page after `after`: every council's with
/// `districts` none, else those of these district councils only.
pub fn page(
    conn: &mut DbConnection,
    districts: Option<&[DistrictNumber]>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Deliberation>> {
    let mut query = deliberations::table.into_boxed();
    if let Some(districts) = districts {
        let numbers: Vec<i32> = districts.iter().map(|d| d.0).collect();
        query = query.filter(deliberations::district_number.eq_any(numbers));
    }
    let query = ordered_after!(
        query,
        after,
        deliberations::id,
        deliberations::session_on,
        day,
        desc,
        lt
    );
    let rows = query
        .select(Row::as_select())
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?
        .into_iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(rows, limit, |d| {
        Keyset::at_day(d.session_on, &d.id.to_string())
    }))
}

/// A line of a deliberation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub request: RequestId,
    pub proposed_cents: i64,
    pub voted_cents: Option<i64>,
}

pub fn lines(conn: &mut DbConnection, id: Uuid) -> StoreResult<Vec<Line>> {
    let rows: Vec<(String, i64, Option<i64>)> = deliberation_lines::table
        .filter(deliberation_lines::deliberation_id.eq(id.to_string()))
        .select((
            deliberation_lines::request_id,
            deliberation_lines::proposed_cents,
            deliberation_lines::voted_cents,
        ))
        .order((deliberation_lines::added_at, deliberation_lines::request_id))
        .load(conn)?;
    rows.into_iter()
        .map(|(request, proposed_cents, voted_cents)| {
            Ok(Line {
                request: parse("deliberation_lines.request_id", &request)?,
                proposed_cents,
                voted_cents,
            })
        })
        .collect()
}

/// The deliberation a request is on the agenda of, if any.
pub fn of_request(conn: &mut DbConnection, request: RequestId) -> StoreResult<Option<Uuid>> {
    deliberation_lines::table
        .filter(deliberation_lines::request_id.eq(request.to_string()))
        .select(deliberation_lines::deliberation_id)
        .first::<String>(conn)
        .optional()?
        .map(|id| parse("deliberation_lines.deliberation_id", &id))
        .transpose()
}

/// Puts requests on the agenda, with the amount proposed for each, in a few statements.
pub fn add_lines(
    conn: &mut DbConnection,
    id: Uuid,
    lines: &[(RequestId, i64)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    #[derive(Insertable)]
    #[diesel(treat_none_as_default_value = false)]
    #[diesel(table_name = deliberation_lines)]
    struct NewLine {
        deliberation_id: String,
        request_id: String,
        proposed_cents: i64,
        added_at: NaiveDateTime,
    }
    let rows: Vec<NewLine> = lines
        .iter()
        .map(|(request, proposed_cents)| NewLine {
            deliberation_id: id.to_string(),
            request_id: request.to_string(),
            proposed_cents: *proposed_cents,
            added_at: naive(now),
        })
        .collect();
    insert_batches!(conn, deliberation_lines::table, &rows);
    Ok(())
}

/// Takes a line off the agenda; false when it was not on it.
pub fn remove_line(conn: &mut DbConnection, id: Uuid, request: RequestId) -> StoreResult<bool> {
    let removed =
        diesel::delete(deliberation_lines::table.find((id.to_string(), request.to_string())))
            .execute(conn)?;
    Ok(removed == 1)
}

/// Records the vote: the outcome and date, and the amount granted on each line: as proposed,
/// but for the lines in `changed` (amended, or refused: 0). The grants it made are opened
/// next (`simpa_app::grants::open_after_vote`).
pub fn record_vote(
    conn: &mut DbConnection,
    id: Uuid,
    outcome: VoteOutcome,
    voted_on: NaiveDate,
    changed: &[(RequestId, i64)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let updated = diesel::update(
        deliberations::table
            .find(id.to_string())
            .filter(deliberations::status.eq("draft")),
    )
    .set((
        deliberations::status.eq("voted"),
        deliberations::outcome.eq(outcome.code()),
        deliberations::voted_on.eq(voted_on),
        deliberations::version.eq(deliberations::version + 1),
        deliberations::updated_at.eq(naive(now)),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(DomainError::NotFound {
            what: "deliberation",
        }
        .into());
    }
    let of_this = deliberation_lines::deliberation_id.eq(id.to_string());
    diesel::update(deliberation_lines::table.filter(of_this.clone()))
        .set(deliberation_lines::voted_cents.eq(deliberation_lines::proposed_cents.nullable()))
        .execute(conn)?;
    for (request, cents) in changed {
        diesel::update(
            deliberation_lines::table
                .filter(of_this.clone())
                .filter(deliberation_lines::request_id.eq(request.to_string())),
        )
        .set(deliberation_lines::voted_cents.eq(cents))
        .execute(conn)?;
    }
    Ok(())
}

/// What a campaign's money is committed to: voted (its requests' grants) and on the agenda of
/// deliberations not yet voted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Commitment {
    pub voted_cents: i64,
    pub scheduled_cents: i64,
}

/// What each of `campaigns` is committed to, summed here (a sum of `BIGINT` is `NUMERIC` on
/// PostgreSQL).
pub fn commitments(
    conn: &mut DbConnection,
    campaigns: &[CampaignId],
) -> StoreResult<HashMap<CampaignId, Commitment>> {
    let ids: Vec<String> = campaigns.iter().map(ToString::to_string).collect();
    let voted: Vec<(String, i64)> = grants::table
        .inner_join(requests::table)
        .filter(requests::campaign_id.eq_any(&ids))
        .select((requests::campaign_id, grants::cents))
        .load(conn)?;
    let scheduled: Vec<(String, i64)> = deliberation_lines::table
        .inner_join(deliberations::table)
        .inner_join(requests::table)
        .filter(deliberations::status.eq("draft"))
        .filter(requests::campaign_id.eq_any(&ids))
        .select((requests::campaign_id, deliberation_lines::proposed_cents))
        .load(conn)?;
    let mut committed: HashMap<CampaignId, Commitment> = HashMap::new();
    for (campaign, cents) in voted {
        let c = committed
            .entry(parse("requests.campaign_id", &campaign)?)
            .or_default();
        c.voted_cents = c.voted_cents.saturating_add(cents);
    }
    for (campaign, cents) in scheduled {
        let c = committed
            .entry(parse("requests.campaign_id", &campaign)?)
            .or_default();
        c.scheduled_cents = c.scheduled_cents.saturating_add(cents);
    }
    Ok(committed)
}
