//! The public directory of associations: searching the associations that consented, and one
//! association's card. Nobody needs to sign in; only a public card's contents are shown.

use chrono::{DateTime, Utc};
use simpa_domain::DomainError;
use simpa_domain::association::{Address, Association, TargetPublic};
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

/// What an association's public card shows, and nothing more: its contacts only where it
/// said they are public. Both the directory's API and its pages show this.
#[derive(Debug, Clone)]
pub struct PublicCard {
    pub id: AssociationId,
    pub name: String,
    pub acronym: Option<String>,
    pub rna: Option<String>,
    pub object: String,
    pub sectors: Vec<String>,
    pub target_publics: Vec<TargetPublic>,
    pub action_districts: Vec<DistrictNumber>,
    pub address: Address,
    pub district: Option<DistrictNumber>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<Association> for PublicCard {
    fn from(a: Association) -> Self {
        let p = a.profile;
        let shown = p.public_contact;
        PublicCard {
            id: a.id,
            name: p.name,
            acronym: p.acronym,
            rna: p.rna.map(|r| r.to_string()),
            object: p.object,
            sectors: p.sectors,
            target_publics: p.target_publics,
            action_districts: p.action_districts,
            address: p.address,
            district: a.district,
            email: p.email.filter(|_| shown.email).map(|e| e.to_string()),
            phone: p
                .phone
                .filter(|_| shown.phone)
                .map(|n| n.as_str().to_owned()),
            website: p
                .website
                .filter(|_| shown.website)
                .map(|w| w.as_str().to_owned()),
            updated_at: a.updated_at,
        }
    }
}
