//! Final reports (compte rendu financier, CERFA 15059): the association files the project's
//! budget as carried out, the indicators achieved, a summary, the annex explaining variances
//! over 15 % and attachments from its vault; the instructing direction (or the bureau, or the
//! town hall on the local circuit) accepts it, which makes the balance due and may close the
//! file, or asks for changes.

use crate::auth::Caller;
use crate::codes::{FunderCode, ReportStatusCode};
use crate::etag::with_etag;
use crate::input::Json;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::request_fields::{BudgetLineFields, parse_budget};
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::grants::{ReadableGrant, close_when_complete, readable_grant};
use simpa_app::instruction::{Telling, act_on};
use simpa_app::requests::signed;
use simpa_domain::budget::Budget;
use simpa_domain::circuit::{ActionKind, Command, check_turn};
use simpa_domain::final_report::{self as rules, Filing, ReportStatus, compare};
use simpa_domain::ids::{DocumentVersionId, RequestId};
use simpa_domain::policy::{self, Actor};
use simpa_domain::{Checks, DomainError, Violation};
use simpa_persistence::final_reports::{self, StoredReport};
use simpa_persistence::{DbConnection, StoreResult, accounts, documents, grants};
use utoipa::ToSchema;
use uuid::Uuid;

/// The most attachments a final report lists.
const MAX_ATTACHMENTS: usize = 20;

