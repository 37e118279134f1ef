//! What the open data of subsidies publishes, read a batch at a time in the order of the
//! requests' numbers, so that an export streams: each batch starts after the last number of
//! the one before.

use crate::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::schema::{
    agreements, associations, campaigns, deliberations, grants, installments, payments, requests,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use simpa_domain::campaign::Nature;
use simpa_domain::funding::{AgreementGate, GrantMoney, Installment, InstallmentDue};
use simpa_domain::open_data::{ParisRow, PublishedGrant, publication_required};
use simpa_domain::request::RequestState;
use std::collections::{HashMap, HashSet};

/// Which grants an export publishes.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrantFilter {
    /// The budget year.
    pub year: Option<i32>,
    /// Only the grants the law requires to publish (`open_data::publication_required`):
    /// above 23,000 €, alone or with the association's grants within twelve months of them.
    pub legal_only: bool,
}

type GrantRow = (
    (String, Option<String>, String, String),
    (String, Option<String>, Option<String>, String),
    (
        i64,
        NaiveDate,
        NaiveDate,
        NaiveDate,
        i64,
        Option<NaiveDate>,
        i64,
    ),
    Option<String>,
    (Option<String>, Option<NaiveDateTime>, Option<i32>),
);

/// Rows read in the order of their requests' numbers.
#[derive(Debug, Clone)]
pub struct Batch<T> {
    /// Those the filter keeps.
    pub items: Vec<T>,
    /// The number the next batch starts after; `None` once the last was read.
    pub next: Option<String>,
}

impl<T> Batch<T> {
    /// The same batch, each item turned into another or left out.
    pub fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Batch<U> {
        Batch {
            items: self.items.into_iter().filter_map(f).collect(),
            next: self.next,
        }
    }
}

