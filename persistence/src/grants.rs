//! Grants: what a vote gave each request, its payment schedule and the payments made.

use crate::DbConnection;
use crate::agreements::{self, NewRow as NewAgreement};
use crate::connection::insert_batches;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, Page, ordered_after};
use crate::schema::{agreements as agreements_table, campaigns, deliberation_lines, grants};
use crate::schema::{final_reports, installments, payments, repayments, requests};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::agreement::AgreementTerms;
use simpa_domain::final_report::ReportStatus;
use simpa_domain::funding::{AgreementGate, GrantMoney, Installment, InstallmentDue};
use simpa_domain::ids::{AccountId, AssociationId, CampaignId, DistrictNumber, RequestId};
use simpa_domain::listing::PaymentOrder;
use uuid::Uuid;

/// A grant as stored, with its schedule and payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub request: RequestId,
    pub association: AssociationId,
    pub deliberation: Uuid,
    pub cents: i64,
    pub year: i32,
    pub voted_on: NaiveDate,
    pub notified_on: NaiveDate,
    pub agreement: Option<Uuid>,
    pub final_report_due_on: NaiveDate,
    pub paid_cents: i64,
    pub report_accepted_on: Option<NaiveDate>,
    /// What repayment orders claimed back.
    pub claimed_cents: i64,
    pub installments: Vec<Installment>,
    pub payments: Vec<Payment>,
    pub version: i64,
}

/// A payment order recorded by finance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: Uuid,
    pub cents: i64,
    pub paid_on: NaiveDate,
    pub reference: String,
    pub recorded_at: DateTime<Utc>,
}

