//! Storing what happens to a request, the same way for the API and the fixtures: a draft with
//! the first event of its history; an action's outcome with its number (at submission), its
//! document snapshot, its event, its facts and deadline. The change feed is written last, by
//! [`publish`], so that its lock is held for as short a time as possible.
//!
//! What an action changes is computed in memory by [`apply`], then written: one action at a
//! time by [`record_action`], or whole histories at once by [`store_lives`] (the fixtures).

use crate::DbConnection;
use crate::campaigns;
use crate::error::StoreResult;
use crate::history;
use crate::requests::{self, StoredRequest};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use simpa_domain::DomainError;
use simpa_domain::campaign::Campaign;
use simpa_domain::circuit::{ActionKind, Outcome, RequestFacts, creation_event};
use simpa_domain::history::{Event, EventActor, transitions};
use simpa_domain::ids::{AssociationId, DocumentVersionId, EventId, RequestId};
use simpa_domain::request::{RequestContent, RequestNumber};
use simpa_domain::tracking::sla_clock;

/// Who acts, and the id of the event their action makes.
pub struct Author {
    pub event: EventId,
    pub actor: EventActor,
}

/// A request with its whole history, in memory.
#[derive(Debug, Clone)]
pub struct Life {
    pub request: StoredRequest,
    pub events: Vec<Event>,
    /// The document versions attached at the last submission.
    pub snapshot: Vec<(String, DocumentVersionId)>,
    /// Who sees its changes in the feed: everyone who saw it since its submission, over the
    /// actions applied to this value (in `record_action`, the one action).
    pub audiences: Vec<String>,
}

/// A draft and the first event of its history; a person (a member of the association)
/// starts it.
pub fn draft(
    id: RequestId,
    campaign: &Campaign,
    association: AssociationId,
    content: RequestContent,
    author: Author,
    now: DateTime<Utc>,
) -> StoreResult<Life> {
    let created_by = author.actor.account.ok_or(DomainError::Forbidden)?;
    let created = Event::next(None, author.event, id, creation_event(), author.actor, now);
    let mut facts = RequestFacts::new_draft(campaign.settings.circuit, campaign.settings.district);
    facts.requested_cents = content.requested_cents;
    Ok(Life {
        request: StoredRequest {
            id,
            number: None,
            campaign: campaign.id,
            association,
            facts,
            state_since: now,
            content,
            sla_due_at: None,
            submitted_at: None,
            head_hash: created.hash.clone(),
            version: 1,
            created_by,
            created_at: now,
            updated_at: now,
        },
        events: vec![created],
        snapshot: vec![],
        audiences: vec![],
    })
}

/// Applies an allowed action's outcome in memory: the event is completed (the number given
/// at submission, the document versions attached, the digest of the content submitted) and
/// chained; the request's facts, deadline, head and version move. `snapshot`: the versions
/// to attach (at submission and when sent back). Returns the event appended.
pub fn apply<'l>(
    life: &'l mut Life,
    campaign: &Campaign,
    mut outcome: Outcome,
    author: Author,
    number: Option<RequestNumber>,
    snapshot: Option<&[(String, DocumentVersionId)]>,
    now: DateTime<Utc>,
) -> &'l Event {
    // Clocks of concurrent callers may disagree by a little: a history never goes back.
    let at = life.events.last().map_or(now, |last| now.max(last.at));
    let mut details = match outcome.event.details {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let action = outcome.event.action;
    let request = &mut life.request;
    if let Some(number) = number {
        details.insert("number".into(), json!(number.to_string()));
        request.number = Some(number);
        request.submitted_at = Some(at);
    }
    if let Some(snapshot) = snapshot {
        let versions: Map<String, Value> = snapshot
            .iter()
            .map(|(kind, version)| (kind.clone(), json!(version.to_string())))
            .collect();
        details.insert("documents".into(), Value::Object(versions));
        life.snapshot = snapshot.to_vec();
    }
    if matches!(
        action,
        ActionKind::Submit | ActionKind::Resubmit | ActionKind::Edit
    ) {
        details.insert("content_sha256".into(), json!(request.content.digest()));
    }
    outcome.event.details = Value::Object(details);
    let event = Event::next(
        life.events.last(),
        author.event,
        request.id,
        outcome.event,
        author.actor,
        at,
    );
    // Until submitted, a request is the association's own: no feed follows it.
    if request.submitted_at.is_some() {
        life.audiences.extend(history::audiences(&request.facts));
        life.audiences.extend(history::audiences(&outcome.facts));
        life.audiences.sort();
        life.audiences.dedup();
    }
    request.head_hash = event.hash.clone();
    life.events.push(event);
    request.sla_due_at = sla_clock(
        &transitions(&life.events),
        outcome.facts.resume_state,
        &campaign.settings.sla,
        at,
    )
    .due_at;
    if outcome.facts.state != request.facts.state {
        request.state_since = at;
    }
    request.facts = outcome.facts;
    request.version += 1;
    request.updated_at = at;
    life.events.last().expect("an event was just appended")
}

