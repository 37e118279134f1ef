//! The list of requests for the city's agents (`/agents/demandes`): every request they may
//! read, filtered (words or number, state, campaign, direction, district, sector, amount,
//! days of submission, lateness, those they follow), a page at a time, with the filters they
//! saved or their services share, the actions they may take on a selection, and the whole
//! list as a spreadsheet.

use super::staff::{PAGE, chosen, named, work_item};
use super::typed::{self, Typed};
use crate::Portal;
use crate::answers::unless_hidden;
use crate::exports::{self, Cell, Table};
use crate::forms::{errors_page, field_error, form_page};
use crate::session::Visitor;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::requests::{self, Summary};
use simpa_app::saved_filters;
use simpa_domain::FieldError;
use simpa_domain::circuit::{ActionKind, AskReason};
use simpa_domain::ids::{AssociationId, CampaignId, DirectionId, DistrictNumber};
use simpa_domain::money::parse_whole_euros;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{self, Action, Subject};
use simpa_domain::reference::Direction;
use simpa_domain::request::RequestState;
use simpa_domain::roles::StaffRoleKind;
use simpa_domain::saved_filter::{FilteredList, Service};
use simpa_domain::wording::ordinal;
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::saved_filters::SavedFilter;
use uuid::Uuid;

/// The actions the list offers on a selection of requests (see `staff_bulk`).
pub(super) const BULK: &[ActionKind] = &[
    ActionKind::DeclareAdmissible,
    ActionKind::AskDocuments,
    ActionKind::Dispatch,
    ActionKind::Schedule,
];

/// The list of requests' address.
const LIST: &str = "/agents/demandes";

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
    /// A sector of the association (its code).
    secteur: Option<String>,
    /// The amount asked, in whole euros, from and up to.
    montant_min: Option<String>,
    montant_max: Option<String>,
    /// Submitted from and up to these days (city time), as typed.
    depose_du: Option<String>,
    depose_au: Option<String>,
    /// What was just done (a filter saved or deleted).
    fait: Option<String>,
    /// One association's requests.
    association: Option<String>,
    /// Where the page starts: the token of the previous page's end.
    apres: Option<String>,
}

