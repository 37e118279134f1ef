//! A request's history: every event appended, none ever changed or removed. Each event
//! carries the hash of the one before it (a chain per request), so that an edit of the past
//! shows when the chain is verified, and the history replays to the request's state.

use crate::circuit::{ActionKind, EventDraft, Visibility, leads};
use crate::ids::{AccountId, EventId, RequestId, ServiceAccountId};
use crate::request::RequestState;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The `prev_hash` of a history's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted: a person, an API client, or the system; and the name shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventActor {
    pub account: Option<AccountId>,
    pub service: Option<ServiceAccountId>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub request: RequestId,
    /// 1, 2, 3… within the request.
    pub seq: i32,
    pub action: ActionKind,
    pub from: Option<RequestState>,
    pub to: RequestState,
    pub actor: EventActor,
    pub at: DateTime<Utc>,
    pub visibility: Visibility,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    /// What the action carried, as stored JSON text.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Event {
    /// What an `ask_documents` event asked and by when (nothing for other events).
    pub fn asked(&self) -> (Vec<crate::circuit::AskedItem>, Option<chrono::NaiveDate>) {
        let details = serde_json::from_str(&self.details).unwrap_or_default();
        crate::circuit::asked_in(&details)
    }

    /// The event that follows `previous` (or starts the history), hashed.
    pub fn next(
        previous: Option<&Event>,
        id: EventId,
        request: RequestId,
        draft: EventDraft,
        actor: EventActor,
        at: DateTime<Utc>,
    ) -> Event {
        let mut event = Event {
            id,
            request,
            seq: previous.map_or(1, |p| p.seq + 1),
            action: draft.action,
            from: draft.from,
            to: draft.to,
            actor,
            at,
            visibility: draft.visibility,
            public_message: draft.public_message,
            internal_note: draft.internal_note,
            details: draft.details.to_string(),
            prev_hash: previous.map_or_else(|| GENESIS_HASH.to_owned(), |p| p.hash.clone()),
            hash: String::new(),
        };
        event.hash = event.computed_hash();
        event
    }

    /// SHA-256 over every field but the hash itself, each length-prefixed so that no two
    /// different events read the same.
    pub fn computed_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |value: &str| {
            hasher.update(value.len().to_string().as_bytes());
            hasher.update(b":");
            hasher.update(value.as_bytes());
        };
        let optional = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
        field(&self.prev_hash);
        field(&self.id.to_string());
        field(&self.request.to_string());
        field(&self.seq.to_string());
        field(self.action.code());
        field(self.from.map_or("-", |s| s.code()));
        field(self.to.code());
        field(&optional(self.actor.account.map(|a| a.to_string())));
        field(&optional(self.actor.service.map(|s| s.to_string())));
        field(&self.actor.name);
        field(&self.at.timestamp_micros().to_string());
        field(self.visibility.code());
        field(&optional(self.public_message.clone()));
        field(&optional(self.internal_note.clone()));
        field(&self.details);
        crate::digest::hex(&hasher.finalize())
    }
}

/// What verifying a chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    Intact {
        events: usize,
    },
    /// The first event whose hash or link does not match.
    Broken {
        seq: i32,
        reason: &'static str,
    },
}

/// The time each event happened and the state it led to: what the SLA clock runs over.
pub fn transitions(events: &[Event]) -> Vec<(DateTime<Utc>, RequestState)> {
    events.iter().map(|e| (e.at, e.to)).collect()
}

/// Recomputes every hash and link, in order, and checks that the last event is the head the
/// request records (so that removing the latest events shows too).
pub fn verify_chain_to(events: &[Event], head_hash: &str) -> ChainCheck {
    match verify_chain(events) {
        ChainCheck::Intact { .. } if events.last().is_none_or(|e| e.hash != head_hash) => {
            ChainCheck::Broken {
                seq: events.last().map_or(1, |e| e.seq + 1),
                reason: "des événements manquent après le dernier conservé",
            }
        }
        check => check,
    }
}

/// Recomputes every hash and link, in order.
pub fn verify_chain(events: &[Event]) -> ChainCheck {
    let mut previous_hash = GENESIS_HASH;
    for event in events {
        if event.prev_hash != previous_hash {
            return ChainCheck::Broken {
                seq: event.seq,
                reason: "prev_hash ne correspond pas à l'événement précédent",
            };
        }
        if event.hash != event.computed_hash() {
            return ChainCheck::Broken {
                seq: event.seq,
                reason: "le contenu de l'événement a changé depuis son enregistrement",
            };
        }
        previous_hash = &event.hash;
    }
    ChainCheck::Intact {
        events: events.len(),
    }
}

