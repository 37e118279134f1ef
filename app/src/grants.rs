//! Grants: opening them after a council's vote, and the steps that several use cases share
//! (payments, final reports, repayments).

use crate::access::{person, require};
use crate::clock::CityNow;
use crate::instruction::signed;
use crate::instruction::{Telling, act_on};
use crate::notify::{self, Letter, Notifier};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use minijinja::context;
use simpa_domain::agreement::{
    AgreementNeed, AgreementStatus, AgreementTerms, Voted, YearAmount, open_grants,
};
use simpa_domain::association::check_version;
use simpa_domain::circuit::{ActionKind, Command, check_turn};
use simpa_domain::french::long_french_date;
use simpa_domain::funding::{
    AgreementGate, GrantMoney, Installment, check_settled_on, parse_repayment_basis,
    repayment_cents, twelve_months_before,
};
use simpa_domain::ids::{AssociationId, RequestId};
use simpa_domain::life::StoredRequest;
use simpa_domain::money::check_cents;
use simpa_domain::money::euros;
use simpa_domain::notification::Notice;
use simpa_domain::parties::Party;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::tracking::GrantStage;
use simpa_domain::{Checks, DomainError, text};
use simpa_persistence::accounts::{Signed, load_actor};
use simpa_persistence::grants::{
    self, DraftedAgreement, Due, DueFilter, Grant, NewPayment, NewRepayment, OpenedGrant,
};
use simpa_persistence::requests;
use simpa_persistence::{
    DbConnection, Keyset, Page, StoreError, StoreResult, agreements, deliberations, final_reports,
    locks,
};
use uuid::Uuid;

/// A grant the actor may read, with its agreement and its request.
pub struct ReadableGrant {
    pub grant: Grant,
    pub agreement: Option<agreements::Agreement>,
    pub request: StoredRequest,
}

/// The grant of a request the actor may read (locked with `lock`), with its agreement and
/// request.
#[tracing::instrument(name = "grants::readable_grant", skip_all, fields(actor = actor.kind(), request = %id))]
pub fn readable_grant(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RequestId,
    lock: bool,
) -> StoreResult<ReadableGrant> {
    // Told like a grant one may not read: ids cannot be probed.
    let request = requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "grant" })?;
    policy::authorize(actor, Action::ReadGrant(request.access()))?;
    let grant = if lock {
        grants::get_locked(conn, id)?
    } else {
        grants::get(conn, id)?
    };
    let grant = grant.ok_or(DomainError::NotFound { what: "grant" })?;
    let agreement = match grant.agreement {
        Some(a) => agreements::get(conn, a)?,
        None => None,
    };
    Ok(ReadableGrant {
        grant,
        agreement,
        request,
    })
}

/// Closes the request once its grant is complete (`GrantMoney::is_complete`: paid in full and
/// its report accepted, or a repayment ordered and the report accepted or all paid claimed
/// back) and every repayment ordered is settled; recorded for `parties`, told as `telling`
/// says.
#[tracing::instrument(name = "grants::close_when_complete", skip_all, fields(actor = signed.actor.kind(), request = %id))]
pub fn close_when_complete(
    conn: &mut DbConnection,
    signed: &Signed,
    id: RequestId,
    parties: &[Party],
    money: &GrantMoney,
    now: CityNow,
    telling: Telling<'_>,
) -> StoreResult<()> {
    if !money.is_complete() {
        return Ok(());
    }
    let repayments = if money.repayment_ordered() {
        grants::repayments_of(conn, id)?
    } else {
        Vec::new()
    };
    if repayments.iter().all(|r| r.settled_on.is_some()) {
        let repaid_cents = simpa_domain::money::total(repayments.iter().map(|r| r.cents));
        let command = Command::Close { repaid_cents };
        act_on(conn, signed, id, parties, command, now, telling)?;
    }
    Ok(())
}