/// A line of the chart: planned, carried out, and the share carried out.
#[derive(Serialize, ToSchema)]
pub struct ReportLineView {
    pub account: String,
    pub funder: Option<FunderCode>,
    pub label: String,
    pub planned_cents: i64,
    pub actual_cents: i64,
    /// Actual over planned, in percent with two decimals (none when nothing was planned).
    pub achieved_percent: Option<f64>,
    /// More than 15 % away from the plan: explained in the annex.
    pub significant_variance: bool,
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorResultView {
    pub name: String,
    pub unit: String,
    pub target: i64,
    pub achieved: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ReportReviewView {
    pub by: String,
    pub at: DateTime<Utc>,
    /// Why changes were asked.
    pub reason: Option<String>,
}

/// A final report, its budget beside the one planned, and its review.
#[derive(Serialize, ToSchema)]
pub struct FinalReportView {
    pub request_id: Uuid,
    pub status: ReportStatusCode,
    pub status_label: &'static str,
    pub due_on: NaiveDate,
    pub lines: Vec<ReportLineView>,
    pub indicators: Vec<IndicatorResultView>,
    pub summary: String,
    pub beneficiaries_reached: Option<i64>,
    pub annex: Option<String>,
    /// Document versions of the association's vault.
    pub attachment_ids: Vec<Uuid>,
    pub times_filed: i32,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    pub review: Option<ReportReviewView>,
    pub version: i64,
}

fn report_view(planned: &Budget, due_on: NaiveDate, stored: StoredReport) -> FinalReportView {
    FinalReportView {
        request_id: stored.request.uuid(),
        status: ReportStatusCode(stored.status),
        status_label: stored.status.label(),
        due_on,
        lines: compare(planned, &stored.report.budget)
            .into_iter()
            .map(|l| ReportLineView {
                account: l.account,
                funder: l.funder.map(FunderCode),
                label: l.label,
                planned_cents: l.planned_cents,
                actual_cents: l.actual_cents,
                achieved_percent: l.achieved_basis_points.map(|bp| bp as f64 / 100.0),
                significant_variance: l.significant,
            })
            .collect(),
        indicators: stored
            .report
            .indicators
            .into_iter()
            .map(|i| IndicatorResultView {
                name: i.name,
                unit: i.unit,
                target: i.target,
                achieved: i.achieved,
            })
            .collect(),
        summary: stored.report.summary,
        beneficiaries_reached: stored.report.beneficiaries_reached,
        annex: stored.report.annex,
        attachment_ids: stored.attachments,
        times_filed: stored.times_filed,
        filed_by: stored.filed_by,
        filed_at: stored.filed_at,
        review: match (stored.reviewed_by, stored.reviewed_at) {
            (Some(by), Some(at)) => Some(ReportReviewView {
                by,
                at,
                reason: stored.review_reason,
            }),
            _ => None,
        },
        version: stored.version,
    }
}

/// The request's final report as stored, with the view the caller reads.
fn current_view(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RequestId,
) -> StoreResult<FinalReportView> {
    let ReadableGrant { grant, request, .. } = readable_grant(conn, actor, id, false)?;
    let stored = final_reports::get(conn, id)?.ok_or(DomainError::NotFound {
        what: "final_report",
    })?;
    Ok(report_view(
        &request.content.budget,
        grant.final_report_due_on,
        stored,
    ))
}

/// A granted request's final report, with each line planned, carried out and the share
/// carried out. Whoever reads the grant.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    responses(
        (status = 200, body = FinalReportView, headers(("ETag" = String))),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/requests/{request_id}/final-report")]
pub async fn get_final_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| {
            let actor = accounts::load_actor(conn, caller.0)?;
            current_view(conn, &actor, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

#[derive(Clone, Deserialize, ToSchema)]
pub struct AchievedFields {
    /// The planned indicator's name.
    pub name: String,
    pub achieved: i64,
}

/// The final report, as the association files it.
#[derive(Clone, Deserialize, ToSchema)]
pub struct FinalReportFields {
    /// The project's budget as carried out, in the chart of the request (lines matched by
    /// account, funder and label).
    pub budget: Vec<BudgetLineFields>,
    /// What each planned indicator achieved.
    pub indicators: Vec<AchievedFields>,
    /// How the project went: implementation, beneficiaries reached, places, dates.
    pub summary: String,
    pub beneficiaries_reached: Option<i64>,
    /// Explains the variances over 15 % (required when there are), indirect costs, in-kind
    /// contributions.
    pub annex: Option<String>,
    /// Document versions of the association's vault (accounts, activity report…).
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

/// Files the final report (the association's members), first or again once changes were
/// asked. 422 lists every unmet rule (balanced budget, each indicator, summary, the annex for
/// variances over 15 %, attachments of the association); 409 `final_report.under_review` or
/// `final_report.accepted`.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    request_body = FinalReportFields,
    responses(
        (status = 200, body = FinalReportView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[put("/requests/{request_id}/final-report")]
pub async fn file_final_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<FinalReportFields>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let now = city.at;
    let view = state
        .write(move |conn| {
            let actor = accounts::load_actor(conn, caller.0)?;
            let ReadableGrant { grant, request, .. } = readable_grant(conn, &actor, id, true)?;
            let current = final_reports::get(conn, id)?;
            let parties = policy::parties(&actor, grant.association);
            check_turn(&request.facts, ActionKind::FileFinalReport, &parties)?;
            rules::check_filing(current.as_ref().map(|r| r.status))?;
            let mut c = Checks::default();
            let lines = parse_budget(&input.budget, &mut c);
            if input.attachment_ids.len() > MAX_ATTACHMENTS {
                c.push(
                    Violation::new(
                        "final_report.too_many_attachments",
                        format!("Au plus {MAX_ATTACHMENTS} pièces jointes."),
                    )
                    .at("attachment_ids"),
                );
            }
            for (i, attachment) in input
                .attachment_ids
                .iter()
                .take(MAX_ATTACHMENTS)
                .enumerate()
            {
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
            let achieved: Vec<(String, i64)> = input
                .indicators
                .iter()
                .map(|a| (a.name.clone(), a.achieved))
                .collect();
            let checked = rules::check(
                &request.content.budget,
                &request.content.indicators,
                Filing {
                    budget: Budget { lines },
                    achieved: &achieved,
                    summary: &input.summary,
                    beneficiaries_reached: input.beneficiaries_reached,
                    annex: input.annex.as_deref(),
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
                again: current.is_some(),
            };
            let signer = signed(conn, &actor)?;
            act_on(conn, &signer, id, &parties, command, city, Telling::NoOne)?;
            final_reports::file(conn, id, &report, &input.attachment_ids, &signer.name, now)?;
            current_view(conn, &actor, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Why the report is sent back.
#[derive(Clone, Deserialize, ToSchema)]
pub struct ReportChangesFields {
    pub reason: String,
}

/// Accepts the filed final report (the instructing direction, the bureau, or the town hall
/// on the local circuit): the balance becomes due; a grant paid in full closes. 409
/// `final_report.not_filed` when none waits.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    responses(
        (status = 200, body = FinalReportView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/requests/{request_id}/final-report/accept")]
pub async fn accept_final_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    review(state, caller, path.into_inner(), None).await
}

/// Sends the filed final report back to the association with the reason, by e-mail too.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    request_body = ReportChangesFields,
    responses(
        (status = 200, body = FinalReportView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/requests/{request_id}/final-report/ask-changes")]
pub async fn ask_report_changes(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<ReportChangesFields>,
) -> Result<HttpResponse, Problem> {
    review(state, caller, path.into_inner(), Some(body.value.reason)).await
}

/// Accepts the report (no reason) or asks for changes (with the reason).
async fn review(
    state: web::Data<AppState>,
    caller: Caller,
    id: Uuid,
    changes: Option<String>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(id);
    let city = state.city_now();
    let (now, today) = (city.at, city.today());
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let actor = accounts::load_actor(conn, caller.0)?;
            let ReadableGrant {
                grant,
                agreement,
                request,
            } = readable_grant(conn, &actor, id, true)?;
            let parties = policy::parties(&actor, grant.association);
            let action = if changes.is_some() {
                ActionKind::AskReportChanges
            } else {
                ActionKind::AcceptFinalReport
            };
            check_turn(&request.facts, action, &parties)?;
            let current = final_reports::get(conn, id)?;
            rules::check_review(current.as_ref().map(|r| r.status))?;
            let signer = signed(conn, &actor)?;
            match changes {
                Some(reason) => {
                    let reason = simpa_domain::circuit::reason("reason", &reason)?;
                    let command = Command::AskReportChanges {
                        reason: reason.clone(),
                    };
                    let telling = Telling::Everyone(&notifier);
                    act_on(conn, &signer, id, &parties, command, city, telling)?;
                    final_reports::review(
                        conn,
                        id,
                        ReportStatus::ChangesAsked,
                        Some(&reason),
                        &signer.name,
                        now,
                    )?;
                }
                None => {
                    let money = grant.money(agreement.as_ref());
                    let command = Command::AcceptFinalReport {
                        balance_cents: money.balance_cents(),
                    };
                    act_on(conn, &signer, id, &parties, command, city, Telling::NoOne)?;
                    final_reports::review(
                        conn,
                        id,
                        ReportStatus::Accepted,
                        None,
                        &signer.name,
                        now,
                    )?;
                    let after = grants::accept_report(conn, &grant, &money, today, now)?;
                    close_when_complete(conn, &signer, id, &parties, &after, city)?;
                }
            }
            current_view(conn, &actor, id)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}
