//! Acting on a request along its circuit, the one way every caller does it: the circuit
//! decides, the action is recorded, whom it concerns is told, the feed is told last. Each
//! thing is read once: what submitting checks is what the e-mails and the answer show.

use crate::clock::CityNow;
use crate::notify::{self, Held, Notifier, Told};
use crate::vault::vault_of;
use chrono::NaiveDate;
use simpa_domain::campaign::{ApplicantFacts, Campaign};
use simpa_domain::circuit::{ActionKind, AskedInput, Command, RequestFacts, check_asked, decide};
use simpa_domain::document::DocumentKind;
use simpa_domain::history::{Event, EventActor};
use simpa_domain::ids::{DirectionId, DocumentVersionId, EventId, RequestId};
use simpa_domain::life::{Author, StoredRequest};
use simpa_domain::parties::Party;
use simpa_domain::policy::{self, Actor};
use simpa_domain::reference::check_dispatch;
use simpa_domain::request::{
    RequestState, SubmissionContext, check_submission, documents_snapshot, required_kinds,
};
use simpa_domain::{DomainError, FieldError, Violation};
use simpa_persistence::accounts::Signed;
use simpa_persistence::documents::DocumentVersion;
use simpa_persistence::instruction::{self, Decided, Recorded};
use simpa_persistence::{
    DbConnection, StoreError, StoreResult, accounts, associations, campaigns, documents, history,
    reference, requests, service_accounts,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Whom an action tells: everyone it concerns (e-mails, and calls to the webhooks that follow
/// the request), or no one (scheduling, a juror's declaration, a step of a longer use case
/// that tells by itself).
#[derive(Clone, Copy)]
pub enum Telling<'a> {
    Everyone(&'a Notifier),
    NoOne,
}

/// What an action did: the event it recorded, and the request as it now stands with what was
/// read of it on the way (the rest of its file is read only if asked, see [`Acted::into_file`]).
pub struct Acted {
    pub event: Event,
    pub request: StoredRequest,
    pub campaign: Campaign,
    pub events: Vec<Event>,
    association: Option<String>,
    documents: Option<Vec<DocumentVersion>>,
}

impl Acted {
    /// The request's file as it now stands, reading only what acting did not.
    pub fn into_file(self, conn: &mut DbConnection) -> StoreResult<RequestFile> {
        let association = match self.association {
            Some(name) => name,
            None => associations::name(conn, self.request.association)?,
        };
        let documents = match self.documents {
            Some(documents) => documents,
            None => requests::snapshot(conn, self.request.id)?,
        };
        Ok(RequestFile {
            request: self.request,
            campaign: self.campaign,
            association,
            events: self.events,
            documents,
        })
    }
}

/// Acts on a request, read (and locked) by the caller, as `parties` may. Submitting and
/// sending back check everything at once and attach the documents that stand.
#[tracing::instrument(name = "instruction::act", skip_all, fields(actor = signed.actor.kind(), request = %request.id, action = command.kind().code()))]
pub fn act(
    conn: &mut DbConnection,
    signed: &Signed,
    request: StoredRequest,
    parties: &[Party],
    command: Command,
    now: CityNow,
    telling: Telling<'_>,
) -> StoreResult<Acted> {
    // A history never goes back in time, even when clocks of nodes disagree a little.
    let at = now.at.max(request.updated_at);
    let outcome = decide(&request.facts, command, parties, at, now.today())?;
    let attaches = outcome.event.action.attaches_documents();
    // Submitting relies on the campaign's rules: they cannot change meanwhile.
    let campaign = if attaches {
        campaigns::get_shared(conn, request.campaign)?
    } else {
        campaigns::get(conn, request.campaign)?
    }
    .ok_or(DomainError::NotFound { what: "campaign" })?;
    let ready = if attaches {
        check_verified(signed)?;
        let resubmission = request.facts.state == RequestState::Incomplete;
        Some(check_ready_to_submit(
            conn,
            &request,
            &campaign,
            resubmission,
            CityNow { at, ..now },
        )?)
    } else {
        None
    };
    let snapshot = ready.as_ref().map(|r| r.snapshot.as_slice());
    let (recorded, life) = instruction::record_action(
        conn,
        &request,
        &campaign,
        outcome,
        author(signed),
        snapshot,
        at,
    )?;
    if let Telling::Everyone(notifier) = telling {
        let held = Held {
            campaign: Some(&campaign),
            association: ready.as_ref().map(|r| r.association.as_str()),
            kinds: ready.as_ref().map(|r| r.kinds.as_slice()),
            attached: ready.as_ref().map(|r| r.attached.as_slice()),
        };
        let told = Told {
            recorded: &recorded,
            before: &request.facts,
            request: &life.request,
            held,
        };
        notify::tell(conn, notifier, told, at)?;
    }
    let Recorded { event, change } = recorded;
    // The feed is told last: its lock is held until the commit.
    instruction::publish(conn, change)?;
    Ok(Acted {
        event,
        request: life.request,
        campaign,
        events: life.events,
        association: ready.as_ref().map(|r| r.association.clone()),
        documents: ready.map(|r| r.attached),
    })
}

/// Acts on a request as [`act`] does, reading it under its lock first.
#[tracing::instrument(name = "instruction::act_on", skip_all, fields(actor = signed.actor.kind(), request = %request, action = command.kind().code()))]
pub fn act_on(
    conn: &mut DbConnection,
    signed: &Signed,
    request: RequestId,
    parties: &[Party],
    command: Command,
    now: CityNow,
    telling: Telling<'_>,
) -> StoreResult<Acted> {
    let request =
        requests::get_locked(conn, request)?.ok_or(DomainError::NotFound { what: "request" })?;
    act(conn, signed, request, parties, command, now, telling)
}

/// Acts on many requests at once (a council's vote, a jury's ranking, a bulk action), each
/// read and locked by the caller with its command, as the parties `parties_of` names may: the
/// circuit decides each (the first refusal stops them all, nothing written), then every action
/// is recorded, told and published in a fixed number of statements, whatever their number.
/// Actions that attach documents (submitting) go one by one through [`act`].
#[tracing::instrument(name = "instruction::act_many", skip_all, fields(actor = signed.actor.kind(), requests = commands.len()))]
pub fn act_many(
    conn: &mut DbConnection,
    signed: &Signed,
    commands: Vec<(StoredRequest, Command)>,
    parties_of: impl Fn(&StoredRequest) -> Vec<Party>,
    now: CityNow,
    telling: Telling<'_>,
) -> StoreResult<Vec<Event>> {
    let mut decided = Vec::with_capacity(commands.len());
    for (request, command) in commands {
        let at = now.at.max(request.updated_at);
        let outcome = decide(
            &request.facts,
            command,
            &parties_of(&request),
            at,
            now.today(),
        )?;
        decided.push(Decided {
            request,
            actions: vec![(outcome, author(signed), at)],
        });
    }
    let before: HashMap<RequestId, RequestFacts> = decided
        .iter()
        .map(|d| (d.request.id, d.request.facts.clone()))
        .collect();
    let (recorded, after) = instruction::record_many(conn, decided)?;
    if let Telling::Everyone(notifier) = telling {
        let after: HashMap<RequestId, &StoredRequest> = after.iter().map(|r| (r.id, r)).collect();
        let told: Vec<Told<'_>> = recorded
            .iter()
            .filter_map(|rec| {
                let before = before.get(&rec.event.request)?;
                let request = after.get(&rec.event.request)?;
                Some(Told {
                    recorded: rec,
                    before,
                    request,
                    held: Held::default(),
                })
            })
            .collect();
        notify::tell_all(conn, notifier, &told, now.at)?;
    }
    let (events, changes) = recorded
        .into_iter()
        .map(|Recorded { event, change }| (event, change))
        .unzip();
    // The feed is told last: its lock is held until the commit.
    instruction::publish_all(conn, changes)?;
    Ok(events)
}

/// Acts on a request the actor may read (see `requests::load_readable`), as the parties they
/// play in it, and returns its file as it now stands: the one use case behind "an action on a
/// request".
#[tracing::instrument(name = "instruction::act_as_reader", skip_all, fields(actor = signed.actor.kind(), request = %request.id, action = command.kind().code()))]
pub fn act_as_reader(
    conn: &mut DbConnection,
    signed: &Signed,
    request: StoredRequest,
    command: Command,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<RequestFile> {
    let parties = policy::parties(&signed.actor, request.association);
    let telling = Telling::Everyone(notifier);
    act(conn, signed, request, &parties, command, now, telling)?.into_file(conn)
}

/// The command asking documents or fields of the association, each checked against what
/// exists.
pub fn ask_documents(
    conn: &mut DbConnection,
    items: Vec<AskedInput>,
    message: String,
    due_on: NaiveDate,
) -> StoreResult<Command> {
    let kinds: Vec<String> = documents::kinds(conn)?
        .into_iter()
        .map(|k| k.code)
        .collect();
    Ok(Command::AskDocuments {
        items: check_asked(items, &kinds)?,
        message,
        due_on,
    })
}

/// The command dispatching a request to a lead direction and co-directions, each existing and
/// active.
pub fn dispatch(
    conn: &mut DbConnection,
    lead: DirectionId,
    co: Vec<DirectionId>,
) -> StoreResult<Command> {
    let (lead, co) = check_dispatch(lead, co, &reference::directions(conn)?)?;
    Ok(Command::Dispatch { lead, co })
}

/// What submitting checked, kept for what follows: the versions attached, and what telling
/// and the answer show.
struct Ready {
    snapshot: Vec<(String, DocumentVersionId)>,
    attached: Vec<DocumentVersion>,
    association: String,
    kinds: Vec<DocumentKind>,
}

/// Checks what submitting (or sending back) needs beyond the request itself, all at once.
fn check_ready_to_submit(
    conn: &mut DbConnection,
    request: &StoredRequest,
    campaign: &Campaign,
    resubmission: bool,
    now: CityNow,
) -> StoreResult<Ready> {
    let today = now.today();
    let (association, overdue_final_reports) =
        associations::applicant(conn, request.association, today)?.ok_or(
            DomainError::NotFound {
                what: "association",
            },
        )?;
    let (vault, versions) = vault_of(conn, &association, today, now.timezone)?;
    // Sent back: what the city last asked must have been answered since.
    let unanswered = if resubmission {
        let events = history::events(conn, request.id)?;
        match events
            .iter()
            .rposition(|e| e.action == ActionKind::AskDocuments)
        {
            Some(at) => {
                let asked = &events[at];
                let filed_since: Vec<String> = versions
                    .iter()
                    .filter(|v| v.facts.filed_at > asked.at)
                    .map(|v| v.kind_code.clone())
                    .collect();
                let edited_since = events[at..].iter().any(|e| e.action == ActionKind::Edit);
                simpa_domain::request::unanswered(
                    &asked.asked().0,
                    &vault.kinds,
                    &filed_since,
                    edited_since,
                )
            }
            None => vec![],
        }
    } else {
        vec![]
    };
    let documents = vault
        .kinds
        .iter()
        .zip(&vault.statuses)
        .map(|(kind, (_, status))| (kind.clone(), status.clone()))
        .collect();
    let context = SubmissionContext {
        campaign,
        now: now.at,
        today,
        applicant: ApplicantFacts {
            district: association.district,
            sectors: association.profile.sectors.clone(),
            creation_date: association.profile.creation_date,
            overdue_final_reports,
        },
        profile: vault.profile,
        documents,
        required_kinds: required_kinds(campaign, &vault.kinds),
        resubmission,
        unanswered,
    };
    check_submission(&request.content, &context)?;
    let snapshot = documents_snapshot(&vault.statuses);
    // In the kinds' order, as the request shows them.
    let attached = snapshot
        .iter()
        .filter_map(|(_, id)| versions.iter().find(|v| v.facts.id == *id).cloned())
        .collect();
    Ok(Ready {
        snapshot,
        attached,
        association: association.profile.name,
        kinds: vault.kinds,
    })
}

/// Everything that keeps `request` from being submitted (or sent back) now by whoever
/// `signed` is, each naming its field, as submitting would list them: the check page shows
/// them before the association submits. Empty when nothing does.
pub fn what_is_missing(
    conn: &mut DbConnection,
    signed: &Signed,
    request: &StoredRequest,
    now: CityNow,
) -> StoreResult<Vec<FieldError>> {
    let mut missing = Vec::new();
    if let Err(DomainError::Conflict { message, .. }) = check_verified(signed) {
        missing.push(Violation::new("account.email_unverified", message).at("account.email"));
    }
    let campaign = campaigns::get(conn, request.campaign)?
        .ok_or(DomainError::NotFound { what: "campaign" })?;
    let resubmission = request.facts.state == RequestState::Incomplete;
    match check_ready_to_submit(conn, request, &campaign, resubmission, now) {
        Ok(_) => {}
        Err(StoreError::Domain(DomainError::Unmet { errors, .. })) => missing.extend(errors),
        Err(other) => return Err(other),
    }
    Ok(missing)
}

/// A person submits (or sends back) a request once they proved their e-mail address: the
/// city must be able to reach whoever files in an association's name.
fn check_verified(signed: &Signed) -> Result<(), DomainError> {
    if signed.verified {
        Ok(())
    } else {
        Err(email_unverified())
    }
}

/// What a person who did not prove their e-mail address yet is told.
pub fn email_unverified() -> DomainError {
    DomainError::conflict(
        "account.email_unverified",
        None,
        "Confirmez d'abord votre adresse e-mail avec le lien qui vous a été envoyé par e-mail.",
    )
}

/// Who acts, signed with their name (read), for callers that hold only the actor.
pub fn signed(conn: &mut DbConnection, actor: &Actor) -> StoreResult<Signed> {
    let (name, verified) = match actor {
        Actor::Person { id, .. } => accounts::get(conn, *id)?.map_or((None, false), |a| {
            (Some(a.display_name), a.email_verified_at.is_some())
        }),
        Actor::Service { id, .. } => (service_accounts::get(conn, *id)?.map(|s| s.name), true),
        Actor::Anonymous => (None, false),
    };
    Ok(Signed {
        actor: actor.clone(),
        name: name.unwrap_or_else(|| "?".into()),
        verified,
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
