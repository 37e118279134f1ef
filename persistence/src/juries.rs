//! Juries of calls for projects: their rules and session, members, seats (who sits on which
//! request, their declaration and score sheet) and the validated ranking.

use crate::DbConnection;
use crate::connection::insert_batches;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::json;
use crate::schema::{
    accounts, association_members, juries, jury_members, jury_results, jury_seats,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use simpa_domain::DomainError;
use simpa_domain::circuit::Declaration;
use simpa_domain::ids::{AccountId, AssociationId, CampaignId, RequestId};
use simpa_domain::jury::{Jury, JurySettings, SessionStatus};
use simpa_domain::policy::JurySeat;
use simpa_domain::scoring::{Allotment, Criterion, LastRequest, Mark, Placed};

#[derive(Queryable, Selectable)]
#[diesel(table_name = juries)]
struct Row {
    campaign_id: String,
    criteria: String,
    normalise: bool,
    min_scores: i32,
    min_score: i32,
    last_request: String,
    jurors_per_request: Option<i32>,
    status: String,
    version: i64,
    closes_on: Option<NaiveDate>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = juries, treat_none_as_null = true)]
struct SettingsColumns {
    criteria: String,
    normalise: bool,
    min_scores: i32,
    min_score: i32,
    last_request: &'static str,
    jurors_per_request: Option<i32>,
    closes_on: Option<NaiveDate>,
    updated_at: NaiveDateTime,
}

fn small(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn columns(s: &JurySettings, now: DateTime<Utc>) -> SettingsColumns {
    let criteria: Vec<Value> = s
        .grid
        .iter()
        .map(|c| {
            json!({"label": c.label, "description": c.description, "weight": c.weight, "max_points": c.max_points})
        })
        .collect();
    SettingsColumns {
        criteria: json::write(&criteria),
        normalise: s.normalise,
        min_scores: small(s.min_scores),
        min_score: small(s.min_score),
        last_request: s.last_request.code(),
        jurors_per_request: s.jurors_per_request.map(small),
        closes_on: s.closes_on,
        updated_at: naive(now),
    }
}

fn from_row(row: Row) -> StoreResult<Jury> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("juries.{what} of {}", row.campaign_id));
    let unsigned = |what: &str, v: i32| u32::try_from(v).map_err(|_| corrupt(what));
    let criteria: Vec<Value> = json::read("juries.criteria", &row.criteria)?;
    let grid = criteria
        .iter()
        .map(|c| {
            let number = |key: &str| {
                c[key]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| corrupt("criteria"))
            };
            Ok(Criterion {
                label: c["label"].as_str().unwrap_or_default().to_owned(),
                description: c["description"].as_str().unwrap_or_default().to_owned(),
                weight: number("weight")?,
                max_points: number("max_points")?,
            })
        })
        .collect::<StoreResult<Vec<Criterion>>>()?;
    Ok(Jury {
        settings: JurySettings {
            grid,
            normalise: row.normalise,
            min_scores: unsigned("min_scores", row.min_scores)?,
            min_score: unsigned("min_score", row.min_score)?,
            last_request: LastRequest::from_code(&row.last_request)
                .ok_or_else(|| corrupt("last_request"))?,
            jurors_per_request: row
                .jurors_per_request
                .map(|n| unsigned("jurors_per_request", n))
                .transpose()?,
            closes_on: row.closes_on,
        },
        status: SessionStatus::from_code(&row.status).ok_or_else(|| corrupt("status"))?,
        version: row.version,
    })
}

