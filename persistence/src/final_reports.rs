//! Final reports (CERFA 15059) and their review.

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::json;
use crate::schema::final_reports;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use simpa_domain::final_report::{FinalReport, IndicatorResult, ReportStatus};
use simpa_domain::ids::RequestId;
use simpa_domain::request::Indicator;
use std::collections::HashMap;
use uuid::Uuid;

/// A final report as stored, with its review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub request: RequestId,
    pub status: ReportStatus,
    pub report: FinalReport,
    pub attachments: Vec<Uuid>,
    pub times_filed: i32,
    pub filed_by: String,
    pub filed_at: DateTime<Utc>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_reason: Option<String>,
    pub version: i64,
}

#[derive(Serialize, Deserialize)]
struct IndicatorJson {
    name: String,
    unit: String,
    target: i64,
    achieved: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = final_reports)]
struct Row {
    request_id: String,
    status: String,
    budget: String,
    indicators: String,
    summary: String,
    beneficiaries_reached: Option<i64>,
    annex: Option<String>,
    attachments: String,
    times_filed: i32,
    filed_by: String,
    filed_at: NaiveDateTime,
    reviewed_by: Option<String>,
    reviewed_at: Option<NaiveDateTime>,
    review_reason: Option<String>,
    version: i64,
}

fn from_row(row: Row) -> StoreResult<StoredReport> {
    let corrupt =
        |what: &str| StoreError::Corrupt(format!("final_reports.{what} of {}", row.request_id));
    let budget = json::read_budget("final_reports.budget", &row.request_id, &row.budget)?;
    let indicators: Vec<IndicatorJson> = json::read("final_reports.indicators", &row.indicators)?;
    let attachments: Vec<String> = json::read("final_reports.attachments", &row.attachments)?;
    Ok(StoredReport {
        request: parse("final_reports.request_id", &row.request_id)?,
        status: ReportStatus::from_code(&row.status).ok_or_else(|| corrupt("status"))?,
        report: FinalReport {
            budget,
            indicators: indicators
                .into_iter()
                .map(|i| {
                    // Shown as requests' indicators are (see `Indicator::stored`).
                    let shown = Indicator::stored(&i.name, &i.unit, i.target);
                    IndicatorResult {
                        name: shown.name,
                        unit: shown.unit,
                        target: i.target,
                        achieved: i.achieved,
                    }
                })
                .collect(),
            summary: row.summary,
            beneficiaries_reached: row.beneficiaries_reached,
            annex: row.annex,
        },
        attachments: attachments
            .iter()
            .map(|a| parse("final_reports.attachments", a))
            .collect::<StoreResult<_>>()?,
        times_filed: row.times_filed,
        filed_by: row.filed_by,
        filed_at: utc(row.filed_at),
        reviewed_by: row.reviewed_by,
        reviewed_at: row.reviewed_at.map(utc),
        review_reason: row.review_reason,
        version: row.version,
    })
}

pub fn get(conn: &mut DbConnection, request: RequestId) -> StoreResult<Option<StoredReport>> {
    final_reports::table
        .find(request.to_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// Files the report (first, or again after changes were asked): it waits for review.
pub fn file(
    conn: &mut DbConnection,
    request: RequestId,
    report: &FinalReport,
    attachments: &[Uuid],
    filed_by: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let budget = json::write_budget(&report.budget);
    let indicators = json::write(
        &report
            .indicators
            .iter()
            .map(|i| IndicatorJson {
                name: i.name.clone(),
                unit: i.unit.clone(),
                target: i.target,
                achieved: i.achieved,
            })
            .collect::<Vec<_>>(),
    );
    let attachments = json::write(
        &attachments
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    );
    let filed = ReportStatus::Filed.code();
    let updated = diesel::update(final_reports::table.find(request.to_string()))
        .set((
            final_reports::status.eq(filed),
            final_reports::budget.eq(&budget),
            final_reports::indicators.eq(&indicators),
            final_reports::summary.eq(&report.summary),
            final_reports::beneficiaries_reached.eq(report.beneficiaries_reached),
            final_reports::annex.eq(&report.annex),
            final_reports::attachments.eq(&attachments),
            final_reports::times_filed.eq(final_reports::times_filed + 1),
            final_reports::filed_by.eq(filed_by),
            final_reports::filed_at.eq(naive(now)),
            final_reports::version.eq(final_reports::version + 1),
        ))
        .execute(conn)?;
    if updated == 0 {
        crate::connection::on_each_backend!(&mut *conn, c => {
            diesel::insert_into(final_reports::table)
                .values((
                    final_reports::request_id.eq(request.to_string()),
                    final_reports::status.eq(filed),
                    final_reports::budget.eq(&budget),
                    final_reports::indicators.eq(&indicators),
                    final_reports::summary.eq(&report.summary),
                    final_reports::beneficiaries_reached.eq(report.beneficiaries_reached),
                    final_reports::annex.eq(&report.annex),
                    final_reports::attachments.eq(&attachments),
                    final_reports::times_filed.eq(1),
                    final_reports::filed_by.eq(filed_by),
                    final_reports::filed_at.eq(naive(now)),
                    final_reports::version.eq(1),
                ))
                .execute(c)
        })?;
    }
    Ok(())
}

/// Records the review: accepted, or changes asked with the reason.
pub fn review(
    conn: &mut DbConnection,
    request: RequestId,
    status: ReportStatus,
    reason: Option<&str>,
    reviewed_by: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(final_reports::table.find(request.to_string()))
        .set((
            final_reports::status.eq(status.code()),
            final_reports::reviewed_by.eq(reviewed_by),
            final_reports::reviewed_at.eq(naive(now)),
            final_reports::review_reason.eq(reason),
            final_reports::version.eq(final_reports::version + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// When the final report of each of these requests was filed, for those filed and waiting
/// for review.
pub fn filed_at_of(
    conn: &mut DbConnection,
    requests: &[RequestId],
) -> StoreResult<HashMap<RequestId, DateTime<Utc>>> {
    let ids: Vec<String> = requests.iter().map(ToString::to_string).collect();
    let rows: Vec<(String, NaiveDateTime)> = final_reports::table
        .filter(final_reports::request_id.eq_any(ids))
        .filter(final_reports::status.eq(ReportStatus::Filed.code()))
        .select((final_reports::request_id, final_reports::filed_at))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, at)| Ok((parse("final_reports.request_id", &id)?, utc(at))))
        .collect()
}
