//! Following requests: the change feed directions' systems sync from, and the verification
//! of a request's history.

use crate::access::require;
use crate::requests::load_readable;
use chrono_tz::Tz;
use simpa_domain::history::{ChainCheck, Event, replay, verify_chain_to};
use simpa_domain::ids::RequestId;
use simpa_domain::life::StoredRequest;
use simpa_domain::policy::{self, Action, Subject};
use simpa_domain::request::{RequestNumber, RequestState};
use simpa_domain::tracking::{Holder, grant_whereabouts, whereabouts};
use simpa_persistence::history::Change;
use simpa_persistence::{DbConnection, StoreResult, history, requests};

/// Who holds a request already read now, and what happens next: once granted, from its
/// grant's stage (the agreement, the payments, the final report, a repayment).
pub fn standing(
    conn: &mut DbConnection,
    request: &StoredRequest,
    timezone: Tz,
) -> StoreResult<(Holder, String)> {
    if request.facts.state == RequestState::Granted
        && let Some(stage) = crate::grants::stage(conn, request.id, timezone)?
    {
        return Ok(grant_whereabouts(&request.facts, &stage));
    }
    Ok(whereabouts(&request.facts))
}

/// A change of the feed, and what the caller may know of the request as it is now: its
/// number and state when they may read it, nothing otherwise.
pub struct SeenChange {
    pub change: Change,
    pub visible: Option<(Option<RequestNumber>, RequestState)>,
}

/// The changes after `since` the caller may follow, in order; `None` when `since` is beyond
/// the feed (from another installation, a restored backup), which would silently skip what
/// comes next.
#[tracing::instrument(name = "tracking::changes", skip_all, fields(actor = Subject::kind(subject), since))]
pub fn changes(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    since: i64,
    limit: usize,
) -> StoreResult<Option<Vec<SeenChange>>> {
    let actor = require(conn, subject, Action::FollowRequests)?;
    if since > history::last_change(conn)? {
        return Ok(None);
    }
    let audiences = simpa_domain::feed::audiences_of(&policy::request_scope(&actor));
    let changes = history::changes(conn, &audiences, since, limit)?;
    let ids: Vec<String> = changes.iter().map(|c| c.request.to_string()).collect();
    let current = requests::get_many(conn, &ids)?;
    Ok(Some(
        changes
            .into_iter()
            .map(|change| {
                let visible = current
                    .iter()
                    .find(|r| r.id == change.request)
                    .filter(|r| policy::decide(&actor, Action::ReadRequest(r.access())).is_ok())
                    .map(|r| (r.number, r.facts.state));
                SeenChange { change, visible }
            })
            .collect(),
    ))
}

/// Whether a request's history is intact and leads to its state. Who sees the internal
/// history also learns the count of events and where the chain broke.
pub struct HistoryCheck {
    pub intact: bool,
    pub events: Option<usize>,
    pub broken_at_seq: Option<i32>,
    pub reason: Option<String>,
    pub replayed_state: Option<RequestState>,
    pub state: RequestState,
    pub consistent: bool,
}

#[tracing::instrument(name = "tracking::verify_history", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn verify_history(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<HistoryCheck> {
    let (signed, request) = load_readable(conn, subject, id, false)?;
    let internal = policy::sees_internal(&signed.actor, &request.access());
    let events = history::events(conn, id)?;
    Ok(check_history(&request, &events, internal))
}

/// Whether `events`, the whole history of `request`, are intact and lead to its state; with
/// `internal`, for whom sees the internal history.
pub fn check_history(request: &StoredRequest, events: &[Event], internal: bool) -> HistoryCheck {
    let (intact, broken_at_seq, reason) = match verify_chain_to(events, &request.head_hash) {
        ChainCheck::Intact { .. } => (true, None, None),
        ChainCheck::Broken { seq, reason } => (false, Some(seq), Some(reason.to_owned())),
    };
    let replayed = replay(events);
    let consistent = intact && replayed.as_ref().is_ok_and(|s| *s == request.facts.state);
    HistoryCheck {
        intact,
        events: internal.then_some(events.len()),
        broken_at_seq: broken_at_seq.filter(|_| internal),
        reason: reason.or_else(|| replayed.as_ref().err().cloned()),
        replayed_state: replayed.ok(),
        state: request.facts.state,
        consistent,
    }
}
