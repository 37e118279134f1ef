//! A document version as every route shows it (the vault, a request's attached documents).

use crate::codes::ReviewStateCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use simpa_persistence::documents::DocumentVersion;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct FileView {
    pub name: String,
    pub size_bytes: i64,
    pub media_type: String,
    /// SHA-256 of the bytes, also the download's `ETag`.
    pub sha256: String,
    pub href: String,
}

#[derive(Serialize, ToSchema)]
pub struct BankDetailsView {
    pub iban: String,
    pub bic: String,
    pub account_holder: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentReviewView {
    pub state: ReviewStateCode,
    pub label: &'static str,
    pub reason: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// One filed version of a document (or a recorded attestation, which has no file).
#[derive(Serialize, ToSchema)]
pub struct DocumentVersionView {
    pub id: Uuid,
    pub kind: String,
    pub fiscal_year: Option<i32>,
    /// The last day of validity written on the document (inclusive), for the kinds valid until
    /// a date.
    pub valid_until: Option<NaiveDate>,
    pub event_date: Option<NaiveDate>,
    pub file: Option<FileView>,
    pub bank_details: Option<BankDetailsView>,
    pub filed_by: Uuid,
    pub filed_at: DateTime<Utc>,
    pub review: DocumentReviewView,
}

impl From<DocumentVersion> for DocumentVersionView {
    fn from(v: DocumentVersion) -> Self {
        let id = v.facts.id.uuid();
        let href = format!(
            "/api/v1/associations/{}/documents/{id}/file",
            v.association_id
        );
        DocumentVersionView {
            id,
            kind: v.kind_code,
            fiscal_year: v.facts.fiscal_year,
            valid_until: v.facts.valid_until,
            event_date: v.facts.event_date,
            file: v.file.map(|f| FileView {
                name: f.file_name,
                size_bytes: f.size_bytes,
                media_type: f.media_type,
                sha256: f.sha256,
                href,
            }),
            bank_details: v.bank.map(|b| BankDetailsView {
                iban: b.iban,
                bic: b.bic,
                account_holder: b.account_holder,
            }),
            filed_by: v.filed_by.uuid(),
            filed_at: v.facts.filed_at,
            review: DocumentReviewView {
                state: ReviewStateCode(v.facts.review),
                label: v.facts.review.label(),
                reason: v.review_reason,
                reviewed_at: v.reviewed_at,
            },
        }
    }
}
