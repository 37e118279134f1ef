//! Administration from the command line.

use chrono::{DateTime, Utc};
use simpa_domain::DomainError;
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::contact::EmailAddress;
use simpa_domain::ids::{AccountId, StaffRoleId};
use simpa_domain::roles::StaffRole;
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::{DbConnection, StoreResult, accounts};
use uuid::Uuid;

/// Creates an account holding the admin role, in one transaction, with its audit event.
#[tracing::instrument(
    name = "admin::create_admin",
    skip_all,
    fields(actor = "admin command")
)]
pub fn create_admin(
    conn: &mut DbConnection,
    email: &EmailAddress,
    name: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<AccountId> {
    if accounts::email_taken(conn, email)? {
        return Err(DomainError::conflict(
            "account.email_taken",
            Some("email"),
            format!("Un compte existe déjà avec l'adresse {email}."),
        )
        .into());
    }
    let id = AccountId::from_uuid(Uuid::now_v7());
    accounts::insert(conn, id, email, name, password_hash, true, now)?;
    accounts::grant(
        conn,
        StaffRoleId::from_uuid(Uuid::now_v7()),
        id,
        StaffRole::Admin,
        None,
        now,
    )?;
    // Granted from the command line: no one signed in did it.
    let event = NewAuditEvent::new(
        AuditAction::StaffRoleGranted,
        AuditActor::claiming("simpa admin create"),
    )
    .about("account", id)
    .with(serde_json::json!({"kind": "admin"}));
    audit::record(conn, &event, now)?;
    Ok(id)
}
