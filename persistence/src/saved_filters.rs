//! The filters of the agents' lists, saved under a name and maybe shared with a service.

use crate::DbConnection;
use crate::convert::{naive, parse};
use crate::error::{StoreError, StoreResult};
use crate::schema::{accounts, saved_filters};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use simpa_domain::ids::AccountId;
use simpa_domain::saved_filter::{FilteredList, Service};
use uuid::Uuid;

/// A filter saved by an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedFilter {
    pub id: Uuid,
    pub owner: AccountId,
    /// Whose it is: their name, or their address when they gave none.
    pub owner_name: String,
    pub name: String,
    /// As the list's address says it: `etat=submitted&en_retard=oui`.
    pub query: String,
    pub shared_with: Option<Service>,
}

/// What a new filter says.
pub struct NewFilter<'a> {
    pub owner: AccountId,
    pub list: FilteredList,
    pub name: &'a str,
    pub query: &'a str,
    pub shared_with: Option<Service>,
}

/// Whether the agent has a filter of this name for this list.
pub fn name_taken(
    conn: &mut DbConnection,
    owner: AccountId,
    list: FilteredList,
    name: &str,
) -> StoreResult<bool> {
    let found: i64 = saved_filters::table
        .filter(saved_filters::account_id.eq(owner.to_string()))
        .filter(saved_filters::list.eq(list.code()))
        .filter(saved_filters::name.eq(name))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

pub fn insert(
    conn: &mut DbConnection,
    new: &NewFilter<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::insert_into(saved_filters::table)
        .values((
            saved_filters::id.eq(id.to_string()),
            saved_filters::account_id.eq(new.owner.to_string()),
            saved_filters::list.eq(new.list.code()),
            saved_filters::name.eq(new.name),
            saved_filters::query.eq(new.query),
            saved_filters::shared_with.eq(new.shared_with.map(Service::key)),
            saved_filters::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A filter's id, author (id, name, address), name, service and query.
type FilterRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);

/// The filters of `list` the agent sees: theirs, and those shared with one of `services`,
/// by name.
pub fn visible(
    conn: &mut DbConnection,
    agent: AccountId,
    services: &[Service],
    list: FilteredList,
) -> StoreResult<Vec<SavedFilter>> {
    let keys: Vec<String> = services.iter().map(|s| s.key()).collect();
    let rows: Vec<FilterRow> = saved_filters::table
        .inner_join(accounts::table)
        .filter(saved_filters::list.eq(list.code()))
        .filter(
            saved_filters::account_id
                .eq(agent.to_string())
                .or(saved_filters::shared_with.eq_any(keys)),
        )
        .order(saved_filters::id)
        .select((
            saved_filters::id,
            saved_filters::account_id,
            accounts::display_name,
            accounts::email,
            saved_filters::name,
            saved_filters::shared_with,
            saved_filters::query,
        ))
        .load(conn)?;
    let mut found: Vec<SavedFilter> = rows
        .into_iter()
        .map(|(id, owner, name, email, filter_name, shared, query)| {
            Ok(SavedFilter {
                id: parse("saved_filters.id", &id)?,
                owner: parse("saved_filters.account_id", &owner)?,
                owner_name: if name.trim().is_empty() { email } else { name },
                name: filter_name,
                query,
                shared_with: shared
                    .map(|key| {
                        Service::parse_key(&key).ok_or_else(|| {
                            StoreError::Corrupt(format!("saved_filters.shared_with {key:?}"))
                        })
                    })
                    .transpose()?,
            })
        })
        .collect::<StoreResult<_>>()?;
    found.sort_by_cached_key(|f| simpa_domain::search::fold(&f.name));
    Ok(found)
}

/// Deletes the agent's own filter; false when they have none of this id.
pub fn delete(conn: &mut DbConnection, owner: AccountId, id: Uuid) -> StoreResult<bool> {
    let deleted = diesel::delete(
        saved_filters::table
            .find(id.to_string())
            .filter(saved_filters::account_id.eq(owner.to_string())),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}
