//! The city's agents' workspace (`/agents`): what waits for them, the oldest first, the late
//! marked; and a request's whole file as the city sees it, its internal history and whether
//! that history is intact. Whoever is not on the city's staff finds nothing here (404).

use super::final_report::filed_shown;
use super::requests::{answers, grant_shown, state_tag};
use super::typed::Typed;
use crate::Portal;
use crate::answers::{city_date, city_moment, unless_hidden};
use crate::forms::{errors_page, form_page};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::final_reports;
use simpa_app::requests::{self, Shown, Summary};
use simpa_app::tracking::{HistoryCheck, check_history};
use simpa_app::vault::Vault;
use simpa_domain::circuit::{ActionKind, AskReason, OpinionValue, Visibility};
use simpa_domain::final_report::ReportStatus;
use simpa_domain::french::ordinal;
use simpa_domain::ids::RequestId;
use simpa_domain::money::euros;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{self, Action};
use simpa_domain::reference::Direction;
use simpa_domain::{DomainError, FieldError};
use simpa_persistence::StoreError;
use simpa_persistence::documents::DocumentVersion;
use simpa_persistence::requests::RequestFilter;
use uuid::Uuid;

/// How many requests the home page lists at once.
const SHOWN: usize = 100;

/// The actions the agents' page offers as forms, in the order it shows them.
pub(super) const OFFERED: &[ActionKind] = &[
    ActionKind::DeclareAdmissible,
    ActionKind::AskDocuments,
    ActionKind::RejectInadmissible,
    ActionKind::Dispatch,
    ActionKind::GiveOpinion,
    ActionKind::OverrideProposal,
    ActionKind::AcceptFinalReport,
    ActionKind::AskReportChanges,
    ActionKind::OrderRepayment,
];

/// A form field of an action: named after the action, so that every form of the page keeps
/// its own (`give_opinion-proposed`).
pub(super) fn named(action: ActionKind, field: &str) -> String {
    format!("{}-{field}", action.code())
}

/// The agent's home page: the requests their role holds now, the oldest first.
#[get("/agents")]
pub async fn work(portal: web::Data<Portal>, visitor: Visitor) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let found = portal
        .runtime
        .read(move |conn| {
            let (actor, page) =
                requests::worklist(conn, subject, &RequestFilter::default(), None, SHOWN)?;
            let more = page.next.is_some();
            // The other lists, for whom they are: documents to check, payments due,
            // deliberations.
            let scope = policy::work_scope(&actor);
            let lists = (
                scope.bureau || !scope.districts.is_empty(),
                policy::decide(&actor, Action::ReadPayments).is_ok(),
                policy::decide(&actor, Action::PrepareDeliberations).is_ok(),
                policy::decide(&actor, Action::ReadIndicators).is_ok(),
            );
            Ok((
                requests::summaries(conn, &actor, page.items, now)?,
                more,
                lists,
            ))
        })
        .await;
    let (items, more, (reviews, pays, councils, dashboard)) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(&portal, error),
    };
    let late = items.iter().filter(|s| s.overdue).count();
    let items: Vec<Value> = items
        .iter()
        .map(|summary| work_item(&portal, summary, now))
        .collect();
    let data = context! {
        items => items, more => more, late => late, shown => SHOWN,
        reviews => reviews, pays => pays, councils => councils, dashboard => dashboard,
    };
    Page::new("staff_home.html", data)
        .visitor(&visitor)
        .answer(&portal)
}

/// How many requests a page of a list shows.
pub(super) const PAGE: usize = 50;

