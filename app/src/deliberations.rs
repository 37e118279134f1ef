//! Deliberations: the bureau (or a district's town hall, for its council) prepares a
//! council's agenda, puts requests on it and takes them off, and records the vote, which
//! decides every line in one transaction and opens the grants.

use crate::access::{person, require};
use crate::clock::CityNow;
use crate::instruction::signed;
use crate::instruction::{Telling, act, act_many};
use crate::notify::Notifier;
use crate::requests::{Summary, summaries};
use chrono::{DateTime, Utc};
use simpa_domain::circuit::Command;
use simpa_domain::council::{Council, CouncilKind, DeliberationReference};
use simpa_domain::deliberation::{self as rules, Amendment, VoteOutcome, decide_vote};
use simpa_domain::ids::CampaignId;
use simpa_domain::ids::{DistrictNumber, RequestId};
use simpa_domain::life::{RequestLine, StoredRequest};
use simpa_domain::money;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::request::RequestState;
use simpa_domain::{Checks, DomainError};
use simpa_persistence::deliberations::{self, Commitment, Deliberation, NewDeliberation};
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::{DbConnection, Keyset, Page, StoreResult, campaigns, requests};
use std::collections::HashMap;
use uuid::Uuid;

/// A deliberation as the bureau writes it, checked here.
pub struct NewDeliberationCommand {
    pub reference: String,
    pub council: CouncilKind,
    pub district_number: Option<i32>,
    pub session_on: chrono::NaiveDate,
    pub title: String,
}

impl NewDeliberationCommand {
    /// Managing the deliberation of the council it names.
    fn manage(&self) -> Action {
        let district = (self.council == CouncilKind::District)
            .then(|| self.district_number.map(DistrictNumber))
            .flatten();
        Action::ManageDeliberations { district }
    }

    /// Its reference, title and council, each checked (every fault named at once).
    fn checked(&self) -> Result<(DeliberationReference, String, Council), DomainError> {
        let mut c = Checks::default();
        let reference = c.check("reference", DeliberationReference::parse(&self.reference));
        let title = c.check("title", rules::parse_title(&self.title));
        let council = Council::new(self.council, self.district_number.map(DistrictNumber))
            .map_err(|e| c.push(e))
            .ok();
        match (reference, title, council) {
            (Some(reference), Some(title), Some(council)) => Ok((reference, title, council)),
            _ => Err(c.into_error()),
        }
    }
}

/// 409 `deliberation.reference_taken` when another deliberation bears `reference`.
fn check_reference_free(
    conn: &mut DbConnection,
    reference: &DeliberationReference,
) -> StoreResult<()> {
    if deliberations::reference_taken(conn, reference)? {
        return Err(DomainError::conflict(
            "deliberation.reference_taken",
            Some("reference"),
            format!("Une délibération porte déjà la référence {reference}."),
        )
        .into());
    }
    Ok(())
}

/// Creates a deliberation for a council's session; returns its id. 409 when its reference is
/// taken.
#[tracing::instrument(name = "deliberations::create", skip_all, fields(actor = Subject::kind(subject)))]
pub fn create(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    command: NewDeliberationCommand,
    now: CityNow,
) -> StoreResult<Uuid> {
    let actor = require(conn, subject, command.manage())?;
    let (reference, title, council) = command.checked()?;
    check_reference_free(conn, &reference)?;
    let id = Uuid::now_v7();
    deliberations::insert(
        conn,
        &NewDeliberation {
            id,
            reference: &reference,
            council,
            session_on: command.session_on,
            title: &title,
            created_by: person(&actor)?,
        },
        now.at,
    )?;
    Ok(id)
}

/// The deliberations the caller manages, the latest session first, a page at a time: every
/// council's for the bureau, its district council's for a town hall; with `district`, that
/// district council's only.
#[tracing::instrument(name = "deliberations::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    district: Option<DistrictNumber>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Deliberation>> {
    let actor = require(conn, subject, Action::PrepareDeliberations)?;
    let councils = match district {
        Some(district) => {
            policy::authorize(
                &actor,
                Action::ManageDeliberations {
                    district: Some(district),
                },
            )?;
            Some(vec![district])
        }
        None => managed_councils(&actor),
    };
    deliberations::page(conn, councils.as_deref(), after, limit)
}

/// The district councils whose deliberations `actor` manages; none: every council's (the
/// bureau).
fn managed_councils(actor: &Actor) -> Option<Vec<DistrictNumber>> {
    let work = policy::work_scope(actor);
    (!work.bureau).then_some(work.districts)
}

