//! Reading a request as someone may: who acts, the request if they may see it, and what is
//! shown of it (its campaign, its association's name, its history, the versions attached).

use simpa_domain::DomainError;
use simpa_domain::campaign::Campaign;
use simpa_domain::history::{Event, EventActor};
use simpa_domain::ids::{AssociationId, EventId, RequestId};
use simpa_domain::life::Author;
use simpa_domain::life::StoredRequest;
use simpa_domain::policy::{self, Action, Actor, RequestAccess, Subject};
use simpa_persistence::accounts::{Signed, load_signed};
use simpa_persistence::documents::DocumentVersion;
use simpa_persistence::{
    DbConnection, StoreResult, accounts, associations, campaigns, history, requests,
    service_accounts,
};
use uuid::Uuid;

/// Who acts and the request, if they may see it; otherwise "not found" (unauthenticated when
/// anonymous), exactly as if it did not exist. `lock` keeps the request from changing until
/// the transaction ends (actions on one request take turns).
#[tracing::instrument(name = "requests::load_readable", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn load_readable(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    lock: bool,
) -> StoreResult<(Signed, StoredRequest)> {
    let signed = load_signed(conn, subject)?;
    let request = readable_as(conn, &signed.actor, id, lock)?;
    Ok((signed, request))
}

/// The request, if `actor` may see it (see [`load_readable`]).
fn readable_as(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RequestId,
    lock: bool,
) -> StoreResult<StoredRequest> {
    let request = if lock {
        requests::get_locked(conn, id)?
    } else {
        requests::get(conn, id)?
    };
    let access = request.as_ref().map_or_else(
        // A request that does not exist is refused like someone else's draft.
        || RequestAccess {
            association: AssociationId::from_uuid(Uuid::nil()),
            submitted: false,
            local_district: None,
            instructors: vec![],
        },
        StoredRequest::access,
    );
    policy::authorize(actor, Action::ReadRequest(access))?;
    request.ok_or_else(|| DomainError::NotFound { what: "request" }.into())
}

/// Who acts, signed with their name (read), for callers that hold only the actor.
pub fn signed(conn: &mut DbConnection, actor: &Actor) -> StoreResult<Signed> {
    let name = match actor {
        Actor::Person { id, .. } => accounts::get(conn, *id)?.map(|a| a.display_name),
        Actor::Service { id, .. } => service_accounts::get(conn, *id)?.map(|s| s.name),
        Actor::Anonymous => None,
    };
    Ok(Signed {
        actor: actor.clone(),
        name: name.unwrap_or_else(|| "?".into()),
    })
}

/// Who acted, as the history records it, from who signs.
pub fn signed_actor(signed: &Signed) -> EventActor {
    let (account, service) = match signed.actor {
        Actor::Person { id, .. } => (Some(id), None),
        Actor::Service { id, .. } => (None, Some(id)),
        Actor::Anonymous => (None, None),
    };
    EventActor {
        account,
        service,
        name: signed.name.clone(),
    }
}

/// The author of a new event: who signs, and the event's id.
pub fn author(signed: &Signed) -> Author {
    Author {
        event: EventId::from_uuid(Uuid::now_v7()),
        actor: signed_actor(signed),
    }
}

/// A request with what is shown of it.
pub struct RequestFile {
    pub request: StoredRequest,
    pub campaign: Campaign,
    pub association: String,
    pub events: Vec<Event>,
    /// The versions attached at its last submission, in the kinds' order.
    pub documents: Vec<DocumentVersion>,
}

impl RequestFile {
    /// Reads what is shown of a request.
    pub fn load(conn: &mut DbConnection, request: StoredRequest) -> StoreResult<RequestFile> {
        let campaign = campaigns::get(conn, request.campaign)?
            .ok_or(DomainError::NotFound { what: "campaign" })?;
        let association = associations::name(conn, request.association)?;
        let events = history::events(conn, request.id)?;
        let documents = requests::snapshot(conn, request.id)?;
        Ok(RequestFile {
            request,
            campaign,
            association,
            events,
            documents,
        })
    }
}