/// Opens the grants a deliberation just voted (on `voted_on`, notified on `notified_on`)
/// made, whatever their number in a few statements: each with its single payment on
/// notification, its final report's due date and, where the amounts of its association
/// require one, the agreement that covers it (an existing one, or a new one drawn up).
/// Returns how many were opened.
#[tracing::instrument(name = "grants::open_after_vote", skip_all, fields(deliberation = %deliberation))]
pub fn open_after_vote(
    conn: &mut DbConnection,
    deliberation: Uuid,
    voted_on: NaiveDate,
    notified_on: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let lines = grants::granted_lines(conn, deliberation)?;
    if lines.is_empty() {
        return Ok(0);
    }
    let voted: Vec<Voted> = lines
        .iter()
        .map(|l| Voted {
            association: l.association,
            grant: YearAmount {
                year: l.year,
                cents: l.cents,
            },
        })
        .collect();
    let mut associations: Vec<AssociationId> = voted.iter().map(|v| v.association).collect();
    associations.sort();
    associations.dedup();
    // Two votes at once take turns on their associations: each sees the other's grants when
    // it adds up the twelve months.
    locks::lock_associations(conn, &associations)?;
    let earlier = grants::voted_after(conn, &associations, twelve_months_before(voted_on))?;
    let first_year = voted.iter().map(|v| v.grant.year).min().unwrap_or_default();
    let mut covers = agreements::covers_of(conn, &associations, first_year)?;
    let ids: Vec<Uuid> = covers.iter().map(|(_, c)| c.id).collect();
    let signed = agreements::signed_gates(conn, &ids)?;
    let opened = open_grants(
        &voted,
        &earlier,
        &mut covers,
        &signed,
        voted_on,
        notified_on,
    );
    let mut drafted = Vec::new();
    let mut grants_opened = Vec::with_capacity(lines.len());
    for ((line, v), opened) in lines.into_iter().zip(&voted).zip(opened) {
        let agreement = match opened.agreement {
            AgreementNeed::Nothing => None,
            AgreementNeed::CoveredBy(id) => Some(id),
            AgreementNeed::New => {
                let id = Uuid::now_v7();
                drafted.push(DraftedAgreement {
                    id,
                    reference: line.number.unwrap_or_else(|| line.request.to_string()),
                    association: line.association,
                    terms: AgreementTerms::of_grant(line.title, v.grant),
                });
                Some(id)
            }
        };
        grants_opened.push(OpenedGrant {
            request: line.request,
            association: line.association,
            deliberation,
            year: line.year,
            voted_on,
            agreement,
            money: opened.money,
            final_report_due_on: opened.final_report_due_on,
        });
    }
    grants::insert_opened(conn, &drafted, &grants_opened, now)?;
    Ok(grants_opened.len())
}

/// A grant, for whom may read it (the association, the staff who read its request, finance).
#[tracing::instrument(name = "grants::read", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<ReadableGrant> {
    let actor = load_actor(conn, subject)?;
    readable_grant(conn, &actor, id, false)
}

/// A request's grant as its page shows it: the grant, its agreement and the deliberation
/// that voted it; `None` while the request has no grant.
pub struct Followed {
    pub grant: Grant,
    pub agreement: Option<agreements::Agreement>,
    pub deliberation: Option<deliberations::Deliberation>,
}

/// The grant of a request, for whom may read it (see [`Followed`]).
#[tracing::instrument(name = "grants::followed", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn followed(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<Option<Followed>> {
    let readable = match read(conn, subject, id) {
        Ok(readable) => readable,
        Err(StoreError::Domain(DomainError::NotFound { what: "grant" })) => return Ok(None),
        Err(other) => return Err(other),
    };
    let deliberation = deliberations::get(conn, readable.grant.deliberation)?;
    Ok(Some(Followed {
        grant: readable.grant,
        agreement: readable.agreement,
        deliberation,
    }))
}

/// Where the grant of a request already read stands (`GrantStage`); none before the vote.
pub fn stage(
    conn: &mut DbConnection,
    id: RequestId,
    timezone: Tz,
) -> StoreResult<Option<GrantStage>> {
    let Some(grant) = grants::get(conn, id)? else {
        return Ok(None);
    };
    let agreement = match grant.agreement {
        Some(a) => agreements::get(conn, a)?,
        None => None,
    };
    let report = final_reports::get(conn, id)?.map(|r| r.status);
    let repayments = grants::repayments_of(conn, id)?;
    let unsettled = simpa_domain::money::total(
        repayments
            .iter()
            .filter(|r| r.settled_on.is_none())
            .map(|r| r.cents),
    );
    let money = grant.money(agreement_gate(agreement.as_ref(), timezone));
    Ok(Some(GrantStage::of(
        &money,
        agreement.map(|a| a.status),
        report,
        unsettled,
        grant.final_report_due_on,
    )))
}

/// Replaces a grant's schedule of installments (finance), if the grant is still the version
/// read (`expected`; `None`: whichever is stored): it adds up to the grant and is locked by
/// the first payment or, for the grant that opened it, the association's signature of its
/// agreement.
#[tracing::instrument(name = "grants::set_schedule", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn set_schedule(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    expected: Option<i64>,
    installments: Vec<Installment>,
    now: CityNow,
) -> StoreResult<ReadableGrant> {
    let actor = require(conn, subject, Action::ManagePayments)?;
    let ReadableGrant {
        grant, agreement, ..
    } = readable_grant(conn, &actor, id, true)?;
    check_version(grant.version, expected.unwrap_or(grant.version))?;
    let money = grant.money(agreement_gate(agreement.as_ref(), now.timezone));
    // A signed agreement prints the schedule of the grant it opened, no other.
    let signed = match &agreement {
        Some(a) if a.association_signature.is_some() => {
            agreements::grants_covered(conn, a.id)?.first() == Some(&grant.request)
        }
        _ => false,
    };
    money.check_reschedule(signed, &installments)?;
    let after = GrantMoney {
        installments,
        ..money
    };
    grants::set_schedule(conn, &grant, &after, now.at)?;
    readable_grant(conn, &actor, id, false)
}

