//! A juror's work on a request of a call for projects: declaring their interests before
//! seeing it, reading it, scoring it. And the jury's result for a request, as its association
//! and the city's staff read it.

use crate::auth::Caller;
use crate::codes::{AllotmentCode, DeclarationCode, SessionStatusCode};
use crate::input::Json;
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::juries::CriterionFields;
use crate::views::request_fields::RequestFields;
use crate::views::requests::{AssociationRef, BudgetSummary};
use actix_web::{HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::jury_sheets::{self as app, AtSeat, JuryResult};
use simpa_domain::circuit::Declaration;
use simpa_domain::ids::RequestId;
use simpa_domain::scoring::{complete_points, weighted};
use simpa_persistence::juries::Seat;
use simpa_persistence::{DbConnection, StoreResult, associations};
use utoipa::ToSchema;
use uuid::Uuid;

/// A juror's declaration of interests on a request.
#[derive(Clone, Deserialize, ToSchema)]
pub struct DeclarationFields {
    pub declaration: DeclarationCode,
    /// Required for a conflict: its nature.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SeatView {
    pub request_id: Uuid,
    pub declaration: Option<DeclarationCode>,
    pub declaration_label: Option<&'static str>,
    pub conflict_reason: Option<String>,
    pub declared_at: Option<DateTime<Utc>>,
}

fn seat_view(seat: &Seat) -> SeatView {
    SeatView {
        request_id: seat.request.uuid(),
        declaration: seat.declaration.map(DeclarationCode),
        declaration_label: seat.declaration.map(Declaration::label),
        conflict_reason: seat.conflict_reason.clone(),
        declared_at: seat.declared_at,
    }
}

/// A juror declares, before seeing the request, that they have no conflict of interest with
/// it, or that they have one (with its nature): they are then recused for good, see nothing
/// more of it, their sheet is discarded and the chair is told. Every declaration is in the
/// request's history (internal).
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    request_body = DeclarationFields,
    responses(
        (status = 200, body = SeatView),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[put("/requests/{request_id}/jury/declaration")]
pub async fn declare_interests(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<DeclarationFields>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let notifier = state.notifier.clone();
    let view = state
        .write(move |conn| {
            let seat = app::declare_interests(
                conn,
                caller.0,
                id,
                input.declaration.0,
                input.reason.as_deref(),
                city,
                &notifier,
            )?;
            Ok(seat_view(&seat))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// What a juror reads of a request: what the association wrote, without its documents,
/// opinions or history.
#[derive(Serialize, ToSchema)]
pub struct DossierView {
    pub id: Uuid,
    pub number: Option<String>,
    pub association: AssociationRef,
    #[serde(flatten)]
    pub fields: RequestFields,
    pub budget_summary: BudgetSummary,
}

/// A juror's mark on one criterion.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct MarkFields {
    /// From 0 to the criterion's maximum; absent while not scored yet.
    pub points: Option<i64>,
    pub comment: Option<String>,
}

/// A juror's score sheet for a request, with the grid and the request itself.
#[derive(Serialize, ToSchema)]
pub struct SheetView {
    pub request: DossierView,
    pub session: SessionStatusCode,
    pub criteria: Vec<CriterionFields>,
    /// One per criterion, in the order of the grid.
    pub scores: Vec<MarkFields>,
    /// Out of 100, once every criterion is scored.
    pub weighted_score: Option<f64>,
    pub handed_in_at: Option<DateTime<Utc>>,
}

fn sheet_view(conn: &mut DbConnection, at: &AtSeat) -> StoreResult<SheetView> {
    let request = &at.request;
    let grid = &at.jury.settings.grid;
    let marks = at.seat.marks.clone().unwrap_or_default();
    Ok(SheetView {
        request: DossierView {
            id: request.id.uuid(),
            number: request.number.map(|n| n.to_string()),
            association: AssociationRef {
                id: request.association.uuid(),
                name: associations::name(conn, request.association)?,
            },
            fields: RequestFields::from_content(request.content.clone()),
            budget_summary: BudgetSummary::of(&request.content.budget),
        },
        session: SessionStatusCode(at.jury.status),
        criteria: CriterionFields::of_grid(grid),
        weighted_score: complete_points(&marks).map(|p| weighted(grid, &p)),
        scores: if marks.is_empty() {
            grid.iter()
                .map(|_| MarkFields {
                    points: None,
                    comment: None,
                })
                .collect()
        } else {
            marks
                .into_iter()
                .map(|m| MarkFields {
                    points: m.points.map(i64::from),
                    comment: m.comment,
                })
                .collect()
        },
        handed_in_at: at.seat.handed_in_at,
    })
}

/// A juror's sheet for a request they sit on, with the request and the grid; readable once
/// they declared no conflict (409 `jury.declaration_required` before).
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SheetView),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[get("/requests/{request_id}/jury/sheet")]
pub async fn get_sheet(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| {
            let at = app::sheet(conn, caller.0, id)?;
            sheet_view(conn, &at)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A sheet as the juror sends it.
#[derive(Clone, Deserialize, ToSchema)]
pub struct SheetFields {
    /// One per criterion, in the order of the grid.
    pub scores: Vec<MarkFields>,
    /// Hands the sheet in: every criterion must be scored, and it no longer changes.
    #[serde(default)]
    pub hand_in: bool,
}

/// Saves a juror's sheet (a draft, or handed in with `hand_in`). Points are whole numbers
/// within each criterion's range (422 `score.out_of_range`); a sheet handed in, or a closed
/// session, no longer changes (409).
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    request_body = SheetFields,
    responses(
        (status = 200, body = SheetView),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
    )
)]
#[put("/requests/{request_id}/jury/sheet")]
pub async fn save_sheet(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<SheetFields>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let input = body.value;
    let city = state.city_now();
    let marks: Vec<(Option<i64>, Option<String>)> = input
        .scores
        .into_iter()
        .map(|m| (m.points, m.comment))
        .collect();
    let view = state
        .write(move |conn| {
            let at = app::save(conn, caller.0, id, marks, input.hand_in, city)?;
            sheet_view(conn, &at)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A juror's sheet in a request's result: named for the city's staff, "Juré·e 1, 2…" for the
/// association.
#[derive(Serialize, ToSchema)]
pub struct ResultSheet {
    pub juror: String,
    pub weighted_score: f64,
    pub points: Vec<u32>,
}

/// What the jury's validated ranking gave a request.
#[derive(Serialize, ToSchema)]
pub struct JuryResultView {
    pub request_id: Uuid,
    /// Out of 100: the mean of the counted sheets.
    pub score: Option<f64>,
    pub sheets: u32,
    pub allotment: AllotmentCode,
    pub allotment_label: &'static str,
    /// What the jury proposes to the council's vote.
    pub funded_cents: i64,
    /// For the city's staff: the rank and the normalised score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalised_score: Option<f64>,
    pub criteria: Vec<CriterionFields>,
    pub scores: Vec<ResultSheet>,
}

/// The jury's result for a request, once its ranking is validated: its score and what it
/// was given, and each counted sheet per criterion. The association reads its own, with the
/// jurors unnamed and nothing of other applicants; the city's staff who see the request read
/// the jurors' names and its rank.
#[utoipa::path(
    tag = "juries",
    security(("bearer" = [])),
    responses(
        (status = 200, body = JuryResultView),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/requests/{request_id}/jury/result")]
pub async fn jury_result(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let view = state
        .read(move |conn| {
            let JuryResult {
                placed,
                jury,
                internal,
                sheets,
            } = app::result(conn, caller.0, id)?;
            let scores = sheets
                .into_iter()
                .map(|s| ResultSheet {
                    juror: s.juror,
                    weighted_score: s.weighted_score,
                    points: s.points,
                })
                .collect();
            Ok(JuryResultView {
                request_id: id.uuid(),
                score: placed.score,
                sheets: placed.sheets,
                allotment: AllotmentCode(placed.allotment),
                allotment_label: placed.allotment.label(),
                funded_cents: placed.funded_cents,
                rank: internal.then_some(placed.rank),
                normalised_score: placed.normalised.filter(|_| internal),
                criteria: CriterionFields::of_grid(&jury.settings.grid),
                scores,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