impl ListQuery {
    /// The filter it asks for, and what was typed wrong (an amount, a day), said at its field
    /// and left out; what names nothing (a state, campaign or direction unknown, a district
    /// that is not one) filters nothing.
    fn filter(
        &self,
        now: DateTime<Utc>,
        me: Option<Subject>,
        timezone: chrono_tz::Tz,
    ) -> (RequestFilter, Vec<FieldError>) {
        let uuid = |v: &Option<String>| chosen(v).and_then(|v| Uuid::parse_str(v).ok());
        let mut errors = vec![];
        let mut cents = |name: &str, v: &Option<String>| {
            let raw = chosen(v)?;
            parse_whole_euros(raw)
                .map_err(|violation| errors.push(field_error(name, violation.message)))
                .ok()
        };
        let (min, max) = (
            cents("montant_min", &self.montant_min),
            cents("montant_max", &self.montant_max),
        );
        let mut day = |name: &str, v: &Option<String>, next: bool| {
            let day = typed::day(chosen(v)?, name, &mut errors)?;
            let day = if next { day.succ_opt()? } else { day };
            simpa_app::clock::start_of_day(day, timezone)
        };
        let (from, until) = (
            day("depose_du", &self.depose_du, false),
            day("depose_au", &self.depose_au, true),
        );
        let filter = RequestFilter {
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
            sector: chosen(&self.secteur).map(str::to_owned),
            min_requested_cents: min,
            max_requested_cents: max,
            submitted_from: from,
            submitted_until: until,
            overdue_at: (chosen(&self.en_retard) == Some("oui")).then_some(now),
            text: chosen(&self.q).map(str::to_owned),
            followed_by: match me {
                Some(Subject::Person(me)) if chosen(&self.miennes) == Some("oui") => Some(me),
                _ => None,
            },
            ..RequestFilter::default()
        };
        (filter, errors)
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
            ("secteur", &self.secteur),
            ("montant_min", &self.montant_min),
            ("montant_max", &self.montant_max),
            ("depose_du", &self.depose_du),
            ("depose_au", &self.depose_au),
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
    let done = match query.fait.as_deref() {
        Some("filtre") => Some("Filtre enregistré : il est dans « Mes filtres »."),
        Some("filtre-supprime") => Some("Filtre supprimé."),
        _ => None,
    };
    list_page(&portal, &req, &visitor, &query, done, None).await
}

/// The list as `query` filters it, after `done`, or with the form saving a filter sent back
/// with its errors and what was typed.
pub(super) async fn list_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    query: &ListQuery,
    done: Option<&str>,
    refused: Option<(Vec<FieldError>, Typed)>,
) -> HttpResponse {
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let (filter, mut errors) = query.filter(now, subject, portal.runtime.timezone);
    let (saving_errors, typed) = refused.unwrap_or_default();
    errors.extend(saving_errors);
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
            let sectors = simpa_app::reference::sectors(conn, subject)?;
            // The deliberations in preparation, for whom prepares them.
            let drafts = match policy::decide(&actor, Action::PrepareDeliberations) {
                Ok(()) => simpa_app::deliberations::managed_list(conn, subject)?.1,
                Err(_) => vec![],
            };
            let drafts: Vec<_> = drafts.into_iter().filter(|d| d.vote.is_none()).collect();
            let saved = saved_filters::visible(conn, subject, FilteredList::Requests)?;
            let lists = (campaigns, directions, kinds, sectors, drafts);
            Ok((items, next, lists, saved))
        })
        .await;
    let (items, next, (campaigns, directions, kinds, sectors, drafts), (saved, services)) =
        match found {
            Ok(found) => found,
            Err(error) => return unless_hidden(portal, error),
        };
    let choices = |pairs: Vec<(String, String)>| {
        pairs
            .into_iter()
            .map(|(code, label)| context! { code => code, label => label })
            .collect::<Vec<_>>()
    };
    let data = context! {
        items => items.iter().map(|s| work_item(portal, s, now)).collect::<Vec<_>>(),
        next => next.as_deref().map(|n| query.address(LIST, Some(n))),
        first => query.apres.as_ref().map(|_| query.address(LIST, None)),
        csv => query.address("/agents/demandes.csv", None),
        xlsx => query.address("/agents/demandes.xlsx", None),
        q => query.q.clone().unwrap_or_default(),
        chosen => context! {
            etat => query.etat, campagne => query.campagne, direction => query.direction,
            arrondissement => query.arrondissement, en_retard => query.en_retard,
            miennes => query.miennes, secteur => query.secteur,
            montant_min => query.montant_min, montant_max => query.montant_max,
            // A date field holds a real day or nothing.
            depose_du => as_day(&query.depose_du), depose_au => as_day(&query.depose_au),
        },
        states => choices(RequestState::ALL.iter().filter(|s| **s != RequestState::Draft).map(|s| (s.code().to_owned(), s.label().to_owned())).collect()),
        campaigns => choices(campaigns.iter().map(|c| (c.id.to_string(), c.settings.title.clone())).collect()),
        directions => choices(directions.iter().map(|d| (d.id.to_string(), d.name.clone())).collect()),
        districts => choices(DistrictNumber::PARIS.map(|n| (n.to_string(), format!("{} arrondissement", ordinal(DistrictNumber(n))))).collect()),
        sectors => choices(sectors.iter().map(|s| (s.code.clone(), s.label.clone())).collect()),
        done => done,
        filters => saved_shown(&saved, &directions, subject),
        saving => context! {
            query => query.address("", None).trim_start_matches('?').to_owned(),
            services => choices(services.iter().map(|s| (s.key(), service_name(*s, &directions))).collect()),
            typed => typed,
        },
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
    let page = errors_page(
        "staff_requests.html",
        &errors,
        context! { bulk => bulk, ..data },
    )
    .visitor(visitor);
    form_page(portal, req, page)
}

/// A day typed as a date field holds it (`2027-03-15`), if it is one.
fn as_day(typed: &Option<String>) -> Option<String> {
    typed::day(chosen(typed)?, "", &mut vec![]).map(|d| d.to_string())
}

/// The filters the agent sees, as links to the list they filter; theirs deletable.
fn saved_shown(saved: &[SavedFilter], directions: &[Direction], me: Option<Subject>) -> Vec<Value> {
    saved
        .iter()
        .map(|f| {
            context! {
                id => f.id.to_string(),
                name => f.name,
                address => format!("{LIST}?{}", f.query),
                mine => me == Some(Subject::Person(f.owner)),
                owner => f.owner_name,
                shared => f.shared_with.map(|s| service_name(s, directions)),
            }
        })
        .collect()
}

/// A service of the city, named: "Bureau des subventions", a direction's name, "Mairie du 11e
/// arrondissement".
fn service_name(service: Service, directions: &[Direction]) -> String {
    match service {
        Service::Bureau => StaffRoleKind::Bureau.label().to_owned(),
        Service::Direction(id) => directions
            .iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_string(), |d| d.name.clone()),
        Service::TownHall(n) => format!("Mairie du {} arrondissement", ordinal(n)),
    }
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
    let (filter, _) = query.filter(now, subject, portal.runtime.timezone);
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
