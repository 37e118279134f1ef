//! The lists of requests for the city's agents: every request they may read
//! (`/agents/demandes`), and the final reports waiting for their review
//! (`/agents/comptes-rendus`); filtered (words or number, state, campaign, direction,
//! district, sector, amount, days of submission, lateness, those they follow), ordered, a page
//! at a time, with the filters they saved or their services share, the actions they may take
//! on a selection, and the whole list as a spreadsheet.

use super::listing::{self, EXPORT_PAGE, Frame};
use super::staff::{PAGE, chosen, named, work_item};
use super::typed::Typed;
use crate::Portal;
use crate::answers::{city_date, unless_hidden};
use crate::exports::{Cell, Spreadsheet};
use crate::forms::{errors_page, field_error, form_page};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::context;
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::final_reports;
use simpa_app::requests::{self, Summary};
use simpa_app::saved_filters;
use simpa_domain::FieldError;
use simpa_domain::circuit::{ActionKind, AskReason};
use simpa_domain::ids::{AssociationId, CampaignId, DirectionId};
use simpa_domain::listing::RequestOrder;
use simpa_domain::money::parse_whole_euros;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::request::RequestState;
use simpa_domain::saved_filter::FilteredList;
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::{DbConnection, Keyset, Page, StoreResult};
use uuid::Uuid;

/// The actions the list offers on a selection of requests (see `staff_bulk`).
pub(super) const BULK: &[ActionKind] = &[
    ActionKind::DeclareAdmissible,
    ActionKind::AskDocuments,
    ActionKind::Dispatch,
    ActionKind::Schedule,
];

/// A request of a list, and when its final report was filed (for the reports to review).
type Listed = (Summary, Option<DateTime<Utc>>);

/// The two lists of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    /// Every request the agent may read.
    Requests,
    /// The granted requests whose final report waits for the agent's review.
    Reports,
}

impl Listing {
    pub(super) fn list(self) -> FilteredList {
        match self {
            Listing::Requests => FilteredList::Requests,
            Listing::Reports => FilteredList::Reports,
        }
    }

    fn path(self) -> &'static str {
        listing::path(self.list())
    }

    /// A page of the list as the agent sees it, with the actor it is shown for.
    fn page(
        self,
        conn: &mut DbConnection,
        subject: Option<Subject>,
        filter: &RequestFilter,
        after: Option<&Keyset>,
        limit: usize,
        now: DateTime<Utc>,
    ) -> StoreResult<(Actor, Page<Listed>)> {
        match self {
            Listing::Requests => {
                require(conn, subject, Action::FollowRequests)?;
                let (actor, page) = requests::list(conn, subject, filter, after, limit)?;
                let items = requests::summaries(conn, &actor, page.items, now)?;
                let items = items.into_iter().map(|s| (s, None)).collect();
                let next = page.next;
                Ok((actor, Page { items, next }))
            }
            Listing::Reports => {
                let (actor, page) = final_reports::to_review(conn, subject, filter, after, limit)?;
                let ids: Vec<_> = page.items.iter().map(|(r, _)| r.id).collect();
                let summaries = requests::summaries_of(conn, &actor, &ids, now)?;
                let filed = page.items.into_iter().map(|(_, at)| Some(at));
                let items = summaries.into_iter().zip(filed).collect();
                let next = page.next;
                Ok((actor, Page { items, next }))
            }
        }
    }
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
    /// A sector of the association (its code).
    secteur: Option<String>,
    /// The amount asked, in whole euros, from and up to.
    montant_min: Option<String>,
    montant_max: Option<String>,
    /// Submitted from and up to these days (city time), as typed.
    depose_du: Option<String>,
    depose_au: Option<String>,
    /// The order (`RequestOrder`'s code).
    tri: Option<String>,
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
        timezone: Tz,
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
        let (from, until) = (
            listing::day_start("depose_du", &self.depose_du, false, timezone, &mut errors),
            listing::day_start("depose_au", &self.depose_au, true, timezone, &mut errors),
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
            district: listing::district(&self.arrondissement),
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
            order: chosen(&self.tri)
                .and_then(RequestOrder::from_code)
                .unwrap_or_default(),
            ..RequestFilter::default()
        };
        (filter, errors)
    }

    /// The criteria as the list's address names them.
    fn criteria(&self) -> [(&'static str, &Option<String>); 14] {
        [
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
            ("tri", &self.tri),
        ]
    }
}

/// Every request the agent may read, as they filter and order it, a page at a time.
#[get("/agents/demandes")]
pub async fn request_list(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let done = listing::filter_done(query.fait.as_deref());
    list_page(
        &portal,
        &req,
        &visitor,
        Listing::Requests,
        &query,
        done,
        None,
    )
    .await
}

/// The final reports waiting for the agent's review (the lead direction's, the bureau's, the
/// town hall's on the local circuit), as they filter and order them; each is read and reviewed
/// on its request's page.
#[get("/agents/comptes-rendus")]
pub async fn report_list(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let done = listing::filter_done(query.fait.as_deref());
    list_page(
        &portal,
        &req,
        &visitor,
        Listing::Reports,
        &query,
        done,
        None,
    )
    .await
}

