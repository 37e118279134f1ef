//! The juries of calls for projects, in the portal (`/jury`): a juror's own calls and the
//! requests they sit on; on each, the declaration of interests before reading it, then the
//! request and the scoring grid, saved as a draft and handed in. The chair (and the bureau)
//! sees who has scored what, closes the session, reads the ranking within the envelope, with
//! and without normalisation, and validates it. What the policy keeps from someone is not
//! found, as through the API.

use super::requests::answers;
use super::staff::DoneQuery;
use super::typed::{Typed, field, whole_number};
use crate::Portal;
use crate::answers::{city_date, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{answered, errors_page, form_page, refused_at};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use simpa_app::juries::{self, JuryAt, own_account, sees_everything};
use simpa_app::jury_lists::{coverage, minutes};
use simpa_app::jury_sheets::{self, AtSeat};
use simpa_domain::FieldError;
use simpa_domain::circuit::Declaration;
use simpa_domain::ids::{CampaignId, RequestId};
use simpa_domain::jury::SessionStatus;
use simpa_domain::money::euros;
use simpa_domain::policy::{self, Action};
use simpa_domain::scoring::{complete_points, weighted};
use uuid::Uuid;

/// A score out of 100, as people read it: "72,5".
fn score(value: f64) -> String {
    format!("{value:.1}").replace('.', ",")
}

/// The juries the agent works on: the bureau's every one, a juror's own.
#[get("/jury")]
pub async fn juries_page(portal: web::Data<Portal>, visitor: Visitor) -> HttpResponse {
    let subject = visitor.subject();
    let found = portal
        .runtime
        .read(move |conn| juries::of_caller(conn, subject))
        .await;
    let listed = match found {
        Ok(listed) => listed,
        Err(error) => return unless_hidden(&portal, error),
    };
    let data = context! {
        juries => listed.iter().map(|j| context! {
            id => j.campaign.id.to_string(),
            title => j.campaign.settings.title,
            status => j.jury.status.label(),
            chair => j.chair,
        }).collect::<Vec<_>>(),
    };
    Page::new("jury_list.html", data)
        .visitor(&visitor)
        .answer(&portal)
}

#[get("/jury/{campaign}")]
pub async fn jury_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = (query.fait.as_deref() == Some("cloture"))
        .then_some("Session close : les notes sont verrouillées, le classement peut être validé.");
    work_page(&portal, &req, &visitor, path.into_inner(), done, vec![]).await
}