/// Whether a grant's agreement lets the city pay: the day the city signed it (the last
/// signature), in the city, and the payment delay it sets.
pub fn agreement_gate(agreement: Option<&agreements::Agreement>, timezone: Tz) -> AgreementGate {
    AgreementGate::of(agreement.map(|a| {
        let signed = a
            .city_signature
            .as_ref()
            .filter(|_| a.status == AgreementStatus::Signed);
        (
            signed.map(|city| city.at.with_timezone(&timezone).date_naive()),
            a.terms.payment_days,
        )
    }))
}

/// A payment as finance records it.
pub struct Payment {
    pub amount_cents: i64,
    pub paid_on: NaiveDate,
    /// The payment's reference in the city's accounts (its mandate).
    pub reference: String,
}

/// Records a payment of a grant (finance): never more than is due, once per reference; the
/// file closes once everything is paid and reported on.
#[tracing::instrument(name = "grants::record_payment", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn record_payment(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    payment: Payment,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<ReadableGrant> {
    let actor = require(conn, subject, Action::ManagePayments)?;
    let recorded_by = person(&actor)?;
    let ReadableGrant {
        grant,
        agreement,
        request,
    } = readable_grant(conn, &actor, id, true)?;
    let money = grant.money(agreement_gate(agreement.as_ref(), now.timezone));
    let mut checks = Checks::default();
    checks.check("amount_cents", check_cents(payment.amount_cents, true));
    let reference = checks.check("reference", text::line(&payment.reference, 1, 64));
    checks.check(
        "paid_on",
        money.check_paid_on(payment.paid_on, grant.voted_on, now.today()),
    );
    let Some(reference) = reference.filter(|_| checks.is_empty()) else {
        return Err(checks.into_error().into());
    };
    // A payment order sent again is known by its reference before anything else: the one
    // that completed the grant must not be answered "exceeds the grant".
    if grants::payment_reference_taken(conn, id, &reference)? {
        return Err(DomainError::conflict(
            "payment.reference_taken",
            Some("reference"),
            format!("Le versement {reference} de cette subvention est déjà enregistré."),
        )
        .into());
    }
    let after = money.after_payment(payment.amount_cents)?;
    let new = NewPayment {
        cents: payment.amount_cents,
        paid_on: payment.paid_on,
        reference,
        recorded_by,
    };
    grants::record_payment(conn, id, &new, &after, now.at)?;
    let left = after.unpaid_cents();
    let data = context! {
        amount => euros(new.cents),
        paid_on => long_french_date(new.paid_on),
        reference => new.reference,
        left => (left > 0).then(|| euros(left)),
    };
    let letter = Letter::of_request(Notice::PaymentRecorded, &request, data);
    notify::tell_members(conn, notifier, letter, now.at)?;
    let signer = signed(conn, &actor)?;
    let telling = Telling::Everyone(notifier);
    close_when_complete(conn, &signer, id, &[Party::Finance], &after, now, telling)?;
    readable_grant(conn, &actor, id, false)
}

