//! An association's document vault on a date, as the routes, the submission checks and the
//! daily reminders read it.

use chrono::{DateTime, NaiveDate, Utc};
use simpa_domain::DomainError;
use simpa_domain::association::Association;
use simpa_domain::document::{DocumentKind, KindStatus, ProfileStatus, vault_status};
use simpa_domain::ids::AssociationId;
use simpa_persistence::documents::DocumentVersion;
use simpa_persistence::{DbConnection, StoreResult, associations, documents};

/// An association's vault on a date: each kind and its status, and the profile status.
pub struct Vault {
    pub kinds: Vec<DocumentKind>,
    pub statuses: Vec<(String, KindStatus)>,
    pub profile: ProfileStatus,
    pub confirmed_at: DateTime<Utc>,
}

/// An association's vault on a date, the association read first.
#[tracing::instrument(name = "vault::vault_on", skip_all, fields(association = %id))]
pub fn vault_on(
    conn: &mut DbConnection,
    id: AssociationId,
    on: NaiveDate,
    timezone: chrono_tz::Tz,
) -> StoreResult<Vault> {
    let association = associations::get(conn, id)?.ok_or(DomainError::NotFound {
        what: "association",
    })?;
    vault_of(conn, &association, on, timezone).map(|(vault, _)| vault)
}

/// The vault of an association already read, with its versions (each kind's latest first):
/// the kinds and versions in one statement, the facts its conditions depend on in another.
pub fn vault_of(
    conn: &mut DbConnection,
    association: &Association,
    on: NaiveDate,
    timezone: chrono_tz::Tz,
) -> StoreResult<(Vault, Vec<DocumentVersion>)> {
    let (kinds, versions) = documents::kinds_and_versions(conn, association.id)?;
    let facts = documents::condition_facts(conn, association.id)?;
    let confirmed_on = association
        .confirmed_at
        .with_timezone(&timezone)
        .date_naive();
    let filed: Vec<_> = versions
        .iter()
        .map(|v| (v.kind_code.clone(), v.facts.clone()))
        .collect();
    let (statuses, profile) = vault_status(&kinds, &filed, &facts, on, confirmed_on);
    let vault = Vault {
        kinds,
        statuses,
        profile,
        confirmed_at: association.confirmed_at,
    };
    Ok((vault, versions))
}
