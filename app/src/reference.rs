//! The city's reference data: its districts, the directions that instruct, the activity
//! sectors (read by whoever is signed in) and the kinds of documents; and how admins change
//! them, each change in the audit trail. Codes never change once created (profiles,
//! campaigns, roles and documents name them); a direction merged or renamed stays, inactive.

use crate::access::require;
use chrono::{DateTime, Utc};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::document::DocumentKind;
use simpa_domain::ids::{DirectionId, DistrictNumber};
use simpa_domain::policy::{Action, Actor, Subject};
use simpa_domain::reference::{
    Direction, District, Sector, code_taken, parse_code, parse_direction_code, parse_label,
};
use simpa_domain::{Checks, DomainError, existed};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::{DbConnection, StoreResult, documents, reference};
use uuid::Uuid;

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

/// A change of reference data, in the audit trail: what (`direction`, `sector`…), which, and
/// what it now says.
fn record_change(
    conn: &mut DbConnection,
    actor: &Actor,
    (what, which): (&str, &str),
    now_says: serde_json::Value,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let event = NewAuditEvent::new(AuditAction::ReferenceDataChanged, AuditActor::acting(actor))
        .about(what, which)
        .with(now_says);
    audit::record(conn, &event, now)
}

/// Both values, or every violation found at their fields.
fn both<A, B>(c: Checks, (a, b): (Option<A>, Option<B>)) -> StoreResult<(A, B)> {
    match (a, b) {
        (Some(a), Some(b)) if c.is_empty() => Ok((a, b)),
        _ => Err(c.into_error().into()),
    }
}

/// A new direction that instructs (admins): its code (unique, for good) and its name.
#[tracing::instrument(name = "reference::create_direction", skip_all, fields(actor = Subject::kind(subject)))]
pub fn create_direction(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    code: &str,
    name: &str,
    now: DateTime<Utc>,
) -> StoreResult<Direction> {
    let actor = require(conn, subject, Action::ManageReferenceData)?;
    let mut c = Checks::default();
    let checked = (
        c.check("code", parse_direction_code(code)),
        c.check("name", parse_label(name)),
    );
    let (code, name) = both(c, checked)?;
    if reference::direction_by_code(conn, &code)?.is_some() {
        return Err(DomainError::invalid("code", code_taken(&code)).into());
    }
    let direction = Direction {
        id: DirectionId::from_uuid(Uuid::now_v7()),
        code,
        name,
        active: true,
    };
    reference::insert_direction(conn, &direction)?;
    let says =
        serde_json::json!({ "code": direction.code, "name": direction.name, "active": true });
    record_change(
        conn,
        &actor,
        ("direction", &direction.id.to_string()),
        says,
        now,
    )?;
    Ok(direction)
}

/// A direction renamed, or made inactive (merged, renamed: it stays for history, and nothing
/// new is assigned to it), or active again (admins).
#[tracing::instrument(name = "reference::update_direction", skip_all, fields(actor = Subject::kind(subject), direction = %id))]
pub fn update_direction(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: DirectionId,
    name: &str,
    active: bool,
    now: DateTime<Utc>,
) -> StoreResult<Direction> {
    let actor = require(conn, subject, Action::ManageReferenceData)?;
    let name = parse_label(name).map_err(|v| DomainError::invalid("name", v))?;
    existed(
        reference::update_direction(conn, id, &name, active)?,
        "direction",
    )?;
    let says = serde_json::json!({ "name": name, "active": active });
    record_change(conn, &actor, ("direction", &id.to_string()), says, now)?;
    reference::direction(conn, id)?
        .ok_or_else(|| DomainError::NotFound { what: "direction" }.into())
}

/// A new activity sector, last of the list (admins): its code (unique, for good) and label.
#[tracing::instrument(name = "reference::create_sector", skip_all, fields(actor = Subject::kind(subject)))]
pub fn create_sector(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    code: &str,
    label: &str,
    now: DateTime<Utc>,
) -> StoreResult<Sector> {
    let actor = require(conn, subject, Action::ManageReferenceData)?;
    let mut c = Checks::default();
    let checked = (
        c.check("code", parse_code(code)),
        c.check("label", parse_label(label)),
    );
    let (code, label) = both(c, checked)?;
    if reference::sector_codes(conn)?.contains(&code) {
        return Err(DomainError::invalid("code", code_taken(&code)).into());
    }
    let sector = Sector { code, label };
    reference::insert_sector(conn, &sector)?;
    let says = serde_json::json!({ "label": sector.label });
    record_change(conn, &actor, ("sector", &sector.code), says, now)?;
    Ok(sector)
}

