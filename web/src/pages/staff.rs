//! The city's agents' workspace (`/agents`): what waits for them, the oldest first, the late
//! marked; and a request's whole file as the city sees it, its internal history and whether
//! that history is intact. Whoever is not on the city's staff finds nothing here (404).

use super::final_report::filed_shown;
use super::requests::{answers, grant_shown, state_tag};
use super::typed::Typed;
use crate::Portal;
use crate::answers::{city_date, city_moment, unless_hidden};
use crate::exports::{self, Cell, Table};
use crate::forms::{errors_page, form_page};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::final_reports;
use simpa_app::requests::{self, Shown, Summary};
use simpa_app::tracking::{HistoryCheck, check_history};
use simpa_domain::FieldError;
use simpa_domain::circuit::{ActionKind, AskReason, OpinionValue, Visibility};
use simpa_domain::final_report::ReportStatus;
use simpa_domain::ids::{AssociationId, CampaignId, DirectionId, DistrictNumber, RequestId};
use simpa_domain::money::euros;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{self, Action, Subject};
use simpa_domain::reference::Direction;
use simpa_domain::request::RequestState;
use simpa_domain::tracking::whereabouts;
use simpa_domain::wording::ordinal;
use simpa_persistence::associations::AssociationFilter;
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

/// The actions the list offers on a selection of requests (see `staff_bulk`).
pub(super) const BULK: &[ActionKind] = &[
    ActionKind::DeclareAdmissible,
    ActionKind::AskDocuments,
    ActionKind::Dispatch,
    ActionKind::Schedule,
];

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
            );
            Ok((
                requests::summaries(conn, &actor, page.items, now)?,
                more,
                lists,
            ))
        })
        .await;
    let (items, more, (reviews, pays, councils)) = match found {
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
        reviews => reviews, pays => pays, councils => councils,
    };
    Page::new("staff_home.html", data)
        .visitor(&visitor)
        .answer(&portal)
}

/// The list of requests' address.
const LIST: &str = "/agents/demandes";

/// How many requests a page of a list shows.
const PAGE: usize = 50;

/// A filter's field as chosen: `None` when left empty.
fn chosen(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A list of requests as the agent filters it (every field optional, as the form sends it).
#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// A number (`2027_00042`) or words of the title.
    q: Option<String>,
    etat: Option<String>,
    campagne: Option<String>,
    direction: Option<String>,
    arrondissement: Option<String>,
    en_retard: Option<String>,
    /// Only those the agent follows (`oui`): named to, or keeping an eye on.
    miennes: Option<String>,
    /// One association's requests.
    association: Option<String>,
    /// Where the page starts: the token of the previous page's end.
    apres: Option<String>,
}

impl ListQuery {
    /// The filter it asks for; what names nothing (a state, campaign or direction unknown, a
    /// district that is not one) filters nothing.
    fn filter(&self, now: DateTime<Utc>, me: Option<Subject>) -> RequestFilter {
        let uuid = |v: &Option<String>| chosen(v).and_then(|v| Uuid::parse_str(v).ok());
        RequestFilter {
            states: chosen(&self.etat)
                .and_then(RequestState::from_code)
                .into_iter()
                .collect(),
            campaign: uuid(&self.campagne).map(CampaignId::from_uuid),
            association: uuid(&self.association).map(AssociationId::from_uuid),
            instructor: uuid(&self.direction)
                .map(|d| Instructor::Direction(DirectionId::from_uuid(d))),
            district: chosen(&self.arrondissement)
                .and_then(|d| d.parse::<i32>().ok())
                .filter(|d| DistrictNumber::PARIS.contains(d))
                .map(DistrictNumber),
            overdue_at: (chosen(&self.en_retard) == Some("oui")).then_some(now),
            text: chosen(&self.q).map(str::to_owned),
            followed_by: match me {
                Some(Subject::Person(me)) if chosen(&self.miennes) == Some("oui") => Some(me),
                _ => None,
            },
            ..RequestFilter::default()
        }
    }

    /// The address of `path` with these filters, starting after `after`.
    fn address(&self, path: &str, after: Option<&str>) -> String {
        let pairs = [
            ("q", &self.q),
            ("etat", &self.etat),
            ("campagne", &self.campagne),
            ("direction", &self.direction),
            ("arrondissement", &self.arrondissement),
            ("en_retard", &self.en_retard),
            ("miennes", &self.miennes),
            ("association", &self.association),
        ];
        let mut kept: Vec<(&str, &str)> = pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*k, v))
            })
            .collect();
        if let Some(after) = after {
            kept.push(("apres", after));
        }
        let query = serde_urlencoded::to_string(kept).unwrap_or_default();
        format!(
            "{path}{}",
            if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            }
        )
    }
}