/// The list as `query` filters it, after `done`, or with the form saving a filter sent back
/// with its errors and what was typed.
pub(super) async fn list_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    listing: Listing,
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
            let (actor, page) = listing.page(conn, subject, &filter, after.as_ref(), PAGE, now)?;
            let next = page.next.as_ref().map(simpa_app::cursor::encode);
            let items = page.items;
            let campaigns = simpa_app::campaigns::list(conn, subject, None, None)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            let kinds = simpa_app::documents::kinds(conn, subject)?;
            let sectors = simpa_app::reference::sectors(conn, subject)?;
            // The deliberations in preparation, for whom prepares them from the list.
            let drafts = match policy::decide(&actor, Action::PrepareDeliberations) {
                Ok(()) if listing == Listing::Requests => {
                    simpa_app::deliberations::managed_list(conn, subject)?.1
                }
                _ => vec![],
            };
            let drafts: Vec<_> = drafts.into_iter().filter(|d| d.vote.is_none()).collect();
            let saved = saved_filters::visible(conn, subject, listing.list())?;
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
    let path = listing.path();
    let data = context! {
        reports => listing == Listing::Reports,
        path => path,
        items => items.iter().map(|(s, filed)| context! {
            report_filed_on => filed.map(|at| city_date(portal, at)),
            ..work_item(portal, s, now)
        }).collect::<Vec<_>>(),
        q => query.q.clone().unwrap_or_default(),
        chosen => context! {
            etat => query.etat, campagne => query.campagne, direction => query.direction,
            arrondissement => query.arrondissement, en_retard => query.en_retard,
            miennes => query.miennes, secteur => query.secteur,
            montant_min => query.montant_min, montant_max => query.montant_max,
            // A date field holds a real day or nothing.
            depose_du => listing::typed_day(&query.depose_du), depose_au => listing::typed_day(&query.depose_au),
            tri => query.tri,
        },
        orders => listing::orders(RequestOrder::ALL, RequestOrder::code, RequestOrder::label),
        states => choices(RequestState::ALL.iter().filter(|s| **s != RequestState::Draft).map(|s| (s.code().to_owned(), s.label().to_owned())).collect()),
        campaigns => choices(campaigns.iter().map(|c| (c.id.to_string(), c.settings.title.clone())).collect()),
        directions => choices(directions.iter().map(|d| (d.id.to_string(), d.name.clone())).collect()),
        districts => listing::districts(),
        sectors => choices(sectors.iter().map(|s| (s.code.clone(), s.label.clone())).collect()),
        done => done,
        ..Frame {
            list: listing.list(),
            criteria: &query.criteria(),
            next,
            paged: query.apres.is_some(),
            filters: &saved,
            services: &services,
            directions: &directions,
            me: subject,
            typed,
        }.shown()
    };
    let bulk = (listing == Listing::Requests).then(|| context! {
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
    });
    let page = errors_page(
        "staff_requests.html",
        &errors,
        context! { bulk => bulk, ..data },
    )
    .visitor(visitor);
    form_page(portal, req, page)
}

/// Every request the agent may read, as filtered and ordered, every page of it, as a
/// spreadsheet: CSV or an XLSX workbook.
#[get("/agents/demandes.{format:(csv|xlsx)}")]
pub async fn request_export(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let format = Spreadsheet::of_extension(&path);
    export(&portal, &visitor, Listing::Requests, format, &query).await
}

/// The final reports to review, as filtered and ordered, as a spreadsheet.
#[get("/agents/comptes-rendus.{format:(csv|xlsx)}")]
pub async fn report_export(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let format = Spreadsheet::of_extension(&path);
    export(&portal, &visitor, Listing::Reports, format, &query).await
}

/// The columns of a list of requests as a spreadsheet; the last, the final reports' only.
const COLUMNS: &[&str] = &[
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
    "Compte rendu déposé le",
];

/// The list, every page of it, written a page at a time.
async fn export(
    portal: &Portal,
    visitor: &Visitor,
    listing: Listing,
    format: Spreadsheet,
    query: &ListQuery,
) -> HttpResponse {
    let (subject, now, tz) = (
        visitor.subject(),
        portal.runtime.now(),
        portal.runtime.timezone,
    );
    let (filter, _) = query.filter(now, subject, tz);
    let (names, columns) = match listing {
        Listing::Requests => (("demandes", "Demandes"), &COLUMNS[..COLUMNS.len() - 1]),
        Listing::Reports => (("comptes-rendus", "Comptes rendus"), COLUMNS),
    };
    listing::download(portal, format, names, columns, move |conn, sheet| {
        listing::write_pages(
            sheet,
            |after| {
                Ok(listing
                    .page(conn, subject, &filter, after, EXPORT_PAGE, now)?
                    .1)
            },
            |(summary, filed)| request_row(tz, summary, *filed),
        )
    })
    .await
}

/// A request as a spreadsheet's line shows it, with when its final report was filed for the
/// reports to review.
fn request_row(tz: Tz, s: &Summary, report_filed: Option<DateTime<Utc>>) -> Vec<Cell> {
    let day = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
    let r = &s.request;
    let mut row = vec![
        Cell::Text(r.number.map(|n| n.to_string()).unwrap_or_default()),
        Cell::Text(r.title.clone()),
        Cell::Text(r.association_name.clone()),
        Cell::Text(r.campaign_title.clone()),
        Cell::Text(r.state.label().to_owned()),
        Cell::Day(Some(day(r.state_since))),
        Cell::Euros(Some(r.requested_cents)),
        Cell::Euros(s.proposed_cents),
        Cell::Day(r.sla_due_at.map(day)),
        Cell::YesNo(s.overdue),
        Cell::Text(s.assignee.clone().unwrap_or_default()),
    ];
    if let Some(filed) = report_filed {
        row.push(Cell::Day(Some(day(filed))));
    }
    row
}
