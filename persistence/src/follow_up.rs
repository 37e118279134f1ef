//! Follow-up: the agent named to follow a request for the city ("suivi par"), who named them
//! and when; the agents who keep an eye on a request; and the agents of the services a request
//! is in the hands of, whom it may be given to.

use crate::DbConnection;
use crate::connection::one_of;
use crate::convert::{naive, parse, utc};
use crate::error::StoreResult;
use crate::schema::{accounts, request_assignees, request_followers, staff_roles};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::ids::{AccountId, DirectionId, DistrictNumber, RequestId};
use simpa_domain::roles::StaffRoleKind;
use std::collections::HashMap;

/// An agent as the follow-up names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: AccountId,
    /// Their name, or their address when they gave none.
    pub name: String,
}

/// Who follows a request, named by whom, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub agent: Agent,
    pub by: Agent,
    pub at: DateTime<Utc>,
}

fn agent(id: &str, name: String, email: String) -> StoreResult<Agent> {
    Ok(Agent {
        id: parse("accounts.id", id)?,
        name: if name.trim().is_empty() { email } else { name },
    })
}

/// The agents named by their ids.
fn agents(conn: &mut DbConnection, ids: &[String]) -> StoreResult<HashMap<String, Agent>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String, String)> = accounts::table
        .filter(one_of(accounts::id, ids))
        .select((accounts::id, accounts::display_name, accounts::email))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, name, email)| Ok((id.clone(), agent(&id, name, email)?)))
        .collect()
}

/// Who follows each of `requests` that someone follows.
pub fn assignments(
    conn: &mut DbConnection,
    requests: &[RequestId],
) -> StoreResult<HashMap<RequestId, Assignment>> {
    if requests.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: Vec<String> = requests.iter().map(ToString::to_string).collect();
    let rows: Vec<(String, String, String, NaiveDateTime)> = request_assignees::table
        .filter(one_of(request_assignees::request_id, &keys))
        .select((
            request_assignees::request_id,
            request_assignees::account_id,
            request_assignees::assigned_by,
            request_assignees::assigned_at,
        ))
        .load(conn)?;
    let mut people: Vec<String> = rows
        .iter()
        .flat_map(|(_, agent, by, _)| [agent.clone(), by.clone()])
        .collect();
    people.sort_unstable();
    people.dedup();
    let named = agents(conn, &people)?;
    let mut found = HashMap::new();
    for (request, agent, by, at) in rows {
        if let (Some(agent), Some(by)) = (named.get(&agent), named.get(&by)) {
            let assignment = Assignment {
                agent: agent.clone(),
                by: by.clone(),
                at: utc(at),
            };
            found.insert(parse("request_assignees.request_id", &request)?, assignment);
        }
    }
    Ok(found)
}

/// Names `agent` to follow the request (in place of whoever did), or no one.
pub fn assign(
    conn: &mut DbConnection,
    request: RequestId,
    agent: Option<AccountId>,
    by: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(request_assignees::table.find(request.to_string())).execute(conn)?;
    if let Some(agent) = agent {
        diesel::insert_into(request_assignees::table)
            .values((
                request_assignees::request_id.eq(request.to_string()),
                request_assignees::account_id.eq(agent.to_string()),
                request_assignees::assigned_by.eq(by.to_string()),
                request_assignees::assigned_at.eq(naive(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether `agent` keeps an eye on the request.
pub fn follows(conn: &mut DbConnection, agent: AccountId, request: RequestId) -> StoreResult<bool> {
    let found: i64 = request_followers::table
        .find((agent.to_string(), request.to_string()))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// `agent` keeps an eye on the request from now on (`true`), or no longer.
pub fn set_following(
    conn: &mut DbConnection,
    agent: AccountId,
    request: RequestId,
    following: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(request_followers::table.find((agent.to_string(), request.to_string())))
        .execute(conn)?;
    if following {
        diesel::insert_into(request_followers::table)
            .values((
                request_followers::account_id.eq(agent.to_string()),
                request_followers::request_id.eq(request.to_string()),
                request_followers::followed_at.eq(naive(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The active agents of these services (the bureau, directions, town halls), by name: the
/// roles read first (a few hundred at most), then their holders' accounts by id, so that no
/// plan walks every account.
pub fn agents_of(
    conn: &mut DbConnection,
    bureau: bool,
    directions: &[DirectionId],
    districts: &[DistrictNumber],
) -> StoreResult<Vec<Agent>> {
    let directions: Vec<String> = directions.iter().map(ToString::to_string).collect();
    let districts: Vec<i32> = districts.iter().map(|d| d.0).collect();
    let kinds = [
        StaffRoleKind::Bureau.code(),
        StaffRoleKind::Instructor.code(),
        StaffRoleKind::District.code(),
    ];
    let roles: Vec<(String, String, Option<String>, Option<i32>)> = staff_roles::table
        .filter(staff_roles::kind.eq_any(kinds))
        .select((
            staff_roles::account_id,
            staff_roles::kind,
            staff_roles::direction_id,
            staff_roles::district_number,
        ))
        .load(conn)?;
    let holders: Vec<String> = roles
        .into_iter()
        .filter(
            |(_, kind, direction, district)| match StaffRoleKind::from_code(kind) {
                Some(StaffRoleKind::Bureau) => bureau,
                Some(StaffRoleKind::Instructor) => {
                    direction.as_ref().is_some_and(|d| directions.contains(d))
                }
                Some(StaffRoleKind::District) => district.is_some_and(|n| districts.contains(&n)),
                _ => false,
            },
        )
        .map(|(account, ..)| account)
        .collect();
    active_agents(conn, holders)
}

/// The active holders of a role of this kind (the jurors), by name.
pub fn holders_of(conn: &mut DbConnection, kind: StaffRoleKind) -> StoreResult<Vec<Agent>> {
    let holders: Vec<String> = staff_roles::table
        .filter(staff_roles::kind.eq(kind.code()))
        .select(staff_roles::account_id)
        .load(conn)?;
    active_agents(conn, holders)
}

/// These accounts, the active ones, by name.
fn active_agents(conn: &mut DbConnection, mut holders: Vec<String>) -> StoreResult<Vec<Agent>> {
    holders.sort_unstable();
    holders.dedup();
    let rows: Vec<(String, String, String)> = accounts::table
        .filter(accounts::id.eq_any(&holders))
        .filter(accounts::active.eq(true))
        .select((accounts::id, accounts::display_name, accounts::email))
        .load(conn)?;
    let mut found: Vec<Agent> = rows
        .into_iter()
        .map(|(id, name, email)| agent(&id, name, email))
        .collect::<StoreResult<_>>()?;
    found.sort_by_cached_key(|a| simpa_domain::search::fold(&a.name));
    Ok(found)
}
