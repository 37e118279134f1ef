//! Directions' (and admins') webhook endpoints. Their deliveries are outbox messages.

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::StoreResult;
use crate::json;
use crate::schema::webhook_endpoints;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::ids::{AccountId, DirectionId, ServiceAccountId};
use uuid::Uuid;

/// An endpoint as stored (its secret included: it signs deliveries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: Uuid,
    pub direction: Option<DirectionId>,
    pub url: String,
    pub secret: String,
    /// Event types it wants; empty: every type.
    pub event_types: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl Endpoint {
    pub fn wants(&self, event_type: &str) -> bool {
        self.active && simpa_domain::notification::subscribed(&self.event_types, event_type)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
struct Row {
    id: String,
    direction_id: Option<String>,
    url: String,
    secret: String,
    event_types: String,
    active: bool,
    created_at: NaiveDateTime,
}

fn from_row(row: Row) -> StoreResult<Endpoint> {
    Ok(Endpoint {
        id: parse("webhook_endpoints.id", &row.id)?,
        direction: row
            .direction_id
            .as_deref()
            .map(|d| parse("webhook_endpoints.direction_id", d))
            .transpose()?,
        event_types: json::read("webhook_endpoints.event_types", &row.event_types)?,
        url: row.url,
        secret: row.secret,
        active: row.active,
        created_at: utc(row.created_at),
    })
}

/// Who registers an endpoint.
#[derive(Debug, Clone, Copy)]
pub enum Registrant {
    Person(AccountId),
    Service(ServiceAccountId),
}

pub fn insert(conn: &mut DbConnection, endpoint: &Endpoint, by: Registrant) -> StoreResult<()> {
    let (account, service) = match by {
        Registrant::Person(a) => (Some(a.to_string()), None),
        Registrant::Service(s) => (None, Some(s.to_string())),
    };
    diesel::insert_into(webhook_endpoints::table)
        .values((
            webhook_endpoints::id.eq(endpoint.id.to_string()),
            webhook_endpoints::direction_id.eq(endpoint.direction.map(|d| d.to_string())),
            webhook_endpoints::url.eq(&endpoint.url),
            webhook_endpoints::secret.eq(&endpoint.secret),
            webhook_endpoints::event_types.eq(json::write(&endpoint.event_types)),
            webhook_endpoints::active.eq(endpoint.active),
            webhook_endpoints::created_by_account.eq(account),
            webhook_endpoints::created_by_service.eq(service),
            webhook_endpoints::created_at.eq(naive(endpoint.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> StoreResult<Option<Endpoint>> {
    webhook_endpoints::table
        .find(id.to_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// Every endpoint, the oldest first.
pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<Endpoint>> {
    webhook_endpoints::table
        .select(Row::as_select())
        .order((webhook_endpoints::created_at, webhook_endpoints::id))
        .load(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The active endpoints following these audiences of the change feed (`city`,
/// `direction:<id>`): the city-wide ones follow `city`.
pub fn following(conn: &mut DbConnection, audiences: &[String]) -> StoreResult<Vec<Endpoint>> {
    let directions: Vec<String> = audiences
        .iter()
        .filter_map(|a| a.strip_prefix("direction:").map(str::to_owned))
        .collect();
    let city = audiences.iter().any(|a| a == "city");
    let mut query = webhook_endpoints::table
        .filter(webhook_endpoints::active.eq(true))
        .select(Row::as_select())
        .into_boxed();
    query = if city {
        query.filter(
            webhook_endpoints::direction_id
                .eq_any(directions)
                .or(webhook_endpoints::direction_id.is_null()),
        )
    } else {
        query.filter(webhook_endpoints::direction_id.eq_any(directions))
    };
    query.load(conn)?.into_iter().map(from_row).collect()
}

pub fn deactivate(conn: &mut DbConnection, id: Uuid) -> StoreResult<bool> {
    Ok(
        diesel::update(webhook_endpoints::table.find(id.to_string()))
            .set(webhook_endpoints::active.eq(false))
            .execute(conn)?
            == 1,
    )
}
