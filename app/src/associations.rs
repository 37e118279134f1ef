//! Associations: someone creates one and becomes its president; its members and the city's
//! staff read its profile; its members keep it up to date; staff list and search them.

use crate::access::{person, require};
use crate::clock::CityNow;
use chrono::NaiveDate;
use simpa_domain::DomainError;
use simpa_domain::association::{Association, AssociationProfile, check_version};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::ids::AssociationId;
use simpa_domain::policy::{Action, Actor, Subject};
use simpa_domain::roles::MemberRole;
use simpa_persistence::associations::{AssociationFilter, Identifier};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::{
    DbConnection, Keyset, Page, StoreResult, associations, members, reference,
};
use uuid::Uuid;

/// A profile as a front door received it, parsed against the sectors the city knows (every
/// field checked at once).
pub trait ProfileFields {
    fn into_profile(
        self,
        known_sectors: &[String],
        today: NaiveDate,
    ) -> Result<AssociationProfile, DomainError>;
}

/// RNA and SIRET each belong to one association: a duplicate is refused naming the field.
fn ensure_identifiers_free(
    conn: &mut DbConnection,
    profile: &AssociationProfile,
    except: Option<AssociationId>,
) -> StoreResult<()> {
    if let Some(rna) = &profile.rna
        && associations::holder(conn, Identifier::Rna(rna), except)?.is_some()
    {
        return Err(DomainError::conflict(
            "association.rna_taken",
            Some("rna"),
            format!("Une association est déjà inscrite avec le numéro RNA {rna}."),
        )
        .into());
    }
    if let Some(siret) = &profile.siret
        && associations::holder(conn, Identifier::Siret(siret), except)?.is_some()
    {
        return Err(DomainError::conflict(
            "association.siret_taken",
            Some("siret"),
            format!("Une association est déjà inscrite avec le SIRET {siret}."),
        )
        .into());
    }
    Ok(())
}

fn load(conn: &mut DbConnection, id: AssociationId) -> StoreResult<Association> {
    associations::get(conn, id)?.ok_or_else(|| {
        DomainError::NotFound {
            what: "association",
        }
        .into()
    })
}

/// Creates an association; the person creating it becomes its president.
#[tracing::instrument(name = "associations::create", skip_all, fields(actor = actor.kind()))]
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: impl ProfileFields,
    now: CityNow,
) -> StoreResult<Association> {
    simpa_domain::policy::authorize(actor, Action::CreateAssociation)?;
    let person = person(actor)?;
    let profile = fields.into_profile(&reference::sector_codes(conn)?, now.today())?;
    ensure_identifiers_free(conn, &profile, None)?;
    let district = reference::district_of_postal_code(conn, profile.address.postal_code.as_str())?;
    let id = AssociationId::from_uuid(Uuid::now_v7());
    associations::insert(conn, id, &profile, district, now.at)?;
    members::add(conn, id, person, MemberRole::President, now.at)?;
    let event = NewAuditEvent::new(AuditAction::AssociationCreated, AuditActor::acting(actor))
        .about("association", id)
        .with(serde_json::json!({"role": MemberRole::President.code()}));
    audit::record(conn, &event, now.at)?;
    load(conn, id)
}

/// An association's profile, for its members and the city's staff.
#[tracing::instrument(name = "associations::read", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
) -> StoreResult<Association> {
    require(conn, subject, Action::ReadAssociation(id))?;
    load(conn, id)
}

/// Replaces an association's profile, if it is still the version the editor read
/// (`expected`; `None`: whichever is stored).
#[tracing::instrument(name = "associations::update", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn update(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    expected: Option<i64>,
    fields: impl ProfileFields,
    now: CityNow,
) -> StoreResult<Association> {
    require(conn, subject, Action::UpdateAssociation(id))?;
    let current = load(conn, id)?;
    let expected = expected.unwrap_or(current.version);
    check_version(current.version, expected)?;
    let profile = fields.into_profile(&reference::sector_codes(conn)?, now.today())?;
    ensure_identifiers_free(conn, &profile, Some(id))?;
    let district = reference::district_of_postal_code(conn, profile.address.postal_code.as_str())?;
    associations::update(conn, id, &profile, district, expected, now.at)?;
    load(conn, id)
}

/// Lists and searches associations, in name order (city staff).
#[tracing::instrument(name = "associations::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    filter: &AssociationFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Association>> {
    require(conn, subject, Action::ListAssociations)?;
    associations::list(conn, filter, after, limit)
}
