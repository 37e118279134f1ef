//! The open data of subsidies, read batch by batch so that an export's memory does not grow
//! with its rows: the SCDL "subventions" rows of the grants published, and the rows of Paris's
//! dataset "subventions associations votées". Public.

use simpa_domain::open_data::{Grantor, ParisRow, PublishedGrant, ScdlRow};
use simpa_persistence::open_data::{self, Batch, GrantFilter};
use simpa_persistence::{DbConnection, StoreResult};

/// The SCDL rows of the next `size` grants after the number `after`.
#[tracing::instrument(name = "open_data::scdl_batch", skip_all)]
pub fn scdl_batch(
    conn: &mut DbConnection,
    grantor: &Grantor,
    filter: GrantFilter,
    after: Option<&str>,
    size: usize,
) -> StoreResult<Batch<ScdlRow>> {
    let batch = open_data::grants_after(conn, filter, after, size)?;
    Ok(batch.filter_map(|g| scdl_row(grantor, g)))
}

/// A grant's SCDL row; one that is not publishable yet or breaks a rule of the schema is
/// left out, and logged.
fn scdl_row(grantor: &Grantor, grant: PublishedGrant) -> Option<ScdlRow> {
    let number = grant.number.clone();
    grant
        .scdl_row(grantor)
        .inspect_err(|broken| {
            let rules: Vec<_> = broken.iter().map(|(column, v)| (*column, v.code)).collect();
            tracing::warn!(request = %number, ?rules, "grant left out of the SCDL open data");
        })
        .ok()
}

/// The rows of the next `size` requests decided after the number `after`: granted, and
/// refused with 0 voted when the city publishes refusals.
#[tracing::instrument(name = "open_data::voted_batch", skip_all)]
pub fn voted_batch(
    conn: &mut DbConnection,
    collectivity: &str,
    year: Option<i32>,
    refusals: bool,
    after: Option<&str>,
    size: usize,
) -> StoreResult<Batch<ParisRow>> {
    open_data::decided_after(conn, collectivity, year, refusals, after, size)
}
