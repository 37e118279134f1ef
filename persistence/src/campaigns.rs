//! Campaigns: their settings, status and the lists staff and associations read.

use crate::DbConnection;
use crate::connection::one_of;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::json;
use crate::schema::{campaigns, juries, jury_members, requests};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::DomainError;
use simpa_domain::campaign::{
    Campaign, CampaignSettings, CampaignStatus, CircuitKind, Eligibility, Nature, Sla,
};
use simpa_domain::ids::{AccountId, CampaignId, DistrictNumber};

#[derive(Queryable, Selectable)]
#[diesel(table_name = campaigns)]
struct Row {
    id: String,
    code: String,
    title: String,
    description: String,
    owner_direction_id: Option<String>,
    district_number: Option<i32>,
    nature: String,
    circuit: String,
    budget_year: i32,
    opens_at: NaiveDateTime,
    closes_at: Option<NaiveDateTime>,
    envelope_cents: Option<i64>,
    required_documents: String,
    eligible_districts: String,
    eligible_sectors: String,
    max_requested_cents: Option<i64>,
    min_association_age_months: Option<i32>,
    final_reports_required: bool,
    sla_admissibility_days: i32,
    sla_instruction_days: i32,
    status: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The columns the settings fill.
#[derive(Insertable, AsChangeset)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = campaigns, treat_none_as_null = true)]
struct SettingsColumns<'a> {
    code: &'a str,
    title: &'a str,
    description: &'a str,
    owner_direction_id: Option<String>,
    district_number: Option<i32>,
    nature: &'static str,
    circuit: &'static str,
    budget_year: i32,
    opens_at: NaiveDateTime,
    closes_at: Option<NaiveDateTime>,
    envelope_cents: Option<i64>,
    required_documents: String,
    eligible_districts: String,
    eligible_sectors: String,
    max_requested_cents: Option<i64>,
    min_association_age_months: Option<i32>,
    final_reports_required: bool,
    sla_admissibility_days: i32,
    sla_instruction_days: i32,
    updated_at: NaiveDateTime,
}

fn small(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn columns(s: &CampaignSettings, now: DateTime<Utc>) -> SettingsColumns<'_> {
    let districts: Vec<i32> = s.eligibility.districts.iter().map(|d| d.0).collect();
    SettingsColumns {
        code: &s.code,
        title: &s.title,
        description: &s.description,
        owner_direction_id: s.owner_direction.map(|d| d.to_string()),
        district_number: s.district.map(|d| d.0),
        nature: s.nature.code(),
        circuit: s.circuit.code(),
        budget_year: s.budget_year,
        opens_at: naive(s.opens_at),
        closes_at: s.closes_at.map(naive),
        envelope_cents: s.envelope_cents,
        required_documents: json::write(&s.required_documents),
        eligible_districts: json::write(&districts),
        eligible_sectors: json::write(&s.eligibility.sectors),
        max_requested_cents: s.eligibility.max_requested_cents,
        min_association_age_months: s.eligibility.min_association_age_months.map(small),
        final_reports_required: s.eligibility.final_reports_delivered,
        sla_admissibility_days: small(s.sla.admissibility_days),
        sla_instruction_days: small(s.sla.instruction_days),
        updated_at: naive(now),
    }
}

