//! The associations the city knows (`/agents/associations`): searched by words of their name
//! (or acronym, RNA, SIRET), by district and by sector, in name order or the last registered
//! first, fifty a page, each leading to its requests; with the filters saved for the list, and
//! the whole list as a spreadsheet.

use super::listing::{self, EXPORT_PAGE, Frame};
use super::staff::{PAGE, chosen};
use super::typed::Typed;
use crate::Portal;
use crate::answers::unless_hidden;
use crate::exports::{Cell, Spreadsheet};
use crate::forms::{errors_page, form_page};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono_tz::Tz;
use minijinja::context;
use serde::Deserialize;
use simpa_app::saved_filters;
use simpa_domain::FieldError;
use simpa_domain::association::Association;
use simpa_domain::listing::AssociationOrder;
use simpa_domain::reference::Sector;
use simpa_domain::saved_filter::FilteredList;
use simpa_persistence::associations::AssociationFilter;

/// The associations' list as the agent searches it.
#[derive(Deserialize, Default)]
pub struct AssociationQuery {
    q: Option<String>,
    arrondissement: Option<String>,
    secteur: Option<String>,
    tri: Option<String>,
    fait: Option<String>,
    apres: Option<String>,
}

impl AssociationQuery {
    fn filter(&self) -> AssociationFilter {
        AssociationFilter {
            text: chosen(&self.q).map(str::to_owned),
            district: listing::district(&self.arrondissement),
            sector: chosen(&self.secteur).map(str::to_owned),
            order: chosen(&self.tri)
                .and_then(AssociationOrder::from_code)
                .unwrap_or_default(),
        }
    }

    fn criteria(&self) -> [(&'static str, &Option<String>); 4] {
        [
            ("q", &self.q),
            ("arrondissement", &self.arrondissement),
            ("secteur", &self.secteur),
            ("tri", &self.tri),
        ]
    }
}

/// The associations as the agent searches them, a page at a time.
#[get("/agents/associations")]
pub async fn association_list(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<AssociationQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let done = listing::filter_done(query.fait.as_deref());
    list_page(&portal, &req, &visitor, &query, done, None).await
}

/// The list as `query` searches it, after `done`, or with the form saving a filter sent back
/// with its errors and what was typed.
pub(super) async fn list_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    query: &AssociationQuery,
    done: Option<&str>,
    refused: Option<(Vec<FieldError>, Typed)>,
) -> HttpResponse {
    let subject = visitor.subject();
    let filter = query.filter();
    let after = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| {
            let page = simpa_app::associations::list(conn, subject, &filter, after.as_ref(), PAGE)?;
            let sectors = simpa_app::reference::sectors(conn, subject)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            let saved = saved_filters::visible(conn, subject, FilteredList::Associations)?;
            Ok((page, sectors, directions, saved))
        })
        .await;
    let (page, sectors, directions, (saved, services)) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let (errors, typed) = refused.unwrap_or_default();
    let data = context! {
        items => page.items.iter().map(|a| {
            let p = &a.profile;
            context! {
                id => a.id.to_string(),
                name => p.name,
                acronym => p.acronym,
                rna => p.rna.as_ref().map(|r| r.to_string()),
                siret => p.siret.as_ref().map(|s| s.to_string()),
                place => format!("{} {}", p.address.postal_code, p.address.city),
                district => a.district.map(simpa_domain::french::district),
            }
        }).collect::<Vec<_>>(),
        q => query.q.clone().unwrap_or_default(),
        chosen => context! {
            arrondissement => query.arrondissement, secteur => query.secteur, tri => query.tri,
        },
        districts => listing::districts(),
        sectors => sectors.iter().map(|s| context! { code => s.code, label => s.label }).collect::<Vec<_>>(),
        orders => listing::orders(AssociationOrder::ALL, AssociationOrder::code, AssociationOrder::label),
        done => done,
        ..Frame {
            list: FilteredList::Associations,
            criteria: &query.criteria(),
            next: page.next.as_ref().map(simpa_app::cursor::encode),
            paged: query.apres.is_some(),
            filters: &saved,
            services: &services,
            directions: &directions,
            me: subject,
            typed,
        }.shown()
    };
    let page = errors_page("staff_associations.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// The columns of the associations as a spreadsheet.
const COLUMNS: &[&str] = &[
    "Nom",
    "Sigle",
    "RNA",
    "SIRET",
    "Adresse du siège",
    "Arrondissement",
    "Secteurs",
    "Inscrite le",
];

/// The associations as searched, every page of them, as a spreadsheet.
#[get("/agents/associations.{format:(csv|xlsx)}")]
pub async fn association_export(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<AssociationQuery>,
) -> HttpResponse {
    let format = Spreadsheet::of_extension(&path);
    let (subject, tz, filter) = (visitor.subject(), portal.runtime.timezone, query.filter());
    let names = ("associations", "Associations");
    listing::download(&portal, format, names, COLUMNS, move |conn, sheet| {
        let sectors = simpa_app::reference::sectors(conn, subject)?;
        listing::write_pages(
            sheet,
            |after| simpa_app::associations::list(conn, subject, &filter, after, EXPORT_PAGE),
            |association| association_row(tz, association, &sectors),
        )
    })
    .await
}

/// An association as a spreadsheet's line shows it.
fn association_row(tz: Tz, a: &Association, sectors: &[Sector]) -> Vec<Cell> {
    let p = &a.profile;
    let sector_label = |code: &String| {
        sectors
            .iter()
            .find(|s| &s.code == code)
            .map_or_else(|| code.clone(), |s| s.label.clone())
    };
    vec![
        Cell::Text(p.name.clone()),
        Cell::Text(p.acronym.clone().unwrap_or_default()),
        Cell::Text(p.rna.as_ref().map(ToString::to_string).unwrap_or_default()),
        Cell::Text(
            p.siret
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
        Cell::Text(p.address.on_one_line()),
        Cell::Text(a.district.map(|d| d.0.to_string()).unwrap_or_default()),
        Cell::Text(
            p.sectors
                .iter()
                .map(sector_label)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Cell::Day(Some(a.created_at.with_timezone(&tz).date_naive())),
    ]
}
