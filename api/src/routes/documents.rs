//! The document vault: kinds of documents, filing them once, downloading them, the city's
//! review, and where an association stands.

use crate::auth::Caller;
use crate::codes::{
    ConditionCode, DocumentStatusCode, ProfileStatusCode, ReviewStateCode, ValidityRuleCode,
};
use crate::input::{Json, Query};
use crate::pagination::Page;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::documents::DocumentVersionView;
use actix_multipart::Multipart;
use actix_web::http::header::{self};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::documents;
use simpa_domain::document::{DocumentKind, KindStatus};
use simpa_domain::ids::{AssociationId, DocumentVersionId};
use simpa_files::download::Stored;
use simpa_files::store::BlobStore;
use simpa_files::upload::FILING_FIELDS;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct DocumentKindView {
    #[schema(example = "comptes_annuels")]
    pub code: String,
    pub label: String,
    pub validity_rule: ValidityRuleCode,
    /// For `fiscal_year`: the year required on a date of year N is N + offset.
    pub fiscal_year_offset: i32,
    /// For `fiscal_year`: months into a year before the required year moves on.
    pub grace_months: u32,
    /// For `dated`: months a version stays valid after its date.
    pub max_age_months: Option<u32>,
    /// A RIB: filed with `iban`, `bic` and `account_holder`.
    pub bank_details: bool,
    /// Missing, it makes the profile "à compléter".
    pub required_for_profile: bool,
    pub required_when: Option<ConditionCode>,
}

impl From<DocumentKind> for DocumentKindView {
    fn from(k: DocumentKind) -> Self {
        DocumentKindView {
            code: k.code,
            label: k.label,
            validity_rule: ValidityRuleCode(k.rule),
            fiscal_year_offset: k.fiscal_year_offset,
            grace_months: k.grace_months,
            max_age_months: k.max_age_months,
            bank_details: k.bank_details,
            required_for_profile: k.required_for_profile,
            required_when: k.condition.map(ConditionCode),
        }
    }
}

/// A kind's rules, as an admin edits them.
#[derive(Deserialize, ToSchema)]
pub struct DocumentKindInput {
    pub label: String,
    pub validity_rule: ValidityRuleCode,
    #[serde(default)]
    pub fiscal_year_offset: i32,
    #[serde(default)]
    pub grace_months: u32,
    pub max_age_months: Option<u32>,
    #[serde(default)]
    pub bank_details: bool,
    #[serde(default)]
    pub required_for_profile: bool,
    pub required_when: Option<ConditionCode>,
}

/// Something worth a second look that does not prevent filing.
#[derive(Serialize, ToSchema)]
pub struct Warning {
    pub code: &'static str,
    pub detail: String,
}