impl Grant {
    /// Where its money stands, given what its agreement allows (as read by the caller).
    pub fn money(&self, agreement: AgreementGate) -> GrantMoney {
        GrantMoney {
            granted_cents: self.cents,
            paid_cents: self.paid_cents,
            installments: self.installments.clone(),
            agreement,
            notified_on: self.notified_on,
            report_accepted_on: self.report_accepted_on,
            claimed_cents: self.claimed_cents,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = grants)]
struct Row {
    request_id: String,
    association_id: String,
    deliberation_id: String,
    cents: i64,
    year: i32,
    voted_on: NaiveDate,
    notified_on: NaiveDate,
    agreement_id: Option<String>,
    final_report_due_on: NaiveDate,
    paid_cents: i64,
    report_accepted_on: Option<NaiveDate>,
    claimed_cents: i64,
    version: i64,
}

/// The grant of a request, if it was granted.
pub fn get(conn: &mut DbConnection, request: RequestId) -> StoreResult<Option<Grant>> {
    let Some(row) = grants::table
        .find(request.to_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let installments = installments::table
        .filter(installments::request_id.eq(&row.request_id))
        .order(installments::position)
        .select((installments::cents, installments::due))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(cents, due)| {
            Ok(Installment {
                cents,
                due: InstallmentDue::from_code(&due)
                    .ok_or_else(|| StoreError::Corrupt(format!("installments.due {due}")))?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let payments = payments::table
        .filter(payments::request_id.eq(&row.request_id))
        .order((payments::paid_on, payments::recorded_at, payments::id))
        .select((
            payments::id,
            payments::cents,
            payments::paid_on,
            payments::reference,
            payments::recorded_at,
        ))
        .load::<(String, i64, NaiveDate, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, cents, paid_on, reference, recorded_at)| {
            Ok(Payment {
                id: parse("payments.id", &id)?,
                cents,
                paid_on,
                reference,
                recorded_at: utc(recorded_at),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(Grant {
        request: parse("grants.request_id", &row.request_id)?,
        association: parse("grants.association_id", &row.association_id)?,
        deliberation: parse("grants.deliberation_id", &row.deliberation_id)?,
        cents: row.cents,
        year: row.year,
        voted_on: row.voted_on,
        notified_on: row.notified_on,
        agreement: row
            .agreement_id
            .as_deref()
            .map(|a| parse("grants.agreement_id", a))
            .transpose()?,
        final_report_due_on: row.final_report_due_on,
        paid_cents: row.paid_cents,
        report_accepted_on: row.report_accepted_on,
        claimed_cents: row.claimed_cents,
        installments,
        payments,
        version: row.version,
    }))
}

/// The grant, its row locked until the transaction ends: payments and schedules take turns.
pub fn get_locked(conn: &mut DbConnection, request: RequestId) -> StoreResult<Option<Grant>> {
    // SQLite's writers hold the database's write lock already (see `Db::write`).
    if let DbConnection::Postgres(_) = conn {
        diesel::update(grants::table.find(request.to_string()))
            .set(grants::version.eq(grants::version))
            .execute(conn)?;
    }
    get(conn, request)
}

/// Keeps what the worklist reads in step with the grant's money.
fn refresh(
    conn: &mut DbConnection,
    request: RequestId,
    money: &GrantMoney,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(grants::table.find(request.to_string()))
        .set((
            grants::paid_cents.eq(money.paid_cents),
            grants::payable_cents.eq(money.payable_cents()),
            grants::due_on.eq(money.due_on()),
            grants::version.eq(grants::version + 1),
            grants::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    crate::indicators::refresh(conn, &[request.to_string()])
}

/// Refreshes every grant an agreement covers (locked in turn), once its signatures changed
/// what they owe.
pub fn refresh_covered(
    conn: &mut DbConnection,
    agreement: Uuid,
    gate: AgreementGate,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for request in agreements::grants_covered(conn, agreement)? {
        if let Some(grant) = get_locked(conn, request)? {
            refresh(conn, request, &grant.money(gate), now)?;
        }
    }
    Ok(())
}

/// The grants an agreement covers, the first year's first: the first is the one its text
/// prints.
pub fn of_agreement(conn: &mut DbConnection, agreement: Uuid) -> StoreResult<Vec<Grant>> {
    let mut covered = Vec::new();
    for request in agreements::grants_covered(conn, agreement)? {
        covered.extend(get(conn, request)?);
    }
    Ok(covered)
}

/// Whether a payment of this grant already bears this payment order's number (a retried
/// order is not paid twice).
pub fn payment_reference_taken(
    conn: &mut DbConnection,
    request: RequestId,
    reference: &str,
) -> StoreResult<bool> {
    Ok(payments::table
        .filter(payments::request_id.eq(request.to_string()))
        .filter(payments::reference.eq(reference))
        .select(payments::id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = installments)]
struct NewInstallment {
    request_id: String,
    position: i32,
    cents: i64,
    due: &'static str,
}

fn installment_rows(request: RequestId, schedule: &[Installment]) -> Vec<NewInstallment> {
    schedule
        .iter()
        .enumerate()
        .map(|(i, installment)| NewInstallment {
            request_id: request.to_string(),
            position: i as i32 + 1,
            cents: installment.cents,
            due: installment.due.code(),
        })
        .collect()
}

/// Replaces the schedule (checked by the caller, the grant locked).
pub fn set_schedule(
    conn: &mut DbConnection,
    grant: &Grant,
    money: &GrantMoney,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(
        installments::table.filter(installments::request_id.eq(grant.request.to_string())),
    )
    .execute(conn)?;
    let rows = installment_rows(grant.request, &money.installments);
    insert_batches!(conn, installments::table, &rows);
    refresh(conn, grant.request, money, now)
}

/// A payment order to record.
pub struct NewPayment {
    pub cents: i64,
    pub paid_on: NaiveDate,
    pub reference: String,
    pub recorded_by: AccountId,
}

/// Records a payment (checked by the caller against `money`, the grant locked) and what it
/// leaves owed.
pub fn record_payment(
    conn: &mut DbConnection,
    request: RequestId,
    payment: &NewPayment,
    after: &GrantMoney,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    crate::connection::on_each_backend!(&mut *conn, c => {
        diesel::insert_into(payments::table)
            .values((
                payments::id.eq(id.to_string()),
                payments::request_id.eq(request.to_string()),
                payments::cents.eq(payment.cents),
                payments::paid_on.eq(payment.paid_on),
                payments::reference.eq(&payment.reference),
                payments::recorded_by.eq(payment.recorded_by.to_string()),
                payments::recorded_at.eq(naive(now)),
            ))
            .execute(c)
    })?;
    refresh(conn, request, after, now)?;
    Ok(id)
}

/// A line a council granted (voted above 0), with what opening its grant needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedLine {
    pub request: RequestId,
    pub association: AssociationId,
    /// Its number (what a new agreement is referenced by).
    pub number: Option<String>,
    pub title: String,
    pub cents: i64,
    /// Its campaign's budget year.
    pub year: i32,
}

/// The lines a deliberation granted, in the order of their numbers.
pub fn granted_lines(conn: &mut DbConnection, deliberation: Uuid) -> StoreResult<Vec<GrantedLine>> {
    let rows: Vec<(String, String, Option<String>, String, i64, i32)> = deliberation_lines::table
        .inner_join(requests::table.inner_join(campaigns::table))
        .filter(deliberation_lines::deliberation_id.eq(deliberation.to_string()))
        .filter(deliberation_lines::voted_cents.gt(0))
        .order(requests::number)
        .select((
            requests::id,
            requests::association_id,
            requests::number,
            requests::title,
            deliberation_lines::voted_cents.assume_not_null(),
            campaigns::budget_year,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(request, association, number, title, cents, year)| {
            Ok(GrantedLine {
                request: parse("requests.id", &request)?,
                association: parse("requests.association_id", &association)?,
                number,
                title,
                cents,
                year,
            })
        })
        .collect()
}

/// The grants of these associations voted after `after`: (association, voted on, cents).
pub fn voted_after(
    conn: &mut DbConnection,
    associations: &[AssociationId],
    after: NaiveDate,
) -> StoreResult<Vec<(AssociationId, NaiveDate, i64)>> {
    let mut voted = Vec::new();
    for chunk in associations.chunks(500) {
        let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let rows: Vec<(String, NaiveDate, i64)> = grants::table
            .filter(grants::association_id.eq_any(&keys))
            .filter(grants::voted_on.gt(after))
            .select((grants::association_id, grants::voted_on, grants::cents))
            .load(conn)?;
        for (association, on, cents) in rows {
            voted.push((parse("grants.association_id", &association)?, on, cents));
        }
    }
    Ok(voted)
}

/// A grant a vote opened, to store.
pub struct OpenedGrant {
    pub request: RequestId,
    pub association: AssociationId,
    pub deliberation: Uuid,
    pub year: i32,
    pub voted_on: NaiveDate,
    pub agreement: Option<Uuid>,
    pub money: GrantMoney,
    pub final_report_due_on: NaiveDate,
}

/// An agreement drawn up for a grant a vote opened, to store.
pub struct DraftedAgreement {
    pub id: Uuid,
    pub reference: String,
    pub association: AssociationId,
    pub terms: AgreementTerms,
}

/// Stores what a vote opened: the agreements drawn up, the grants and their schedules, a few
/// statements per table whatever their number.
pub fn insert_opened(
    conn: &mut DbConnection,
    agreements: &[DraftedAgreement],
    opened: &[OpenedGrant],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    #[derive(Insertable)]
    #[diesel(treat_none_as_default_value = false)]
    #[diesel(table_name = grants)]
    struct NewGrant {
        request_id: String,
        association_id: String,
        deliberation_id: String,
        cents: i64,
        year: i32,
        voted_on: NaiveDate,
        notified_on: NaiveDate,
        agreement_id: Option<String>,
        final_report_due_on: NaiveDate,
        paid_cents: i64,
        payable_cents: i64,
        due_on: Option<NaiveDate>,
        version: i64,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    let new_agreements: Vec<NewAgreement> = agreements
        .iter()
        .map(|a| NewAgreement::drafted(a.id, a.reference.clone(), a.association, &a.terms, now))
        .collect();
    let new_grants: Vec<NewGrant> = opened
        .iter()
        .map(|g| NewGrant {
            request_id: g.request.to_string(),
            association_id: g.association.to_string(),
            deliberation_id: g.deliberation.to_string(),
            cents: g.money.granted_cents,
            year: g.year,
            voted_on: g.voted_on,
            notified_on: g.money.notified_on,
            agreement_id: g.agreement.map(|a| a.to_string()),
            final_report_due_on: g.final_report_due_on,
            paid_cents: g.money.paid_cents,
            payable_cents: g.money.payable_cents(),
            due_on: g.money.due_on(),
            version: 1,
            created_at: naive(now),
            updated_at: naive(now),
        })
        .collect();
    let new_installments: Vec<NewInstallment> = opened
        .iter()
        .flat_map(|g| installment_rows(g.request, &g.money.installments))
        .collect();
    insert_batches!(conn, agreements_table::table, &new_agreements);
    insert_batches!(conn, grants::table, &new_grants);
    insert_batches!(conn, installments::table, &new_installments);
    let granted: Vec<String> = opened.iter().map(|g| g.request.to_string()).collect();
    crate::indicators::refresh(conn, &granted)
}

/// A line of the worklist of payments due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub request: RequestId,
    pub number: Option<String>,
    pub association: AssociationId,
    pub association_name: String,
    pub cents: i64,
    pub paid_cents: i64,
    pub payable_cents: i64,
    pub due_on: NaiveDate,
}

/// What narrows and orders the payments due.
#[derive(Debug, Clone, Default)]
pub struct DueFilter {
    /// Only those due before this day (the overdue ones).
    pub due_before: Option<NaiveDate>,
    /// Due from and up to these days.
    pub due_from: Option<NaiveDate>,
    pub due_until: Option<NaiveDate>,
    pub campaign: Option<CampaignId>,
    /// The associations headquartered in this district.
    pub district: Option<DistrictNumber>,
    pub order: PaymentOrder,
}

/// Grants with money owed now, as `filter` narrows and orders them, a page after `after`.
pub fn due(
    conn: &mut DbConnection,
    filter: &DueFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Due>> {
    use crate::schema::associations;
    let mut query = grants::table
        .inner_join(requests::table)
        .inner_join(associations::table.on(associations::id.eq(grants::association_id)))
        .filter(grants::due_on.is_not_null())
        .into_boxed();
    if let Some(before) = filter.due_before {
        query = query.filter(grants::due_on.lt(before));
    }
    if let Some(from) = filter.due_from {
        query = query.filter(grants::due_on.ge(from));
    }
    if let Some(until) = filter.due_until {
        query = query.filter(grants::due_on.le(until));
    }
    if let Some(campaign) = filter.campaign {
        query = query.filter(requests::campaign_id.eq(campaign.to_string()));
    }
    if let Some(district) = filter.district {
        query = query.filter(associations::district_number.eq(district.0));
    }
    let id = grants::request_id;
    let query = match filter.order {
        PaymentOrder::Soonest => ordered_after!(query, after, id, grants::due_on, day, asc, gt),
        PaymentOrder::LargestGrant => {
            ordered_after!(query, after, id, grants::cents, number, desc, lt)
        }
    };
    #[derive(Queryable)]
    struct DueRow {
        request_id: String,
        number: Option<String>,
        association_id: String,
        name: String,
        cents: i64,
        paid_cents: i64,
        payable_cents: i64,
        due_on: Option<NaiveDate>,
    }
    let rows: Vec<DueRow> = query
        .limit(limit as i64 + 1)
        .select((
            grants::request_id,
            requests::number,
            grants::association_id,
            associations::name,
            grants::cents,
            grants::paid_cents,
            grants::payable_cents,
            grants::due_on,
        ))
        .load(conn)?;
    let rows = rows
        .into_iter()
        .map(|row| {
            Ok(Due {
                request: parse("grants.request_id", &row.request_id)?,
                number: row.number,
                association: parse("grants.association_id", &row.association_id)?,
                association_name: row.name,
                cents: row.cents,
                paid_cents: row.paid_cents,
                payable_cents: row.payable_cents,
                due_on: row.due_on.unwrap_or_default(),
            })
        })
        .collect::<StoreResult<Vec<Due>>>()?;
    Ok(Page::from_rows(rows, limit, |d| match filter.order {
        PaymentOrder::Soonest => Keyset::at_day(d.due_on, &d.request.to_string()),
        PaymentOrder::LargestGrant => Keyset::at_number(d.cents, &d.request.to_string()),
    }))
}

/// The grants nothing was paid of yet, by request id.
pub fn unpaid(conn: &mut DbConnection) -> StoreResult<Vec<RequestId>> {
    grants::table
        .filter(grants::paid_cents.eq(0))
        .order(grants::request_id)
        .select(grants::request_id)
        .load::<String>(conn)?
        .iter()
        .map(|r| parse("grants.request_id", r))
        .collect()
}

/// Records that the final report was accepted on `on`: the balance becomes payable.
pub fn accept_report(
    conn: &mut DbConnection,
    grant: &Grant,
    money: &GrantMoney,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<GrantMoney> {
    diesel::update(grants::table.find(grant.request.to_string()))
        .set(grants::report_accepted_on.eq(on))
        .execute(conn)?;
    let after = GrantMoney {
        report_accepted_on: Some(on),
        ..money.clone()
    };
    refresh(conn, grant.request, &after, now)?;
    Ok(after)
}

/// A repayment order and its settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repayment {
    pub id: Uuid,
    pub request: RequestId,
    pub cents: i64,
    pub reason: String,
    pub breach_on: Option<NaiveDate>,
    pub ordered_by: String,
    pub ordered_at: DateTime<Utc>,
    pub settled_on: Option<NaiveDate>,
    pub settled_by: Option<String>,
}

type RepaymentRow = (
    String,
    String,
    i64,
    String,
    Option<NaiveDate>,
    String,
    NaiveDateTime,
    Option<NaiveDate>,
    Option<String>,
);

const REPAYMENT_COLUMNS: (
    repayments::id,
    repayments::request_id,
    repayments::cents,
    repayments::reason,
    repayments::breach_on,
    repayments::ordered_by,
    repayments::ordered_at,
    repayments::settled_on,
    repayments::settled_by,
) = (
    repayments::id,
    repayments::request_id,
    repayments::cents,
    repayments::reason,
    repayments::breach_on,
    repayments::ordered_by,
    repayments::ordered_at,
    repayments::settled_on,
    repayments::settled_by,
);

fn repayment_from_row(row: RepaymentRow) -> StoreResult<Repayment> {
    let (id, request, cents, reason, breach_on, ordered_by, ordered_at, settled_on, settled_by) =
        row;
    Ok(Repayment {
        id: parse("repayments.id", &id)?,
        request: parse("repayments.request_id", &request)?,
        cents,
        reason,
        breach_on,
        ordered_by,
        ordered_at: utc(ordered_at),
        settled_on,
        settled_by,
    })
}

/// The repayment orders of a grant, the first first.
pub fn repayments_of(conn: &mut DbConnection, request: RequestId) -> StoreResult<Vec<Repayment>> {
    repayments::table
        .filter(repayments::request_id.eq(request.to_string()))
        .order((repayments::ordered_at, repayments::id))
        .select(REPAYMENT_COLUMNS)
        .load::<RepaymentRow>(conn)?
        .into_iter()
        .map(repayment_from_row)
        .collect()
}

/// A grant as finance's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub request: RequestId,
    pub number: Option<String>,
    pub association: AssociationId,
    pub association_name: String,
    pub cents: i64,
    pub paid_cents: i64,
    pub voted_on: NaiveDate,
    pub year: i32,
}

/// The grants, by request number, a page after `after` (a number): of `year` only, and with
/// `unpaid`, only those with money left to pay.
pub fn listed(
    conn: &mut DbConnection,
    year: Option<i32>,
    unpaid: bool,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Page<Listed>> {
    use crate::schema::associations;
    let mut query = grants::table
        .inner_join(requests::table)
        .inner_join(associations::table.on(associations::id.eq(grants::association_id)))
        .filter(requests::number.is_not_null())
        .into_boxed();
    if let Some(year) = year {
        query = query.filter(grants::year.eq(year));
    }
    if unpaid {
        query = query.filter(grants::paid_cents.lt(grants::cents));
    }
    if let Some(after) = after {
        query = query.filter(requests::number.gt(after.to_owned()));
    }
    type Row = (
        String,
        Option<String>,
        String,
        String,
        i64,
        i64,
        NaiveDate,
        i32,
    );
    let rows: Vec<Row> = query
        .order(requests::number)
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .select((
            grants::request_id,
            requests::number,
            grants::association_id,
            associations::name,
            grants::cents,
            grants::paid_cents,
            grants::voted_on,
            grants::year,
        ))
        .load(conn)?;
    Page::from_rows(rows, limit, |row| Keyset {
        sort_key: row.1.clone().unwrap_or_default(),
        id: row.0.clone(),
    })
    .try_map(
        |(request, number, association, association_name, cents, paid_cents, voted_on, year)| {
            Ok(Listed {
                request: parse("grants.request_id", &request)?,
                number,
                association: parse("grants.association_id", &association)?,
                association_name,
                cents,
                paid_cents,
                voted_on,
                year,
            })
        },
    )
}

/// A repayment ordered and not yet settled, with its request's number and association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToSettle {
    pub repayment: Repayment,
    pub number: Option<String>,
    pub association_name: String,
}

/// The repayments ordered and not settled, the oldest order first (at most `limit`).
pub fn to_settle(conn: &mut DbConnection, limit: usize) -> StoreResult<Vec<ToSettle>> {
    use crate::schema::associations;
    let rows: Vec<(RepaymentRow, Option<String>, String)> = repayments::table
        .inner_join(requests::table.on(requests::id.eq(repayments::request_id)))
        .inner_join(associations::table.on(associations::id.eq(requests::association_id)))
        .filter(repayments::settled_on.is_null())
        .order((repayments::ordered_at, repayments::id))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select((REPAYMENT_COLUMNS, requests::number, associations::name))
        .load(conn)?;
    rows.into_iter()
        .map(|(row, number, association_name)| {
            Ok(ToSettle {
                repayment: repayment_from_row(row)?,
                number,
                association_name,
            })
        })
        .collect()
}

pub fn repayment(conn: &mut DbConnection, id: Uuid) -> StoreResult<Option<Repayment>> {
    repayments::table
        .find(id.to_string())
        .select(REPAYMENT_COLUMNS)
        .first::<RepaymentRow>(conn)
        .optional()?
        .map(repayment_from_row)
        .transpose()
}

/// A repayment order to record.
pub struct NewRepayment {
    pub cents: i64,
    pub reason: String,
    pub breach_on: Option<NaiveDate>,
    pub ordered_by: String,
}

/// Records a repayment order (checked by the caller, the grant locked): nothing more is paid.
pub fn order_repayment(
    conn: &mut DbConnection,
    grant: &Grant,
    money: &GrantMoney,
    order: &NewRepayment,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    crate::connection::on_each_backend!(&mut *conn, c => {
        diesel::insert_into(repayments::table)
            .values((
                repayments::id.eq(id.to_string()),
                repayments::request_id.eq(grant.request.to_string()),
                repayments::cents.eq(order.cents),
                repayments::reason.eq(&order.reason),
                repayments::breach_on.eq(order.breach_on),
                repayments::ordered_by.eq(&order.ordered_by),
                repayments::ordered_at.eq(naive(now)),
            ))
            .execute(c)
    })?;
    diesel::update(grants::table.find(grant.request.to_string()))
        .set(grants::claimed_cents.eq(grants::claimed_cents + order.cents))
        .execute(conn)?;
    let after = GrantMoney {
        claimed_cents: money.claimed_cents + order.cents,
        ..money.clone()
    };
    refresh(conn, grant.request, &after, now)?;
    Ok(id)
}

/// Records a repayment's settlement; false when it was settled already.
pub fn settle_repayment(
    conn: &mut DbConnection,
    id: Uuid,
    settled_on: NaiveDate,
    settled_by: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        repayments::table
            .find(id.to_string())
            .filter(repayments::settled_on.is_null()),
    )
    .set((
        repayments::settled_on.eq(settled_on),
        repayments::settled_by.eq(settled_by),
        repayments::settled_at.eq(naive(now)),
    ))
    .execute(conn)?;
    if updated == 1 {
        // The grant's standing changed: views made from its version are out of date.
        let request = repayments::table
            .find(id.to_string())
            .select(repayments::request_id);
        diesel::update(grants::table.filter(grants::request_id.eq_any(request)))
            .set((
                grants::version.eq(grants::version + 1),
                grants::updated_at.eq(naive(now)),
            ))
            .execute(conn)?;
    }
    Ok(updated == 1)
}

/// How many of the association's grants have their final report overdue on `today`
/// (`final_report::is_overdue`, counted in SQL): a statement of its own, or a part of another
/// (see `associations::applicant`).
#[diesel::dsl::auto_type(no_type_alias)]
pub(crate) fn overdue_reports_count(association: String, today: NaiveDate) -> _ {
    let awaited: reports_awaited_before = reports_awaited_before(today);
    awaited
        .filter(grants::association_id.eq(association))
        .count()
}

/// The grants (with their reports) whose final report is awaited and due before `day`: none
/// filed, or changes asked; not all that was paid claimed back (`funding::repaid_in_full`;
/// `final_report::is_overdue` once past).
#[diesel::dsl::auto_type]
pub(crate) fn reports_awaited_before(day: NaiveDate) -> _ {
    let changes_asked: &'static str = ReportStatus::ChangesAsked.code();
    let none_claimed: i64 = 0;
    grants::table
        .left_join(final_reports::table)
        .filter(grants::final_report_due_on.lt(day))
        .filter(
            grants::claimed_cents
                .eq(none_claimed)
                .or(grants::claimed_cents.lt(grants::paid_cents)),
        )
        .filter(
            final_reports::status
                .is_null()
                .or(final_reports::status.eq(changes_asked)),
        )
}

pub fn overdue_reports(
    conn: &mut DbConnection,
    association: AssociationId,
    today: NaiveDate,
) -> StoreResult<u32> {
    let count: i64 = overdue_reports_count(association.to_string(), today).get_result(conn)?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// What a request was granted, as its association is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voted {
    pub request: RequestId,
    pub association: AssociationId,
    pub voted_on: NaiveDate,
    pub cents: i64,
    /// Its agreement waits for the association's president to sign it.
    pub to_sign: bool,
}

/// What these requests were granted, in one statement per five hundred.
pub fn voted_of(conn: &mut DbConnection, requests: &[RequestId]) -> StoreResult<Vec<Voted>> {
    use crate::schema::agreements;
    let drafted: &'static str = simpa_domain::agreement::AgreementStatus::Drafted.code();
    let mut voted = Vec::with_capacity(requests.len());
    for chunk in requests.chunks(500) {
        let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let rows: Vec<(String, String, NaiveDate, i64, Option<String>)> = grants::table
            .left_join(agreements::table.on(agreements::id.nullable().eq(grants::agreement_id)))
            .filter(grants::request_id.eq_any(&keys))
            .select((
                grants::request_id,
                grants::association_id,
                grants::voted_on,
                grants::cents,
                agreements::status.nullable(),
            ))
            .load(conn)?;
        for (request, association, voted_on, cents, status) in rows {
            voted.push(Voted {
                request: parse("grants.request_id", &request)?,
                association: parse("grants.association_id", &association)?,
                voted_on,
                cents,
                to_sign: status.as_deref() == Some(drafted),
            });
        }
    }
    Ok(voted)
}

/// The grants whose final report is awaited (none filed, or changes asked; no repayment
/// ordered) and due by `until`: each request with its association and due day.
pub fn reports_awaited(
    conn: &mut DbConnection,
    until: NaiveDate,
) -> StoreResult<Vec<(RequestId, AssociationId, NaiveDate)>> {
    let after_until = until.succ_opt().unwrap_or(until);
    let rows: Vec<(String, String, NaiveDate)> = reports_awaited_before(after_until)
        .order((grants::final_report_due_on, grants::request_id))
        .select((
            grants::request_id,
            grants::association_id,
            grants::final_report_due_on,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(request, association, due_on)| {
            Ok((
                parse("grants.request_id", &request)?,
                parse("grants.association_id", &association)?,
                due_on,
            ))
        })
        .collect()
}

/// The grants with no final report filed and no repayment ordered, by request id.
pub fn without_report(conn: &mut DbConnection) -> StoreResult<Vec<RequestId>> {
    grants::table
        .left_join(final_reports::table)
        .filter(final_reports::request_id.is_null())
        .filter(grants::claimed_cents.eq(0))
        .order(grants::request_id)
        .select(grants::request_id)
        .load::<String>(conn)?
        .iter()
        .map(|r| parse("grants.request_id", r))
        .collect()
}
