//! What every agents' list shares (requests, final reports, associations, documents, payments):
//! its address with the criteria it shows, its orders, the filters saved for it, and its
//! download as CSV or as an XLSX workbook, written a page at a time.

use super::staff::chosen;
use super::typed::{self, Typed};
use crate::Portal;
use crate::answers::unless_hidden;
use crate::exports::{Cell, Sheet, Spreadsheet};
use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use minijinja::{Value, context};
use simpa_domain::FieldError;
use simpa_domain::french::ordinal;
use simpa_domain::ids::DistrictNumber;
use simpa_domain::policy::Subject;
use simpa_domain::reference::Direction;
use simpa_domain::roles::StaffRoleKind;
use simpa_domain::saved_filter::{FilteredList, Service};
use simpa_persistence::saved_filters::SavedFilter;
use simpa_persistence::{DbConnection, Keyset, Page, StoreResult};

/// At most this many rows in one download.
const EXPORTED: usize = 50_000;

/// How many rows a download reads at once.
pub(super) const EXPORT_PAGE: usize = 500;

/// Where each list lives.
pub(super) fn path(list: FilteredList) -> &'static str {
    match list {
        FilteredList::Requests => "/agents/demandes",
        FilteredList::Reports => "/agents/comptes-rendus",
        FilteredList::Associations => "/agents/associations",
        FilteredList::Documents => "/agents/pieces",
        FilteredList::Payments => "/agents/versements",
    }
}

/// The address of `path` with the criteria typed (those left empty left out), starting after
/// `after`.
pub(super) fn address(
    path: &str,
    criteria: &[(&str, &Option<String>)],
    after: Option<&str>,
) -> String {
    let mut kept: Vec<(&str, &str)> = criteria
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
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The criteria alone, as a saved filter keeps them (`etat=submitted&tri=anciennes`).
pub(super) fn criteria_query(criteria: &[(&str, &Option<String>)]) -> String {
    address("", criteria, None)
        .trim_start_matches('?')
        .to_owned()
}

/// The day a date criterion names (`depose_du`), as typed; a wrong one said at its field.
pub(super) fn day(
    name: &str,
    typed: &Option<String>,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    typed::day(chosen(typed)?, name, errors)
}

/// When the day a date criterion names starts (city time), or the next day when it is the
/// last of a range (`until`): the bounds of a range of times.
pub(super) fn day_start(
    name: &str,
    typed: &Option<String>,
    until: bool,
    timezone: Tz,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let day = day(name, typed, errors)?;
    let day = if until { day.succ_opt()? } else { day };
    simpa_app::clock::start_of_day(day, timezone)
}

/// A date criterion as its field shows it again: a real day (`2027-03-15`) or nothing.
pub(super) fn typed_day(typed: &Option<String>) -> Option<String> {
    day("", typed, &mut vec![]).map(|d| d.to_string())
}

/// A district of Paris as a criterion names it (`arrondissement=11`), if it is one.
pub(super) fn district(typed: &Option<String>) -> Option<DistrictNumber> {
    chosen(typed)
        .and_then(|d| d.parse::<i32>().ok())
        .filter(|d| DistrictNumber::PARIS.contains(d))
        .map(DistrictNumber)
}

/// The districts of Paris as a choice offers them.
pub(super) fn districts() -> Vec<Value> {
    DistrictNumber::PARIS
        .map(|n| {
            context! {
                code => n.to_string(),
                label => simpa_domain::french::district(DistrictNumber(n)),
            }
        })
        .collect()
}

/// A list's orders as its choice offers them.
pub(super) fn orders<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Value> {
    all.iter()
        .map(|o| context! { code => code(*o), label => label(*o) })
        .collect()
}

/// What was just done to the list's saved filters (`fait=filtre`, `fait=filtre-supprime`).
pub(super) fn filter_done(fait: Option<&str>) -> Option<&'static str> {
    match fait {
        Some("filtre") => Some("Filtre enregistré : il est dans « Mes filtres »."),
        Some("filtre-supprime") => Some("Filtre supprimé."),
        _ => None,
    }
}