impl From<documents::Warning> for Warning {
    fn from(w: documents::Warning) -> Self {
        Warning {
            code: w.code,
            detail: w.detail,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FiledDocument {
    pub version: DocumentVersionView,
    pub warnings: Vec<Warning>,
}

/// The fields of a filing, sent as `multipart/form-data` (documented here; read by hand).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DocumentUpload {
    /// A kind code from `GET /api/v1/document-kinds`.
    kind: String,
    /// For yearly kinds: the financial year.
    fiscal_year: Option<i32>,
    /// For `valid_until` kinds (insurance): the last day of validity, `YYYY-MM-DD`.
    valid_until: Option<NaiveDate>,
    /// For `dated` kinds (minutes of the general meeting): its date.
    event_date: Option<NaiveDate>,
    /// For a RIB.
    iban: Option<String>,
    bic: Option<String>,
    account_holder: Option<String>,
    /// PDF, PNG, JPEG, ODT, ODS, DOCX or XLSX, recognised by its content; 20 MB at most.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Serialize, ToSchema)]
pub struct KindStatusView {
    pub kind: String,
    pub label: String,
    pub status: DocumentStatusCode,
    pub status_label: &'static str,
    /// The version in force (or, when out of date, the latest one).
    pub version_id: Option<Uuid>,
    pub required_fiscal_year: Option<i32>,
    /// The last day the version is valid (inclusive), as a filed version's `valid_until`.
    pub valid_until: Option<NaiveDate>,
}

/// Where an association's documents and profile stand on a date.
#[derive(Serialize, ToSchema)]
pub struct VaultStatusView {
    pub on: NaiveDate,
    pub profile_status: ProfileStatusCode,
    pub profile_status_label: &'static str,
    /// When the association last confirmed its profile.
    pub confirmed_at: DateTime<Utc>,
    pub kinds: Vec<KindStatusView>,
}

#[derive(Deserialize, IntoParams)]
pub struct StatusQuery {
    /// The date to judge on, `YYYY-MM-DD` (default: today in the city's time zone).
    pub on: Option<NaiveDate>,
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewInput {
    /// `accepted` or `rejected`.
    pub decision: ReviewStateCode,
    /// Required for a rejection: the association is told why.
    pub reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct AttestationInput {
    /// The kind of attestation, e.g. `contrat_engagement_republicain`.
    pub kind: String,
}

#[derive(Deserialize, ToSchema)]
pub struct PublicFundingInput {
    /// Public cash subsidies received that year, all public funders together, in cents.
    pub cash_subsidies_cents: i64,
}

/// The kinds of documents and their rules.
#[utoipa::path(tag = "documents", responses((status = 200, body = Page<DocumentKindView>)))]
#[get("/document-kinds")]
pub async fn list_kinds(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Page<DocumentKindView>>, Problem> {
    let kinds = state
        .read(move |conn| documents::kinds(conn, caller.0))
        .await?;
    Ok(web::Json(Page::all(
        kinds.into_iter().map(DocumentKindView::from),
    )))
}

/// Edits a kind's rules (admins). Its code stays.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    request_body = DocumentKindInput,
    responses((status = 200, body = DocumentKindView), (status = 403, response = responses::Forbidden))
)]
#[put("/document-kinds/{code}")]
pub async fn update_kind(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: Json<DocumentKindInput>,
) -> Result<web::Json<DocumentKindView>, Problem> {
    let input = body.value;
    let kind = DocumentKind {
        code: path.into_inner(),
        label: input.label,
        rule: input.validity_rule.0,
        fiscal_year_offset: input.fiscal_year_offset,
        grace_months: input.grace_months,
        max_age_months: input.max_age_months,
        bank_details: input.bank_details,
        required_for_profile: input.required_for_profile,
        condition: input.required_when.map(|c| c.0),
    };
    let now = state.now();
    let updated = state
        .write(move |conn| simpa_app::reference::update_kind(conn, caller.0, kind, now))
        .await?;
    Ok(web::Json(updated.into()))
}

/// Files a document (the association's members). A new filing of a kind supersedes the
/// previous one, which stays readable. Identical bytes are stored once.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = FiledDocument, headers(("Location" = String))),
        (status = 400, response = responses::BadRequest),
        (status = 403, response = responses::Forbidden),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/associations/{association_id}/documents")]
pub async fn file_document(
    state: web::Data<AppState>,
    blobs: web::Data<BlobStore>,
    caller: Caller,
    path: web::Path<Uuid>,
    req: HttpRequest,
    multipart: Multipart,
) -> Result<HttpResponse, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    crate::input::check_upload_length(&req, state.config.upload_limit)?;
    // Who may file is known before a single byte is read.
    let filer = state
        .read(move |conn| documents::filer(conn, caller.0, id))
        .await?;
    let (form, _slot) =
        crate::input::read_upload(&state, &blobs, multipart, FILING_FIELDS, &[]).await?;
    let (version, warnings) =
        documents::file_upload(&state.runtime, blobs.clone().into_inner(), filer, id, form).await?;
    let view = DocumentVersionView::from(version);
    let warnings = warnings.into_iter().map(Warning::from).collect();
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/associations/{id}/documents/{}", view.id),
        ))
        .json(FiledDocument {
            version: view,
            warnings,
        }))
}

/// Every version the association filed, newest first (history included).
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    responses((status = 200, body = Page<DocumentVersionView>), (status = 403, response = responses::Forbidden))
)]
#[get("/associations/{association_id}/documents")]
pub async fn list_documents(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<Page<DocumentVersionView>>, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let versions = state
        .read(move |conn| documents::versions(conn, caller.0, id))
        .await?;
    Ok(web::Json(Page::all(
        versions.into_iter().map(DocumentVersionView::from),
    )))
}

/// The bytes of a filed version, with their type, name and SHA-256 as `ETag`.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", headers(("ETag" = String), ("Content-Disposition" = String))),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/associations/{association_id}/documents/{version_id}/file")]
pub async fn download_document(
    state: web::Data<AppState>,
    blobs: web::Data<BlobStore>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let (id, version) = path.into_inner();
    let (id, version) = (
        AssociationId::from_uuid(id),
        DocumentVersionId::from_uuid(version),
    );
    let version = state
        .read(move |conn| documents::version(conn, caller.0, id, version))
        .await?;
    let Some(file) = version.file else {
        return Err(Problem::not_found("file"));
    };
    let stored = Stored {
        sha256: &file.sha256,
        media_type: &file.media_type,
        file_name: &file.file_name,
    };
    crate::etag::stored_file(&req, &blobs, stored).await
}

