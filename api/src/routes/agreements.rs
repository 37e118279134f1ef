//! Agreements (conventions d'objectifs): drawn up at the vote for the grants that need one,
//! edited by the bureau while unsigned, signed by the association's president (its legal
//! representative) and then by the city; downloadable as HTML and PDF.

use crate::auth::Caller;
use crate::codes::AgreementStatusCode;
use crate::etag::with_etag;
use crate::if_match::IfMatch;
use crate::input::{Json, Query};
use crate::print;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::requests::AssociationRef;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::agreements::{self as app, AgreementText, Terms};
use simpa_domain::DomainError;
use simpa_domain::agreement::YearAmount;
use simpa_persistence::agreements::{Agreement, Side, Signature};
use simpa_persistence::grants::Grant;
use simpa_persistence::requests;
use simpa_persistence::{DbConnection, StoreResult, associations};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct YearAmountView {
    pub year: i32,
    pub cents: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SignatureView {
    pub name: String,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct CoveredGrant {
    pub request_id: Uuid,
    pub number: Option<String>,
    pub year: i32,
    pub granted_cents: i64,
}

/// An agreement: its terms, the grants it covers and its signatures.
#[derive(Serialize, ToSchema)]
pub struct AgreementView {
    pub id: Uuid,
    /// The number of the request whose grant opened it.
    pub reference: String,
    pub association: AssociationRef,
    pub object: String,
    pub years: Vec<YearAmountView>,
    pub total_cents: i64,
    pub payment_days: u32,
    pub status: AgreementStatusCode,
    pub status_label: &'static str,
    pub association_signature: Option<SignatureView>,
    pub city_signature: Option<SignatureView>,
    pub grants: Vec<CoveredGrant>,
    /// The text as a web page and as a PDF.
    pub document_html: String,
    pub document_pdf: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn agreement_view(
    conn: &mut DbConnection,
    agreement: Agreement,
    covered: Vec<Grant>,
) -> StoreResult<AgreementView> {
    let name = associations::names(conn, &[agreement.association])?
        .into_iter()
        .next()
        .map(|(_, n)| n)
        .unwrap_or_default();
    let keys: Vec<String> = covered.iter().map(|g| g.request.to_string()).collect();
    let numbers = requests::get_many(conn, &keys)?;
    let signature = |s: Option<Signature>| {
        s.map(|s| SignatureView {
            name: s.name,
            at: s.at,
        })
    };
    let base = format!("/api/v1/agreements/{}/document", agreement.id);
    Ok(AgreementView {
        id: agreement.id,
        reference: agreement.reference,
        association: AssociationRef {
            id: agreement.association.uuid(),
            name,
        },
        object: agreement.terms.object,
        total_cents: simpa_domain::money::total(agreement.terms.years.iter().map(|y| y.cents)),
        years: agreement
            .terms
            .years
            .iter()
            .map(|y| YearAmountView {
                year: y.year,
                cents: y.cents,
            })
            .collect(),
        payment_days: agreement.terms.payment_days,
        status: AgreementStatusCode(agreement.status),
        status_label: agreement.status.label(),
        association_signature: signature(agreement.association_signature),
        city_signature: signature(agreement.city_signature),
        grants: covered
            .iter()
            .map(|g| CoveredGrant {
                request_id: g.request.uuid(),
                number: numbers
                    .iter()
                    .find(|r| r.id == g.request)
                    .and_then(|r| r.number.map(|n| n.to_string())),
                year: g.year,
                granted_cents: g.cents,
            })
            .collect(),
        document_html: format!("{base}.html"),
        document_pdf: format!("{base}.pdf"),
        version: agreement.version,
        created_at: agreement.created_at,
        updated_at: agreement.updated_at,
    })
}

/// An agreement: its terms, the grants it covers and where its signatures stand. The
/// association, the staff who read its requests, and finance.
#[utoipa::path(
    tag = "agreements",
    security(("bearer" = [])),
    responses(
        (status = 200, body = AgreementView, headers(("ETag" = String))),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/agreements/{agreement_id}")]
pub async fn get_agreement(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let view = state
        .read(move |conn| {
            let found = app::read(conn, caller.0, id)?;
            agreement_view(conn, found.agreement, found.visible)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

#[derive(Deserialize, IntoParams)]
pub struct AgreementsQuery {
    /// `drafted`, `signed_by_association` (the city's signatures to give) or `signed`.
    pub status: AgreementStatusCode,
}

#[derive(Serialize, ToSchema)]
pub struct AgreementList {
    pub items: Vec<AgreementView>,
}

/// The agreements in one status, the oldest first, up to 200 (bureau): for example those the
/// associations signed and the city has still to sign.
#[utoipa::path(
    tag = "agreements",
    security(("bearer" = [])),
    params(AgreementsQuery),
    responses(
        (status = 200, body = AgreementList),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/agreements")]
pub async fn list_agreements(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AgreementsQuery>,
) -> Result<HttpResponse, Problem> {
    let status = query.0.status.0;
    let list = state
        .read(move |conn| {
            let mut items = Vec::new();
            for (agreement, covered) in app::list(conn, caller.0, status)? {
                items.push(agreement_view(conn, agreement, covered)?);
            }
            Ok(AgreementList { items })
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// What the bureau may change before the association signs.
#[derive(Clone, Deserialize, ToSchema)]
pub struct AgreementFields {
    pub object: String,
    /// One to four consecutive years from the grant's; the first year's amount is the one
    /// voted.
    pub years: Vec<YearAmountView>,
    /// Days within which what is due is paid (60 unless the agreement says otherwise).
    pub payment_days: u32,
}

/// Edits a drafted agreement (bureau): its object, its years (a multi-year agreement covers
/// the grants of its later years within their amounts) and its payment delay. 409
/// `agreement.signed` once the association has signed.
#[utoipa::path(
    tag = "agreements",
    security(("bearer" = [])),
    params(IfMatch),
    request_body = AgreementFields,
    responses(
        (status = 200, body = AgreementView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
    )
)]
#[put("/agreements/{agreement_id}")]
pub async fn update_agreement(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<AgreementFields>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let input = body.value;
    let now = state.now();
    let view = state
        .write(move |conn| {
            let terms = Terms {
                object: input.object,
                years: input
                    .years
                    .iter()
                    .map(|y| YearAmount {
                        year: y.year,
                        cents: y.cents,
                    })
                    .collect(),
                payment_days: input.payment_days,
            };
            let found = app::update_terms(conn, caller.0, id, if_match.version(), terms, now)?;
            agreement_view(conn, found.agreement, found.visible)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// Signs the agreement for the association: its president, as legal representative, with
/// `If-Match` naming the version read (412 when the terms changed since). 409
/// `agreement.already_signed` the second time.
#[utoipa::path(
    tag = "agreements",
    security(("bearer" = [])),
    params(IfMatch),
    responses(
        (status = 200, body = AgreementView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/agreements/{agreement_id}/sign")]
pub async fn sign_agreement(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, Problem> {
    give_signature(
        state,
        caller,
        path.into_inner(),
        if_match,
        Side::Association,
    )
    .await
}

/// Signs the agreement for the city (bureau), after the association, with `If-Match`; the
/// payments it held back become due. 409 `agreement.association_signature_missing` before the
/// association signs.
#[utoipa::path(
    tag = "agreements",
    security(("bearer" = [])),
    params(IfMatch),
    responses(
        (status = 200, body = AgreementView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/agreements/{agreement_id}/countersign")]
pub async fn countersign_agreement(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, Problem> {
    give_signature(state, caller, path.into_inner(), if_match, Side::City).await
}

/// Signs the version of the terms the signer read (`If-Match`): an edit in between gets 412.
async fn give_signature(
    state: web::Data<AppState>,
    caller: Caller,
    id: Uuid,
    if_match: IfMatch,
    side: Side,
) -> Result<HttpResponse, Problem> {
    let now = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let found = app::sign(conn, caller.0, id, if_match.version(), side, now, &notifier)?;
            agreement_view(conn, found.agreement, found.visible)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// The agreement's title, status and articles, from the template.

#[derive(Deserialize, IntoParams)]
pub struct DocumentPath {
    pub agreement_id: Uuid,
    /// `html` or `pdf`.
    pub format: String,
}

/// The agreement's text, from the template, as an HTML page or a PDF; its signatures as they
/// stand. Readable by whoever reads the agreement.
#[utoipa::path(
    tag = "agreements",
    security(("bearer" = [])),
    params(DocumentPath),
    responses(
        (status = 200, body = String, content_type = "text/html", description = "`document.html`"),
        (status = 200, body = Vec<u8>, content_type = "application/pdf", description = "`document.pdf`"),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/agreements/{agreement_id}/document.{format}")]
pub async fn agreement_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<DocumentPath>,
) -> Result<HttpResponse, Problem> {
    let DocumentPath {
        agreement_id: id,
        format,
    } = path.into_inner();
    if format != "html" && format != "pdf" {
        return Err(DomainError::NotFound { what: "document" }.into());
    }
    let (city, timezone) = (state.config.city.clone(), state.config.timezone);
    let AgreementText {
        title,
        status,
        articles,
        reference,
    } = state
        .read(move |conn| app::text(conn, caller.0, id, &city, timezone))
        .await?;
    let disposition = format!("inline; filename=\"convention-{reference}.{format}\"");
    if format == "pdf" {
        return Ok(HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((header::CONTENT_DISPOSITION, disposition))
            .body(print::pdf(&title, status, &articles)));
    }
    let page = print::html(&title, status, &articles).map_err(|e| {
        tracing::error!("agreement template: {e:#}");
        Problem::internal()
    })?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .body(page))
}