fn from_row(row: Row) -> StoreResult<Campaign> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("campaigns.{what} of {}", row.id));
    let unsigned = |what: &str, v: i32| u32::try_from(v).map_err(|_| corrupt(what));
    let districts: Vec<i32> = json::read("campaigns.eligible_districts", &row.eligible_districts)?;
    Ok(Campaign {
        id: parse("campaigns.id", &row.id)?,
        settings: CampaignSettings {
            owner_direction: row
                .owner_direction_id
                .as_deref()
                .map(|d| parse("campaigns.owner_direction_id", d))
                .transpose()?,
            district: row.district_number.map(DistrictNumber),
            nature: Nature::from_code(&row.nature).ok_or_else(|| corrupt("nature"))?,
            circuit: CircuitKind::from_code(&row.circuit).ok_or_else(|| corrupt("circuit"))?,
            budget_year: row.budget_year,
            opens_at: utc(row.opens_at),
            closes_at: row.closes_at.map(utc),
            envelope_cents: row.envelope_cents,
            required_documents: json::read(
                "campaigns.required_documents",
                &row.required_documents,
            )?,
            eligibility: Eligibility {
                districts: districts.into_iter().map(DistrictNumber).collect(),
                sectors: json::read("campaigns.eligible_sectors", &row.eligible_sectors)?,
                max_requested_cents: row.max_requested_cents,
                min_association_age_months: row
                    .min_association_age_months
                    .map(|m| unsigned("min_association_age_months", m))
                    .transpose()?,
                final_reports_delivered: row.final_reports_required,
            },
            sla: Sla {
                admissibility_days: unsigned("sla_admissibility_days", row.sla_admissibility_days)?,
                instruction_days: unsigned("sla_instruction_days", row.sla_instruction_days)?,
            },
            code: row.code,
            title: row.title,
            description: row.description,
        },
        status: CampaignStatus::from_code(&row.status).ok_or_else(|| corrupt("status"))?,
        version: row.version,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

/// Whether another campaign already uses this code.
pub fn code_taken(
    conn: &mut DbConnection,
    code: &str,
    except: Option<CampaignId>,
) -> StoreResult<bool> {
    let mut query = campaigns::table
        .filter(campaigns::code.eq(code))
        .select(campaigns::id)
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(campaigns::id.ne(except.to_string()));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

pub fn insert(
    conn: &mut DbConnection,
    id: CampaignId,
    settings: &CampaignSettings,
    created_by: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(campaigns::table)
        .values((
            campaigns::id.eq(id.to_string()),
            columns(settings, now),
            campaigns::status.eq(CampaignStatus::Draft.code()),
            campaigns::version.eq(1_i64),
            campaigns::created_by.eq(created_by.to_string()),
            campaigns::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: CampaignId) -> StoreResult<Option<Campaign>> {
    campaigns::table
        .find(id.to_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// The campaign, kept from changing until the transaction ends, while others that rely on it
/// (drafts started, submissions) go on at the same time: on PostgreSQL a shared row lock,
/// which an edit of the campaign waits for (and they for it); SQLite's writers already take
/// turns on the whole database.
pub fn get_shared(conn: &mut DbConnection, id: CampaignId) -> StoreResult<Option<Campaign>> {
    let DbConnection::Postgres(pg) = conn else {
        return get(conn, id);
    };
    campaigns::table
        .find(id.to_string())
        .select(Row::as_select())
        .for_share()
        .first(pg)
        .optional()?
        .map(from_row)
        .transpose()
}

/// The campaign, its row locked until the transaction ends (its status and rules cannot
/// change under a use case that relies on them).
pub fn get_locked(conn: &mut DbConnection, id: CampaignId) -> StoreResult<Option<Campaign>> {
    // SQLite's writers hold the database's write lock already (see `Db::write`).
    let DbConnection::Postgres(pg) = conn else {
        return get(conn, id);
    };
    campaigns::table
        .find(id.to_string())
        .select(Row::as_select())
        .for_update()
        .first(pg)
        .optional()?
        .map(from_row)
        .transpose()
}

fn stale_or_missing(conn: &mut DbConnection, id: CampaignId) -> StoreError {
    match get(conn, id) {
        Ok(Some(current)) => DomainError::StaleVersion {
            current: current.version,
        }
        .into(),
        Ok(None) => DomainError::NotFound { what: "campaign" }.into(),
        Err(e) => e,
    }
}

/// Replaces the settings if the stored version is still `expected`; returns the new version.
pub fn update(
    conn: &mut DbConnection,
    id: CampaignId,
    settings: &CampaignSettings,
    expected: i64,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let updated = diesel::update(
        campaigns::table
            .find(id.to_string())
            .filter(campaigns::version.eq(expected)),
    )
    .set((columns(settings, now), campaigns::version.eq(expected + 1)))
    .execute(conn)?;
    if updated == 0 {
        return Err(stale_or_missing(conn, id));
    }
    Ok(expected + 1)
}

/// Deletes a campaign in preparation, at `expected` version, with the jury set up for it (a
/// draft has no request, so no seat nor result).
pub fn delete_draft(conn: &mut DbConnection, id: CampaignId, expected: i64) -> StoreResult<()> {
    let key = id.to_string();
    diesel::delete(jury_members::table.filter(jury_members::campaign_id.eq(&key))).execute(conn)?;
    diesel::delete(juries::table.filter(juries::campaign_id.eq(&key))).execute(conn)?;
    let deleted = diesel::delete(
        campaigns::table
            .find(&key)
            .filter(campaigns::status.eq(CampaignStatus::Draft.code()))
            .filter(campaigns::version.eq(expected)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(stale_or_missing(conn, id));
    }
    Ok(())
}

pub fn set_status(
    conn: &mut DbConnection,
    id: CampaignId,
    status: CampaignStatus,
    expected: i64,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let updated = diesel::update(
        campaigns::table
            .find(id.to_string())
            .filter(campaigns::version.eq(expected)),
    )
    .set((
        campaigns::status.eq(status.code()),
        campaigns::version.eq(expected + 1),
        campaigns::updated_at.eq(naive(now)),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(stale_or_missing(conn, id));
    }
    Ok(expected + 1)
}

/// How many requests were submitted to the campaign, and how many started in it (drafts
/// included), in one query.
pub fn request_counts(conn: &mut DbConnection, id: CampaignId) -> StoreResult<(i64, i64)> {
    use diesel::dsl::{count, count_star};
    Ok(requests::table
        .filter(requests::campaign_id.eq(id.to_string()))
        .select((count(requests::submitted_at), count_star()))
        .get_result(conn)?)
}

/// Filters of the list of campaigns.
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    /// `None`: every status (staff only); callers who are not staff see published ones.
    pub statuses: Vec<CampaignStatus>,
    pub circuit: Option<CircuitKind>,
}

/// Campaigns, the latest opened first. There are a few dozen a year: one page holds them.
pub fn list(conn: &mut DbConnection, filter: &CampaignFilter) -> StoreResult<Vec<Campaign>> {
    let mut query = campaigns::table.select(Row::as_select()).into_boxed();
    if !filter.statuses.is_empty() {
        let codes: Vec<&str> = filter.statuses.iter().map(|s| s.code()).collect();
        query = query.filter(campaigns::status.eq_any(codes));
    }
    if let Some(circuit) = filter.circuit {
        query = query.filter(campaigns::circuit.eq(circuit.code()));
    }
    query
        .order((campaigns::opens_at.desc(), campaigns::id.desc()))
        .limit(1000)
        .load(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Many campaigns, in one query (none for no ids).
pub fn get_many(conn: &mut DbConnection, ids: &[CampaignId]) -> StoreResult<Vec<Campaign>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    campaigns::table
        .filter(one_of(campaigns::id, &ids))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}
