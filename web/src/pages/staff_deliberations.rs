//! The councils' deliberations (`/agents/deliberations`), for the bureau and the town halls:
//! create one for a session, put instructed requests on its agenda (from the agenda's page or
//! the list's bulk action, through the same use case), take them off, see the total against
//! each campaign's envelope, print the list the council votes, and record the vote with its
//! amendments. Whoever else finds nothing here (404).

use super::staff::work_item;
use super::typed::{self, Typed, field};
use crate::Portal;
use crate::answers::{see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{errors_page, field_error, form_page, refused_at};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::deliberations::{self as app, Agenda, AgendaLine, NewDeliberationCommand, Vote};
use simpa_domain::FieldError;
use simpa_domain::council::CouncilKind;
use simpa_domain::deliberation::{Amendment, VoteOutcome};
use simpa_domain::french::long_french_date;
use simpa_domain::ids::{DistrictNumber, RequestId};
use simpa_domain::money::{self, euros};
use simpa_domain::policy;
use simpa_persistence::deliberations::Deliberation;
use uuid::Uuid;

const LIST: &str = "/agents/deliberations";

/// The deliberation's page.
fn address(id: Uuid) -> String {
    format!("{LIST}/{id}")
}

/// A deliberation as a list names it.
fn named(d: &Deliberation) -> Value {
    context! {
        id => d.id.to_string(),
        reference => d.reference.to_string(),
        title => d.title,
        council => council_name(d),
        session_on => long_french_date(d.session_on),
        voted => d.vote.map(|(outcome, on)| format!("{} le {}", outcome.label(), long_french_date(on))),
    }
}

/// "Conseil de Paris", "Conseil du 11e arrondissement".
fn council_name(d: &Deliberation) -> String {
    match d.council.district {
        Some(n) => simpa_domain::french::capitalised(&simpa_domain::french::district_council(n)),
        None => d.council.kind.label().to_owned(),
    }
}

#[get("/agents/deliberations")]
pub async fn deliberation_list(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
) -> HttpResponse {
    list_page(&portal, &req, &visitor, vec![], Typed::new()).await
}

/// The deliberations the agent manages, and the form that creates one (with its `errors` and
/// what was typed, when sent back).
async fn list_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    errors: Vec<FieldError>,
    typed: Typed,
) -> HttpResponse {
    let subject = visitor.subject();
    let found = portal
        .runtime
        .read(move |conn| app::managed_list(conn, subject))
        .await;
    let (actor, all) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let scope = policy::work_scope(&actor);
    // The councils the agent prepares: the city's for the bureau, each district's for a town
    // hall (the bureau may prepare those too).
    let districts: Vec<i32> = if scope.bureau {
        DistrictNumber::PARIS.collect()
    } else {
        scope.districts.iter().map(|d| d.0).collect()
    };
    let (drafts, voted): (Vec<&Deliberation>, Vec<&Deliberation>) =
        all.iter().partition(|d| d.vote.is_none());
    let data = context! {
        drafts => drafts.into_iter().map(named).collect::<Vec<_>>(),
        voted => voted.into_iter().map(named).collect::<Vec<_>>(),
        city => scope.bureau,
        councils => [CouncilKind::ConseilDeParis, CouncilKind::District].iter()
            .filter(|k| scope.bureau || **k == CouncilKind::District)
            .map(|k| context! { code => k.code(), label => k.label() }).collect::<Vec<_>>(),
        districts => districts.iter().map(|n| context! {
            code => n.to_string(), label => simpa_domain::french::district(DistrictNumber(*n)),
        }).collect::<Vec<_>>(),
        typed => typed,
    };
    let page = errors_page("staff_deliberations.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// A deliberation created for a council's session: its agenda's page next.
#[post("/agents/deliberations")]
pub async fn create_deliberation(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let mut errors = vec![];
    let session_on = typed::date(&form, "session_on", &mut errors);
    if session_on.is_none() && errors.is_empty() {
        errors.push(field_error("session_on", "Saisissez le jour de la séance."));
    }
    let council = CouncilKind::from_code(field(&form, "council"));
    if council.is_none() {
        errors.push(field_error("council", "Choisissez le conseil qui vote."));
    }
    if let (Some(session_on), Some(council), true) = (session_on, council, errors.is_empty()) {
        let command = NewDeliberationCommand {
            reference: field(&form, "reference").to_owned(),
            council,
            district_number: field(&form, "district_number").parse().ok(),
            session_on,
            title: field(&form, "title").to_owned(),
        };
        let (subject, now) = (visitor.subject(), portal.runtime.city_now());
        let created = portal
            .runtime
            .write(move |conn| app::create(conn, subject, command, now))
            .await;
        match created {
            Ok(id) => return see_other(&format!("{}?fait=creee", address(id))),
            Err(error) => match refused_at(&error, |f| f.to_owned(), "reference") {
                Some(refused) => errors.extend(refused),
                None => return unless_hidden(&portal, error),
            },
        }
    }
    list_page(&portal, &req, &visitor, errors, form).await
}

#[derive(Deserialize)]
pub struct AgendaQuery {
    fait: Option<String>,
}

#[get("/agents/deliberations/{id}")]
pub async fn agenda_view(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<AgendaQuery>,
) -> HttpResponse {
    let done = match query.fait.as_deref() {
        Some("creee") => Some("Délibération créée : inscrivez-y les demandes instruites."),
        Some("retiree") => {
            Some("Demande retirée de l'ordre du jour : elle est de nouveau instruite.")
        }
        Some("votee") => Some(
            "Vote enregistré : chaque demande est accordée ou refusée, et les associations en sont averties.",
        ),
        _ => None,
    };
    agenda_page(
        &portal,
        &req,
        &visitor,
        path.into_inner(),
        done,
        vec![],
        Typed::new(),
    )
    .await
}

/// The agenda's page, after `done`, or with the vote's `errors` and what was typed.
async fn agenda_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
    typed: Typed,
) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let found = portal
        .runtime
        .read(move |conn| app::agenda(conn, subject, id, now))
        .await;
    let agenda = match found {
        Ok(agenda) => agenda,
        Err(error) => return unless_hidden(portal, error),
    };
    let d = &agenda.deliberation;
    let data = context! {
        deliberation => named(d),
        draft => d.vote.is_none(),
        lines => agenda.lines.iter().map(|l| line(portal, l, now)).collect::<Vec<_>>(),
        total => total(&agenda),
        budgets => agenda.budgets.iter().map(|b| {
            let left = b.envelope_cents.map(|e| {
                e.saturating_sub(b.committed.voted_cents).saturating_sub(b.committed.scheduled_cents)
            });
            context! {
                campaign => b.campaign_title,
                envelope => b.envelope_cents.map(euros),
                voted => euros(b.committed.voted_cents),
                scheduled => euros(b.committed.scheduled_cents),
                here => euros(b.here_cents),
                left => left.map(|l| euros(l.max(0))),
                over => left.filter(|l| *l < 0).map(|l| euros(l.saturating_neg())),
            }
        }).collect::<Vec<_>>(),
        candidates => agenda.candidates.iter().map(|s| context! {
            proposed => s.proposed_cents.map(euros),
            ..work_item(portal, s, now)
        }).collect::<Vec<_>>(),
        most => app::CANDIDATES,
        outcomes => VoteOutcome::ALL.iter().map(|o| context! { code => o.code(), label => o.label() }).collect::<Vec<_>>(),
        today => portal.runtime.city_now().today().to_string(),
        done => done,
        typed => typed,
    };
    let page = errors_page("staff_deliberation.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// A line of the agenda as its page and its printed list show it.
fn line(portal: &Portal, l: &AgendaLine, now: chrono::DateTime<chrono::Utc>) -> Value {
    context! {
        proposed => euros(l.proposed_cents),
        proposed_typed => (l.proposed_cents / 100).to_string(),
        voted => l.voted_cents.map(euros),
        object => l.summary.request.title,
        ..work_item(portal, &l.summary, now)
    }
}

/// The agenda's total: proposed, and once voted granted.
fn total(agenda: &Agenda) -> Value {
    let voted = agenda
        .deliberation
        .vote
        .map(|_| money::total(agenda.lines.iter().map(|l| l.voted_cents.unwrap_or(0))));
    context! {
        proposed => euros(money::total(agenda.lines.iter().map(|l| l.proposed_cents))),
        voted => voted.map(euros),
        count => agenda.lines.len(),
    }
}

/// A request taken off the agenda before the vote.
#[post("/agents/deliberations/{id}/retrait/{request}")]
pub async fn take_off(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let (id, request) = path.into_inner();
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let request = RequestId::from_uuid(request);
    let notifier = portal.runtime.notifier.clone();
    match portal
        .runtime
        .write(move |conn| app::unschedule(conn, subject, id, request, now, &notifier))
        .await
    {
        Ok(()) => see_other(&format!("{}?fait=retiree", address(id))),
        Err(error) => unless_hidden(&portal, error),
    }
}

/// The council's vote: its outcome, its day, and the amount voted for each line amended
/// (typed beside the line; 0 refuses it).
#[post("/agents/deliberations/{id}/vote")]
pub async fn record_vote(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let mut errors = vec![];
    let outcome = VoteOutcome::from_code(field(&form, "outcome"));
    if outcome.is_none() {
        errors.push(field_error(
            "outcome",
            "Choisissez ce que le conseil a voté.",
        ));
    }
    let voted_on = typed::date(&form, "voted_on", &mut errors);
    if voted_on.is_none() && errors.iter().all(|e| e.field != "voted_on") {
        errors.push(field_error("voted_on", "Saisissez le jour du vote."));
    }
    // Each line's amended amount, when one was typed.
    let mut amendments = vec![];
    let mut typed_lines: Vec<(&String, &String)> = form
        .iter()
        .filter(|(name, value)| name.starts_with("vote-") && !value.trim().is_empty())
        .collect();
    typed_lines.sort();
    for (name, _) in typed_lines {
        let request = name
            .strip_prefix("vote-")
            .and_then(|r| Uuid::parse_str(r).ok());
        let cents = typed::euros(&form, name, &mut errors);
        if let (Some(request), Some(voted_cents)) = (request, cents) {
            let reason = form
                .get(&format!("pourquoi-{request}"))
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            amendments.push(Amendment {
                request: RequestId::from_uuid(request),
                voted_cents,
                reason,
            });
        }
    }
    if let (Some(outcome), Some(voted_on), true) = (outcome, voted_on, errors.is_empty()) {
        let at_line: Vec<String> = amendments
            .iter()
            .map(|a| format!("vote-{}", a.request))
            .collect();
        let vote = Vote {
            outcome,
            voted_on,
            amendments,
        };
        let (subject, now, notifier) = (
            visitor.subject(),
            portal.runtime.city_now(),
            portal.runtime.notifier.clone(),
        );
        let recorded = portal
            .runtime
            .write(move |conn| app::vote(conn, subject, id, vote, now, &notifier))
            .await;
        match recorded {
            Ok(()) => return see_other(&format!("{}?fait=votee", address(id))),
            Err(error) => {
                // `amendments[2].voted_cents` is the third line amended.
                let at = |rule: &str| match rule {
                    "voted_on" => rule.to_owned(),
                    _ => rule
                        .strip_prefix("amendments[")
                        .and_then(|r| r.split(']').next())
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| at_line.get(i).cloned())
                        // The reason has its own field beside the amount.
                        .map(|field| match rule.ends_with(".reason") {
                            true => field.replacen("vote-", "pourquoi-", 1),
                            false => field,
                        })
                        .unwrap_or_else(|| "outcome".to_owned()),
                };
                match refused_at(&error, at, "outcome") {
                    Some(refused) => errors.extend(refused),
                    None => return unless_hidden(&portal, error),
                }
            }
        }
    }
    agenda_page(&portal, &req, &visitor, id, None, errors, form).await
}

#[derive(Deserialize)]
pub struct PrintQuery {
    ordre: Option<String>,
}

/// The list the council votes, to print: the lines in the order chosen (the beneficiaries'
/// names, the requests' numbers, or the amounts, largest first), and the total.
#[get("/agents/deliberations/{id}/liste")]
pub async fn printed_list(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<PrintQuery>,
) -> HttpResponse {
    let (subject, now, id) = (visitor.subject(), portal.runtime.now(), path.into_inner());
    let found = portal
        .runtime
        .read(move |conn| app::agenda(conn, subject, id, now))
        .await;
    let mut agenda = match found {
        Ok(agenda) => agenda,
        Err(error) => return unless_hidden(&portal, error),
    };
    let order = query.ordre.as_deref().unwrap_or("association");
    match order {
        "numero" => agenda.lines.sort_by_key(|l| l.summary.request.number),
        "montant" => agenda.lines.sort_by_key(|l| -l.proposed_cents),
        _ => agenda.lines.sort_by_cached_key(|l| {
            simpa_domain::search::fold(&l.summary.request.association_name)
        }),
    }
    let data = context! {
        deliberation => named(&agenda.deliberation),
        lines => agenda.lines.iter().map(|l| line(&portal, l, now)).collect::<Vec<_>>(),
        total => total(&agenda),
        order => order,
    };
    Page::new("staff_deliberation_list.html", data)
        .visitor(&visitor)
        .answer(&portal)
}