pub fn get(conn: &mut DbConnection, campaign: CampaignId) -> StoreResult<Option<Jury>> {
    juries::table
        .find(campaign.to_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// The jury, its row locked until the transaction ends: what changes its session, seats or
/// sheets takes turns with closing and validating it.
pub fn get_locked(conn: &mut DbConnection, campaign: CampaignId) -> StoreResult<Option<Jury>> {
    // SQLite's writers hold the database's write lock already (see `Db::write`).
    if let DbConnection::Postgres(_) = conn {
        diesel::update(juries::table.find(campaign.to_string()))
            .set(juries::version.eq(juries::version))
            .execute(conn)?;
    }
    get(conn, campaign)
}

/// The jury, kept from closing or validating until the transaction ends while jurors work at
/// the same time: on PostgreSQL a shared row lock (closing waits for it, and it for closing);
/// SQLite's writers already take turns on the whole database.
pub fn get_shared(conn: &mut DbConnection, campaign: CampaignId) -> StoreResult<Option<Jury>> {
    if let DbConnection::Postgres(pg) = conn {
        juries::table
            .find(campaign.to_string())
            .select(juries::campaign_id)
            .for_share()
            .load::<String>(pg)?;
    }
    get(conn, campaign)
}

pub fn insert(
    conn: &mut DbConnection,
    campaign: CampaignId,
    settings: &JurySettings,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(juries::table)
        .values((
            juries::campaign_id.eq(campaign.to_string()),
            columns(settings, now),
            juries::status.eq(SessionStatus::Open.code()),
            juries::version.eq(1_i64),
            juries::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

fn stale_or_missing(conn: &mut DbConnection, campaign: CampaignId) -> StoreError {
    match get(conn, campaign) {
        Ok(Some(current)) => DomainError::StaleVersion {
            current: current.version,
        }
        .into(),
        Ok(None) => DomainError::NotFound { what: "jury" }.into(),
        Err(e) => e,
    }
}

/// Replaces the settings if the stored version is still `expected`; returns the new version.
pub fn update(
    conn: &mut DbConnection,
    campaign: CampaignId,
    settings: &JurySettings,
    expected: i64,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let updated = diesel::update(
        juries::table
            .find(campaign.to_string())
            .filter(juries::version.eq(expected)),
    )
    .set((columns(settings, now), juries::version.eq(expected + 1)))
    .execute(conn)?;
    if updated == 0 {
        return Err(stale_or_missing(conn, campaign));
    }
    Ok(expected + 1)
}

/// Moves the session (the jury's row is locked by the caller).
pub fn set_status(
    conn: &mut DbConnection,
    campaign: CampaignId,
    status: SessionStatus,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(juries::table.find(campaign.to_string()))
        .set((
            juries::status.eq(status.code()),
            juries::version.eq(juries::version + 1),
            juries::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A juror of the jury.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub account: AccountId,
    pub name: String,
    pub email: String,
    pub chair: bool,
    pub joined_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// Everyone who sat on the jury, the withdrawn included, in the order they joined.
pub fn members(conn: &mut DbConnection, campaign: CampaignId) -> StoreResult<Vec<Member>> {
    type MemberRow = (
        String,
        String,
        String,
        bool,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<MemberRow> = jury_members::table
        .inner_join(accounts::table)
        .filter(jury_members::campaign_id.eq(campaign.to_string()))
        .select((
            accounts::id,
            accounts::display_name,
            accounts::email,
            jury_members::chair,
            jury_members::joined_at,
            jury_members::withdrawn_at,
        ))
        .order((jury_members::joined_at, accounts::id))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, name, email, chair, joined, withdrawn)| {
            Ok(Member {
                account: parse("jury_members.account_id", &id)?,
                name,
                email,
                chair,
                joined_at: utc(joined),
                withdrawn_at: withdrawn.map(utc),
            })
        })
        .collect()
}

/// The seat of an active juror on the jury, if they sit on it.
pub fn seat_of(
    conn: &mut DbConnection,
    campaign: CampaignId,
    account: AccountId,
) -> StoreResult<Option<JurySeat>> {
    let chair: Option<bool> = jury_members::table
        .find((campaign.to_string(), account.to_string()))
        .filter(jury_members::withdrawn_at.is_null())
        .select(jury_members::chair)
        .first(conn)
        .optional()?;
    Ok(chair.map(|chair| JurySeat { chair }))
}

/// The calls whose jury the person sits on (not withdrawn), and whether they chair it.
pub fn seated_on(
    conn: &mut DbConnection,
    account: AccountId,
) -> StoreResult<Vec<(CampaignId, bool)>> {
    let rows: Vec<(String, bool)> = jury_members::table
        .filter(jury_members::account_id.eq(account.to_string()))
        .filter(jury_members::withdrawn_at.is_null())
        .select((jury_members::campaign_id, jury_members::chair))
        .load(conn)?;
    rows.into_iter()
        .map(|(campaign, chair)| Ok((parse("jury_members.campaign_id", &campaign)?, chair)))
        .collect()
}

/// The open sessions planned to close between `from` and `until` (days included), and the
/// jurors of each whose sheets are not all handed in, with how many are left: the seats
/// neither recused nor handed in.
pub fn sheets_left(
    conn: &mut DbConnection,
    from: NaiveDate,
    until: NaiveDate,
) -> StoreResult<Vec<(CampaignId, NaiveDate, AccountId, i64)>> {
    let conflict: &'static str = Declaration::Conflict.code();
    let open: &'static str = SessionStatus::Open.code();
    let closing: Vec<(String, Option<NaiveDate>)> = juries::table
        .filter(juries::status.eq(open))
        .filter(juries::closes_on.ge(from))
        .filter(juries::closes_on.le(until))
        .select((juries::campaign_id, juries::closes_on))
        .load(conn)?;
    let campaigns: Vec<&String> = closing.iter().map(|(c, _)| c).collect();
    let rows: Vec<(String, String, i64)> = jury_seats::table
        .filter(jury_seats::campaign_id.eq_any(&campaigns))
        .filter(jury_seats::handed_in_at.is_null())
        .filter(
            jury_seats::declaration
                .is_null()
                .or(jury_seats::declaration.ne(conflict)),
        )
        .group_by((jury_seats::campaign_id, jury_seats::account_id))
        .select((
            jury_seats::campaign_id,
            jury_seats::account_id,
            diesel::dsl::count_star(),
        ))
        .order((jury_seats::campaign_id, jury_seats::account_id))
        .load(conn)?;
    rows.into_iter()
        .filter_map(|(campaign, juror, left)| {
            let closes_on = closing.iter().find(|(c, _)| *c == campaign)?.1?;
            Some((campaign, closes_on, juror, left))
        })
        .map(|(campaign, closes_on, juror, left)| {
            Ok((
                parse("juries.campaign_id", &campaign)?,
                closes_on,
                parse("jury_seats.account_id", &juror)?,
                left,
            ))
        })
        .collect()
}

/// The calls that have a jury.
pub fn all_campaigns(conn: &mut DbConnection) -> StoreResult<Vec<CampaignId>> {
    let rows: Vec<String> = juries::table.select(juries::campaign_id).load(conn)?;
    rows.iter()
        .map(|c| parse("juries.campaign_id", c))
        .collect()
}

/// Adds a juror (or takes back one who withdrew); a new chair replaces the former one.
pub fn add_member(
    conn: &mut DbConnection,
    campaign: CampaignId,
    account: AccountId,
    chair: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let key = (campaign.to_string(), account.to_string());
    if chair {
        diesel::update(jury_members::table.filter(jury_members::campaign_id.eq(&key.0)))
            .set(jury_members::chair.eq(false))
            .execute(conn)?;
    }
    let updated = diesel::update(jury_members::table.find(key.clone()))
        .set((
            jury_members::chair.eq(chair),
            jury_members::withdrawn_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(jury_members::table)
            .values((
                jury_members::campaign_id.eq(&key.0),
                jury_members::account_id.eq(&key.1),
                jury_members::chair.eq(chair),
                jury_members::joined_at.eq(naive(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A juror leaves the jury; false when they were not on it.
pub fn withdraw(
    conn: &mut DbConnection,
    campaign: CampaignId,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        jury_members::table
            .find((campaign.to_string(), account.to_string()))
            .filter(jury_members::withdrawn_at.is_null()),
    )
    .set((
        jury_members::withdrawn_at.eq(Some(naive(now))),
        jury_members::chair.eq(false),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// A juror on a request: their declaration and their sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Seat {
    pub request: RequestId,
    pub juror: AccountId,
    pub seated_at: DateTime<Utc>,
    pub declaration: Option<Declaration>,
    pub conflict_reason: Option<String>,
    pub automatic: bool,
    pub declared_at: Option<DateTime<Utc>>,
    /// One mark per criterion, once the juror started scoring.
    pub marks: Option<Vec<Mark>>,
    pub handed_in_at: Option<DateTime<Utc>>,
    /// The weighted score out of 100 of the sheet handed in.
    pub score: Option<f64>,
}

impl Seat {
    /// A juror seated on a request at `at`, who has declared and scored nothing yet.
    pub fn empty(request: RequestId, juror: AccountId, at: DateTime<Utc>) -> Seat {
        Seat {
            request,
            juror,
            seated_at: at,
            declaration: None,
            conflict_reason: None,
            automatic: false,
            declared_at: None,
            marks: None,
            handed_in_at: None,
            score: None,
        }
    }

    /// A member of the applicant, recused by Simpa from its request at `at`.
    pub fn recused_as_member(request: RequestId, juror: AccountId, at: DateTime<Utc>) -> Seat {
        Seat {
            declaration: Some(Declaration::Conflict),
            conflict_reason: Some(simpa_domain::jury::MEMBER_OF_APPLICANT.to_owned()),
            automatic: true,
            declared_at: Some(at),
            ..Seat::empty(request, juror, at)
        }
    }

    pub fn recused(&self) -> bool {
        self.declaration == Some(Declaration::Conflict)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jury_seats)]
struct SeatRow {
    request_id: String,
    account_id: String,
    seated_at: NaiveDateTime,
    declaration: Option<String>,
    conflict_reason: Option<String>,
    automatic: bool,
    declared_at: Option<NaiveDateTime>,
    points: Option<String>,
    handed_in_at: Option<NaiveDateTime>,
    score: Option<f64>,
}

fn marks_to_json(marks: &[Mark]) -> String {
    let marks: Vec<Value> = marks
        .iter()
        .map(|m| json!({"points": m.points, "comment": m.comment}))
        .collect();
    json::write(&marks)
}

fn marks_from_json(raw: &str) -> StoreResult<Vec<Mark>> {
    let values: Vec<Value> = json::read("jury_seats.points", raw)?;
    Ok(values
        .iter()
        .map(|v| Mark {
            points: v["points"].as_u64().and_then(|p| u32::try_from(p).ok()),
            comment: v["comment"].as_str().map(str::to_owned),
        })
        .collect())
}

fn seat_from_row(row: SeatRow) -> StoreResult<Seat> {
    Ok(Seat {
        request: parse("jury_seats.request_id", &row.request_id)?,
        juror: parse("jury_seats.account_id", &row.account_id)?,
        seated_at: utc(row.seated_at),
        declaration: row
            .declaration
            .map(|d| {
                Declaration::from_code(&d)
                    .ok_or_else(|| StoreError::Corrupt(format!("jury_seats.declaration: {d}")))
            })
            .transpose()?,
        conflict_reason: row.conflict_reason,
        automatic: row.automatic,
        declared_at: row.declared_at.map(utc),
        marks: row.points.as_deref().map(marks_from_json).transpose()?,
        handed_in_at: row.handed_in_at.map(utc),
        score: row.score,
    })
}

/// Every seat of the jury, request by request, with the marks when `with_marks` (the
/// ranking reads only the scores).
pub fn seats(
    conn: &mut DbConnection,
    campaign: CampaignId,
    with_marks: bool,
) -> StoreResult<Vec<Seat>> {
    let query = jury_seats::table
        .filter(jury_seats::campaign_id.eq(campaign.to_string()))
        .order((
            jury_seats::request_id,
            jury_seats::seated_at,
            jury_seats::account_id,
        ));
    let rows: Vec<SeatRow> = if with_marks {
        query.select(SeatRow::as_select()).load(conn)?
    } else {
        type Light = (
            String,
            String,
            NaiveDateTime,
            Option<String>,
            Option<String>,
            bool,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            Option<f64>,
        );
        query
            .select((
                jury_seats::request_id,
                jury_seats::account_id,
                jury_seats::seated_at,
                jury_seats::declaration,
                jury_seats::conflict_reason,
                jury_seats::automatic,
                jury_seats::declared_at,
                jury_seats::handed_in_at,
                jury_seats::score,
            ))
            .load::<Light>(conn)?
            .into_iter()
            .map(|row| SeatRow {
                request_id: row.0,
                account_id: row.1,
                seated_at: row.2,
                declaration: row.3,
                conflict_reason: row.4,
                automatic: row.5,
                declared_at: row.6,
                points: None,
                handed_in_at: row.7,
                score: row.8,
            })
            .collect()
    };
    rows.into_iter().map(seat_from_row).collect()
}

/// The seats of one request.
pub fn seats_of_request(conn: &mut DbConnection, request: RequestId) -> StoreResult<Vec<Seat>> {
    jury_seats::table
        .filter(jury_seats::request_id.eq(request.to_string()))
        .select(SeatRow::as_select())
        .order((jury_seats::seated_at, jury_seats::account_id))
        .load(conn)?
        .into_iter()
        .map(seat_from_row)
        .collect()
}

pub fn seat(
    conn: &mut DbConnection,
    request: RequestId,
    juror: AccountId,
) -> StoreResult<Option<Seat>> {
    jury_seats::table
        .find((request.to_string(), juror.to_string()))
        .select(SeatRow::as_select())
        .first(conn)
        .optional()?
        .map(seat_from_row)
        .transpose()
}

/// Whether any juror saved a sheet, a draft or handed in (the grid is then locked: the marks
/// were given against it).
pub fn scored(conn: &mut DbConnection, campaign: CampaignId) -> StoreResult<bool> {
    use diesel::dsl::exists;
    Ok(diesel::select(exists(
        jury_seats::table
            .filter(jury_seats::campaign_id.eq(campaign.to_string()))
            .filter(jury_seats::points.is_not_null()),
    ))
    .get_result(conn)?)
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = jury_seats)]
struct NewSeatRow {
    request_id: String,
    account_id: String,
    campaign_id: String,
    seated_at: NaiveDateTime,
    declaration: Option<&'static str>,
    conflict_reason: Option<String>,
    automatic: bool,
    declared_at: Option<NaiveDateTime>,
    points: Option<String>,
    handed_in_at: Option<NaiveDateTime>,
    score: Option<f64>,
}

/// Stores new seats, in a few statements (recusals by Simpa come as seats with their
/// conflict declared).
pub fn insert_seats(
    conn: &mut DbConnection,
    campaign: CampaignId,
    seats: &[Seat],
) -> StoreResult<()> {
    let rows: Vec<NewSeatRow> = seats
        .iter()
        .map(|s| NewSeatRow {
            request_id: s.request.to_string(),
            account_id: s.juror.to_string(),
            campaign_id: campaign.to_string(),
            seated_at: naive(s.seated_at),
            declaration: s.declaration.map(Declaration::code),
            conflict_reason: s.conflict_reason.clone(),
            automatic: s.automatic,
            declared_at: s.declared_at.map(naive),
            points: s.marks.as_deref().map(marks_to_json),
            handed_in_at: s.handed_in_at.map(naive),
            score: s.score,
        })
        .collect();
    insert_batches!(conn, jury_seats::table, &rows);
    Ok(())
}

/// Records a declaration; a conflict discards the juror's sheet for the request.
pub fn declare(
    conn: &mut DbConnection,
    request: RequestId,
    juror: AccountId,
    declaration: Declaration,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let target = || jury_seats::table.find((request.to_string(), juror.to_string()));
    diesel::update(target())
        .set((
            jury_seats::declaration.eq(declaration.code()),
            jury_seats::conflict_reason.eq(reason),
            jury_seats::declared_at.eq(naive(now)),
        ))
        .execute(conn)?;
    if declaration == Declaration::Conflict {
        diesel::update(target())
            .set((
                jury_seats::points.eq(None::<String>),
                jury_seats::handed_in_at.eq(None::<NaiveDateTime>),
                jury_seats::score.eq(None::<f64>),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Saves a juror's marks: a draft, or handed in with its weighted score.
pub fn save_marks(
    conn: &mut DbConnection,
    request: RequestId,
    juror: AccountId,
    marks: &[Mark],
    handed_in_score: Option<f64>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    // Only a sheet still open, of a juror who declared no conflict: a concurrent hand-in or
    // recusal of the same juror wins.
    let saved = diesel::update(
        jury_seats::table
            .find((request.to_string(), juror.to_string()))
            .filter(jury_seats::handed_in_at.is_null())
            .filter(jury_seats::declaration.eq(Declaration::NoConflict.code())),
    )
    .set((
        jury_seats::points.eq(marks_to_json(marks)),
        jury_seats::handed_in_at.eq(handed_in_score.map(|_| naive(now))),
        jury_seats::score.eq(handed_in_score),
    ))
    .execute(conn)?;
    if saved == 0 {
        return Err(DomainError::conflict(
            "jury.sheet_handed_in",
            None,
            "Cette fiche a été remise ou vous vous êtes récusé·e entre-temps : relisez-la.",
        )
        .into());
    }
    Ok(())
}

/// Which of these jurors belong to which of these associations: they are recused from its
/// requests.
pub fn memberships_among(
    conn: &mut DbConnection,
    jurors: &[AccountId],
    associations: &[AssociationId],
) -> StoreResult<Vec<(AccountId, AssociationId)>> {
    let jurors: Vec<String> = jurors.iter().map(ToString::to_string).collect();
    let mut found = Vec::new();
    // Associations come by the thousand: a few queries of bounded size.
    for chunk in associations.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let rows: Vec<(String, String)> = association_members::table
            .filter(association_members::account_id.eq_any(&jurors))
            .filter(association_members::association_id.eq_any(ids))
            .select((
                association_members::account_id,
                association_members::association_id,
            ))
            .load(conn)?;
        for (account, association) in rows {
            found.push((
                parse("association_members.account_id", &account)?,
                parse("association_members.association_id", &association)?,
            ));
        }
    }
    Ok(found)
}

#[derive(Insertable, Queryable, Selectable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = jury_results)]
struct ResultRow {
    request_id: String,
    campaign_id: String,
    place: i32,
    score: Option<f64>,
    normalised: Option<f64>,
    sheets: i32,
    flagged: bool,
    funded_cents: i64,
    allotment: String,
}

/// Keeps the validated ranking.
pub fn insert_results(
    conn: &mut DbConnection,
    campaign: CampaignId,
    placed: &[Placed],
) -> StoreResult<()> {
    let rows: Vec<ResultRow> = placed
        .iter()
        .map(|p| ResultRow {
            request_id: p.request.to_string(),
            campaign_id: campaign.to_string(),
            place: small(p.rank),
            score: p.score,
            normalised: p.normalised,
            sheets: small(p.sheets),
            flagged: p.flagged,
            funded_cents: p.funded_cents,
            allotment: p.allotment.code().to_owned(),
        })
        .collect();
    insert_batches!(conn, jury_results::table, &rows);
    Ok(())
}

fn placed_from_row(row: ResultRow) -> StoreResult<Placed> {
    let corrupt = || StoreError::Corrupt(format!("jury_results of {}", row.request_id));
    Ok(Placed {
        request: parse("jury_results.request_id", &row.request_id)?,
        rank: u32::try_from(row.place).map_err(|_| corrupt())?,
        score: row.score,
        normalised: row.normalised,
        sheets: u32::try_from(row.sheets).map_err(|_| corrupt())?,
        flagged: row.flagged,
        funded_cents: row.funded_cents,
        allotment: Allotment::from_code(&row.allotment).ok_or_else(corrupt)?,
    })
}

/// The validated ranking, first place first (empty until validated).
pub fn results(conn: &mut DbConnection, campaign: CampaignId) -> StoreResult<Vec<Placed>> {
    jury_results::table
        .filter(jury_results::campaign_id.eq(campaign.to_string()))
        .select(ResultRow::as_select())
        .order(jury_results::place)
        .load(conn)?
        .into_iter()
        .map(placed_from_row)
        .collect()
}

/// One request's line of the validated ranking.
pub fn result_of(conn: &mut DbConnection, request: RequestId) -> StoreResult<Option<Placed>> {
    jury_results::table
        .find(request.to_string())
        .select(ResultRow::as_select())
        .first(conn)
        .optional()?
        .map(placed_from_row)
        .transpose()
}
