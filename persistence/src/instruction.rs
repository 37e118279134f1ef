//! Storing what happens to a request, the same way for the API and the fixtures: a draft with
//! the first event of its history; an action's outcome with its number (at submission), its
//! document snapshot, its event, its facts and deadline. The change feed is written last, by
//! [`publish`], so that its lock is held for as short a time as possible.
//!
//! What an action changes is computed in memory by the domain (`simpa_domain::life::apply`), then written: one action at a
//! time by [`record_action`], or whole histories at once by [`store_lives`] (the fixtures).

use crate::DbConnection;
use crate::campaigns;
use crate::error::StoreResult;
use crate::history::{self, FeedChange};
use crate::indicators;
use crate::requests;
use chrono::{DateTime, Utc};
use simpa_domain::DomainError;
use simpa_domain::campaign::Campaign;
use simpa_domain::circuit::{ActionKind, Outcome};
use simpa_domain::history::Event;
use simpa_domain::ids::{AssociationId, DocumentVersionId, RequestId};
use simpa_domain::indicators::{StepSpan, Transition, spans_ended};
use simpa_domain::life::{Author, Life, StoredRequest, apply, draft};
use simpa_domain::request::{RequestContent, RequestNumber};

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
    let before = life.events.len();
    let event = apply(&mut life, campaign, outcome, author, number, snapshot, now).clone();
    history::append(conn, std::slice::from_ref(&event))?;
    requests::save_facts(conn, request, &life.request)?;
    indicators::record_spans(conn, &ended(&life, before))?;
    let recorded = Recorded {
        change: Change {
            request: request.id,
            audiences: life.audiences.clone(),
            kept: life.followers(),
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
    let mut spans = vec![];
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
        let before = life.events.len();
        for (outcome, author, at) in actions {
            let event = apply(&mut life, campaign, outcome, author, None, None, at).clone();
            recorded.push(Recorded {
                change: Change {
                    request: request.id,
                    audiences: life.audiences.clone(),
                    kept: life.followers(),
                    at: event.at,
                },
                event,
            });
        }
        spans.extend(ended(&life, before));
        saved.push((request, life.request));
    }
    let events: Vec<Event> = recorded.iter().map(|r| r.event.clone()).collect();
    history::append(conn, &events)?;
    requests::save_many_facts(conn, &saved)?;
    indicators::record_spans(conn, &spans)?;
    Ok((
        recorded,
        saved.into_iter().map(|(_, after)| after).collect(),
    ))
}

/// The steps of its history a life ended after its first `before` events, for the
/// indicators. Its moves are enough (`indicators::step_spans`).
fn ended(life: &Life, before: usize) -> Vec<(RequestId, StepSpan)> {
    let history: Vec<Transition> = life.events.iter().map(Transition::from).collect();
    spans_ended(&history, before)
        .into_iter()
        .map(|span| (life.request.id, span))
        .collect()
}

/// A change to tell the feed about, once everything else of the transaction is written.
#[must_use = "publish the change at the end of the transaction"]
pub struct Change {
    request: RequestId,
    audiences: Vec<String>,
    /// Those of the audiences that still follow the request after the change.
    kept: Vec<String>,
    at: DateTime<Utc>,
}

impl Change {
    /// Who sees the change in the feed (`city`, `direction:<id>`, `district:<n>`).
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Whether `audience` still follows the request after the change.
    pub fn keeps(&self, audience: &str) -> bool {
        self.kept.iter().any(|a| a == audience)
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
        .map(|c| FeedChange {
            request: c.request,
            audiences: &c.audiences,
            kept: &c.kept,
            at: c.at,
        })
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
    let spans: Vec<(RequestId, StepSpan)> = lives.iter().flat_map(|l| ended(l, 0)).collect();
    indicators::record_spans(conn, &spans)?;
    let snapshots: Vec<(RequestId, &[(String, DocumentVersionId)])> = lives
        .iter()
        .map(|l| (l.request.id, l.snapshot.as_slice()))
        .collect();
    requests::insert_snapshots(conn, &snapshots)?;
    let numbers: Vec<RequestNumber> = lives.iter().filter_map(|l| l.request.number).collect();
    requests::raise_counters(conn, &numbers)?;
    let followers: Vec<Vec<String>> = lives.iter().map(Life::followers).collect();
    let mut changes: Vec<_> = lives
        .iter()
        .zip(&followers)
        .map(|(l, kept)| FeedChange {
            request: l.request.id,
            audiences: &l.audiences,
            kept,
            at: l.request.updated_at,
        })
        .collect();
    changes.sort_by_key(|c| c.at);
    history::record_changes(conn, &changes)
}