/// The jury's work: the requests the caller sits on (every one, with each juror's sheet, for
/// the chair and the bureau).
async fn work_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    campaign: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> HttpResponse {
    let subject = visitor.subject();
    let id = CampaignId::from_uuid(campaign);
    let found = portal
        .runtime
        .read(move |conn| {
            let at = juries::read(conn, subject, id)?;
            let covered = coverage(conn, &at, own_account(&at))?;
            Ok((at, covered))
        })
        .await;
    let (at, covered) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let everything = sees_everything(&at);
    let requests: Vec<Value> = covered
        .iter()
        .map(|c| {
            let request = &c.listed.request;
            context! {
                id => request.id.to_string(),
                number => request.number.map(|n| n.to_string()),
                title => request.content.title,
                association => c.listed.association_name,
                seats => c.seats.iter().map(|s| context! {
                    juror => s.juror_name,
                    declared => s.seat.declaration.map(Declaration::label),
                    recused => s.seat.recused(),
                    handed_in => s.seat.handed_in_at.map(|at| city_date(portal, at)),
                    drafted => s.seat.marks.is_some() && s.seat.handed_in_at.is_none(),
                }).collect::<Vec<_>>(),
                jurors => c.jurors,
                handed_in => c.handed_in,
                flagged => c.flagged,
            }
        })
        .collect();
    let open = at.jury.status == SessionStatus::Open;
    let data = context! {
        campaign => campaign.to_string(),
        title => at.campaign.settings.title,
        status => at.jury.status.label(),
        everything => everything,
        requests => requests,
        may_close => everything && open,
        ranking => minutes_readable(&at),
        done => done,
    };
    let page = errors_page("jury.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// Whether the caller may read the jury's minutes now.
fn minutes_readable(at: &JuryAt) -> bool {
    let reading = Action::ReadMinutes {
        seat: at.seat,
        session_open: at.jury.status == SessionStatus::Open,
    };
    policy::decide(&at.actor, reading).is_ok()
}

/// The session closed by its chair or the bureau: scores locked.
#[post("/jury/{campaign}/cloture")]
pub async fn close(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let campaign = path.into_inner();
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let id = CampaignId::from_uuid(campaign);
    let closed = portal
        .runtime
        .write(move |conn| juries::close(conn, subject, id, now).map(|_| ()))
        .await;
    let next = format!("/jury/{campaign}?fait=cloture");
    answered(
        &portal,
        closed,
        &next,
        |_| "cloture".to_owned(),
        "cloture",
        |errors| work_page(&portal, &req, &visitor, campaign, None, errors),
    )
    .await
}

#[get("/jury/{campaign}/classement")]
pub async fn ranking_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = (query.fait.as_deref() == Some("validee")).then_some(
        "Classement validé : chaque demande est retenue avec le montant proposé par le jury, ou non retenue, et les associations en sont averties.",
    );
    ranking(&portal, &req, &visitor, path.into_inner(), done, vec![]).await
}

/// The jury's ranking within the envelope (provisional until validated), each request with
/// its rank and amount under the other rule, and the form that validates it.
async fn ranking(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    campaign: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
) -> HttpResponse {
    let subject = visitor.subject();
    let id = CampaignId::from_uuid(campaign);
    let found = portal
        .runtime
        .read(move |conn| {
            let at = juries::read_minutes(conn, subject, id)?;
            let minutes = minutes(conn, &at)?;
            Ok((at, minutes))
        })
        .await;
    let (at, minutes) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let chairs = policy::decide(&at.actor, Action::ChairJury { seat: at.seat }).is_ok();
    let data = context! {
        campaign => campaign.to_string(),
        title => at.campaign.settings.title,
        status => at.jury.status.label(),
        provisional => minutes.provisional,
        normalised => minutes.normalised,
        envelope => euros(minutes.envelope_cents),
        allocated => euros(minutes.allocated_cents),
        left => euros(minutes.envelope_cents.saturating_sub(minutes.allocated_cents)),
        ranking => minutes.ranking.iter().map(|r| {
            let request = &r.listed.request;
            context! {
                id => request.id.to_string(),
                rank => r.placed.rank,
                number => request.number.map(|n| n.to_string()),
                title => request.content.title,
                association => r.listed.association_name,
                score => r.placed.score.map(score),
                normalised => r.placed.normalised.map(|z| format!("{z:+.2}").replace('.', ",")),
                sheets => r.placed.sheets,
                flagged => r.placed.flagged,
                funded => euros(r.placed.funded_cents),
                allotment => r.placed.allotment.label(),
                funded_yes => r.placed.allotment.is_funded(),
                otherwise => r.otherwise.map(|(rank, cents)| context! { rank => rank, funded => euros(cents) }),
            }
        }).collect::<Vec<_>>(),
        may_validate => chairs && at.jury.status == SessionStatus::Closed,
        done => done,
    };
    let page = errors_page("jury_ranking.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// The ranking validated by the chair or the bureau: each request ranked or not, the
/// associations told.
#[post("/jury/{campaign}/validation")]
pub async fn validate(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let campaign = path.into_inner();
    let (subject, now, notifier) = (
        visitor.subject(),
        portal.runtime.city_now(),
        portal.runtime.notifier.clone(),
    );
    let id = CampaignId::from_uuid(campaign);
    let validated = portal
        .runtime
        .write(move |conn| juries::validate_ranking(conn, subject, id, now, &notifier).map(|_| ()))
        .await;
    let next = format!("/jury/{campaign}/classement?fait=validee");
    answered(
        &portal,
        validated,
        &next,
        |_| "validation".to_owned(),
        "validation",
        |errors| ranking(&portal, &req, &visitor, campaign, None, errors),
    )
    .await
}

#[get("/jury/demandes/{request}")]
pub async fn seat_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = match query.fait.as_deref() {
        Some("declaration") => {
            Some("Déclaration enregistrée : vous pouvez lire et noter la demande.")
        }
        Some("brouillon") => {
            Some("Brouillon enregistré : vous pourrez le reprendre jusqu'à la clôture.")
        }
        Some("rendue") => Some("Fiche remise : elle compte dans le classement et ne change plus."),
        _ => None,
    };
    let at = path.into_inner();
    seat(&portal, &req, &visitor, at, done, vec![], Typed::new()).await
}

/// The juror's seat on a request: the declaration of interests until made, then the request
/// and the grid (with `errors` and what was typed, when sent back).
async fn seat(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    request: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
    typed: Typed,
) -> HttpResponse {
    let subject = visitor.subject();
    let id = RequestId::from_uuid(request);
    let found = portal
        .runtime
        .read(move |conn| {
            let at = jury_sheets::at_seat(conn, subject, id)?;
            let name = simpa_persistence::associations::name(conn, at.request.association)?;
            Ok((at, name))
        })
        .await;
    let (at, association) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let page = errors_page(
        "jury_seat.html",
        &errors,
        seat_data(portal, &at, &association, done, typed),
    )
    .visitor(visitor);
    form_page(portal, req, page)
}

fn seat_data(
    portal: &Portal,
    at: &AtSeat,
    association: &str,
    done: Option<&str>,
    typed: Typed,
) -> Value {
    let grid = &at.jury.settings.grid;
    let marks = at.seat.marks.clone().unwrap_or_default();
    let cleared = at.seat.declaration == Some(Declaration::NoConflict);
    context! {
        id => at.request.id.to_string(),
        campaign => at.campaign.id.to_string(),
        call => at.campaign.settings.title,
        number => at.request.number.map(|n| n.to_string()),
        title => at.request.content.title,
        association => association,
        cleared => cleared,
        open => at.jury.status == SessionStatus::Open,
        answers => cleared.then(|| answers(&at.request.content)),
        handed_in => at.seat.handed_in_at.map(|t| city_date(portal, t)),
        weighted => complete_points(&marks).map(|p| score(weighted(grid, &p))),
        criteria => grid.iter().enumerate().map(|(i, c)| {
            let mark = marks.get(i);
            context! {
                index => i,
                label => c.label,
                description => c.description,
                weight => c.weight,
                max => c.max_points,
                points => typed.get(&format!("points-{i}")).cloned()
                    .or_else(|| mark.and_then(|m| m.points).map(|p| p.to_string())),
                comment => typed.get(&format!("comment-{i}")).cloned()
                    .or_else(|| mark.and_then(|m| m.comment.clone()))
                    .unwrap_or_default(),
            }
        }).collect::<Vec<_>>(),
        typed => typed.clone(),
        done => done,
    }
}

/// The juror's declaration of interests: none, or a conflict with its nature (recused then).
#[post("/jury/demandes/{request}/declaration")]
pub async fn declare(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let request = path.into_inner();
    let declaration = Declaration::from_code(field(&form, "declaration"));
    let reason = field(&form, "reason").to_owned();
    let (subject, now, notifier) = (
        visitor.subject(),
        portal.runtime.city_now(),
        portal.runtime.notifier.clone(),
    );
    let id = RequestId::from_uuid(request);
    let Some(declaration) = declaration else {
        let errors = vec![crate::forms::field_error(
            "declaration",
            "Dites si vous avez un conflit d'intérêts avec cette demande.",
        )];
        return seat(&portal, &req, &visitor, request, None, errors, form).await;
    };
    let declared = portal
        .runtime
        .write(move |conn| {
            let reason = Some(reason.as_str()).filter(|r| !r.trim().is_empty());
            jury_sheets::declare_interests(conn, subject, id, declaration, reason, now, &notifier)
                .map(|_| ())
        })
        .await;
    match declared {
        // Recused: the request is no longer theirs to see; their jury's page says so.
        Ok(()) if declaration == Declaration::Conflict => {
            let campaign = portal
                .runtime
                .read(move |conn| {
                    let request = simpa_persistence::requests::get(conn, id)?;
                    Ok(request.map(|r| r.campaign))
                })
                .await;
            match campaign {
                Ok(Some(campaign)) => see_other(&format!("/jury/{campaign}")),
                _ => see_other("/jury"),
            }
        }
        Ok(()) => see_other(&format!("/jury/demandes/{request}?fait=declaration")),
        Err(error) => match refused_at(&error, |_| "declaration".to_owned(), "declaration") {
            Some(errors) => seat(&portal, &req, &visitor, request, None, errors, form).await,
            None => unless_hidden(&portal, error),
        },
    }
}

/// The juror's sheet: points and comments per criterion, kept as a draft (`rendre=non`) or
/// handed in (`rendre=oui`: every criterion scored, no longer editable).
#[post("/jury/demandes/{request}/fiche")]
pub async fn save_sheet(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let request = path.into_inner();
    let hand_in = field(&form, "rendre") == "oui";
    let mut errors = vec![];
    let count = form
        .keys()
        .filter(|k| k.starts_with("points-"))
        .count()
        .min(simpa_domain::scoring::MAX_CRITERIA);
    let marks: Vec<(Option<i64>, Option<String>)> = (0..count)
        .map(|i| {
            let points = whole_number(&form, &format!("points-{i}"), &mut errors);
            let comment = Some(field(&form, &format!("comment-{i}")).to_owned());
            (points, comment)
        })
        .collect();
    if errors.is_empty() {
        let (subject, now) = (visitor.subject(), portal.runtime.city_now());
        let id = RequestId::from_uuid(request);
        let saved = portal
            .runtime
            .write(move |conn| {
                jury_sheets::save(conn, subject, id, marks, hand_in, now).map(|_| ())
            })
            .await;
        match saved {
            Ok(()) => {
                let done = if hand_in { "rendue" } else { "brouillon" };
                return see_other(&format!("/jury/demandes/{request}?fait={done}"));
            }
            Err(error) => {
                // `scores[2].points` is the third criterion's points.
                let at = |rule: &str| {
                    let index = rule
                        .strip_prefix("scores[")
                        .and_then(|r| r.split(']').next())
                        .unwrap_or("0");
                    if rule.ends_with(".comment") {
                        format!("comment-{index}")
                    } else {
                        format!("points-{index}")
                    }
                };
                match refused_at(&error, at, "points-0") {
                    Some(refused) => errors.extend(refused),
                    None => return unless_hidden(&portal, error),
                }
            }
        }
    }
    seat(&portal, &req, &visitor, request, None, errors, form).await
}