/// Replays a history to the state it leads to, checking that it starts with the creation,
/// that events follow one another (numbers, times, states) and that each is a move the
/// circuits allow.
pub fn replay(events: &[Event]) -> Result<RequestState, String> {
    let mut state: Option<RequestState> = None;
    let mut last_at: Option<DateTime<Utc>> = None;
    for (i, event) in events.iter().enumerate() {
        let expected_seq = i32::try_from(i + 1).unwrap_or(i32::MAX);
        if event.seq != expected_seq {
            return Err(format!("event {expected_seq} is numbered {}", event.seq));
        }
        if event.from != state {
            return Err(format!(
                "event {} starts from {:?} but the request was {:?}",
                event.seq, event.from, state
            ));
        }
        if last_at.is_some_and(|t| event.at < t) {
            return Err(format!("event {} goes back in time", event.seq));
        }
        let allowed = match event.from {
            None => event.action == ActionKind::Create && event.to == RequestState::Draft,
            Some(from) => leads(event.action, from, event.to),
        };
        if !allowed {
            return Err(format!(
                "event {}: {} does not lead from {:?} to {}",
                event.seq, event.action, event.from, event.to
            ));
        }
        state = Some(event.to);
        last_at = Some(event.at);
    }
    state.ok_or_else(|| "empty history".to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::circuit::creation_event;
    use chrono::TimeZone;
    use serde_json::json;
    use uuid::Uuid;

    pub(crate) fn actor() -> EventActor {
        EventActor {
            account: Some(AccountId::from_uuid(Uuid::from_u128(9))),
            service: None,
            name: "Camille Martin".into(),
        }
    }

    fn history() -> Vec<Event> {
        let request = RequestId::from_uuid(Uuid::from_u128(1));
        let at = |h| Utc.with_ymd_and_hms(2026, 10, 1, h, 0, 0).unwrap();
        let created = Event::next(
            None,
            EventId::from_uuid(Uuid::from_u128(10)),
            request,
            creation_event(),
            actor(),
            at(9),
        );
        let submitted = Event::next(
            Some(&created),
            EventId::from_uuid(Uuid::from_u128(11)),
            request,
            EventDraft {
                action: ActionKind::Submit,
                from: Some(RequestState::Draft),
                to: RequestState::Submitted,
                visibility: Visibility::Public,
                public_message: Some("Déposée".into()),
                internal_note: None,
                details: json!({"number": "2027_00001"}),
            },
            actor(),
            at(10),
        );
        vec![created, submitted]
    }

    #[test]
    fn an_untouched_chain_verifies_and_replays() {
        let events = history();
        assert_eq!(events[0].prev_hash, GENESIS_HASH);
        assert_eq!(events[1].prev_hash, events[0].hash);
        assert_eq!(verify_chain(&events), ChainCheck::Intact { events: 2 });
        assert_eq!(replay(&events), Ok(RequestState::Submitted));
    }

    #[test]
    fn any_edit_of_the_past_breaks_the_chain_where_it_happened() {
        let mut events = history();
        events[0].public_message = Some("Brouillon créé (modifié)".into());
        assert_eq!(
            verify_chain(&events),
            ChainCheck::Broken {
                seq: 1,
                reason: "le contenu de l'événement a changé depuis son enregistrement"
            }
        );
        let mut events = history();
        events[0].hash = "0".repeat(64);
        assert!(matches!(
            verify_chain(&events),
            ChainCheck::Broken { seq: 1, .. }
        ));
        let mut events = history();
        events.remove(0);
        assert!(matches!(
            verify_chain(&events),
            ChainCheck::Broken { seq: 2, .. }
        ));
    }

    #[test]
    fn removing_the_latest_events_shows_against_the_head() {
        let events = history();
        let head = events[1].hash.clone();
        assert_eq!(
            verify_chain_to(&events, &head),
            ChainCheck::Intact { events: 2 }
        );
        assert_eq!(
            verify_chain_to(&events[..1], &head),
            ChainCheck::Broken {
                seq: 2,
                reason: "des événements manquent après le dernier conservé"
            }
        );
        assert!(matches!(
            verify_chain_to(&[], &head),
            ChainCheck::Broken { seq: 1, .. }
        ));
    }

    #[test]
    fn replay_refuses_impossible_histories() {
        let mut events = history();
        events[1].to = RequestState::Instructed;
        assert!(replay(&events).unwrap_err().contains("does not lead"));
        let mut events = history();
        events[1].seq = 3;
        assert!(replay(&events).is_err());
        let mut events = history();
        events[1].at = events[0].at - chrono::Duration::seconds(1);
        assert!(replay(&events).unwrap_err().contains("back in time"));
        assert!(replay(&[]).is_err());
    }
}