/// The numbers of the next `limit` requests in one of `states` (of a campaign of `year`)
/// after the one numbered `after`, in order: a range of the numbers' index, which both
/// databases walk and stop, before the rows are read by their numbers.
fn numbered_after(
    conn: &mut DbConnection,
    states: &[&str],
    year: Option<i32>,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<String>> {
    // `state || ''` keeps SQLite from reading by state (every granted request's row, then
    // sorting them by number, at each page): it walks `requests_numbered` from `after`.
    let mut query = requests::table
        .filter(requests::number.is_not_null())
        .filter(requests::state.concat("").eq_any(states))
        .into_boxed();
    if let Some(year) = year {
        query = query.filter(
            requests::campaign_id.eq_any(
                campaigns::table
                    .filter(campaigns::budget_year.eq(year))
                    .select(campaigns::id),
            ),
        );
    }
    if let Some(after) = after {
        query = query.filter(requests::number.gt(after.to_owned()));
    }
    Ok(query
        .order(requests::number)
        .limit(limit as i64)
        .select(requests::number.assume_not_null())
        .load(conn)?)
}

/// Where the batch after `limit` rows read, the last numbered `last`, starts.
fn next_after(read: usize, limit: usize, last: Option<&String>) -> Option<String> {
    last.filter(|_| read == limit).cloned()
}

/// The grants among the next `limit` after the request numbered `after`, in the order of
/// numbers. Grants whose agreement the city has not signed yet wait: their agreement has no
/// date.
pub fn grants_after(
    conn: &mut DbConnection,
    filter: GrantFilter,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Batch<PublishedGrant>> {
    let granted = [RequestState::Granted.code(), RequestState::Closed.code()];
    let page = numbered_after(conn, &granted, filter.year, after, limit)?;
    let next = next_after(page.len(), limit, page.last());
    let query = grants::table
        .inner_join(requests::table.inner_join(associations::table))
        .inner_join(deliberations::table)
        .left_join(agreements::table)
        .filter(requests::number.eq_any(&page))
        .filter(
            grants::agreement_id
                .is_null()
                .or(agreements::status.eq("signed")),
        );
    let rows: Vec<GrantRow> = query
        .order(requests::number)
        .select((
            (
                grants::request_id,
                requests::number,
                requests::title,
                associations::name,
            ),
            (
                associations::id,
                associations::siret,
                associations::rna,
                deliberations::reference,
            ),
            (
                grants::cents,
                grants::voted_on,
                grants::notified_on,
                grants::final_report_due_on,
                grants::paid_cents,
                grants::report_accepted_on,
                grants::claimed_cents,
            ),
            grants::agreement_id,
            (
                agreements::status.nullable(),
                agreements::city_signed_at.nullable(),
                agreements::payment_days.nullable(),
            ),
        ))
        .load(conn)?;
    let required = if filter.legal_only {
        let associations: Vec<&String> = rows.iter().map(|(_, (a, ..), ..)| a).collect();
        Some(required_by_law(conn, &associations)?)
    } else {
        None
    };
    let rows: Vec<GrantRow> = rows
        .into_iter()
        .filter(|((id, ..), ..)| required.as_ref().is_none_or(|r| r.contains(id)))
        .collect();
    let ids: Vec<&String> = rows.iter().map(|((id, ..), ..)| id).collect();
    let mut schedules = installments_of(conn, &ids)?;
    let paid = payment_dates_of(conn, &ids)?;
    let grants = rows
        .into_iter()
        .map(|row| {
            let (
                (id, number, title, association_name),
                (_, siret, rna, reference),
                money,
                agreement,
                signed,
            ) = row;
            let (cents, voted_on, notified_on, final_report_due_on, paid_cents, accepted, claimed) =
                money;
            let (status, city_signed_at, days) = signed;
            let agreement = AgreementGate::of(agreement.map(|_| {
                let signed = city_signed_at.filter(|_| status.as_deref() == Some("signed"));
                (
                    signed.map(|at| at.date()),
                    u32::try_from(days.unwrap_or(0)).unwrap_or(0),
                )
            }));
            Ok(PublishedGrant {
                number: number.ok_or_else(|| {
                    StoreError::Corrupt(format!("granted request {id} has no number"))
                })?,
                title,
                association_name,
                siret,
                rna,
                deliberation_reference: reference,
                voted_on,
                final_report_due_on,
                paid: paid.get(&id).copied(),
                money: GrantMoney {
                    granted_cents: cents,
                    paid_cents,
                    installments: schedules.remove(&id).unwrap_or_default(),
                    agreement,
                    notified_on,
                    report_accepted_on: accepted,
                    claimed_cents: claimed,
                },
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Batch {
        items: grants,
        next,
    })
}

/// The grants of these associations the law requires to publish, by request id.
fn required_by_law(
    conn: &mut DbConnection,
    associations: &[&String],
) -> StoreResult<HashSet<String>> {
    let mut of_association: HashMap<String, Vec<(String, NaiveDate, i64)>> = HashMap::new();
    for (association, request, on, cents) in grants::table
        .filter(grants::association_id.eq_any(associations))
        .select((
            grants::association_id,
            grants::request_id,
            grants::voted_on,
            grants::cents,
        ))
        .load::<(String, String, NaiveDate, i64)>(conn)?
    {
        of_association
            .entry(association)
            .or_default()
            .push((request, on, cents));
    }
    let mut required = HashSet::new();
    for grants in of_association.values() {
        for (request, on, cents) in grants {
            let others: Vec<(NaiveDate, i64)> = grants
                .iter()
                .filter(|(other, ..)| other != request)
                .map(|(_, on, cents)| (*on, *cents))
                .collect();
            if publication_required(*on, *cents, &others) {
                required.insert(request.clone());
            }
        }
    }
    Ok(required)
}

fn installments_of(
    conn: &mut DbConnection,
    ids: &[&String],
) -> StoreResult<HashMap<String, Vec<Installment>>> {
    let rows: Vec<(String, i64, String)> = installments::table
        .filter(installments::request_id.eq_any(ids))
        .order((installments::request_id, installments::position))
        .select((
            installments::request_id,
            installments::cents,
            installments::due,
        ))
        .load(conn)?;
    let mut schedules: HashMap<String, Vec<Installment>> = HashMap::new();
    for (id, cents, due) in rows {
        let due = InstallmentDue::from_code(&due)
            .ok_or_else(|| StoreError::Corrupt(format!("installments.due {due}")))?;
        schedules
            .entry(id)
            .or_default()
            .push(Installment { cents, due });
    }
    Ok(schedules)
}

fn payment_dates_of(
    conn: &mut DbConnection,
    ids: &[&String],
) -> StoreResult<HashMap<String, (NaiveDate, NaiveDate)>> {
    let rows: Vec<(String, NaiveDate)> = payments::table
        .filter(payments::request_id.eq_any(ids))
        .select((payments::request_id, payments::paid_on))
        .load(conn)?;
    let mut dates: HashMap<String, (NaiveDate, NaiveDate)> = HashMap::new();
    for (id, on) in rows {
        let range = dates.entry(id).or_insert((on, on));
        range.0 = range.0.min(on);
        range.1 = range.1.max(on);
    }
    Ok(dates)
}

type DecidedRow = (
    (String, Option<String>, String, String),
    (i32, Option<String>, Option<String>, String),
    (String, Option<i64>),
);

/// The next `limit` requests decided after the one numbered `after`, in the order of
/// numbers, as Paris's dataset "subventions associations votées" lists them for
/// `collectivity`: granted, and refused (`state` rejected, 0 voted) when `refused` says so.
pub fn decided_after(
    conn: &mut DbConnection,
    collectivity: &str,
    year: Option<i32>,
    refused: bool,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Batch<ParisRow>> {
    let mut decided = vec![RequestState::Granted.code(), RequestState::Closed.code()];
    if refused {
        decided.push(RequestState::Rejected.code());
    }
    let page = numbered_after(conn, &decided, year, after, limit)?;
    let next = next_after(page.len(), limit, page.last());
    let query = requests::table
        .inner_join(campaigns::table)
        .inner_join(associations::table)
        .left_join(grants::table)
        .filter(requests::number.eq_any(&page));
    let rows: Vec<DecidedRow> = query
        .order(requests::number)
        .select((
            (
                requests::id,
                requests::number,
                requests::title,
                requests::nature,
            ),
            (
                campaigns::budget_year,
                campaigns::owner_direction_id,
                associations::siret,
                associations::name,
            ),
            (associations::id, grants::cents.nullable()),
        ))
        .load(conn)?;
    let owners: Vec<(&String, Option<&String>)> = rows
        .iter()
        .map(|((id, ..), (_, owner, ..), _)| (id, owner.as_ref()))
        .collect();
    let directions = crate::requests::direction_codes_of(conn, &owners)?;
    let associations: Vec<String> = rows.iter().map(|(_, _, (a, _))| a.clone()).collect();
    let sectors_of = crate::associations::sector_labels(conn, &associations)?;
    let items = rows
        .into_iter()
        .map(|row| {
            let ((id, number, title, nature), (year, _, siret, name), (association, cents)) = row;
            Ok(ParisRow {
                number: number
                    .ok_or_else(|| StoreError::Corrupt(format!("request {id} has no number")))?,
                budget_year: year,
                collectivity: collectivity.to_owned(),
                beneficiary_name: name,
                siret,
                object: title,
                voted_cents: cents.unwrap_or(0),
                direction: directions.get(&id).cloned().unwrap_or_default(),
                nature: Nature::from_code(&nature)
                    .ok_or_else(|| StoreError::Corrupt(format!("requests.nature {nature}")))?
                    .label(),
                sectors: sectors_of.get(&association).cloned().unwrap_or_default(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Batch { items, next })
}
