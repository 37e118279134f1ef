//! Grants: what the vote gave a request, its payment schedule and the payments finance
//! records; the worklist of payments due, with the days late.

use crate::auth::Caller;
use crate::codes::{AgreementStatusCode, InstallmentDueCode};
use crate::etag::with_etag;
use crate::if_match::IfMatch;
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::requests::AssociationRef;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::clock::CityNow;
use simpa_app::grants::{self as app, Payment, ReadableGrant, RepaymentOrder, agreement_gate};
use simpa_domain::DomainError;
use simpa_domain::funding::{self, Installment, days_late};
use simpa_domain::ids::RequestId;
use simpa_persistence::grants::{self, DueFilter};
use simpa_persistence::{DbConnection, StoreResult, associations, deliberations};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct DeliberationRef {
    pub id: Uuid,
    /// `YYYY DIR NN`.
    pub reference: String,
    pub voted_on: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct AgreementRef {
    pub id: Uuid,
    pub reference: String,
    pub status: AgreementStatusCode,
    pub status_label: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct InstallmentView {
    pub position: usize,
    pub cents: i64,
    pub due: InstallmentDueCode,
    pub due_label: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub cents: i64,
    pub paid_on: NaiveDate,
    /// The payment order's number in the city's accounting.
    pub reference: String,
    pub recorded_at: DateTime<Utc>,
}

/// A grant and where its money stands.
#[derive(Serialize, ToSchema)]
pub struct GrantView {
    pub request_id: Uuid,
    pub number: Option<String>,
    pub title: String,
    pub association: AssociationRef,
    pub granted_cents: i64,
    /// The budget year of the subsidy.
    pub year: i32,
    pub deliberation: DeliberationRef,
    /// When the association was told of the grant: the payment delay runs from it.
    pub notified_on: NaiveDate,
    /// Above 23,000 € (alone or over twelve months), an agreement must be signed before any
    /// payment.
    pub agreement_required: bool,
    pub agreement: Option<AgreementRef>,
    pub installments: Vec<InstallmentView>,
    pub payments: Vec<PaymentView>,
    pub paid_cents: i64,
    /// What the schedule makes payable now (nothing while the agreement is unsigned; the
    /// balance once the final report is accepted).
    pub payable_cents: i64,
    /// What is payable and not yet paid.
    pub owed_cents: i64,
    /// By when what is owed must be paid.
    pub due_on: Option<NaiveDate>,
    pub days_late: i64,
    /// The final report (CERFA 15059): six months after the end of the financial year.
    pub final_report_due_on: NaiveDate,
    /// Repayment orders: once one is made, nothing more is paid.
    pub repayments: Vec<RepaymentView>,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RepaymentView {
    pub id: Uuid,
    pub cents: i64,
    pub reason: String,
    /// For a breach of the contrat d'engagement républicain.
    pub breach_on: Option<NaiveDate>,
    pub ordered_by: String,
    pub ordered_at: DateTime<Utc>,
    pub settled_on: Option<NaiveDate>,
}

fn grant_view(
    conn: &mut DbConnection,
    found: ReadableGrant,
    city: CityNow,
) -> StoreResult<GrantView> {
    let ReadableGrant {
        grant,
        agreement,
        request,
    } = found;
    let name = associations::names(conn, &[grant.association])?
        .into_iter()
        .next()
        .map(|(_, n)| n)
        .unwrap_or_default();
    let deliberation =
        deliberations::get(conn, grant.deliberation)?.ok_or(DomainError::NotFound {
            what: "deliberation",
        })?;
    let money = grant.money(agreement_gate(agreement.as_ref(), city.timezone));
    let due_on = money.due_on();
    let repayments = grants::repayments_of(conn, grant.request)?
        .into_iter()
        .map(|r| RepaymentView {
            id: r.id,
            cents: r.cents,
            reason: r.reason,
            breach_on: r.breach_on,
            ordered_by: r.ordered_by,
            ordered_at: r.ordered_at,
            settled_on: r.settled_on,
        })
        .collect();
    Ok(GrantView {
        request_id: grant.request.uuid(),
        number: request.number.map(|n| n.to_string()),
        title: request.content.title,
        association: AssociationRef {
            id: grant.association.uuid(),
            name,
        },
        granted_cents: grant.cents,
        year: grant.year,
        deliberation: DeliberationRef {
            id: deliberation.id,
            reference: deliberation.reference.to_string(),
            voted_on: grant.voted_on,
        },
        notified_on: grant.notified_on,
        agreement_required: agreement.is_some(),
        agreement: agreement.map(|a| AgreementRef {
            id: a.id,
            reference: a.reference,
            status: AgreementStatusCode(a.status),
            status_label: a.status.label(),
        }),
        installments: grant
            .installments
            .iter()
            .enumerate()
            .map(|(i, installment)| InstallmentView {
                position: i + 1,
                cents: installment.cents,
                due: InstallmentDueCode(installment.due),
                due_label: installment.due.label(),
            })
            .collect(),
        payments: grant
            .payments
            .into_iter()
            .map(|p| PaymentView {
                id: p.id,
                cents: p.cents,
                paid_on: p.paid_on,
                reference: p.reference,
                recorded_at: p.recorded_at,
            })
            .collect(),
        paid_cents: money.paid_cents,
        payable_cents: money.payable_cents(),
        owed_cents: money.owed_cents(),
        due_on,
        days_late: due_on.map_or(0, |d| days_late(d, city.today())),
        final_report_due_on: grant.final_report_due_on,
        repayments,
        version: grant.version,
    })
}

/// A granted request's grant: the amount voted and its deliberation, the agreement when one
/// is required, the payment schedule and the payments made. The association, the staff who
/// read the request, and finance.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    responses(
        (status = 200, body = GrantView, headers(("ETag" = String))),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/requests/{request_id}/grant")]
pub async fn get_grant(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let city = state.city_now();
    let view = state
        .read(move |conn| {
            let found = app::read(conn, caller.0, id)?;
            grant_view(conn, found, city)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

#[derive(Clone, Deserialize, ToSchema)]
pub struct InstallmentFields {
    pub cents: i64,
    /// `on_notification` or `after_final_report` (the balance).
    pub due: InstallmentDueCode,
}

/// A payment schedule: 1 to 10 installments adding up to the amount granted.
#[derive(Clone, Deserialize, ToSchema)]
pub struct ScheduleFields {
    pub installments: Vec<InstallmentFields>,
}

/// Sets a grant's payment schedule (finance), for example an advance on notification and the
/// balance after the final report. 409 `schedule.locked` after a payment or once the
/// agreement that prints it is signed; 422 when it does not add up to the amount granted.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    params(IfMatch),
    request_body = ScheduleFields,
    responses(
        (status = 200, body = GrantView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 412, response = responses::PreconditionFailed),
    )
)]
#[put("/requests/{request_id}/grant/schedule")]
pub async fn set_schedule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ScheduleFields>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let view = state
        .write(move |conn| {
            let installments: Vec<Installment> = input
                .installments
                .iter()
                .map(|i| Installment {
                    cents: i.cents,
                    due: i.due.0,
                })
                .collect();
            let found =
                app::set_schedule(conn, caller.0, id, if_match.version(), installments, city)?;
            grant_view(conn, found, city)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}

/// A payment order, as finance records it.
#[derive(Clone, Deserialize, ToSchema)]
pub struct PaymentFields {
    pub amount_cents: i64,
    pub paid_on: NaiveDate,
    /// The payment order's number in the city's accounting.
    #[schema(example = "MDT-2027-004512")]
    pub reference: String,
}

/// Records a payment (finance). 409 `payment.agreement_unsigned` while a required agreement
/// is not signed by both parties, `payment.not_due` beyond what the schedule makes payable
/// (the balance waits for the final report), `payment.exceeds_grant` beyond the amount
/// granted.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    request_body = PaymentFields,
    responses(
        (status = 201, body = GrantView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/requests/{request_id}/grant/payments")]
pub async fn record_payment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<PaymentFields>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let payment = Payment {
                amount_cents: input.amount_cents,
                paid_on: input.paid_on,
                reference: input.reference,
            };
            let found = app::record_payment(conn, caller.0, id, payment, city, &notifier)?;
            grant_view(conn, found, city)
        })
        .await?;
    Ok(with_etag(HttpResponse::Created(), view.version, &view))
}

#[derive(Deserialize, IntoParams)]
pub struct DueQuery {
    /// Only the payments past their due date.
    pub overdue: Option<bool>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// A grant with money owed.
#[derive(Serialize, ToSchema)]
pub struct DueView {
    pub request_id: Uuid,
    pub number: Option<String>,
    pub association: AssociationRef,
    pub granted_cents: i64,
    pub paid_cents: i64,
    pub owed_cents: i64,
    pub due_on: NaiveDate,
    pub days_late: i64,
}

/// The payments owed now, the longest due first, with the days late (finance and the
/// bureau); `overdue=true` keeps those past their due date.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    params(DueQuery),
    responses(
        (status = 200, body = Page<DueView>),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/payments/due")]
pub async fn payments_due(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<DueQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.0;
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let today = state.today();
    let page = state
        .read(move |conn| {
            let filter = DueFilter {
                due_before: query.overdue.unwrap_or(false).then_some(today),
                ..DueFilter::default()
            };
            app::payments_due(conn, caller.0, &filter, after.as_ref(), limit)
        })
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_stored(page, |d| DueView {
            request_id: d.request.uuid(),
            number: d.number,
            association: AssociationRef {
                id: d.association.uuid(),
                name: d.association_name,
            },
            granted_cents: d.cents,
            paid_cents: d.paid_cents,
            owed_cents: funding::owed(d.payable_cents, d.paid_cents),
            due_on: d.due_on,
            days_late: days_late(d.due_on, today),
        })),
    )
}

#[derive(Deserialize, IntoParams)]
pub struct GrantsQuery {
    /// Only the grants of this budget year.
    pub year: Option<i32>,
    /// Only the grants with money left to pay, whether due now or not (the agreement unsigned,
    /// a later installment).
    pub unpaid: Option<bool>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// A grant as listed: what was voted and what is paid.
#[derive(Serialize, ToSchema)]
pub struct ListedGrantView {
    pub request_id: Uuid,
    pub number: Option<String>,
    pub association: AssociationRef,
    pub granted_cents: i64,
    pub paid_cents: i64,
    pub voted_on: NaiveDate,
    pub year: i32,
}

/// Every grant, by request number (finance and the bureau): to find one to split into
/// installments before its agreement is signed, or to follow what is left to pay.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    params(GrantsQuery),
    responses(
        (status = 200, body = Page<ListedGrantView>),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/grants")]
pub async fn list_grants(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<GrantsQuery>,
) -> Result<HttpResponse, Problem> {
    let query = query.0;
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let unpaid = query.unpaid.unwrap_or(false);
    let page = state
        .read(move |conn| app::list(conn, caller.0, query.year, unpaid, after.as_ref(), limit))
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_stored(page, |g| ListedGrantView {
            request_id: g.request.uuid(),
            number: g.number,
            association: AssociationRef {
                id: g.association.uuid(),
                name: g.association_name,
            },
            granted_cents: g.cents,
            paid_cents: g.paid_cents,
            voted_on: g.voted_on,
            year: g.year,
        })),
    )
}

/// A repayment order: an amount, or the day of a breach of the contrat d'engagement
/// républicain (the amount is then computed pro rata), and the reason.
#[derive(Clone, Deserialize, ToSchema)]
pub struct RepaymentFields {
    pub amount_cents: Option<i64>,
    pub breach_on: Option<NaiveDate>,
    pub reason: String,
}

/// Orders a repayment (the instructing direction, the bureau, or the town hall on the local
/// circuit): the project was not carried out, or only in part, or the contrat d'engagement
/// républicain was breached (`breach_on`: the grant is withdrawn pro rata of the project's
/// period still to run, and what was paid beyond the part kept is claimed). Nothing more is
/// paid; the association is told by e-mail. 409 `repayment.exceeds_paid`,
/// `repayment.nothing_to_repay`.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    request_body = RepaymentFields,
    responses(
        (status = 201, body = GrantView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/requests/{request_id}/grant/repayments")]
pub async fn order_repayment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<RepaymentFields>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let order = RepaymentOrder {
                amount_cents: input.amount_cents,
                breach_on: input.breach_on,
                reason: input.reason,
            };
            let found = app::order_repayment(conn, caller.0, id, order, city, &notifier)?;
            grant_view(conn, found, city)
        })
        .await?;
    Ok(with_etag(HttpResponse::Created(), view.version, &view))
}

#[derive(Clone, Deserialize, ToSchema)]
pub struct SettlementFields {
    pub settled_on: NaiveDate,
}

/// Records that a repayment was settled (finance); once every repayment of the grant is, the
/// request closes. 409 `repayment.settled` the second time.
#[utoipa::path(
    tag = "grants",
    security(("bearer" = [])),
    request_body = SettlementFields,
    responses(
        (status = 200, body = GrantView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/requests/{request_id}/grant/repayments/{repayment_id}/settle")]
pub async fn settle_repayment(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<SettlementFields>,
) -> Result<HttpResponse, Problem> {
    let (id, repayment_id) = path.into_inner();
    let id = RequestId::from_uuid(id);
    let input = body.value;
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let found = app::settle_repayment(
                conn,
                caller.0,
                id,
                repayment_id,
                input.settled_on,
                city,
                &notifier,
            )?;
            grant_view(conn, found, city)
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), view.version, &view))
}