/// Accepts or rejects a filed version (the bureau, or the town hall of the association's
/// district). A rejected document counts as missing; a rejection says why.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    request_body = ReviewInput,
    responses((status = 200, body = DocumentVersionView), (status = 403, response = responses::Forbidden))
)]
#[post("/associations/{association_id}/documents/{version_id}/review")]
pub async fn review_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<ReviewInput>,
) -> Result<web::Json<DocumentVersionView>, Problem> {
    let (id, version) = path.into_inner();
    let (id, version) = (
        AssociationId::from_uuid(id),
        DocumentVersionId::from_uuid(version),
    );
    let input = body.value;
    let now = state.now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let decision = input.decision.0;
            let reason = input.reason.as_deref();
            let verdict = documents::Verdict { decision, reason };
            documents::review(conn, caller.0, id, version, verdict, now, &notifier)
                .map(DocumentVersionView::from)
        })
        .await?;
    Ok(web::Json(view))
}

/// Where the association's documents stand on a date, kind by kind, and the profile status
/// they make: "à compléter", "à actualiser" or "à jour".
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(StatusQuery),
    responses((status = 200, body = VaultStatusView), (status = 400, response = responses::BadRequest), (status = 403, response = responses::Forbidden))
)]
#[get("/associations/{association_id}/documents/status")]
pub async fn vault(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: Query<StatusQuery>,
) -> Result<web::Json<VaultStatusView>, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let on = query.0.on.unwrap_or_else(|| state.today());
    let timezone = state.config.timezone;
    let view = state
        .read(move |conn| {
            let vault = documents::standing(conn, caller.0, id, on, timezone)?;
            let kinds = vault
                .kinds
                .into_iter()
                .zip(vault.statuses)
                .map(|(kind, (_, status))| kind_status_view(kind, status))
                .collect();
            Ok(VaultStatusView {
                on,
                profile_status: ProfileStatusCode(vault.profile),
                profile_status_label: vault.profile.label(),
                confirmed_at: vault.confirmed_at,
                kinds,
            })
        })
        .await?;
    Ok(web::Json(view))
}

fn kind_status_view(kind: DocumentKind, status: KindStatus) -> KindStatusView {
    KindStatusView {
        kind: kind.code,
        label: kind.label,
        status: DocumentStatusCode(status.status),
        status_label: status.status.label(),
        version_id: status.version.map(DocumentVersionId::uuid),
        required_fiscal_year: status.required_fiscal_year,
        valid_until: status.valid_until,
    }
}

/// Records an attestation signed in the association's name by its president, such as the
/// contrat d'engagement républicain (who and when are kept).
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    request_body = AttestationInput,
    responses((status = 201, body = DocumentVersionView), (status = 403, response = responses::Forbidden))
)]
#[post("/associations/{association_id}/attestations")]
pub async fn attest(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<AttestationInput>,
) -> Result<HttpResponse, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let code = body.value.kind.trim().to_owned();
    let now = state.now();
    let view = state
        .write(move |conn| {
            documents::attest(conn, caller.0, id, &code, now).map(DocumentVersionView::from)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Confirms that the association's profile is still accurate (editing it confirms it too).
/// Unconfirmed for 12 months, a profile is "à actualiser".
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    responses((status = 204, description = "Confirmed"), (status = 403, response = responses::Forbidden))
)]
#[post("/associations/{association_id}/confirmation")]
pub async fn confirm_profile(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = AssociationId::from_uuid(path.into_inner());
    let now = state.now();
    state
        .write(move |conn| documents::confirm_profile(conn, caller.0, id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Declares the public cash subsidies the association received in a financial year (all
/// public funders). Above 153,000 €, the auditor's report of that year is required.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    request_body = PublicFundingInput,
    responses((status = 204, description = "Declared"), (status = 403, response = responses::Forbidden))
)]
#[put("/associations/{association_id}/public-funding/{fiscal_year}")]
pub async fn declare_public_funding(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, i32)>,
    body: Json<PublicFundingInput>,
) -> Result<HttpResponse, Problem> {
    let (id, year) = path.into_inner();
    let id = AssociationId::from_uuid(id);
    let cents = body.value.cash_subsidies_cents;
    let (now, today) = (state.now(), state.today());
    state
        .write(move |conn| {
            documents::declare_public_funding(conn, caller.0, id, year, cents, now, today)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
