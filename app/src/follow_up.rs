//! Follow-up: the agent named to follow a request for the city ("suivi par"), chosen among the
//! agents of the services it is in the hands of (the policy's `FollowUpRequest`, for who names
//! and who is named alike), and the agents who keep an eye on a request. Both fill the agent's
//! "mine" list.

use crate::access::{person, require};
use crate::clock::CityNow;
use crate::requests::load_readable;
use simpa_domain::ids::{AccountId, RequestId};
use simpa_domain::life::StoredRequest;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::{DomainError, Violation};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::follow_up::{self, Agent, Assignment};
use simpa_persistence::{DbConnection, StoreResult};

/// A request's follow-up as an agent reads it.
pub struct FollowUp {
    /// Who follows it, if someone was named.
    pub assignment: Option<Assignment>,
    /// Whom the agent may name (none when they may not name anyone).
    pub agents: Vec<Agent>,
    /// Whether the agent keeps an eye on it.
    pub following: bool,
}

/// The request's follow-up, as `actor` (who may read the request) sees it.
pub fn read(
    conn: &mut DbConnection,
    actor: &Actor,
    request: &StoredRequest,
) -> StoreResult<FollowUp> {
    let access = request.access();
    let agents = match policy::decide(actor, Action::FollowUpRequest(access.clone())) {
        Ok(()) => {
            let directions: Vec<_> = access
                .instructors
                .iter()
                .filter_map(|i| match i {
                    Instructor::Direction(d) => Some(*d),
                    Instructor::District(_) => None,
                })
                .collect();
            let districts: Vec<_> = access.local_district.into_iter().collect();
            follow_up::agents_of(
                conn,
                access.local_district.is_none(),
                &directions,
                &districts,
            )?
        }
        Err(_) => vec![],
    };
    let following = match actor {
        Actor::Person { id, .. } => follow_up::follows(conn, *id, request.id)?,
        _ => false,
    };
    Ok(FollowUp {
        assignment: follow_up::assignments(conn, &[request.id])?.remove(&request.id),
        agents,
        following,
    })
}

/// Names `agent` to follow the request for the city (in place of whoever did), or no one: by
/// an agent of a service it is in the hands of, an agent of such a service (422 at `agent`
/// otherwise).
#[tracing::instrument(name = "follow_up::assign", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn assign(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    agent: Option<AccountId>,
    now: CityNow,
) -> StoreResult<()> {
    require(conn, subject, Action::FollowRequests)?;
    let (signed, request) = load_readable(conn, subject, id, true)?;
    let follow_up = Action::FollowUpRequest(request.access());
    policy::authorize(&signed.actor, follow_up.clone())?;
    if let Some(agent) = agent {
        let named = load_actor(conn, Some(Subject::Person(agent)))?;
        if policy::decide(&named, follow_up).is_err() {
            let outside = Violation::new(
                "follow_up.not_serving",
                "Cette personne n'est pas agent d'un service qui traite la demande : choisissez dans la liste.",
            );
            return Err(DomainError::invalid("agent", outside).into());
        }
    }
    follow_up::assign(conn, id, agent, person(&signed.actor)?, now.at)
}

/// The agent keeps an eye on the request from now on (`true`), or no longer: any of the city's
/// agents who may read it.
#[tracing::instrument(name = "follow_up::set_following", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn set_following(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    following: bool,
    now: CityNow,
) -> StoreResult<()> {
    let actor = require(conn, subject, Action::FollowRequests)?;
    let (_, request) = load_readable(conn, subject, id, false)?;
    if !policy::sees_internal(&actor, &request.access()) {
        return Err(DomainError::Forbidden.into());
    }
    follow_up::set_following(conn, person(&actor)?, id, following, now.at)
}
