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
use crate::views::request_fields::BudgetLineFields;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::final_reports::{self as app, ReportFile, ReportFiling};
use simpa_domain::final_report::{Plan, compare};
use simpa_domain::ids::RequestId;
use simpa_persistence::final_reports::StoredReport;
use utoipa::ToSchema;
use uuid::Uuid;

/// A line of the chart: planned, carried out, and the share carried out.
#[derive(Serialize, ToSchema)]
pub struct ReportLineView {
    pub account: String,
    pub funder: Option<FunderCode>,
    pub label: String,
    pub planned_cents: i64,
    /// For the city's own subsidy lines (74, the commune): their share of the amount the
    /// council voted, which they are judged against instead of the amount asked.
    pub voted_cents: Option<i64>,
    pub actual_cents: i64,
    /// Actual over planned (over voted for the city's lines), in percent with two decimals
    /// (none when nothing was planned).
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

fn report_view(plan: &Plan, due_on: NaiveDate, stored: StoredReport) -> FinalReportView {
    FinalReportView {
        request_id: stored.request.uuid(),
        status: ReportStatusCode(stored.status),
        status_label: stored.status.label(),
        due_on,
        lines: compare(plan, &stored.report.budget)
            .into_iter()
            .map(|l| ReportLineView {
                account: l.account,
                funder: l.funder.map(FunderCode),
                label: l.label,
                planned_cents: l.planned_cents,
                voted_cents: l.voted_cents,
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

/// What the caller reads of a final report.
fn file_view(file: ReportFile) -> FinalReportView {
    report_view(&file.plan, file.due_on, file.report)
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
        .read(move |conn| app::read(conn, caller.0, id).map(file_view))
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
    let filing = ReportFiling {
        budget: input.budget.into_iter().map(Into::into).collect(),
        achieved: input
            .indicators
            .iter()
            .map(|a| (a.name.clone(), a.achieved))
            .collect(),
        summary: input.summary,
        beneficiaries_reached: input.beneficiaries_reached,
        annex: input.annex,
        attachments: input.attachment_ids,
    };
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| app::file(conn, caller.0, id, filing, city, &notifier).map(file_view))
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
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let file = match changes {
                Some(reason) => app::ask_changes(conn, caller.0, id, &reason, city, &notifier)?,
                None => app::accept(conn, caller.0, id, city, &notifier)?,
            };
            Ok(file_view(file))
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}