/// A filter's field as chosen: `None` when left empty.
pub(super) fn chosen(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A request of the worklist: what it is, whose, where it stands, since when, and its deadline.
pub(super) fn work_item(portal: &Portal, summary: &Summary, now: DateTime<Utc>) -> Value {
    let request = &summary.request;
    context! {
        id => request.id.to_string(),
        number => request.number.map(|n| n.to_string()),
        title => request.title,
        association => request.association_name,
        campaign => request.campaign_title,
        state => request.state.label(),
        tag => state_tag(request.state),
        since => city_date(portal, request.state_since),
        waiting => (now - request.state_since).num_days(),
        due_on => request.sla_due_at.map(|at| city_date(portal, at)),
        overdue => summary.overdue,
        requested => euros(request.requested_cents),
        assignee => summary.assignee,
        unread => summary.unread,
    }
}

/// A request's whole file as the city's agent sees it: what it says, the documents filed with
/// it, the opinions, the history with the city's internal events, whether that history is
/// intact, and a form for each action the circuit allows them now.
#[get("/agents/demandes/{id}")]
pub async fn request_file(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let after = match query.fait.as_deref() {
        Some("suivi") => After::Noted("Le suivi de la demande est enregistré."),
        Some("suivie") => {
            After::Noted("Vous suivez cette demande : elle est dans « Les demandes que je suis ».")
        }
        Some("plus-suivie") => After::Noted("Vous ne suivez plus cette demande."),
        done => done
            .and_then(ActionKind::from_code)
            .map_or(After::Read, After::Done),
    };
    request_page(&portal, &req, &visitor, path.into_inner(), after).await
}

/// What a page's form just did (`?fait=…`), for the banner that says so.
#[derive(Deserialize)]
pub struct DoneQuery {
    pub(super) fait: Option<String>,
}

/// What the request's page follows: a plain read, an action done, or an action's form sent
/// back with what to fix.
pub(super) enum After {
    Read,
    Done(ActionKind),
    /// Something other than an action, said as done.
    Noted(&'static str),
    /// An action's form (or, with no action, the follow-up's) sent back.
    Refused(Option<ActionKind>, Vec<FieldError>, Typed),
}

/// The request's page for the agent (see [`request_file`]), after `after`.
pub(super) async fn request_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    after: After,
) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let timezone = portal.runtime.timezone;
    let id = RequestId::from_uuid(id);
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::FollowRequests)?;
            let shown = requests::show(conn, subject, id, timezone)?;
            let internal = policy::sees_internal(&shown.signed.actor, &shown.request().access());
            let check = check_history(shown.request(), &shown.file.events, internal);
            let directions = simpa_app::reference::directions(conn, subject)?;
            let clock = requests::clock(&shown.file, now.at);
            // Once voted, its final report, when one was filed and the agent may read it.
            let report = match shown.grant {
                Some(_) => final_reports::read(conn, subject, id).ok(),
                None => None,
            };
            // Where the association's documents stand today, beside those filed with it.
            let association = shown.request().association;
            let today = now.today();
            let documents_now =
                match simpa_app::documents::standing(conn, subject, association, today, timezone) {
                    Ok(vault) => Some((
                        vault,
                        simpa_app::documents::versions(conn, subject, association)?,
                    )),
                    Err(StoreError::Domain(
                        DomainError::Forbidden | DomainError::NotFound { .. },
                    )) => None,
                    Err(error) => return Err(error),
                };
            let follow_up = match internal {
                true => Some(simpa_app::follow_up::read(
                    conn,
                    &shown.signed.actor,
                    shown.request(),
                )?),
                false => None,
            };
            let unread = simpa_app::conversation::unread(conn, &shown.signed.actor, &[id])?
                .get(&id)
                .copied()
                .unwrap_or(0);
            let read = (check, directions, clock, report, follow_up, documents_now);
            Ok((shown, internal, unread, read))
        })
        .await;
    let (shown, internal, unread, (check, directions, clock, report, follow_up, documents_now)) =
        match found {
            Ok(found) => found,
            Err(error) => return unless_hidden(portal, error),
        };
    let request = shown.request();
    let next = &shown.next_step;
    // A final report is reviewed once filed, not before.
    let waits_for_review = report
        .as_ref()
        .is_some_and(|r| r.report.status == ReportStatus::Filed);
    let offered: Vec<ActionKind> = OFFERED
        .iter()
        .copied()
        .filter(|a| shown.possible.contains(a))
        .filter(|a| {
            waits_for_review
                || !matches!(
                    a,
                    ActionKind::AcceptFinalReport | ActionKind::AskReportChanges
                )
        })
        .collect();
    let (done, open, errors, typed) = match after {
        After::Read => (None, None, vec![], Typed::new()),
        After::Done(action) => (
            Some(format!(
                "{}. Ceux qui doivent le savoir en sont informés.",
                action.done()
            )),
            None,
            vec![],
            Typed::new(),
        ),
        After::Noted(text) => (Some(text.to_owned()), None, vec![], Typed::new()),
        After::Refused(action, errors, typed) => (None, action, errors, typed),
    };
    let data = context! {
        id => request.id.to_string(),
        title => request.content.title,
        association => shown.file.association,
        campaign => shown.file.campaign.settings.title,
        number => request.number.map(|n| n.to_string()),
        state => request.facts.state.label(),
        tag => state_tag(request.facts.state),
        since => city_date(portal, request.state_since),
        submitted_on => request.submitted_at.map(|at| city_date(portal, at)),
        holder => shown.holder,
        next => next,
        clock => context! {
            with_city => clock.with_city.num_days(),
            with_association => clock.with_association.num_days(),
            due_on => clock.due_at.map(|at| city_date(portal, at)),
            overdue => clock.is_overdue(now.at),
        },
        requested => euros(request.content.requested_cents),
        proposed => request.facts.proposed_cents.filter(|_| internal).map(euros),
        answers => answers(&request.content),
        documents => documents(portal, &shown, documents_now.as_ref()),
        opinions => if internal { opinions(&shown, &directions) } else { vec![] },
        history => history(portal, &shown, internal),
        unread => unread,
        check => chain_in_words(&check, messages_in(&shown, internal)),
        intact => check.intact && check.consistent,
        done => done,
        report => report.as_ref().map(|r| filed_shown(portal, r)),
        grant => shown.grant.as_ref().map(|g| grant_shown(g, request.content.requested_cents, request.id.uuid())),

        forms => forms(&shown, &offered, &directions, open, now.today()),
        others => shown.possible.iter().filter(|a| !OFFERED.contains(a)).map(|a| a.label()).collect::<Vec<_>>(),
        follow_up => follow_up.map(|f| {
            let assigned = f.assignment.as_ref().map(|a| a.agent.id);
            context! {
                assignee => f.assignment.as_ref().map(|a| a.agent.name.clone()),
                by => f.assignment.as_ref().map(|a| a.by.name.clone()),
                since => f.assignment.as_ref().map(|a| city_date(portal, a.at)),
                following => f.following,
                agents => f.agents.iter().map(|a| context! {
                    id => a.id.to_string(), name => a.name, chosen => Some(a.id) == assigned,
                }).collect::<Vec<_>>(),
            }
        }),
        typed => typed,
    };
    let page = errors_page("staff_request.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// The forms of the actions the agent may take now, each with what it needs: the kinds of
/// document to ask for, the directions to dispatch to, the opinions and reasons to choose.
fn forms(
    shown: &Shown,
    offered: &[ActionKind],
    directions: &[Direction],
    open: Option<ActionKind>,
    today: NaiveDate,
) -> Vec<Value> {
    offered
        .iter()
        .map(|&action| {
            context! {
                code => action.code(),
                label => action.label(),
                open => open == Some(action),
                kinds => shown.kinds.iter().map(|k| context! {
                    field => named(action, &format!("kind-{}", k.code)), label => k.label,
                }).collect::<Vec<_>>(),
                directions => directions.iter().filter(|d| d.active).map(|d| context! {
                    id => d.id.to_string(), name => d.name,
                    field => named(action, &format!("co-{}", d.id)),
                }).collect::<Vec<_>>(),
                opinions => OpinionValue::ALL.iter().map(|o| context! { code => o.code(), label => o.label() }).collect::<Vec<_>>(),
                reasons => AskReason::ALL.iter().map(|r| context! { code => r.code(), label => r.label() }).collect::<Vec<_>>(),
                due_on => (today + chrono::Days::new(15)).to_string(),
            }
        })
        .collect()
}

/// The documents filed with the request, each with its file and day, and where the
/// association's document of that kind stands today (`now`: its vault and every version, for
/// whom may read them): still this one and its status, or replaced since by another.
fn documents(
    portal: &Portal,
    shown: &Shown,
    now: Option<&(Vault, Vec<DocumentVersion>)>,
) -> Vec<Value> {
    let file_of = |v: &DocumentVersion| {
        format!(
            "/associations/{}/documents/{}/fichier",
            v.association_id, v.facts.id
        )
    };
    shown
        .file
        .documents
        .iter()
        .map(|v| {
            let label = shown
                .kinds
                .iter()
                .find(|k| k.code == v.kind_code)
                .map_or(v.kind_code.as_str(), |k| k.label.as_str());
            let today = now.and_then(|(vault, versions)| {
                let (_, status) = vault.statuses.iter().find(|(code, _)| *code == v.kind_code)?;
                let current = status
                    .version
                    .filter(|current| *current != v.facts.id)
                    .and_then(|current| versions.iter().find(|w| w.facts.id == current));
                Some(context! {
                    status => status.status.label(),
                    replaced_on => current.map(|w| city_date(portal, w.facts.filed_at)),
                    replaced_file => current.and_then(|w| w.file.as_ref().map(|f| f.file_name.clone())),
                    replaced_address => current.map(file_of),
                })
            });
            context! {
                label => label,
                file => v.file.as_ref().map(|f| f.file_name.clone()),
                address => v.file.as_ref().map(|_| file_of(v)),
                filed_on => city_date(portal, v.facts.filed_at),
                today => today,
            }
        })
        .collect()
}

/// Who instructs the request and what each said, the lead first.
fn opinions(shown: &Shown, directions: &[Direction]) -> Vec<Value> {
    let mut instructors = shown.request().facts.instructors.clone();
    instructors.sort_by_key(|a| !a.lead);
    instructors
        .iter()
        .map(|assignment| {
            let who = match assignment.instructor {
                Instructor::Direction(id) => directions
                    .iter()
                    .find(|d| d.id == id)
                    .map_or_else(|| "Une direction".to_owned(), |d| d.name.clone()),
                Instructor::District(n) => format!("Mairie du {} arrondissement", ordinal(n)),
            };
            let opinion = assignment.opinion.as_ref().map(|o| {
                context! {
                    value => o.value.label(),
                    proposed => euros(o.proposed_cents),
                    public_comment => o.public_comment,
                    internal_comment => o.internal_comment,
                }
            });
            context! { who => who, lead => assignment.lead, opinion => opinion }
        })
        .collect()
}

/// The history, the latest first: each event with its time, who did it and what they wrote;
/// the city's internal events and notes for whom sees them.
fn history(portal: &Portal, shown: &Shown, internal: bool) -> Vec<Value> {
    shown
        .file
        .events
        .iter()
        .filter(|e| internal || e.visibility == Visibility::Public)
        .filter(|e| !e.action.is_conversation())
        .rev()
        .map(|e| {
            context! {
                seq => e.seq,
                at => city_moment(portal, e.at),
                done => e.action.done(),
                by => e.actor.name,
                internal => e.visibility == Visibility::Internal,
                message => e.public_message,
                note => e.internal_note.as_ref().filter(|_| internal),
            }
        })
        .collect()
}

/// How many of the request's events the agent reads as messages.
fn messages_in(shown: &Shown, internal: bool) -> usize {
    shown
        .file
        .events
        .iter()
        .filter(|e| e.action.is_conversation())
        .filter(|e| internal || e.visibility == Visibility::Public)
        .count()
}

/// Whether the history's chain of hashes holds and leads to the request's state, in words.
/// `messages`: how many of its events are messages, read under « Messages » rather than in
/// the history shown.
fn chain_in_words(check: &HistoryCheck, messages: usize) -> String {
    match (check.intact, check.consistent, check.broken_at_seq) {
        (true, true, _) => match (check.events, messages) {
            (Some(n), 0) => format!(
                "Historique intègre : les {n} événements s'enchaînent et mènent à l'état de la demande."
            ),
            (Some(n), 1) => format!(
                "Historique intègre : les {n} événements, dont un message, s'enchaînent et mènent à l'état de la demande."
            ),
            (Some(n), m) => format!(
                "Historique intègre : les {n} événements, dont {m} messages, s'enchaînent et mènent à l'état de la demande."
            ),
            (None, _) => "Historique intègre.".to_owned(),
        },
        (false, _, Some(seq)) => {
            format!("Historique altéré : la chaîne se rompt à l'événement {seq}.")
        }
        (false, _, None) => "Historique altéré.".to_owned(),
        (true, false, _) => {
            "Historique incohérent : il ne mène pas à l'état enregistré de la demande.".to_owned()
        }
    }
}
