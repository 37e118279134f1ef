//! A juror's work on a request of a call for projects: declaring their interests before
//! seeing it, reading it, scoring it; and the jury's result for a request, as its association
//! and the city's staff read it.

use crate::clock::CityNow;
use crate::instruction::signed;
use crate::instruction::{Telling, act_on};
use crate::juries::{Counting, counted_sheet};
use crate::notify::{self, Notifier};
use crate::requests::load_readable;
use simpa_domain::DomainError;
use simpa_domain::campaign::Campaign;
use simpa_domain::circuit::{Command, Declaration};
use simpa_domain::ids::{AccountId, RequestId};
use simpa_domain::jury::{
    Jury, check_cleared, check_declaration_change, check_sheet_editable, parse_declaration,
};
use simpa_domain::life::StoredRequest;
use simpa_domain::parties::Party;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::scoring::{Placed, check_sheet, complete_points, weighted};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::juries::{self, Seat};
use simpa_persistence::{DbConnection, StoreResult, campaigns, requests};
use uuid::Uuid;

/// A juror at their seat on a request: who they are, the request, its campaign and jury.
pub struct AtSeat {
    pub actor: Actor,
    pub juror: AccountId,
    pub request: StoredRequest,
    pub campaign: Campaign,
    pub jury: Jury,
    pub seat: Seat,
}

/// Loads the caller's seat on the request: jurors seated on it, neither recused nor members
/// of the applicant; anyone else is told the request does not exist.
/// The caller at their seat on a request, if they sit on it and are not recused (404
/// otherwise, as for a request they may not know of); `shared`: the jury holds meanwhile.
fn load_seat(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    shared: bool,
) -> StoreResult<AtSeat> {
    let actor = load_actor(conn, subject)?;
    let juror = match actor {
        Actor::Person { id, .. } => Some(id),
        _ => None,
    };
    let request = requests::get(conn, id)?;
    let seat = match (&request, juror) {
        (Some(request), Some(juror)) => {
            let on_jury = juries::seat_of(conn, request.campaign, juror)?.is_some();
            juries::seat(conn, id, juror)?.filter(|_| on_jury)
        }
        _ => None,
    };
    policy::authorize(
        &actor,
        Action::SitOnRequest {
            association: request.as_ref().map_or_else(
                || simpa_domain::ids::AssociationId::from_uuid(Uuid::nil()),
                |r| r.association,
            ),
            seated: seat.is_some(),
            recused: seat.as_ref().is_some_and(Seat::recused),
        },
    )?;
    let (Some(request), Some(seat), Some(juror)) = (request, seat, juror) else {
        return Err(DomainError::NotFound { what: "request" }.into());
    };
    let jury = if shared {
        juries::get_shared(conn, request.campaign)?
    } else {
        juries::get(conn, request.campaign)?
    }
    .ok_or(DomainError::NotFound { what: "jury" })?;
    let campaign = campaigns::get(conn, request.campaign)?
        .ok_or(DomainError::NotFound { what: "campaign" })?;
    Ok(AtSeat {
        actor,
        juror,
        request,
        campaign,
        jury,
        seat,
    })
}

/// A juror declares their interests in a request before reading it: a conflict, with its
/// reason, recuses them for good (the chair is told, with how many jurors the request keeps).
#[tracing::instrument(name = "jury_sheets::declare_interests", skip_all, fields(actor = Subject::kind(subject), request = %id, declaration = declaration.code()))]
pub fn declare_interests(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    declaration: Declaration,
    reason: Option<&str>,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<Seat> {
    let at = load_seat(conn, subject, id, true)?;
    at.jury.check_open()?;
    check_declaration_change(at.seat.declaration)?;
    let reason = parse_declaration(declaration, reason)?;
    if at.seat.declaration == Some(declaration) {
        return Ok(at.seat);
    }
    juries::declare(conn, id, at.juror, declaration, reason.as_deref(), now.at)?;
    let members = juries::members(conn, at.campaign.id)?;
    let name = members
        .iter()
        .find(|m| m.account == at.juror)
        .map_or_else(String::new, |m| m.name.clone());
    let command = Command::DeclareInterests {
        juror: name.clone(),
        declaration,
        reason: reason.clone(),
        automatic: false,
    };
    let signer = signed(conn, &at.actor)?;
    act_on(
        conn,
        &signer,
        at.request.id,
        &[Party::Jury],
        command,
        now,
        Telling::NoOne,
    )?;
    if declaration == Declaration::Conflict
        && let Some(chair) = members
            .iter()
            .find(|m| m.chair && m.withdrawn_at.is_none() && m.account != at.juror)
    {
        let counting = Counting::load(conn, &members, &[at.request.association])?;
        let seated = juries::seats_of_request(conn, id)?
            .iter()
            .filter(|s| !counting.excluded(s, at.request.association))
            .count();
        notify::tell_chair_of_recusal(
            conn,
            notifier,
            chair,
            &name,
            reason.as_deref().unwrap_or_default(),
            &at.request,
            seated,
            now.at,
        )?;
    }
    Ok(juries::seat(conn, id, at.juror)?.ok_or(DomainError::NotFound { what: "request" })?)
}

/// The caller at their seat on a request, declared or not (a juror recused finds nothing).
#[tracing::instrument(name = "jury_sheets::at_seat", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn at_seat(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<AtSeat> {
    load_seat(conn, subject, id, false)
}