/// The deliberations the caller manages, the latest session first (the portal's list, the
/// latest thousand).
#[tracing::instrument(name = "deliberations::managed_list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn managed_list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
) -> StoreResult<(Actor, Vec<Deliberation>)> {
    let actor = require(conn, subject, Action::PrepareDeliberations)?;
    let councils = managed_councils(&actor);
    let managed = deliberations::page(conn, councils.as_deref(), None, 1000)?.items;
    Ok((actor, managed))
}

fn manage(d: &Deliberation) -> Action {
    Action::ManageDeliberations {
        district: d.council.district,
    }
}

/// A line of the agenda: the request as lists show it, the amount proposed, and once voted
/// the amount granted (0 refused).
pub struct AgendaLine {
    pub summary: Summary,
    pub proposed_cents: i64,
    pub voted_cents: Option<i64>,
}

/// A campaign's money beside a deliberation: its envelope, what is voted and what is on the
/// agenda of deliberations not yet voted, this one's part of it.
pub struct Budget {
    pub campaign_title: String,
    pub envelope_cents: Option<i64>,
    pub committed: Commitment,
    pub here_cents: i64,
}

/// A deliberation as the bureau prepares it: its lines, the budgets they draw on, and while
/// it is not voted the requests that could go on it.
pub struct Agenda {
    pub deliberation: Deliberation,
    pub lines: Vec<AgendaLine>,
    pub budgets: Vec<Budget>,
    pub candidates: Vec<Summary>,
}

/// How many requests the agenda offers to add at once.
pub const CANDIDATES: usize = 200;

