//! Agreements (conventions d'objectifs) and their signatures.

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::json;
use crate::schema::{agreements, grants};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use simpa_domain::agreement::{AgreementStatus, AgreementTerms, Cover, YearAmount};
use simpa_domain::funding::AgreementGate;
use simpa_domain::ids::{AccountId, AssociationId, RequestId};
use uuid::Uuid;

/// A signature: who signed, in which name, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub account: AccountId,
    pub name: String,
    pub at: DateTime<Utc>,
}

/// An agreement as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: Uuid,
    pub reference: String,
    pub association: AssociationId,
    pub terms: AgreementTerms,
    pub status: AgreementStatus,
    pub association_signature: Option<Signature>,
    pub city_signature: Option<Signature>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct YearJson {
    year: i32,
    cents: i64,
}

fn years_json(years: &[YearAmount]) -> String {
    json::write(
        &years
            .iter()
            .map(|y| YearJson {
                year: y.year,
                cents: y.cents,
            })
            .collect::<Vec<_>>(),
    )
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = agreements)]
struct Row {
    id: String,
    reference: String,
    association_id: String,
    object: String,
    years: String,
    payment_days: i32,
    status: String,
    association_signer_id: Option<String>,
    association_signer: Option<String>,
    association_signed_at: Option<NaiveDateTime>,
    city_signer_id: Option<String>,
    city_signer: Option<String>,
    city_signed_at: Option<NaiveDateTime>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn signature(
    column: &str,
    account: Option<String>,
    name: Option<String>,
    at: Option<NaiveDateTime>,
) -> StoreResult<Option<Signature>> {
    match (account, name, at) {
        (Some(account), Some(name), Some(at)) => Ok(Some(Signature {
            account: parse(column, &account)?,
            name,
            at: utc(at),
        })),
        _ => Ok(None),
    }
}

fn from_row(row: Row) -> StoreResult<Agreement> {
    let years: Vec<YearJson> = json::read("agreements.years", &row.years)?;
    Ok(Agreement {
        id: parse("agreements.id", &row.id)?,
        reference: row.reference,
        association: parse("agreements.association_id", &row.association_id)?,
        terms: AgreementTerms {
            object: row.object,
            years: years
                .into_iter()
                .map(|y| YearAmount {
                    year: y.year,
                    cents: y.cents,
                })
                .collect(),
            payment_days: u32::try_from(row.payment_days).map_err(|_| {
                StoreError::Corrupt(format!("agreements.payment_days of {}", row.id))
            })?,
        },
        status: AgreementStatus::from_code(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("agreements.status of {}", row.id)))?,
        association_signature: signature(
            "agreements.association_signer_id",
            row.association_signer_id,
            row.association_signer,
            row.association_signed_at,
        )?,
        city_signature: signature(
            "agreements.city_signer_id",
            row.city_signer_id,
            row.city_signer,
            row.city_signed_at,
        )?,
        version: row.version,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

/// A new agreement, drafted from the template.
#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = agreements)]
pub(crate) struct NewRow {
    id: String,
    reference: String,
    association_id: String,
    object: String,
    years: String,
    first_year: i32,
    last_year: i32,
    payment_days: i32,
    status: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl NewRow {
    pub(crate) fn drafted(
        id: Uuid,
        reference: String,
        association: AssociationId,
        terms: &AgreementTerms,
        now: DateTime<Utc>,
    ) -> NewRow {
        NewRow {
            id: id.to_string(),
            reference,
            association_id: association.to_string(),
            object: terms.object.clone(),
            years: years_json(&terms.years),
            first_year: terms.years.first().map_or(0, |y| y.year),
            last_year: terms.years.last().map_or(0, |y| y.year),
            payment_days: terms.payment_days as i32,
            status: AgreementStatus::Drafted.code().to_owned(),
            version: 1,
            created_at: naive(now),
            updated_at: naive(now),
        }
    }
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> StoreResult<Option<Agreement>> {
    agreements::table
        .find(id.to_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// The agreement, its row locked until the transaction ends: edits and signatures take turns.
pub fn get_locked(conn: &mut DbConnection, id: Uuid) -> StoreResult<Option<Agreement>> {
    // SQLite's writers hold the database's write lock already (see `Db::write`).
    if let DbConnection::Postgres(_) = conn {
        diesel::update(agreements::table.find(id.to_string()))
            .set(agreements::version.eq(agreements::version))
            .execute(conn)?;
    }
    get(conn, id)
}

/// Agreements in one status, the oldest first (the bureau's signatures to give).
pub fn in_status(
    conn: &mut DbConnection,
    status: AgreementStatus,
    limit: i64,
) -> StoreResult<Vec<Agreement>> {
    agreements::table
        .filter(agreements::status.eq(status.code()))
        .order((agreements::created_at, agreements::id))
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The requests whose grants the agreement covers, the first year's first.
pub fn grants_covered(conn: &mut DbConnection, id: Uuid) -> StoreResult<Vec<RequestId>> {
    grants::table
        .filter(grants::agreement_id.eq(id.to_string()))
        .order((grants::year, grants::request_id))
        .select(grants::request_id)
        .load::<String>(conn)?
        .iter()
        .map(|r| parse("grants.request_id", r))
        .collect()
}

/// Of these agreements, those signed by both parties, with what their signature lets the city
/// pay.
pub fn signed_gates(
    conn: &mut DbConnection,
    ids: &[Uuid],
) -> StoreResult<Vec<(Uuid, AgreementGate)>> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut signed = Vec::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, i32, Option<NaiveDateTime>)> = agreements::table
            .filter(agreements::id.eq_any(chunk))
            .filter(agreements::status.eq(AgreementStatus::Signed.code()))
            .select((
                agreements::id,
                agreements::payment_days,
                agreements::city_signed_at,
            ))
            .load(conn)?;
        for (id, days, at) in rows {
            if let Some(at) = at {
                signed.push((
                    parse("agreements.id", &id)?,
                    AgreementGate::Signed {
                        on: at.date(),
                        payment_days: days as u32,
                    },
                ));
            }
        }
    }
    Ok(signed)
}

/// The agreements of these associations still running in or after `year`, with the years
/// their grants already use: what a vote's new grants are matched against.
pub fn covers_of(
    conn: &mut DbConnection,
    associations: &[AssociationId],
    year: i32,
) -> StoreResult<Vec<(AssociationId, Cover<Uuid>)>> {
    let mut covers = Vec::new();
    for chunk in associations.chunks(500) {
        let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let rows: Vec<Row> = agreements::table
            .filter(agreements::association_id.eq_any(&keys))
            .filter(agreements::last_year.ge(year))
            .select(Row::as_select())
            .load(conn)?;
        if rows.is_empty() {
            continue;
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let used: Vec<(Option<String>, i32)> = grants::table
            .filter(grants::agreement_id.eq_any(&ids))
            .select((grants::agreement_id, grants::year))
            .load(conn)?;
        for row in rows {
            let id = row.id.clone();
            let agreement = from_row(row)?;
            covers.push((
                agreement.association,
                Cover {
                    id: agreement.id,
                    years: agreement.terms.years,
                    used: used
                        .iter()
                        .filter(|(a, _)| a.as_deref() == Some(id.as_str()))
                        .map(|(_, y)| *y)
                        .collect(),
                },
            ));
        }
    }
    Ok(covers)
}

/// Writes new terms (the agreement is drafted and locked).
pub fn update_terms(
    conn: &mut DbConnection,
    id: Uuid,
    terms: &AgreementTerms,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(agreements::table.find(id.to_string()))
        .set((
            agreements::object.eq(&terms.object),
            agreements::years.eq(years_json(&terms.years)),
            agreements::first_year.eq(terms.years.first().map_or(0, |y| y.year)),
            agreements::last_year.eq(terms.years.last().map_or(0, |y| y.year)),
            agreements::payment_days.eq(terms.payment_days as i32),
            agreements::version.eq(agreements::version + 1),
            agreements::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which side signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Association,
    City,
}

/// Records a signature and the status it leads to (the agreement is locked).
pub fn sign(
    conn: &mut DbConnection,
    id: Uuid,
    side: Side,
    signature: &Signature,
    status: AgreementStatus,
) -> StoreResult<()> {
    let target = agreements::table.find(id.to_string());
    let (account, name, at) = (
        Some(signature.account.to_string()),
        Some(signature.name.clone()),
        Some(naive(signature.at)),
    );
    let common = (
        agreements::status.eq(status.code()),
        agreements::version.eq(agreements::version + 1),
        agreements::updated_at.eq(naive(signature.at)),
    );
    match side {
        Side::Association => diesel::update(target)
            .set((
                agreements::association_signer_id.eq(account),
                agreements::association_signer.eq(name),
                agreements::association_signed_at.eq(at),
                common,
            ))
            .execute(conn)?,
        Side::City => diesel::update(target)
            .set((
                agreements::city_signer_id.eq(account),
                agreements::city_signer.eq(name),
                agreements::city_signed_at.eq(at),
                common,
            ))
            .execute(conn)?,
    };
    Ok(())
}
