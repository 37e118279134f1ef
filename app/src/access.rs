//! The one door to every use case: who is calling, then what the domain policy says.

use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::{DbConnection, StoreResult};

/// Loads the caller's roles and asks the policy; the use case goes on only if it is allowed.
pub fn require(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    action: Action,
) -> StoreResult<Actor> {
    let actor = load_actor(conn, subject)?;
    policy::authorize(&actor, action)?;
    Ok(actor)
}

/// The person acting: API clients may not do what only people do.
pub fn person(actor: &Actor) -> StoreResult<simpa_domain::ids::AccountId> {
    match actor {
        Actor::Person { id, .. } => Ok(*id),
        _ => Err(simpa_domain::DomainError::Forbidden.into()),
    }
}