/// The deliberation's agenda, if the caller manages it.
#[tracing::instrument(name = "deliberations::agenda", skip_all, fields(actor = Subject::kind(subject), deliberation = %id))]
pub fn agenda(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Agenda> {
    let (actor, d) = managed(conn, subject, id, false)?;
    let lines = deliberations::lines(conn, id)?;
    let keys: Vec<String> = lines.iter().map(|l| l.request.to_string()).collect();
    let listed = requests::lines(conn, &keys)?;
    let summaries = summaries(conn, &actor, listed, now)?;
    let lines: Vec<AgendaLine> = summaries
        .into_iter()
        .filter_map(|summary| {
            let line = lines.iter().find(|l| l.request == summary.request.id)?;
            Some(AgendaLine {
                proposed_cents: line.proposed_cents,
                voted_cents: line.voted_cents,
                summary,
            })
        })
        .collect();
    let budgets = budgets(conn, &lines)?;
    let candidates = if d.vote.is_none() {
        candidates(conn, &actor, &d, now)?
    } else {
        vec![]
    };
    Ok(Agenda {
        deliberation: d,
        lines,
        budgets,
        candidates,
    })
}

/// The campaigns the lines draw on, each with its envelope and what is committed on it.
fn budgets(conn: &mut DbConnection, lines: &[AgendaLine]) -> StoreResult<Vec<Budget>> {
    let mut ids: Vec<CampaignId> = lines.iter().map(|l| l.summary.request.campaign).collect();
    ids.sort_unstable_by_key(ToString::to_string);
    ids.dedup();
    let committed = deliberations::commitments(conn, &ids)?;
    Ok(campaigns::get_many(conn, &ids)?
        .into_iter()
        .map(|c| Budget {
            here_cents: money::total(
                lines
                    .iter()
                    .filter(|l| l.summary.request.campaign == c.id)
                    .map(|l| l.proposed_cents),
            ),
            committed: committed.get(&c.id).copied().unwrap_or_default(),
            campaign_title: c.settings.title,
            envelope_cents: c.settings.envelope_cents,
        })
        .collect())
}

/// The requests that could go on the deliberation: instructed (or ranked) in the caller's
/// scope, of a circuit its council decides, the first [`CANDIDATES`] by number.
fn candidates(
    conn: &mut DbConnection,
    actor: &Actor,
    d: &Deliberation,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Summary>> {
    let filter = RequestFilter {
        states: vec![RequestState::Instructed, RequestState::Ranked],
        ..RequestFilter::default()
    };
    let page: Page<RequestLine> = requests::list(
        conn,
        &policy::request_scope(actor),
        &filter,
        None,
        CANDIDATES,
    )?;
    let admitted = page
        .items
        .into_iter()
        .filter(|r| d.council.admits(r.circuit, r.access.local_district).is_ok())
        .collect();
    summaries(conn, actor, admitted, now)
}

/// The deliberation, if the caller manages its council's (the bureau, or the district's town
/// hall for a district council).
#[tracing::instrument(name = "deliberations::read", skip_all, fields(actor = Subject::kind(subject), deliberation = %id))]
pub fn read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
) -> StoreResult<Deliberation> {
    managed(conn, subject, id, false).map(|(_, d)| d)
}

/// The deliberation, if the caller manages it; locked when `lock` (its agenda and vote take
/// turns).
fn managed(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    lock: bool,
) -> StoreResult<(Actor, Deliberation)> {
    // Who may not reach deliberations at all learns nothing of this one.
    let actor = require(conn, subject, Action::PrepareDeliberations)?;
    let d = if lock {
        deliberations::get_locked(conn, id)?
    } else {
        deliberations::get(conn, id)?
    }
    .ok_or(DomainError::NotFound {
        what: "deliberation",
    })?;
    policy::authorize(&actor, manage(&d))?;
    Ok((actor, d))
}

/// The deliberation, managed by the caller and not yet voted (409 `deliberation.voted`).
fn managed_draft(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
) -> StoreResult<(Actor, Deliberation)> {
    let (actor, d) = managed(conn, subject, id, true)?;
    if d.vote.is_some() {
        return Err(DomainError::conflict(
            "deliberation.voted",
            None,
            format!(
                "La délibération {} a déjà été votée : elle ne change plus.",
                d.reference
            ),
        )
        .into());
    }
    Ok((actor, d))
}

/// Puts a submitted request, instructed (or ranked), on the agenda with the amount proposed
/// (by default what instruction or the jury proposed): it becomes `scheduled`.
#[tracing::instrument(name = "deliberations::schedule", skip_all, fields(actor = Subject::kind(subject), deliberation = %id, request = %request))]
pub fn schedule(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    request: RequestId,
    proposed_cents: Option<i64>,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<()> {
    let (actor, d) = managed_draft(conn, subject, id)?;
    let stored = requests::get_locked(conn, request)?
        .filter(|r| r.submitted_at.is_some())
        .ok_or(DomainError::NotFound { what: "request" })?;
    policy::authorize(&actor, Action::ReadRequest(stored.access()))?;
    d.council
        .admits(stored.facts.circuit, stored.facts.local_district)?;
    if let Some(other) = deliberations::of_request(conn, request)? {
        return Err(DomainError::conflict(
            "deliberation.already_scheduled",
            Some("request_id"),
            format!("Cette demande figure déjà dans une délibération ({other})."),
        )
        .into());
    }
    let proposed_cents = proposed_cents.or(stored.facts.proposed_cents).unwrap_or(0);
    let command = Command::Schedule {
        deliberation: d.reference.clone(),
        council: d.council,
        session_on: d.session_on,
        proposed_cents,
    };
    act_on_agenda(conn, &actor, stored, command, now, notifier)?;
    deliberations::add_lines(conn, id, &[(request, proposed_cents)], now.at)
}

/// Corrects a deliberation not yet voted, at the version read (`expected`; none: whichever is
/// stored): its reference, council, session and title, so that a reference typed wrong is not
/// lost. While requests are on its agenda, only its title changes: they were told the
/// reference, the council and the day (409 `deliberation.agenda_not_empty`).
#[tracing::instrument(name = "deliberations::update", skip_all, fields(actor = Subject::kind(subject), deliberation = %id))]
pub fn update(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    expected: Option<i64>,
    command: NewDeliberationCommand,
    now: CityNow,
) -> StoreResult<()> {
    let (actor, d) = managed_draft(conn, subject, id)?;
    simpa_domain::association::check_version(d.version, expected.unwrap_or(d.version))?;
    policy::authorize(&actor, command.manage())?;
    let (reference, title, council) = command.checked()?;
    if reference != d.reference {
        check_reference_free(conn, &reference)?;
    }
    let moved =
        reference != d.reference || council != d.council || command.session_on != d.session_on;
    if moved && !deliberations::lines(conn, id)?.is_empty() {
        return Err(DomainError::conflict(
            "deliberation.agenda_not_empty",
            None,
            "Des demandes figurent à l'ordre du jour : retirez-les avant de changer la référence, le conseil ou la date de séance (les associations en ont été averties).",
        )
        .into());
    }
    let new = NewDeliberation {
        id,
        reference: &reference,
        council,
        session_on: command.session_on,
        title: &title,
        created_by: person(&actor)?,
    };
    deliberations::update(conn, d.version, &new, now.at)
}

/// Deletes a deliberation not yet voted: the requests on its agenda go back to `instructed`
/// (or `ranked`), and its reference is free again.
#[tracing::instrument(name = "deliberations::discard", skip_all, fields(actor = Subject::kind(subject), deliberation = %id))]
pub fn discard(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<()> {
    let (actor, d) = managed_draft(conn, subject, id)?;
    for line in deliberations::lines(conn, id)? {
        take_off(conn, &actor, &d, line.request, now, notifier)?;
    }
    deliberations::delete_draft(conn, id)
}

/// Takes a request off the agenda before the vote: back to `instructed` (or `ranked`); a
/// request withdrawn meanwhile simply leaves the deliberation.
#[tracing::instrument(name = "deliberations::unschedule", skip_all, fields(actor = Subject::kind(subject), deliberation = %id, request = %request))]
pub fn unschedule(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    request: RequestId,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<()> {
    let (actor, d) = managed_draft(conn, subject, id)?;
    take_off(conn, &actor, &d, request, now, notifier)
}

/// Removes a request's line from a draft deliberation, unscheduling it if it still is.
fn take_off(
    conn: &mut DbConnection,
    actor: &Actor,
    d: &Deliberation,
    request: RequestId,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<()> {
    simpa_domain::existed(deliberations::remove_line(conn, d.id, request)?, "line")?;
    let stored =
        requests::get_locked(conn, request)?.ok_or(DomainError::NotFound { what: "request" })?;
    if stored.facts.state == RequestState::Scheduled {
        let command = Command::Unschedule {
            deliberation: d.reference.clone(),
        };
        act_on_agenda(conn, actor, stored, command, now, notifier)?;
    }
    Ok(())
}

/// A council's vote of a whole deliberation.
pub struct Vote {
    pub outcome: VoteOutcome,
    pub voted_on: chrono::NaiveDate,
    pub amendments: Vec<Amendment>,
}

/// Records the council's vote of the whole deliberation, in one transaction: every line's
/// request becomes `granted` (the amount voted) or `rejected`, the grants open, and the
/// associations are told. A line no longer scheduled stops it (409 naming the line), a second
/// vote too (409 `deliberation.voted`), an invalid amendment (422): nothing changes then.
#[tracing::instrument(name = "deliberations::vote", skip_all, fields(actor = Subject::kind(subject), deliberation = %id))]
pub fn vote(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    vote: Vote,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<()> {
    let (actor, d) = managed_draft(conn, subject, id)?;
    let lines = deliberations::lines(conn, id)?;
    let ids: Vec<RequestId> = lines.iter().map(|l| l.request).collect();
    requests::lock_many(conn, &ids)?;
    let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut before: HashMap<RequestId, StoredRequest> = requests::get_many(conn, &keys)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let proposed: HashMap<RequestId, i64> = lines
        .iter()
        .map(|l| (l.request, l.proposed_cents))
        .collect();
    let domain_lines: Vec<rules::Line> = lines
        .iter()
        .filter_map(|l| {
            let r = before.get(&l.request)?;
            Some(rules::Line {
                request: r.id,
                number: r.number.map_or_else(|| r.id.to_string(), |n| n.to_string()),
                state: r.facts.state,
                proposed_cents: l.proposed_cents,
                requested_cents: r.content.requested_cents,
            })
        })
        .collect();
    rules::check_vote_date(vote.voted_on, d.session_on, now.today())?;
    let decisions = decide_vote(&domain_lines, vote.outcome, &vote.amendments)?;
    let mut commands = Vec::with_capacity(decisions.len());
    let mut voted = Vec::with_capacity(decisions.len());
    for (request_id, decision) in &decisions {
        let Some(request) = before.remove(request_id) else {
            continue;
        };
        let (command, cents) = decision.command(&d.reference, d.council, vote.voted_on);
        // Only what the vote changed from the proposal is written line by line.
        if proposed.get(request_id).is_some_and(|p| *p != cents) {
            voted.push((*request_id, cents));
        }
        commands.push((request, command));
    }
    deliberations::record_vote(conn, id, vote.outcome, vote.voted_on, &voted, now.at)?;
    crate::grants::open_after_vote(conn, id, vote.voted_on, now.today(), now.at)?;
    let signer = signed(conn, &actor)?;
    act_many(
        conn,
        &signer,
        commands,
        |request| policy::parties(&actor, request.association),
        now,
        Telling::Everyone(notifier),
    )?;
    Ok(())
}

/// Acts on a request as the one managing a deliberation's agenda: the association hears that
/// its request is put to the vote, and when (nobody is told it was taken off again).
fn act_on_agenda(
    conn: &mut DbConnection,
    actor: &Actor,
    stored: StoredRequest,
    command: Command,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<()> {
    let parties = policy::parties(actor, stored.association);
    let signer = signed(conn, actor)?;
    let telling = Telling::Everyone(notifier);
    act(conn, &signer, stored, &parties, command, now, telling)?;
    Ok(())
}
