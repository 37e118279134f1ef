//! The public directory of associations: searching the associations that consented, and one
//! association's card. Nobody needs to sign in; only a public card's contents are shown.

use simpa_domain::DomainError;
use simpa_domain::association::{Association, TargetPublic};
use simpa_domain::ids::{AssociationId, DistrictNumber};
use simpa_domain::search::{Facet, query_words};
use simpa_persistence::directory::{self, DirectoryQuery};
use simpa_persistence::{DbConnection, Keyset, Page, StoreResult};

/// A search of the directory: words (accents and case aside) and filters.
#[derive(Default)]
pub struct Search<'a> {
    pub words: Option<&'a str>,
    pub district: Option<DistrictNumber>,
    /// A sector's code; blank is no filter.
    pub sector: Option<&'a str>,
    pub public: Option<TargetPublic>,
}

/// The associations that consented, the most relevant first when searching, by name
/// otherwise.
#[tracing::instrument(name = "directory::search", skip_all)]
pub fn search(
    conn: &mut DbConnection,
    search: &Search<'_>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Association>> {
    let sector = search.sector.map(str::trim).filter(|s| !s.is_empty());
    let facets: Vec<String> = [
        search.district.map(Facet::District),
        sector.map(Facet::Sector),
        search.public.map(Facet::Public),
    ]
    .into_iter()
    .flatten()
    .map(Facet::term)
    .collect();
    let query = DirectoryQuery {
        words: search.words.map(query_words).unwrap_or_default(),
        facets,
    };
    directory::search(conn, &query, after, limit)
}

/// One association's public card; not found when it did not consent.
#[tracing::instrument(name = "directory::card", skip_all, fields(association = %id))]
pub fn card(conn: &mut DbConnection, id: AssociationId) -> StoreResult<Association> {
    directory::card(conn, id)?.ok_or_else(|| {
        DomainError::NotFound {
            what: "association",
        }
        .into()
    })
}
