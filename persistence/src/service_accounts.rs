//! Directions' API clients (client-credentials grant).

use crate::DbConnection;
use crate::convert::{naive, parse, utc};
use crate::error::StoreResult;
use crate::schema::{directions, service_accounts};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::ids::{AccountId, DirectionId, ServiceAccountId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub id: ServiceAccountId,
    pub client_id: String,
    pub name: String,
    pub direction_id: DirectionId,
    pub direction_code: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Until when the secret before the last rotation still works.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// When it last signed in.
    pub last_used_at: Option<DateTime<Utc>>,
}

pub struct NewServiceAccount<'a> {
    pub id: ServiceAccountId,
    pub client_id: &'a str,
    pub secret_hash: &'a str,
    pub name: &'a str,
    pub direction: DirectionId,
    pub created_by: AccountId,
    pub now: DateTime<Utc>,
}

pub fn insert(conn: &mut DbConnection, new: NewServiceAccount<'_>) -> StoreResult<()> {
    diesel::insert_into(service_accounts::table)
        .values((
            service_accounts::id.eq(new.id.to_string()),
            service_accounts::client_id.eq(new.client_id),
            service_accounts::secret_hash.eq(new.secret_hash),
            service_accounts::name.eq(new.name),
            service_accounts::direction_id.eq(new.direction.to_string()),
            service_accounts::active.eq(true),
            service_accounts::created_at.eq(naive(new.now)),
            service_accounts::created_by.eq(new.created_by.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    bool,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn from_row(
    (id, client_id, name, direction_id, direction_code, active, created_at, until, used): Row,
) -> StoreResult<ServiceAccount> {
    Ok(ServiceAccount {
        id: parse("service_accounts.id", &id)?,
        client_id,
        name,
        direction_id: parse("service_accounts.direction_id", &direction_id)?,
        direction_code,
        active,
        created_at: utc(created_at),
        previous_secret_until: until.map(utc),
        last_used_at: used.map(utc),
    })
}

#[allow(clippy::type_complexity)]
const COLUMNS: (
    service_accounts::id,
    service_accounts::client_id,
    service_accounts::name,
    service_accounts::direction_id,
    directions::code,
    service_accounts::active,
    service_accounts::created_at,
    service_accounts::previous_secret_until,
    service_accounts::last_used_at,
) = (
    service_accounts::id,
    service_accounts::client_id,
    service_accounts::name,
    service_accounts::direction_id,
    directions::code,
    service_accounts::active,
    service_accounts::created_at,
    service_accounts::previous_secret_until,
    service_accounts::last_used_at,
);

pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<ServiceAccount>> {
    service_accounts::table
        .inner_join(directions::table)
        .select(COLUMNS)
        .order((service_accounts::created_at, service_accounts::id))
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn get(conn: &mut DbConnection, id: ServiceAccountId) -> StoreResult<Option<ServiceAccount>> {
    service_accounts::table
        .inner_join(directions::table)
        .filter(service_accounts::id.eq(id.to_string()))
        .select(COLUMNS)
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// The secrets a client signs in with: the current one's hash, and the one before the last
/// rotation with the time it works until.
pub struct Secrets {
    pub current: String,
    pub previous: Option<(String, DateTime<Utc>)>,
}

impl Secrets {
    /// Whether the hash of a presented secret is the current one's, or the previous one's
    /// while it still works.
    pub fn admit(&self, presented: &str, now: DateTime<Utc>) -> bool {
        let previous = self
            .previous
            .as_ref()
            .map(|(h, until)| (h.as_str(), *until));
        simpa_domain::account::secret_admitted(presented, &self.current, previous, now)
    }
}

/// The client and its secrets, for the client-credentials grant.
pub fn credentials(
    conn: &mut DbConnection,
    client_id: &str,
) -> StoreResult<Option<(ServiceAccount, Secrets)>> {
    let row: Option<(Row, String, Option<String>)> = service_accounts::table
        .inner_join(directions::table)
        .filter(service_accounts::client_id.eq(client_id))
        .select((
            COLUMNS,
            service_accounts::secret_hash,
            service_accounts::previous_secret_hash,
        ))
        .first(conn)
        .optional()?;
    row.map(|(row, current, previous)| {
        let client = from_row(row)?;
        let previous = previous.zip(client.previous_secret_until);
        Ok((client, Secrets { current, previous }))
    })
    .transpose()
}

/// Gives a client a new secret; the one before keeps working until `previous_until`.
pub fn rotate_secret(
    conn: &mut DbConnection,
    id: ServiceAccountId,
    secret_hash: &str,
    previous_until: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        service_accounts::table
            .find(id.to_string())
            .filter(service_accounts::active.eq(true)),
    )
    .set((
        service_accounts::previous_secret_hash.eq(service_accounts::secret_hash.nullable()),
        service_accounts::previous_secret_until.eq(naive(previous_until)),
        service_accounts::secret_hash.eq(secret_hash),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records that a client signed in now.
pub fn touch(conn: &mut DbConnection, id: ServiceAccountId, now: DateTime<Utc>) -> StoreResult<()> {
    diesel::update(service_accounts::table.find(id.to_string()))
        .set(service_accounts::last_used_at.eq(naive(now)))
        .execute(conn)?;
    Ok(())
}

/// Revokes a client: its tokens stop working at once, since every request checks it.
pub fn deactivate(conn: &mut DbConnection, id: ServiceAccountId) -> StoreResult<bool> {
    let updated = diesel::update(service_accounts::table.find(id.to_string()))
        .set(service_accounts::active.eq(false))
        .execute(conn)?;
    Ok(updated > 0)
}
