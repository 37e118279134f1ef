//! Storing what happens to a request, the same way for the API and the fixtures: a draft with
//! the first event of its history; an action's outcome with its number (at submission), its
//! document snapshot, its event, its facts and deadline. The change feed is written last, by
//! [`publish`], so that its lock is held for as short a time as possible.

use crate::DbConnection;
use crate::error::StoreResult;
use crate::history;
use crate::requests::{self, NewDraft, StoredRequest};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use simpa_domain::DomainError;
use simpa_domain::campaign::Campaign;
use simpa_domain::circuit::{ActionKind, Outcome, creation_event};
use simpa_domain::history::{Event, EventActor, transitions};
use simpa_domain::ids::{AssociationId, DocumentVersionId, EventId, RequestId};
use simpa_domain::request::RequestContent;
use simpa_domain::tracking::sla_clock;

/// Who acts, and the id of the event their action makes.
pub struct Author {
    pub event: EventId,
    pub actor: EventActor,
}

/// A change to tell the feed about, once everything else of the transaction is written.
#[must_use = "publish the change at the end of the transaction"]
pub struct Change {
    request: RequestId,
    audiences: Vec<String>,
    at: DateTime<Utc>,
}

/// Starts a draft and its history; a person (a member of the association) starts it.
pub fn start_draft(
    conn: &mut DbConnection,
    id: RequestId,
    campaign: &Campaign,
    association: AssociationId,
    content: &RequestContent,
    author: Author,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let created_by = author.actor.account.ok_or(DomainError::Forbidden)?;
    let created = Event::next(None, author.event, id, creation_event(), author.actor, now);
    let draft = NewDraft {
        id,
        campaign,
        association,
        content,
        created_by,
        head_hash: &created.hash,
    };
    requests::insert_draft(conn, draft, now)?;
    history::append(conn, &created)
}

/// What recording an action produced: the event appended, and the change to [`publish`].
pub struct Recorded {
    pub event: Event,
    pub change: Change,
}

/// Stores an allowed action's outcome. `snapshot`: the document versions to attach (at
/// submission and when sent back), recorded in the event too, so that the history keeps every
/// snapshot.
pub fn record_action(
    conn: &mut DbConnection,
    request: &StoredRequest,
    campaign: &Campaign,
    mut outcome: Outcome,
    author: Author,
    snapshot: Option<&[(String, DocumentVersionId)]>,
    now: DateTime<Utc>,
) -> StoreResult<Recorded> {
    let mut events = history::events(conn, request.id)?;
    // Clocks of concurrent callers may disagree by a little: a history never goes back.
    let at = events.last().map_or(now, |last| now.max(last.at));
    let mut details = match outcome.event.details {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let action = outcome.event.action;
    if action == ActionKind::Submit {
        let number = requests::allocate_number(conn, campaign.settings.budget_year)?;
        requests::mark_submitted(conn, request.id, number, at)?;
        details.insert("number".into(), json!(number.to_string()));
    }
    if let Some(snapshot) = snapshot {
        requests::replace_snapshot(conn, request.id, snapshot)?;
        let versions: Map<String, Value> = snapshot
            .iter()
            .map(|(kind, version)| (kind.clone(), json!(version.to_string())))
            .collect();
        details.insert("documents".into(), Value::Object(versions));
    }
    if matches!(
        action,
        ActionKind::Submit | ActionKind::Resubmit | ActionKind::Edit
    ) {
        let digest = request.content.digest();
        details.insert("content_sha256".into(), json!(digest));
    }
    outcome.event.details = Value::Object(details);
    let event = Event::next(
        events.last(),
        author.event,
        request.id,
        outcome.event,
        author.actor,
        at,
    );
    history::append(conn, &event)?;
    let head_hash = event.hash.clone();
    events.push(event.clone());
    let due = sla_clock(
        &transitions(&events),
        outcome.facts.resume_state,
        &campaign.settings.sla,
        at,
    )
    .due_at;
    requests::save_facts(conn, request, &outcome.facts, due, &head_hash, at)?;
    // Until submitted, a request is the association's own: no feed follows it.
    let audiences = if request.submitted_at.is_some() || action == ActionKind::Submit {
        let mut audiences = history::audiences(&request.facts);
        audiences.extend(history::audiences(&outcome.facts));
        audiences.sort();
        audiences.dedup();
        audiences
    } else {
        vec![]
    };
    Ok(Recorded {
        event,
        change: Change {
            request: request.id,
            audiences,
            at,
        },
    })
}

impl Change {
    /// Who sees the change in the feed (`city`, `direction:<id>`, `district:<n>`).
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }
}

/// Tells the feed: the last write of the transaction.
pub fn publish(conn: &mut DbConnection, change: Change) -> StoreResult<()> {
    history::record_change(conn, change.request, &change.audiences, change.at)
}
