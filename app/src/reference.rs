//! The city's reference data, for whoever is signed in: its districts, the directions that
//! instruct, the activity sectors.

use crate::access::require;
use simpa_domain::policy::{Action, Subject};
use simpa_domain::reference::{Direction, District, Sector};
use simpa_persistence::{DbConnection, StoreResult, reference};

/// Reads one list of reference data, for whom may read it.
fn read<T>(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    list: fn(&mut DbConnection) -> StoreResult<Vec<T>>,
) -> StoreResult<Vec<T>> {
    require(conn, subject, Action::ReadReferenceData)?;
    list(conn)
}

/// The city's districts, with their postal codes.
#[tracing::instrument(name = "reference::districts", skip_all, fields(actor = Subject::kind(subject)))]
pub fn districts(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<Vec<District>> {
    read(conn, subject, reference::districts)
}

/// The directions that instruct subsidy requests.
#[tracing::instrument(name = "reference::directions", skip_all, fields(actor = Subject::kind(subject)))]
pub fn directions(
    conn: &mut DbConnection,
    subject: Option<Subject>,
) -> StoreResult<Vec<Direction>> {
    read(conn, subject, reference::directions)
}

/// The activity sectors an association may choose.
#[tracing::instrument(name = "reference::sectors", skip_all, fields(actor = Subject::kind(subject)))]
pub fn sectors(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<Vec<Sector>> {
    read(conn, subject, reference::sectors)
}