/// Starts a draft and its history.
pub fn start_draft(
    conn: &mut DbConnection,
    id: RequestId,
    campaign: &Campaign,
    association: AssociationId,
    content: &RequestContent,
    author: Author,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let life = draft(id, campaign, association, content.clone(), author, now)?;
    requests::insert(conn, std::slice::from_ref(&life.request))?;
    history::append(conn, &life.events)
}

/// What recording an action produced: the event appended, and the change to [`publish`].
pub struct Recorded {
    pub event: Event,
    pub change: Change,
}

/// Stores an allowed action's outcome (see [`apply`]). Returns what it recorded and the
/// request's life as it now stands (the request, its whole history, the versions attached
/// when it attached some): what the caller tells and shows without reading it again.
pub fn record_action(
    conn: &mut DbConnection,
    request: &StoredRequest,
    campaign: &Campaign,
    outcome: Outcome,
    author: Author,
    snapshot: Option<&[(String, DocumentVersionId)]>,
    now: DateTime<Utc>,
) -> StoreResult<(Recorded, Life)> {
    let mut life = Life {
        request: request.clone(),
        events: history::events(conn, request.id)?,
        snapshot: vec![],
        audiences: vec![],
    };
    if let Some(snapshot) = snapshot {
        // Until its first submission, a request has nothing attached.
        if request.submitted_at.is_some() {
            requests::detach_documents(conn, request.id)?;
        }
        requests::insert_snapshots(conn, &[(request.id, snapshot)])?;
    }
    // Submissions of a year take turns from here to their commit (numbers have no gaps):
    // what does not need the number is done above.
    let number = match outcome.event.action {
        ActionKind::Submit => Some(requests::allocate_number(
            conn,
            campaign.settings.budget_year,
        )?),
        _ => None,
    };
    let event = apply(&mut life, campaign, outcome, author, number, snapshot, now).clone();
    history::append(conn, std::slice::from_ref(&event))?;
    requests::save_facts(conn, request, &life.request)?;
    let recorded = Recorded {
        change: Change {
            request: request.id,
            audiences: life.audiences.clone(),
            at: event.at,
        },
        event,
    };
    Ok((recorded, life))
}

/// Allowed actions on one request of a batch, in order, each with its author and time.
pub struct Decided {
    pub request: StoredRequest,
    pub actions: Vec<(Outcome, Author, DateTime<Utc>)>,
}