/// Every request the agent may read, filtered (words or number, state, campaign, direction,
/// district, lateness), a page at a time, the latest changed first.
#[get("/agents/demandes")]
pub async fn request_list(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let filter = query.filter(now, visitor.subject());
    let after = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::FollowRequests)?;
            let (actor, page) = requests::list(conn, subject, &filter, after.as_ref(), PAGE)?;
            let next = page.next.as_ref().map(simpa_app::cursor::encode);
            let items = requests::summaries(conn, &actor, page.items, now)?;
            let campaigns = simpa_app::campaigns::list(conn, subject, None, None)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            let kinds = simpa_app::documents::kinds(conn, subject)?;
            // The deliberations in preparation, for whom prepares them.
            let drafts = match policy::decide(&actor, Action::PrepareDeliberations) {
                Ok(()) => simpa_app::deliberations::managed_list(conn, subject)?.1,
                Err(_) => vec![],
            };
            let drafts: Vec<_> = drafts.into_iter().filter(|d| d.vote.is_none()).collect();
            Ok((items, next, campaigns, directions, kinds, drafts))
        })
        .await;
    let (items, next, campaigns, directions, kinds, drafts) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(&portal, error),
    };
    let choices = |pairs: Vec<(String, String)>| {
        pairs
            .into_iter()
            .map(|(code, label)| context! { code => code, label => label })
            .collect::<Vec<_>>()
    };
    let data = context! {
        items => items.iter().map(|s| work_item(&portal, s, now)).collect::<Vec<_>>(),
        next => next.as_deref().map(|n| query.address(LIST, Some(n))),
        first => query.apres.as_ref().map(|_| query.address(LIST, None)),
        csv => query.address("/agents/demandes.csv", None),
        xlsx => query.address("/agents/demandes.xlsx", None),
        q => query.q.clone().unwrap_or_default(),
        chosen => context! {
            etat => query.etat, campagne => query.campagne, direction => query.direction,
            arrondissement => query.arrondissement, en_retard => query.en_retard,
            miennes => query.miennes,
        },
        states => choices(RequestState::ALL.iter().filter(|s| **s != RequestState::Draft).map(|s| (s.code().to_owned(), s.label().to_owned())).collect()),
        campaigns => choices(campaigns.iter().map(|c| (c.id.to_string(), c.settings.title.clone())).collect()),
        directions => choices(directions.iter().map(|d| (d.id.to_string(), d.name.clone())).collect()),
        districts => choices(DistrictNumber::PARIS.map(|n| (n.to_string(), format!("{} arrondissement", ordinal(DistrictNumber(n))))).collect()),
    };
    let bulk = context! {
        actions => BULK.iter()
            .filter(|a| **a != ActionKind::Schedule || !drafts.is_empty())
            .map(|a| context! { code => a.code(), label => a.label() }).collect::<Vec<_>>(),
        deliberations => drafts.iter().map(|d| context! {
            id => d.id.to_string(), name => format!("{} – {}", d.reference, d.title),
        }).collect::<Vec<_>>(),
        kinds => kinds.iter().map(|k| context! {
            field => named(ActionKind::AskDocuments, &format!("kind-{}", k.code)), label => k.label,
        }).collect::<Vec<_>>(),
        directions => directions.iter().filter(|d| d.active).map(|d| context! {
            id => d.id.to_string(), name => d.name,
            field => named(ActionKind::Dispatch, &format!("co-{}", d.id)),
        }).collect::<Vec<_>>(),
        reasons => AskReason::ALL.iter().map(|r| context! { code => r.code(), label => r.label() }).collect::<Vec<_>>(),
        due_on => (portal.runtime.city_now().today() + chrono::Days::new(15)).to_string(),
    };
    let page =
        Page::new("staff_requests.html", context! { bulk => bulk, ..data }).visitor(&visitor);
    form_page(&portal, &req, page)
}

/// At most this many requests in one download.
const EXPORTED: usize = 50_000;