/// The juror's sheet on a request, once they declared no conflict.
#[tracing::instrument(name = "jury_sheets::sheet", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn sheet(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<AtSeat> {
    let at = load_seat(conn, subject, id, false)?;
    check_cleared(at.seat.declaration)?;
    Ok(at)
}

/// Saves the juror's marks (points and comments, criterion by criterion, as written), a
/// draft or handed in (then complete, weighted, and no longer editable); the session open.
#[tracing::instrument(name = "jury_sheets::save", skip_all, fields(actor = Subject::kind(subject), request = %id, hand_in))]
pub fn save(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    marks: Vec<(Option<i64>, Option<String>)>,
    hand_in: bool,
    now: CityNow,
) -> StoreResult<AtSeat> {
    let at = load_seat(conn, subject, id, true)?;
    at.jury.check_open()?;
    check_cleared(at.seat.declaration)?;
    check_sheet_editable(at.seat.handed_in_at.is_some())?;
    let marks =
        check_sheet(&at.jury.settings.grid, &marks, hand_in).map_err(DomainError::Invalid)?;
    let score = complete_points(&marks)
        .filter(|_| hand_in)
        .map(|points| weighted(&at.jury.settings.grid, &points));
    juries::save_marks(conn, id, at.juror, &marks, score, now.at)?;
    let seat =
        juries::seat(conn, id, at.juror)?.ok_or(DomainError::NotFound { what: "request" })?;
    Ok(AtSeat { seat, ..at })
}

/// A sheet counted in a jury's result: who scored (named for the city's staff, numbered for
/// the association), the weighted score, the points.
pub struct ResultSheet {
    pub juror: String,
    pub weighted_score: f64,
    pub points: Vec<u32>,
}

/// The jury's result for a request, as whoever may read the request reads it: rank and
/// normalised score for the city's staff only.
pub struct JuryResult {
    pub placed: Placed,
    pub jury: Jury,
    /// Whether the reader sees what is internal to the city.
    pub internal: bool,
    pub sheets: Vec<ResultSheet>,
}

#[tracing::instrument(name = "jury_sheets::result", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn result(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<JuryResult> {
    let (signed, request) = load_readable(conn, subject, id, false)?;
    let internal = policy::sees_internal(&signed.actor, &request.access());
    let placed = juries::result_of(conn, id)?.ok_or(DomainError::NotFound {
        what: "jury_result",
    })?;
    let jury =
        juries::get(conn, request.campaign)?.ok_or(DomainError::NotFound { what: "jury" })?;
    let members = juries::members(conn, request.campaign)?;
    let counting = Counting::load(conn, &members, &[request.association])?;
    let mut sheets = Vec::new();
    for seat in juries::seats_of_request(conn, id)? {
        let Some(sheet) = counted_sheet(&counting, &seat, request.association) else {
            continue;
        };
        let juror = if internal {
            members
                .iter()
                .find(|m| m.account == seat.juror)
                .map_or_else(String::new, |m| m.name.clone())
        } else {
            format!("Juré·e {}", sheets.len() + 1)
        };
        sheets.push(ResultSheet {
            juror,
            weighted_score: sheet.score,
            points: seat
                .marks
                .unwrap_or_default()
                .iter()
                .filter_map(|m| m.points)
                .collect(),
        });
    }
    Ok(JuryResult {
        placed,
        jury,
        internal,
        sheets,
    })
}