/// A sector's label changed (admins).
#[tracing::instrument(name = "reference::update_sector", skip_all, fields(actor = Subject::kind(subject), sector = code))]
pub fn update_sector(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    code: &str,
    label: &str,
    now: DateTime<Utc>,
) -> StoreResult<Sector> {
    let actor = require(conn, subject, Action::ManageReferenceData)?;
    let label = parse_label(label).map_err(|v| DomainError::invalid("label", v))?;
    existed(reference::update_sector(conn, code, &label)?, "sector")?;
    let says = serde_json::json!({ "label": label });
    record_change(conn, &actor, ("sector", code), says, now)?;
    Ok(Sector {
        code: code.to_owned(),
        label,
    })
}

/// A district's name and its town hall's address changed (admins); its number, INSEE code
/// and postal codes are the State's.
#[tracing::instrument(name = "reference::update_district", skip_all, fields(actor = Subject::kind(subject), district = number.0))]
pub fn update_district(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    number: DistrictNumber,
    name: &str,
    town_hall: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let actor = require(conn, subject, Action::ManageReferenceData)?;
    let mut c = Checks::default();
    let checked = (
        c.check("name", parse_label(name)),
        c.check("town_hall", parse_label(town_hall)),
    );
    let (name, town_hall) = both(c, checked)?;
    existed(
        reference::update_district(conn, number, &name, &town_hall)?,
        "district",
    )?;
    let says = serde_json::json!({ "name": name, "town_hall": town_hall });
    record_change(conn, &actor, ("district", &number.0.to_string()), says, now)
}

/// A new kind of document, last of the list (admins): its code (unique, for good), label and
/// rules; no bank details, required in no condition (those are the RIB's and the auditor's
/// report's, seeded).
#[tracing::instrument(name = "reference::create_kind", skip_all, fields(actor = Subject::kind(subject)))]
pub fn create_kind(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    kind: DocumentKind,
    now: DateTime<Utc>,
) -> StoreResult<DocumentKind> {
    let actor = require(conn, subject, Action::ManageReferenceData)?;
    let mut c = Checks::default();
    let code = c.check("code", parse_code(&kind.code));
    let rules = DocumentKind {
        bank_details: false,
        condition: None,
        ..kind
    }
    .checked()
    .map_err(|errors| c.extend(errors))
    .ok();
    let (code, kind) = both(c, (code, rules))?;
    if documents::kinds(conn)?.iter().any(|k| k.code == code) {
        return Err(DomainError::invalid("code", code_taken(&code)).into());
    }
    let kind = DocumentKind { code, ..kind };
    documents::insert_kind(conn, &kind)?;
    record_change(
        conn,
        &actor,
        ("document_kind", &kind.code),
        kind_says(&kind),
        now,
    )?;
    Ok(kind)
}

/// A kind's label and rules changed (admins); its code stays.
#[tracing::instrument(name = "reference::update_kind", skip_all, fields(actor = Subject::kind(subject), kind = %kind.code))]
pub fn update_kind(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    kind: DocumentKind,
    now: DateTime<Utc>,
) -> StoreResult<DocumentKind> {
    let actor = require(conn, subject, Action::ManageReferenceData)?;
    let kind = kind.checked().map_err(DomainError::Invalid)?;
    existed(documents::update_kind(conn, &kind)?, "document_kind")?;
    record_change(
        conn,
        &actor,
        ("document_kind", &kind.code),
        kind_says(&kind),
        now,
    )?;
    Ok(kind)
}

/// What a kind says, as the audit trail keeps it.
fn kind_says(kind: &DocumentKind) -> serde_json::Value {
    serde_json::json!({
        "label": kind.label,
        "validity_rule": kind.rule.code(),
        "fiscal_year_offset": kind.fiscal_year_offset,
        "grace_months": kind.grace_months,
        "max_age_months": kind.max_age_months,
        "required_for_profile": kind.required_for_profile,
    })
}
