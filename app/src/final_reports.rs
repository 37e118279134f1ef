//! Final reports (compte rendu financier, CERFA 15059): the association files the project's
//! budget as carried out, the indicators achieved, a summary, the annex explaining variances
//! and attachments from its vault; the instructing direction (or the bureau, or the town hall
//! on the local circuit) accepts it, which makes the balance due and may close the file, or
//! asks for changes.

use crate::access::require;
use crate::clock::CityNow;
use crate::grants::{
    ReadableGrant, agreement_gate, close_when_complete, grant_at_turn, readable_grant,
};
use crate::instruction::signed;
use crate::instruction::{Telling, act_on};
use crate::notify::Notifier;
use crate::request_content::{LineInput, parse_budget};
use chrono::{DateTime, NaiveDate, Utc};
use simpa_domain::budget::Budget;
use simpa_domain::circuit::{ActionKind, Command, check_turn};
use simpa_domain::final_report::{self as rules, Filing, Plan, ReportStatus};
use simpa_domain::ids::{DocumentVersionId, RequestId};
use simpa_domain::life::StoredRequest;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::{Checks, DomainError, Violation};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::final_reports::{self, StoredReport};
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::{DbConnection, Keyset, Page, StoreResult, documents, grants, requests};
use uuid::Uuid;

/// Attachments a report may name from the association's vault.
pub const MAX_ATTACHMENTS: usize = 20;

/// A final report with what is shown beside it: the budget planned and the amount voted, and
/// when it was due.
pub struct ReportFile {
    pub report: StoredReport,
    pub plan: Plan,
    pub due_on: NaiveDate,
}

fn current(conn: &mut DbConnection, actor: &Actor, id: RequestId) -> StoreResult<ReportFile> {
    let ReadableGrant { grant, request, .. } = readable_grant(conn, actor, id, false)?;
    let report = final_reports::get(conn, id)?.ok_or(DomainError::NotFound {
        what: "final_report",
    })?;
    Ok(ReportFile {
        report,
        plan: Plan {
            budget: request.content.budget,
            voted_cents: grant.cents,
        },
        due_on: grant.final_report_due_on,
    })
}

/// The final report of a grant, for whom may read the grant.
#[tracing::instrument(name = "final_reports::read", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<ReportFile> {
    let actor = load_actor(conn, subject)?;
    current(conn, &actor, id)
}

/// A final report waiting for review: its request, and when it was filed.
pub type ToReview = (StoredRequest, DateTime<Utc>);