/// The grants with money owed now (finance), as `filter` narrows and orders them.
#[tracing::instrument(name = "grants::payments_due", skip_all, fields(actor = Subject::kind(subject)))]
pub fn payments_due(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    filter: &DueFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Due>> {
    require(conn, subject, Action::ReadPayments)?;
    grants::due(conn, filter, after, limit)
}

/// The grants, by request number, a page at a time (finance and the bureau): of `year`,
/// and with `unpaid` only those with money left to pay.
#[tracing::instrument(name = "grants::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    year: Option<i32>,
    unpaid: bool,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<grants::Listed>> {
    require(conn, subject, Action::ReadPayments)?;
    grants::listed(
        conn,
        year,
        unpaid,
        after.map(|k| k.sort_key.as_str()),
        limit,
    )
}

/// The repayments ordered on a grant, for whom may read it.
pub fn repayments(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<Vec<grants::Repayment>> {
    read(conn, subject, id)?;
    grants::repayments_of(conn, id)
}

/// How many repayments to settle the list shows.
pub const TO_SETTLE: usize = 500;

/// The repayments ordered and not yet settled, the oldest order first (finance and the
/// bureau).
#[tracing::instrument(name = "grants::repayments_to_settle", skip_all, fields(actor = Subject::kind(subject)))]
pub fn repayments_to_settle(
    conn: &mut DbConnection,
    subject: Option<Subject>,
) -> StoreResult<Vec<grants::ToSettle>> {
    require(conn, subject, Action::ReadPayments)?;
    grants::to_settle(conn, TO_SETTLE)
}

/// A repayment as the instructing direction orders it.
pub struct RepaymentOrder {
    pub amount_cents: Option<i64>,
    /// For a breach of the contrat d'engagement républicain.
    pub breach_on: Option<NaiveDate>,
    pub reason: String,
}

/// A request's grant, locked, once the caller may read it and it is their turn to `action`
/// on it: with who acts and the parties they play.
pub fn grant_at_turn(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    action: ActionKind,
) -> StoreResult<(Actor, Vec<Party>, ReadableGrant)> {
    let actor = load_actor(conn, subject)?;
    let readable = readable_grant(conn, &actor, id, true)?;
    let parties = policy::parties(&actor, readable.grant.association);
    check_turn(&readable.request.facts, action, &parties)?;
    Ok((actor, parties, readable))
}

/// Orders the association to repay (all or part of) a grant: an amount, or what a breach of
/// the contrat d'engagement républicain withdraws; the association is told.
#[tracing::instrument(name = "grants::order_repayment", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn order_repayment(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    order: RepaymentOrder,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<ReadableGrant> {
    let (actor, parties, readable) = grant_at_turn(conn, subject, id, ActionKind::OrderRepayment)?;
    let ReadableGrant {
        grant,
        agreement,
        request,
    } = readable;
    let mut checks = Checks::default();
    let reason = checks.check("reason", text::paragraphs(&order.reason, 1, 2000));
    let period = request.content.period(grant.year);
    let basis = parse_repayment_basis(order.amount_cents, order.breach_on, period, now.today())
        .map_err(|e| checks.push(e))
        .ok();
    let (Some(reason), Some(basis)) = (reason.filter(|_| checks.is_empty()), basis) else {
        return Err(checks.into_error().into());
    };
    let money = grant.money(agreement_gate(agreement.as_ref(), now.timezone));
    let cents = repayment_cents(grant.cents, grant.paid_cents, grant.claimed_cents, basis)?;
    let command = Command::OrderRepayment {
        cents,
        reason: reason.clone(),
    };
    let signer = signed(conn, &actor)?;
    act_on(
        conn,
        &signer,
        id,
        &parties,
        command,
        now,
        Telling::Everyone(notifier),
    )?;
    let repayment = NewRepayment {
        cents,
        reason,
        breach_on: order.breach_on,
        ordered_by: signer.name,
    };
    grants::order_repayment(conn, &grant, &money, &repayment, now.at)?;
    readable_grant(conn, &actor, id, false)
}

/// Records that a repayment was settled (finance); once every repayment is, the file closes
/// if all that was paid came back or the final report was accepted (`close_when_complete`).
#[tracing::instrument(name = "grants::settle_repayment", skip_all, fields(actor = Subject::kind(subject), request = %id, repayment = %repayment))]
pub fn settle_repayment(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    repayment: Uuid,
    settled_on: NaiveDate,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<ReadableGrant> {
    let actor = require(conn, subject, Action::ManagePayments)?;
    // Read (and locked) as any grant: whoever may not read it is told it does not exist.
    let ReadableGrant {
        grant,
        agreement,
        request,
    } = readable_grant(conn, &actor, id, true)?;
    let ordered = grants::repayment(conn, repayment)?
        .filter(|r| r.request == id)
        .ok_or(DomainError::NotFound { what: "repayment" })?;
    check_settled_on(settled_on, ordered.ordered_at.date_naive(), now.today())
        .map_err(|v| DomainError::invalid("settled_on", v))?;
    let signer = signed(conn, &actor)?;
    if !grants::settle_repayment(conn, repayment, settled_on, &signer.name, now.at)? {
        return Err(DomainError::conflict(
            "repayment.settled",
            None,
            "Ce reversement est déjà réglé.",
        )
        .into());
    }
    let data = context! {
        amount => euros(ordered.cents),
        settled_on => long_french_date(settled_on),
    };
    let letter = Letter::of_request(Notice::RepaymentSettled, &request, data);
    notify::tell_members(conn, notifier, letter, now.at)?;
    let money = grant.money(agreement_gate(agreement.as_ref(), now.timezone));
    let telling = Telling::Everyone(notifier);
    close_when_complete(conn, &signer, id, &[Party::Finance], &money, now, telling)?;
    readable_grant(conn, &actor, id, false)
}
