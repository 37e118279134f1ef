//! Grants: opening them after a council's vote, and the steps that several use cases share
//! (payments, final reports, repayments).

use crate::clock::CityNow;
use crate::instruction::{Telling, act_on};
use chrono::{DateTime, NaiveDate, Utc};
use simpa_domain::DomainError;
use simpa_domain::agreement::{AgreementNeed, AgreementTerms, Voted, YearAmount, open_grants};
use simpa_domain::circuit::Command;
use simpa_domain::funding::{GrantMoney, twelve_months_before};
use simpa_domain::ids::{AssociationId, RequestId};
use simpa_domain::life::StoredRequest;
use simpa_domain::parties::Party;
use simpa_domain::policy::{self, Action, Actor};
use simpa_persistence::accounts::Signed;
use simpa_persistence::grants::{self, DraftedAgreement, Grant, OpenedGrant};
use simpa_persistence::requests;
use simpa_persistence::{DbConnection, StoreResult, agreements, locks};
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

/// Closes the request once its grant is complete: paid in full, its report accepted;
/// recorded for `parties`, telling no one.
#[tracing::instrument(name = "grants::close_when_complete", skip_all, fields(actor = signed.actor.kind(), request = %id))]
pub fn close_when_complete(
    conn: &mut DbConnection,
    signed: &Signed,
    id: RequestId,
    parties: &[Party],
    money: &GrantMoney,
    now: CityNow,
) -> StoreResult<()> {
    if money.is_complete() {
        let command = Command::Close { repaid_cents: 0 };
        act_on(conn, signed, id, parties, command, now, Telling::NoOne)?;
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
