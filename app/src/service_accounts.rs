//! Directions' API clients, managed by admins: a client acts as an instructor of its
//! direction. Creating one gives its secret once (only its hash is kept); revoking one ends
//! its sign-ins and tokens. Both are in the audit trail.

use crate::access::{person, require};
use crate::secrets::random_token;
use chrono::{DateTime, Utc};
use simpa_domain::account::client_id_of;
use simpa_domain::association::parse_line;
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::digest::sha256_hex;
use simpa_domain::ids::{DirectionId, ServiceAccountId};
use simpa_domain::policy::{Action, Subject};
use simpa_domain::reference::check_assignable_direction;
use simpa_domain::{DomainError, existed};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::service_accounts::{self, NewServiceAccount, ServiceAccount};
use simpa_persistence::{DbConnection, StoreResult, reference};
use uuid::Uuid;

/// A client created, and its secret: shown once, stored only as its hash.
pub struct CreatedClient {
    pub client: ServiceAccount,
    pub secret: String,
}

/// Creates an API client for a direction that instructs (an admin, in person).
#[tracing::instrument(name = "service_accounts::create", skip_all, fields(actor = Subject::kind(subject), direction = %direction))]
pub fn create(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    name: &str,
    direction: DirectionId,
    now: DateTime<Utc>,
) -> StoreResult<CreatedClient> {
    let name = parse_line(name).map_err(|v| DomainError::invalid("name", v))?;
    let admin = person(&require(conn, subject, Action::ManageServiceAccounts)?)?;
    check_assignable_direction(reference::direction(conn, direction)?.as_ref())
        .map_err(|v| DomainError::invalid("direction_id", v))?;
    let id = ServiceAccountId::from_uuid(Uuid::now_v7());
    let client_id = client_id_of(Uuid::new_v4());
    let secret = random_token();
    service_accounts::insert(
        conn,
        NewServiceAccount {
            id,
            client_id: &client_id,
            secret_hash: &sha256_hex(secret.as_bytes()),
            name: &name,
            direction,
            created_by: admin,
            now,
        },
    )?;
    let event = NewAuditEvent::new(
        AuditAction::ServiceAccountCreated,
        AuditActor::of(Subject::Person(admin)),
    )
    .about("service_account", id)
    .with(serde_json::json!({
        "client_id": client_id,
        "name": name.to_string(),
        "direction_id": direction.to_string(),
    }));
    audit::record(conn, &event, now)?;
    let client = service_accounts::get(conn, id)?.ok_or(DomainError::NotFound {
        what: "service_account",
    })?;
    Ok(CreatedClient { client, secret })
}

/// The API clients (admins).
#[tracing::instrument(name = "service_accounts::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<Vec<ServiceAccount>> {
    require(conn, subject, Action::ManageServiceAccounts)?;
    service_accounts::list(conn)
}

/// Revokes an API client (admins): it can no longer sign in and its tokens stop working.
#[tracing::instrument(name = "service_accounts::revoke", skip_all, fields(actor = Subject::kind(subject), client = %id))]
pub fn revoke(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: ServiceAccountId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let actor = require(conn, subject, Action::ManageServiceAccounts)?;
    existed(service_accounts::deactivate(conn, id)?, "service_account")?;
    let event = NewAuditEvent::new(
        AuditAction::ServiceAccountRevoked,
        AuditActor::acting(&actor),
    )
    .about("service_account", id);
    audit::record(conn, &event, now)
}

/// How long the secret before a rotation keeps working, at most: a week.
pub const MAX_OVERLAP_HOURS: i64 = 168;

/// Gives an API client a new secret (admins), shown once; the one before keeps working
/// `overlap_hours` more (0 to 168), so that the direction's system moves over without a gap.
/// In the audit trail.
#[tracing::instrument(name = "service_accounts::rotate_secret", skip_all, fields(actor = Subject::kind(subject), client = %id))]
pub fn rotate_secret(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: ServiceAccountId,
    overlap_hours: i64,
    now: DateTime<Utc>,
) -> StoreResult<CreatedClient> {
    if !(0..=MAX_OVERLAP_HOURS).contains(&overlap_hours) {
        return Err(DomainError::invalid(
            "overlap_hours",
            simpa_domain::Violation::new(
                "service_account.overlap_out_of_range",
                format!("De 0 à {MAX_OVERLAP_HOURS} heures (une semaine)."),
            ),
        )
        .into());
    }
    let actor = require(conn, subject, Action::ManageServiceAccounts)?;
    let secret = random_token();
    let until = now + chrono::Duration::hours(overlap_hours);
    existed(
        service_accounts::rotate_secret(conn, id, &sha256_hex(secret.as_bytes()), until)?,
        "service_account",
    )?;
    let event = NewAuditEvent::new(
        AuditAction::ServiceAccountSecretRotated,
        AuditActor::acting(&actor),
    )
    .about("service_account", id)
    .with(serde_json::json!({ "previous_secret_until": until }));
    audit::record(conn, &event, now)?;
    let client = service_accounts::get(conn, id)?.ok_or(DomainError::NotFound {
        what: "service_account",
    })?;
    Ok(CreatedClient { client, secret })
}
