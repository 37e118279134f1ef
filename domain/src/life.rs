//! A request's life in memory: the request as stored (its content, facts and the head of its
//! history), and what an allowed action does to it and to its history before anything is
//! written. The persistence layer writes what [`apply`] computed; the fixtures build whole
//! years of lives with it.

use crate::DomainError;
use crate::campaign::{Campaign, CircuitKind};
use crate::circuit::{ActionKind, Outcome, RequestFacts, creation_event};
use crate::feed;
use crate::history::{Event, EventActor, transitions};
use crate::ids::{AccountId, AssociationId, CampaignId, DocumentVersionId, EventId, RequestId};
use crate::policy::RequestAccess;
use crate::request::{RequestContent, RequestNumber, RequestState};
use crate::scoring::Candidate;
use crate::tracking::sla_clock;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub id: RequestId,
    pub number: Option<RequestNumber>,
    pub campaign: CampaignId,
    pub association: AssociationId,
    pub facts: RequestFacts,
    pub state_since: DateTime<Utc>,
    pub content: RequestContent,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The hash of the last event of its history.
    pub head_hash: String,
    pub version: i64,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredRequest {
    /// What a jury's ranking needs of it.
    pub fn candidate(&self) -> Candidate {
        Candidate {
            request: self.id,
            requested_cents: self.content.requested_cents,
            proposed_cents: self.facts.proposed_cents,
            opinion: self.facts.lead_opinion(),
            submitted_at: self.submitted_at.unwrap_or(self.created_at),
        }
    }

    /// What the access policy needs to know of it.
    pub fn access(&self) -> RequestAccess {
        RequestAccess {
            association: self.association,
            submitted: self.submitted_at.is_some(),
            local_district: self.facts.local_district,
            instructors: self
                .facts
                .instructors
                .iter()
                .map(|a| a.instructor)
                .collect(),
        }
    }
}

/// A request as a line of a list shows it: what it is, whose, for which campaign, where it
/// stands and since when, and what the policy needs to know of it. Lists read this, never the
/// whole request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    pub id: RequestId,
    pub number: Option<RequestNumber>,
    pub title: String,
    pub association_name: String,
    pub campaign: CampaignId,
    pub campaign_code: String,
    pub campaign_title: String,
    pub circuit: CircuitKind,
    pub state: RequestState,
    pub state_since: DateTime<Utc>,
    pub requested_cents: i64,
    /// The city's side of it: shown to whom may see it (see [`crate::policy`]).
    pub proposed_cents: Option<i64>,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Its association, district and instructors.
    pub access: RequestAccess,
}

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

impl Life {
    /// Who follows the request in the feed as it stands now (none before its submission).
    pub fn followers(&self) -> Vec<String> {
        if self.request.submitted_at.is_some() {
            feed::audiences(&self.request.facts)
        } else {
            vec![]
        }
    }
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
) -> Result<Life, DomainError> {
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
        life.audiences.extend(feed::audiences(&request.facts));
        life.audiences.extend(feed::audiences(&outcome.facts));
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
    // A message changes nothing of the request: whoever edits it meanwhile is not stale.
    if !action.is_conversation() {
        request.version += 1;
        request.updated_at = at;
    }
    life.events.last().expect("an event was just appended")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::{Command, decide};
    use crate::parties::Party;
    use crate::request::RequestState;
    use crate::request::tests::{campaign, content};
    use chrono::{Duration, TimeZone};
    use uuid::Uuid;

    fn author(n: u128) -> Author {
        Author {
            event: EventId::from_uuid(Uuid::from_u128(n)),
            actor: EventActor {
                account: Some(AccountId::from_uuid(Uuid::from_u128(50))),
                service: None,
                name: "Lina Martin".into(),
            },
        }
    }

    #[test]
    fn submitting_numbers_the_request_attaches_its_documents_and_chains_its_event() {
        let campaign = campaign();
        let at = Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
        let id = RequestId::from_uuid(Uuid::from_u128(9));
        let association = AssociationId::from_uuid(Uuid::from_u128(8));
        let mut life = draft(id, &campaign, association, content(), author(1), at).unwrap();
        assert_eq!(life.request.facts.state, RequestState::Draft);
        assert_eq!((life.request.version, life.events.len()), (1, 1));
        let created = life.events[0].hash.clone();
        assert_eq!(life.request.head_hash, created);

        let outcome = decide(
            &life.request.facts,
            Command::Submit,
            &[Party::Applicant],
            at,
            at.date_naive(),
        )
        .unwrap();
        let number = RequestNumber::parse("2027_00001").unwrap();
        let statuts = DocumentVersionId::from_uuid(Uuid::from_u128(3));
        let snapshot = vec![("statuts".to_owned(), statuts)];
        let later = at + Duration::minutes(5);
        let event = apply(
            &mut life,
            &campaign,
            outcome,
            author(2),
            Some(number),
            Some(&snapshot),
            later,
        )
        .clone();

        let request = &life.request;
        assert_eq!(request.facts.state, RequestState::Submitted);
        assert_eq!(request.number, Some(number));
        assert_eq!(request.submitted_at, Some(later));
        assert_eq!((request.state_since, request.updated_at), (later, later));
        assert_eq!(request.version, 2);
        assert_eq!(event.prev_hash, created);
        assert_eq!(request.head_hash, event.hash);
        let details: Value = serde_json::from_str(&event.details).unwrap();
        assert_eq!(details["number"], "2027_00001");
        assert_eq!(details["documents"]["statuts"], statuts.to_string());
        assert_eq!(details["content_sha256"], request.content.digest());
        assert_eq!(life.snapshot, snapshot);
        // Submitted, it is the city's to follow.
        assert_eq!(life.audiences, vec!["city"]);
    }

    #[test]
    fn a_history_never_goes_back_in_time() {
        let campaign = campaign();
        let at = Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
        let id = RequestId::from_uuid(Uuid::from_u128(9));
        let association = AssociationId::from_uuid(Uuid::from_u128(8));
        let mut life = draft(id, &campaign, association, content(), author(1), at).unwrap();
        let outcome = decide(
            &life.request.facts,
            Command::Submit,
            &[Party::Applicant],
            at,
            at.date_naive(),
        )
        .unwrap();
        let earlier = at - Duration::seconds(2);
        let event = apply(
            &mut life,
            &campaign,
            outcome,
            author(2),
            None,
            None,
            earlier,
        );
        assert_eq!(event.at, at);
    }
}
