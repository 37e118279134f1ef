//! The audit trail's events (domain/src/audit.rs): written by the use case they record, read
//! by admins, the latest first.

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, Page};
use crate::schema::audit_events;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::ids::AccountId;
use uuid::Uuid;

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub action: AuditAction,
    pub actor: AuditActor,
    /// What it is about, as `kind:id` (`account:…`, `association:…`, `campaign:…`).
    pub subject: Option<String>,
    pub client_address: Option<String>,
    pub details: serde_json::Value,
}

impl NewAuditEvent {
    pub fn new(action: AuditAction, actor: AuditActor) -> NewAuditEvent {
        NewAuditEvent {
            action,
            actor,
            subject: None,
            client_address: None,
            details: serde_json::json!({}),
        }
    }

    pub fn about(mut self, kind: &str, id: impl std::fmt::Display) -> NewAuditEvent {
        self.subject = Some(format!("{kind}:{id}"));
        self
    }

    pub fn from_address(mut self, address: &str) -> NewAuditEvent {
        self.client_address = Some(address.to_owned());
        self
    }

    pub fn with(mut self, details: serde_json::Value) -> NewAuditEvent {
        self.details = details;
        self
    }
}

/// An event recorded.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub event: NewAuditEvent,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = audit_events)]
struct Row {
    id: String,
    occurred_at: NaiveDateTime,
    action: String,
    actor_account_id: Option<String>,
    actor_service_id: Option<String>,
    actor_identifier: Option<String>,
    subject: Option<String>,
    client_address: Option<String>,
    details: String,
}

/// Records an event, in the caller's transaction.
pub fn record(
    conn: &mut DbConnection,
    event: &NewAuditEvent,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let row = Row {
        id: Uuid::now_v7().to_string(),
        occurred_at: naive(at),
        action: event.action.code().to_owned(),
        actor_account_id: event.actor.account.map(|a| a.to_string()),
        actor_service_id: event.actor.service.map(|s| s.to_string()),
        actor_identifier: event.actor.identifier.clone(),
        subject: event.subject.clone(),
        client_address: event.client_address.clone(),
        details: event.details.to_string(),
    };
    diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// Records an event unless the same action by the same actor from the same address was
/// recorded since `since` (a burst of refusals makes one event, not one per call).
pub fn record_once_since(
    conn: &mut DbConnection,
    event: &NewAuditEvent,
    since: DateTime<Utc>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let mut query = audit_events::table
        .filter(audit_events::action.eq(event.action.code()))
        .filter(audit_events::occurred_at.ge(naive(since)))
        .into_boxed();
    query = match &event.actor.identifier {
        Some(identifier) => query.filter(audit_events::actor_identifier.eq(identifier.clone())),
        None => query.filter(audit_events::actor_identifier.is_null()),
    };
    query = match &event.client_address {
        Some(address) => query.filter(audit_events::client_address.eq(address.clone())),
        None => query.filter(audit_events::client_address.is_null()),
    };
    let seen: i64 = query.count().get_result(conn)?;
    if seen == 0 {
        record(conn, event, at)?;
    }
    Ok(())
}

/// The addresses the account signed in from since `since`, each once.
pub fn sign_in_addresses(
    conn: &mut DbConnection,
    account: AccountId,
    since: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let addresses: Vec<Option<String>> = audit_events::table
        .filter(audit_events::actor_account_id.eq(account.to_string()))
        .filter(audit_events::occurred_at.ge(naive(since)))
        .filter(audit_events::action.eq(AuditAction::SignedIn.code()))
        .select(audit_events::client_address)
        .distinct()
        .load(conn)?;
    Ok(addresses.into_iter().flatten().collect())
}

/// When the account last signed in, if it ever did.
pub fn last_sign_in(
    conn: &mut DbConnection,
    account: AccountId,
) -> StoreResult<Option<DateTime<Utc>>> {
    let at: Option<NaiveDateTime> = audit_events::table
        .filter(audit_events::actor_account_id.eq(account.to_string()))
        .filter(audit_events::action.eq(AuditAction::SignedIn.code()))
        .select(diesel::dsl::max(audit_events::occurred_at))
        .first(conn)?;
    Ok(at.map(utc))
}

/// The events (of one action), the latest first.
pub fn list(
    conn: &mut DbConnection,
    action: Option<AuditAction>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<AuditEvent>> {
    let mut query = audit_events::table.select(Row::as_select()).into_boxed();
    if let Some(action) = action {
        query = query.filter(audit_events::action.eq(action.code()));
    }
    if let Some(after) = after {
        let time = after.time()?;
        query = query.filter(
            audit_events::occurred_at
                .lt(time)
                .or(audit_events::occurred_at
                    .eq(time)
                    .and(audit_events::id.lt(after.id.clone()))),
        );
    }
    let rows: Vec<Row> = query
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    Page::from_rows(rows, limit, |row| Keyset::at_time(row.occurred_at, &row.id)).try_map(from_row)
}

fn from_row(row: Row) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        id: parse("audit_events.id", &row.id)?,
        occurred_at: utc(row.occurred_at),
        event: NewAuditEvent {
            action: AuditAction::from_code(&row.action).ok_or_else(|| {
                StoreError::Corrupt(format!("audit_events.action = {:?}", row.action))
            })?,
            actor: AuditActor {
                account: row
                    .actor_account_id
                    .as_deref()
                    .map(|a| parse("audit_events.actor_account_id", a))
                    .transpose()?,
                service: row
                    .actor_service_id
                    .as_deref()
                    .map(|s| parse("audit_events.actor_service_id", s))
                    .transpose()?,
                identifier: row.actor_identifier,
            },
            subject: row.subject,
            client_address: row.client_address,
            details: serde_json::from_str(&row.details).map_err(|_| {
                StoreError::Corrupt(format!("audit_events.details = {:?}", row.details))
            })?,
        },
    })
}