/// The list as filtered, every page of it, as a spreadsheet: CSV or an XLSX workbook.
#[get("/agents/demandes.{format:(csv|xlsx)}")]
pub async fn request_export(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let filter = query.filter(now, visitor.subject());
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::FollowRequests)?;
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let (actor, page) = requests::list(conn, subject, &filter, after.as_ref(), 500)?;
                all.extend(requests::summaries(conn, &actor, page.items, now)?);
                match page.next {
                    Some(next) if all.len() < EXPORTED => after = Some(next),
                    _ => break,
                }
            }
            Ok(all)
        })
        .await;
    let summaries = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(&portal, error),
    };
    let table = requests_table(&portal, &summaries);
    let day = portal.runtime.city_now().today();
    let (bytes, media) = match path.as_str() {
        "xlsx" => (
            exports::xlsx(&table, "Demandes").map_err(|e| e.to_string()),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        _ => (exports::csv(&table), "text/csv; charset=utf-8"),
    };
    match bytes {
        Ok(bytes) => HttpResponse::Ok()
            .content_type(media)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"demandes-{day}.{}\"", path.as_str()),
            ))
            .body(bytes),
        Err(error) => {
            tracing::error!(%error, "a list cannot be exported");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The requests as a spreadsheet shows them, a line each.
fn requests_table(portal: &Portal, summaries: &[Summary]) -> Table {
    let day = |at: DateTime<Utc>| at.with_timezone(&portal.runtime.timezone).date_naive();
    Table {
        headers: vec![
            "Numéro",
            "Titre",
            "Association",
            "Campagne",
            "État",
            "Depuis le",
            "Montant demandé",
            "Montant proposé",
            "Échéance",
            "En retard",
            "Suivie par",
        ],
        rows: summaries
            .iter()
            .map(|s| {
                let r = &s.request;
                vec![
                    Cell::Text(r.number.map(|n| n.to_string()).unwrap_or_default()),
                    Cell::Text(r.content.title.clone()),
                    Cell::Text(s.association_name.clone()),
                    Cell::Text(s.campaign_title.clone()),
                    Cell::Text(r.facts.state.label().to_owned()),
                    Cell::Day(Some(day(r.state_since))),
                    Cell::Euros(Some(r.content.requested_cents)),
                    Cell::Euros(s.proposed_cents),
                    Cell::Day(r.sla_due_at.map(day)),
                    Cell::YesNo(s.overdue),
                    Cell::Text(s.assignee.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    }
}

/// The final reports waiting for the agent's review, the longest waiting first, each leading
/// to its request's page, where it is read and reviewed.
#[get("/agents/comptes-rendus")]
pub async fn reports_to_review(
    portal: web::Data<Portal>,
    visitor: Visitor,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let after = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| {
            let (actor, page) = final_reports::to_review(conn, subject, after.as_ref(), PAGE)?;
            let next = page.next.as_ref().map(simpa_app::cursor::encode);
            let (requests, filed): (Vec<_>, Vec<_>) = page.items.into_iter().unzip();
            let summaries = requests::summaries(conn, &actor, requests, now)?;
            Ok((summaries, filed, next))
        })
        .await;
    let (summaries, filed, next) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(&portal, error),
    };
    let items: Vec<Value> = summaries
        .iter()
        .zip(filed)
        .map(|(s, at)| context! { report_filed_on => city_date(&portal, at), ..work_item(&portal, s, now) })
        .collect();
    let data = context! {
        items => items,
        next => next.map(|n| format!("/agents/comptes-rendus?apres={n}")),
        first => query.apres.as_ref().map(|_| "/agents/comptes-rendus"),
    };
    Page::new("staff_reports.html", data)
        .visitor(&visitor)
        .answer(&portal)
}

/// A list's page: where it starts.
#[derive(Deserialize)]
pub struct PageQuery {
    apres: Option<String>,
}

/// The associations the city knows, searched by words of their name (or acronym, RNA, SIRET)
/// and by district, fifty a page in name order; each leads to its requests.
#[get("/agents/associations")]
pub async fn association_list(
    portal: web::Data<Portal>,
    visitor: Visitor,
    query: web::Query<AssociationQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let subject = visitor.subject();
    let filter = AssociationFilter {
        text: chosen(&query.q).map(str::to_owned),
        district: chosen(&query.arrondissement)
            .and_then(|d| d.parse::<i32>().ok())
            .filter(|d| DistrictNumber::PARIS.contains(d))
            .map(DistrictNumber),
        sector: None,
    };
    let after = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| {
            simpa_app::associations::list(conn, subject, &filter, after.as_ref(), PAGE)
        })
        .await;
    let page = match found {
        Ok(page) => page,
        Err(error) => return unless_hidden(&portal, error),
    };
    let address = |after: Option<&str>| {
        let kept: Vec<(&str, &str)> = [
            ("q", chosen(&query.q)),
            ("arrondissement", chosen(&query.arrondissement)),
            ("apres", after),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        format!(
            "/agents/associations?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    };
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|a| {
            let p = &a.profile;
            context! {
                id => a.id.to_string(),
                name => p.name,
                acronym => p.acronym,
                rna => p.rna.as_ref().map(|r| r.to_string()),
                siret => p.siret.as_ref().map(|s| s.to_string()),
                place => format!("{} {}", p.address.postal_code, p.address.city),
                district => a.district.map(|d| format!("{} arrondissement", ordinal(d))),
            }
        })
        .collect();
    let data = context! {
        items => items,
        q => query.q.clone().unwrap_or_default(),
        chosen => query.arrondissement.clone(),
        districts => DistrictNumber::PARIS.map(|n| context! { code => n.to_string(), label => format!("{} arrondissement", ordinal(DistrictNumber(n))) }).collect::<Vec<_>>(),
        next => page.next.as_ref().map(|n| address(Some(&simpa_app::cursor::encode(n)))),
        first => query.apres.as_ref().map(|_| address(None)),
    };
    Page::new("staff_associations.html", data)
        .visitor(&visitor)
        .answer(&portal)
}

/// The associations' list as the agent searches it.
#[derive(Deserialize)]
pub struct AssociationQuery {
    q: Option<String>,
    arrondissement: Option<String>,
    apres: Option<String>,
}

/// A request of the worklist: what it is, whose, where it stands, since when, and its deadline.
pub(super) fn work_item(portal: &Portal, summary: &Summary, now: DateTime<Utc>) -> Value {
    let request = &summary.request;
    context! {
        id => request.id.to_string(),
        number => request.number.map(|n| n.to_string()),
        title => request.content.title,
        association => summary.association_name,
        campaign => summary.campaign_title,
        state => request.facts.state.label(),
        tag => state_tag(request.facts.state),
        since => city_date(portal, request.state_since),
        waiting => (now - request.state_since).num_days(),
        due_on => request.sla_due_at.map(|at| city_date(portal, at)),
        overdue => summary.overdue,
        requested => euros(request.content.requested_cents),
        assignee => summary.assignee,
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

#[derive(Deserialize)]
pub struct DoneQuery {
    fait: Option<String>,
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
    let id = RequestId::from_uuid(id);
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::FollowRequests)?;
            let shown = requests::show(conn, subject, id)?;
            let internal = policy::sees_internal(&shown.signed.actor, &shown.request().access());
            let check = check_history(shown.request(), &shown.file.events, internal);
            let directions = simpa_app::reference::directions(conn, subject)?;
            let clock = requests::clock(&shown.file, now.at);
            // Once voted, its final report, when one was filed and the agent may read it.
            let report = match shown.grant {
                Some(_) => final_reports::read(conn, subject, id).ok(),
                None => None,
            };
            let follow_up = match internal {
                true => Some(simpa_app::follow_up::read(
                    conn,
                    &shown.signed.actor,
                    shown.request(),
                )?),
                false => None,
            };
            Ok((shown, internal, check, directions, clock, report, follow_up))
        })
        .await;
    let (shown, internal, check, directions, clock, report, follow_up) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let request = shown.request();
    let (_, next) = whereabouts(&request.facts);
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
        documents => documents(&shown),
        opinions => if internal { opinions(&shown, &directions) } else { vec![] },
        history => history(portal, &shown, internal),
        check => chain_in_words(&check),
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

/// The documents filed with the request at its submission.
fn documents(shown: &Shown) -> Vec<Value> {
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
            context! { label => label, file => v.file.as_ref().map(|f| f.file_name.clone()) }
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

/// Whether the history's chain of hashes holds and leads to the request's state, in words.
fn chain_in_words(check: &HistoryCheck) -> String {
    match (check.intact, check.consistent, check.broken_at_seq) {
        (true, true, _) => match check.events {
            Some(n) => format!(
                "Historique intègre : les {n} événements s'enchaînent et mènent à l'état de la demande."
            ),
            None => "Historique intègre.".to_owned(),
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