/// The final reports waiting for the caller's review, as `filter` narrows and orders them:
/// those whose review is theirs to do (the lead direction's, the bureau's), each with its
/// request and when it was filed; with the actor, for whom the list is shown.
#[tracing::instrument(name = "final_reports::to_review", skip_all, fields(actor = Subject::kind(subject)))]
pub fn to_review(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    filter: &RequestFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<(Actor, Page<ToReview>)> {
    let actor = require(conn, subject, Action::FollowRequests)?;
    let filter = RequestFilter {
        report_filed: true,
        ..filter.clone()
    };
    let page: Page<StoredRequest> =
        requests::list(conn, &policy::request_scope(&actor), &filter, after, limit)?;
    let ids: Vec<RequestId> = page.items.iter().map(|r| r.id).collect();
    let filed = final_reports::filed_at_of(conn, &ids)?;
    let items = page
        .items
        .into_iter()
        .filter_map(|request| {
            let filed_at = *filed.get(&request.id)?;
            let parties = policy::parties(&actor, request.association);
            check_turn(&request.facts, ActionKind::AcceptFinalReport, &parties).ok()?;
            Some((request, filed_at))
        })
        .collect();
    Ok((
        actor,
        Page {
            items,
            next: page.next,
        },
    ))
}

/// A final report as the association writes it.
pub struct ReportFiling {
    /// The budget carried out, as written.
    pub budget: Vec<LineInput>,
    /// Each indicator's name and what was achieved.
    pub achieved: Vec<(String, i64)>,
    pub summary: String,
    pub beneficiaries_reached: Option<i64>,
    pub annex: Option<String>,
    /// Versions filed in the association's vault.
    pub attachments: Vec<Uuid>,
}

/// Files (or files again, when changes were asked) the final report of a grant; every
/// mistake is named at once.
#[tracing::instrument(name = "final_reports::file", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn file(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    filing: ReportFiling,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<ReportFile> {
    let (actor, parties, readable) = grant_at_turn(conn, subject, id, ActionKind::FileFinalReport)?;
    let ReadableGrant { grant, request, .. } = readable;
    let filed = final_reports::get(conn, id)?;
    rules::check_filing(filed.as_ref().map(|r| r.status))?;
    let mut c = Checks::default();
    let (lines, errors) = parse_budget(&filing.budget);
    c.extend(errors);
    if filing.attachments.len() > MAX_ATTACHMENTS {
        c.push(
            Violation::new(
                "final_report.too_many_attachments",
                format!("Au plus {MAX_ATTACHMENTS} pièces jointes."),
            )
            .at("attachment_ids"),
        );
    }
    for (i, attachment) in filing.attachments.iter().take(MAX_ATTACHMENTS).enumerate() {
        let version = DocumentVersionId::from_uuid(*attachment);
        if documents::version(conn, request.association, version)?.is_none() {
            c.push(
                Violation::new(
                    "final_report.attachment_unknown",
                    "Cette pièce n'est pas une pièce déposée par l'association.",
                )
                .at(format!("attachment_ids[{i}]")),
            );
        }
    }
    let plan = Plan {
        budget: request.content.budget.clone(),
        voted_cents: grant.cents,
    };
    let checked = rules::check(
        &plan,
        &request.content.indicators,
        Filing {
            budget: Budget { lines },
            achieved: &filing.achieved,
            summary: &filing.summary,
            beneficiaries_reached: filing.beneficiaries_reached,
            annex: filing.annex.as_deref(),
        },
    );
    let report = match checked {
        Ok(report) if c.is_empty() => report,
        Ok(_) => return Err(c.into_error().into()),
        Err(DomainError::Invalid(errors)) => {
            c.extend(errors);
            return Err(c.into_error().into());
        }
        Err(other) => return Err(other.into()),
    };
    let command = Command::FileFinalReport {
        again: filed.is_some(),
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
    final_reports::file(conn, id, &report, &filing.attachments, &signer.name, now.at)?;
    current(conn, &actor, id)
}

/// Accepts a final report: the balance becomes due, and the file closes once paid.
#[tracing::instrument(name = "final_reports::accept", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn accept(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<ReportFile> {
    review(conn, subject, id, None, now, notifier)
}

/// Asks the association to change its final report, saying why; it is told.
#[tracing::instrument(name = "final_reports::ask_changes", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn ask_changes(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    reason: &str,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<ReportFile> {
    review(conn, subject, id, Some(reason), now, notifier)
}

fn review(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    changes: Option<&str>,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<ReportFile> {
    let action = if changes.is_some() {
        ActionKind::AskReportChanges
    } else {
        ActionKind::AcceptFinalReport
    };
    let (actor, parties, readable) = grant_at_turn(conn, subject, id, action)?;
    let ReadableGrant {
        grant, agreement, ..
    } = readable;
    let filed = final_reports::get(conn, id)?;
    rules::check_review(filed.as_ref().map(|r| r.status))?;
    let signer = signed(conn, &actor)?;
    match changes {
        Some(reason) => {
            let reason = simpa_domain::circuit::reason("reason", reason)?;
            let command = Command::AskReportChanges {
                reason: reason.clone(),
            };
            act_on(
                conn,
                &signer,
                id,
                &parties,
                command,
                now,
                Telling::Everyone(notifier),
            )?;
            final_reports::review(
                conn,
                id,
                ReportStatus::ChangesAsked,
                Some(&reason),
                &signer.name,
                now.at,
            )?;
        }
        None => {
            let money = grant.money(agreement_gate(agreement.as_ref(), now.timezone));
            let command = Command::AcceptFinalReport {
                balance_cents: money.balance_cents(),
            };
            let telling = Telling::Everyone(notifier);
            act_on(conn, &signer, id, &parties, command, now, telling)?;
            final_reports::review(conn, id, ReportStatus::Accepted, None, &signer.name, now.at)?;
            let after = grants::accept_report(conn, &grant, &money, now.today(), now.at)?;
            close_when_complete(conn, &signer, id, &parties, &after, now, telling)?;
        }
    }
    current(conn, &actor, id)
}