/// Stores allowed actions on many requests at once (a jury's declarations and ranking, a
/// council's vote): histories and campaigns read and events written in a few statements, each
/// request's facts saved once. No number is given and no document attached. Returns what
/// each action recorded, in order, and each request as it now stands.
pub fn record_many(
    conn: &mut DbConnection,
    decided: Vec<Decided>,
) -> StoreResult<(Vec<Recorded>, Vec<StoredRequest>)> {
    let mut campaign_ids: Vec<_> = decided.iter().map(|d| d.request.campaign).collect();
    campaign_ids.sort();
    campaign_ids.dedup();
    let campaigns = campaigns::get_many(conn, &campaign_ids)?;
    let heads: Vec<(RequestId, &str)> = decided
        .iter()
        .map(|d| (d.request.id, d.request.head_hash.as_str()))
        .collect();
    // The events that moved each request and its last one are all `apply` reads: the clock
    // runs on the moves, and the new event links to the last.
    let mut histories = history::moves_and_heads(conn, &heads)?;
    let mut recorded = Vec::with_capacity(decided.len());
    let mut saved = Vec::with_capacity(decided.len());
    for Decided { request, actions } in decided {
        let campaign = campaigns
            .iter()
            .find(|c| c.id == request.campaign)
            .ok_or(DomainError::NotFound { what: "campaign" })?;
        let mut life = Life {
            events: histories.remove(&request.id).unwrap_or_default(),
            request: request.clone(),
            snapshot: vec![],
            audiences: vec![],
        };
        for (outcome, author, at) in actions {
            let event = apply(&mut life, campaign, outcome, author, None, None, at).clone();
            recorded.push(Recorded {
                change: Change {
                    request: request.id,
                    audiences: life.audiences.clone(),
                    at: event.at,
                },
                event,
            });
        }
        saved.push((request, life.request));
    }
    let events: Vec<Event> = recorded.iter().map(|r| r.event.clone()).collect();
    history::append(conn, &events)?;
    requests::save_many_facts(conn, &saved)?;
    Ok((
        recorded,
        saved.into_iter().map(|(_, after)| after).collect(),
    ))
}

/// A change to tell the feed about, once everything else of the transaction is written.
#[must_use = "publish the change at the end of the transaction"]
pub struct Change {
    request: RequestId,
    audiences: Vec<String>,
    at: DateTime<Utc>,
}

impl Change {
    /// Who sees the change in the feed (`city`, `direction:<id>`, `district:<n>`).
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }
}

/// Tells the feed: the last write of the transaction.
pub fn publish(conn: &mut DbConnection, change: Change) -> StoreResult<()> {
    publish_all(conn, vec![change])
}

/// Tells the feed of several changes, in their order.
pub fn publish_all(conn: &mut DbConnection, changes: Vec<Change>) -> StoreResult<()> {
    let rows: Vec<_> = changes
        .iter()
        .map(|c| (c.request, c.audiences.as_slice(), c.at))
        .collect();
    history::record_changes(conn, &rows)
}

/// Stores whole requests with their histories, snapshots and numbers, in a few statements
/// per table: how fixtures load a city's years of requests. The feed gets one change per
/// request (at its last event, for everyone who saw it), in the order of those times within
/// one call: a client following the feed reads each request once, as it is now.
pub fn store_lives(conn: &mut DbConnection, lives: &[Life]) -> StoreResult<()> {
    let stored: Vec<StoredRequest> = lives.iter().map(|l| l.request.clone()).collect();
    requests::insert(conn, &stored)?;
    let events: Vec<Event> = lives
        .iter()
        .flat_map(|l| l.events.iter().cloned())
        .collect();
    history::append(conn, &events)?;
    let snapshots: Vec<(RequestId, &[(String, DocumentVersionId)])> = lives
        .iter()
        .map(|l| (l.request.id, l.snapshot.as_slice()))
        .collect();
    requests::insert_snapshots(conn, &snapshots)?;
    let numbers: Vec<RequestNumber> = lives.iter().filter_map(|l| l.request.number).collect();
    requests::raise_counters(conn, &numbers)?;
    let mut changes: Vec<_> = lives
        .iter()
        .map(|l| (l.request.id, l.audiences.as_slice(), l.request.updated_at))
        .collect();
    changes.sort_by_key(|c| c.2);
    history::record_changes(conn, &changes)
}