/// What every list's page shows around its rows: the links to its next and first pages and
/// to its downloads, and its saved filters: those the agent sees, as links to the list (theirs
/// deletable), and the form that saves the list's criteria under a name, kept for the agent or
/// shared with one of their `services` (with what was `typed` when it comes back refused).
pub(super) struct Frame<'a> {
    pub list: FilteredList,
    pub criteria: &'a [(&'a str, &'a Option<String>)],
    /// Where the next page starts, if there is one.
    pub next: Option<String>,
    /// This page starts after another.
    pub paged: bool,
    pub filters: &'a [SavedFilter],
    pub services: &'a [Service],
    pub directions: &'a [Direction],
    pub me: Option<Subject>,
    pub typed: Typed,
}

impl Frame<'_> {
    pub(super) fn shown(self) -> Value {
        let list = path(self.list);
        let at = |path: &str, after: Option<&str>| address(path, self.criteria, after);
        let filters: Vec<Value> = self
            .filters
            .iter()
            .map(|f| {
                context! {
                    id => f.id.to_string(),
                    name => f.name,
                    address => format!("{list}?{}", f.query),
                    mine => self.me == Some(Subject::Person(f.owner)),
                    owner => f.owner_name,
                    shared => f.shared_with.map(|s| service_name(s, self.directions)),
                }
            })
            .collect();
        context! {
            next => self.next.as_deref().map(|n| at(list, Some(n))),
            first => self.paged.then(|| at(list, None)),
            csv => at(&format!("{list}.csv"), None),
            xlsx => at(&format!("{list}.xlsx"), None),
            saved => context! {
                list => self.list.code(),
                filters => filters,
                query => criteria_query(self.criteria),
                services => self.services.iter().map(|s| context! {
                    code => s.key(), label => service_name(*s, self.directions),
                }).collect::<Vec<_>>(),
                typed => self.typed,
            },
        }
    }
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

/// Every page of a list (up to `EXPORTED` rows), read `EXPORT_PAGE` at a time from `page` and
/// written a row at a time into `sheet`.
pub(super) fn write_pages<T>(
    sheet: &mut Sheet,
    mut page: impl FnMut(Option<&Keyset>) -> StoreResult<Page<T>>,
    row: impl Fn(&T) -> Vec<Cell>,
) -> StoreResult<()> {
    let (mut after, mut written) = (None, 0);
    loop {
        let read = page(after.as_ref())?;
        for item in &read.items {
            sheet.row(&row(item));
        }
        written += EXPORT_PAGE;
        match read.next {
            Some(next) if written < EXPORTED => after = Some(next),
            _ => return Ok(()),
        }
    }
}

/// A list downloaded as `format`: `fill` checks the agent may read it and writes its rows, a
/// page at a time, into a sheet titled `title` under `headers`; the file is named after `stem`
/// and the day.
pub(super) async fn download(
    portal: &Portal,
    format: Spreadsheet,
    (stem, title): (&'static str, &'static str),
    headers: &'static [&'static str],
    fill: impl FnOnce(&mut DbConnection, &mut Sheet) -> StoreResult<()> + Send + 'static,
) -> HttpResponse {
    let written = portal
        .runtime
        .read(move |conn| {
            let mut sheet = Sheet::new(format, title, headers);
            fill(conn, &mut sheet)?;
            Ok(sheet.finish())
        })
        .await;
    let day = portal.runtime.city_now().today();
    match written {
        Ok(Ok(bytes)) => HttpResponse::Ok()
            .content_type(format.media_type())
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{stem}-{day}.{}\"",
                    format.extension()
                ),
            ))
            .body(bytes),
        Ok(Err(failure)) => {
            tracing::error!(%failure, list = stem, "a list cannot be downloaded");
            HttpResponse::InternalServerError().finish()
        }
        Err(error) => unless_hidden(portal, error),
    }
}
