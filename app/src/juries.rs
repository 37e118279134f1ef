//! The jury of a call for projects: the bureau sets its rules and members; the chair (or the
//! bureau) seats jurors on requests, closes the session and validates the ranking. Loading it
//! as the caller may act on it, whose scores count, what a juror may not see, and the ranking
//! as it stands. A juror's own work on a request is in `jury_sheets`.

use crate::access::require;
use crate::clock::CityNow;
use crate::instruction::signed;
use crate::instruction::{Telling, act_many, act_on};
use crate::notify::{self, Notifier};
use chrono::{DateTime, Utc};
use simpa_domain::association::check_version;
use simpa_domain::campaign::{Campaign, CircuitKind};
use simpa_domain::circuit::{Command, Declaration};
use simpa_domain::ids::{AccountId, AssociationId, CampaignId, RequestId};
use simpa_domain::jury::{Jury, JuryInput, SessionStatus, ToCover, assign};
use simpa_domain::life::StoredRequest;
use simpa_domain::parties::Party;
use simpa_domain::policy::{self, Action, Actor, JurySeat, Subject};
use simpa_domain::request::RequestState;
use simpa_domain::roles::StaffRole;
use simpa_domain::scoring::{AllocationRules, Candidate, Placed, Sheet, outcome_command};
use simpa_domain::{DomainError, Violation, existed};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::juries::{self, Member, Seat};
use simpa_persistence::{DbConnection, StoreResult, accounts, campaigns, requests};
use std::collections::{HashMap, HashSet};

/// Whose scores count, request by request: jurors still on the jury, neither recused nor
/// members of the applicant. The one place this rule lives.
pub struct Counting {
    active: HashSet<AccountId>,
    members_of: HashSet<(AccountId, AssociationId)>,
}

impl Counting {
    pub fn load(
        conn: &mut DbConnection,
        members: &[Member],
        associations: &[AssociationId],
    ) -> StoreResult<Counting> {
        let active: Vec<AccountId> = members
            .iter()
            .filter(|m| m.withdrawn_at.is_none())
            .map(|m| m.account)
            .collect();
        Ok(Counting {
            members_of: juries::memberships_among(conn, &active, associations)?
                .into_iter()
                .collect(),
            active: active.into_iter().collect(),
        })
    }

    /// Whether the seat's juror may not sit on (or be counted for) a request of `association`.
    pub fn excluded(&self, seat: &Seat, association: AssociationId) -> bool {
        seat.recused()
            || !self.active.contains(&seat.juror)
            || self.members_of.contains(&(seat.juror, association))
    }

    pub fn member_of(&self, juror: AccountId, association: AssociationId) -> bool {
        self.members_of.contains(&(juror, association))
    }
}

/// A sheet handed in and counted, with its weighted score.
pub fn counted_sheet(
    counting: &Counting,
    seat: &Seat,
    association: AssociationId,
) -> Option<Sheet> {
    if counting.excluded(seat, association) || seat.handed_in_at.is_none() {
        return None;
    }
    Some(Sheet {
        request: seat.request,
        juror: seat.juror,
        score: seat.score?,
    })
}

/// A jury and the caller, once the policy allows what `action` asks given the caller's seat.
pub struct JuryAt {
    pub actor: Actor,
    pub campaign: Campaign,
    pub jury: Jury,
    pub seat: Option<JurySeat>,
}

/// How a use case holds the jury's row while it runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Read,
    /// Closing, validating, changing the rules or seats.
    Exclusive,
}

#[tracing::instrument(name = "juries::load_jury", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn load_jury(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    hold: Hold,
    action: impl FnOnce(Option<JurySeat>) -> Action,
) -> StoreResult<JuryAt> {
    let actor = load_actor(conn, subject)?;
    let seat = match &actor {
        Actor::Person { id: account, .. } => juries::seat_of(conn, id, *account)?,
        _ => None,
    };
    policy::authorize(&actor, action(seat))?;
    // What changes the jury's work relies on the campaign's envelope: it holds meanwhile.
    let campaign = match hold {
        Hold::Read => campaigns::get(conn, id)?,
        Hold::Exclusive => campaigns::get_shared(conn, id)?,
    }
    .ok_or(DomainError::NotFound { what: "campaign" })?;
    let jury = match hold {
        Hold::Read => juries::get(conn, id)?,
        Hold::Exclusive => juries::get_locked(conn, id)?,
    }
    .ok_or(DomainError::NotFound { what: "jury" })?;
    Ok(JuryAt {
        actor,
        campaign,
        jury,
        seat,
    })
}

/// The requests a jury ranks: admitted to the call, not withdrawn, not yet decided.
pub fn candidates(
    conn: &mut DbConnection,
    campaign: CampaignId,
) -> StoreResult<Vec<StoredRequest>> {
    requests::of_campaign(
        conn,
        campaign,
        &[RequestState::InInstruction, RequestState::Instructed],
    )
}

/// Everything the ranking of a jury is computed from.
pub struct Standing {
    pub candidates: Vec<StoredRequest>,
    pub seats: Vec<Seat>,
    pub members: Vec<Member>,
    pub counting: Counting,
    pub rules: AllocationRules,
}

impl Standing {
    /// `with_marks`: the points and comments of each sheet, which the ranking itself does
    /// not read.
    pub fn load(
        conn: &mut DbConnection,
        campaign: &Campaign,
        jury: &Jury,
        with_marks: bool,
    ) -> StoreResult<Standing> {
        let candidates = candidates(conn, campaign.id)?;
        let seats = juries::seats(conn, campaign.id, with_marks)?;
        let members = juries::members(conn, campaign.id)?;
        let associations: Vec<AssociationId> = candidates.iter().map(|r| r.association).collect();
        let counting = Counting::load(conn, &members, &associations)?;
        Ok(Standing {
            candidates,
            seats,
            members,
            counting,
            rules: jury
                .settings
                .allocation_rules(campaign.settings.envelope_cents),
        })
    }

    /// The requests whose jury work the caller may not see (see [`out_of_sight`]).
    pub fn out_of_sight(&self, at: &JuryAt) -> HashSet<RequestId> {
        out_of_sight(at, &self.candidates, &self.seats, &self.counting)
    }

    pub fn association_of(&self) -> HashMap<RequestId, AssociationId> {
        self.candidates
            .iter()
            .map(|r| (r.id, r.association))
            .collect()
    }

    /// The ranking and allocation as they stand.
    pub fn placed(&self) -> Vec<Placed> {
        self.placed_under(&self.rules)
    }

    /// The ranking and allocation the same sheets give under `rules` (normalised or not).
    pub fn placed_under(&self, rules: &AllocationRules) -> Vec<Placed> {
        let association_of = self.association_of();
        let sheets: Vec<Sheet> = self
            .seats
            .iter()
            .filter_map(|seat| {
                let association = association_of.get(&seat.request)?;
                counted_sheet(&self.counting, seat, *association)
            })
            .collect();
        let candidates: Vec<Candidate> = self
            .candidates
            .iter()
            .map(StoredRequest::candidate)
            .collect();
        // Sheets are already filtered: nothing more is excluded.
        simpa_domain::scoring::rank_and_allocate(&candidates, &sheets, &HashSet::new(), rules)
    }
}

/// What validating a ranking did.
pub struct Validated {
    /// Requests ranked with an amount, and left out.
    pub ranked: usize,
    pub rejected: usize,
    pub envelope_cents: i64,
    pub allocated_cents: i64,
}

/// Validates the ranking of a closed session, in one transaction: the envelope is shared out
/// top-down and each request moves to `ranked` with the amount the jury proposes, or to
/// `rejected` with the reason; every association is told. The chair or the bureau.
#[tracing::instrument(name = "juries::validate_ranking", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn validate_ranking(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<Validated> {
    let at = load_jury(conn, subject, id, Hold::Exclusive, |seat| {
        Action::ChairJury { seat }
    })?;
    let undecided = [
        RequestState::Submitted,
        RequestState::Incomplete,
        RequestState::InInstruction,
    ];
    let moved = [undecided.as_slice(), &[RequestState::Instructed]].concat();
    requests::lock_of_campaign(conn, id, &moved)?;
    let pending: Vec<String> = requests::of_campaign(conn, id, &undecided)?
        .iter()
        .map(|r| r.number.map_or_else(|| r.id.to_string(), |n| n.to_string()))
        .collect();
    at.jury
        .check_validate(at.campaign.settings.envelope_cents, &pending)?;
    let standing = Standing::load(conn, &at.campaign, &at.jury, false)?;
    let placed = standing.placed();
    let Standing {
        candidates, rules, ..
    } = standing;
    let mut candidates: HashMap<RequestId, StoredRequest> =
        candidates.into_iter().map(|r| (r.id, r)).collect();
    let commands: Vec<(StoredRequest, Command)> = placed
        .iter()
        .filter_map(|p| {
            let request = candidates.remove(&p.request)?;
            Some((request, outcome_command(p, &rules)))
        })
        .collect();
    juries::insert_results(conn, id, &placed)?;
    juries::set_status(conn, id, SessionStatus::Validated, now.at)?;
    let signer = signed(conn, &at.actor)?;
    act_many(
        conn,
        &signer,
        commands,
        |_| vec![Party::Jury],
        now,
        Telling::Everyone(notifier),
    )?;
    let allocated_cents = simpa_domain::money::total(placed.iter().map(|p| p.funded_cents));
    let ranked = placed.iter().filter(|p| p.allotment.is_funded()).count();
    Ok(Validated {
        ranked,
        rejected: placed.len() - ranked,
        envelope_cents: standing.rules.envelope_cents,
        allocated_cents,
    })
}

/// The campaign, if it is a call for projects, its row locked while its jury is set up.
fn call_for_projects(conn: &mut DbConnection, id: CampaignId) -> StoreResult<Campaign> {
    let campaign =
        campaigns::get_locked(conn, id)?.ok_or(DomainError::NotFound { what: "campaign" })?;
    if campaign.settings.circuit != CircuitKind::CallForProjects {
        return Err(DomainError::conflict(
            "jury.not_a_call_for_projects",
            None,
            format!(
                "La campagne « {} » n'est pas un appel à projets : elle n'a pas de jury.",
                campaign.settings.title
            ),
        )
        .into());
    }
    Ok(campaign)
}

/// Sets up the jury of a call for projects: its grid and rules (members are added next). The
/// bureau only; refused when the campaign is no call for projects or already has its jury.
#[tracing::instrument(name = "juries::create", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn create(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    input: &JuryInput,
    now: DateTime<Utc>,
) -> StoreResult<Campaign> {
    require(conn, subject, Action::ManageJury)?;
    let campaign = call_for_projects(conn, id)?;
    if juries::get(conn, id)?.is_some() {
        return Err(DomainError::conflict(
            "jury.exists",
            None,
            "Cet appel à projets a déjà son jury : modifiez-le (PUT).",
        )
        .into());
    }
    juries::insert(conn, id, &input.parse()?, now)?;
    Ok(campaign)
}

/// Changes a jury's rules, from the version read (`None`: whatever it is). The grid is locked
/// by the first score given, everything by the validation of the ranking. The bureau only.
#[tracing::instrument(name = "juries::update", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn update(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    expected: Option<i64>,
    input: &JuryInput,
    now: DateTime<Utc>,
) -> StoreResult<Campaign> {
    require(conn, subject, Action::ManageJury)?;
    let campaign = call_for_projects(conn, id)?;
    let current = juries::get_locked(conn, id)?.ok_or(DomainError::NotFound { what: "jury" })?;
    let expected = expected.unwrap_or(current.version);
    check_version(current.version, expected)?;
    let settings = input.parse()?;
    current.check_edit(&settings, juries::scored(conn, id)?)?;
    juries::update(conn, id, &settings, expected, now)?;
    Ok(campaign)
}

/// A jury as the caller may read it: the bureau and the jury's own jurors.
#[tracing::instrument(name = "juries::read", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
) -> StoreResult<JuryAt> {
    load_jury(conn, subject, id, Hold::Read, |seat| Action::ReadJury {
        seat,
    })
}

/// Adds a juror to the jury (or takes back one who withdrew), as its chair or not; the bureau
/// only, while the session is open. The person must hold the juror's role.
#[tracing::instrument(name = "juries::add_juror", skip_all, fields(actor = Subject::kind(subject), campaign = %id, juror = %account))]
pub fn add_juror(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    account: AccountId,
    chair: bool,
    now: DateTime<Utc>,
) -> StoreResult<JuryAt> {
    let at = load_jury(conn, subject, id, Hold::Exclusive, |_| Action::ManageJury)?;
    at.jury.check_open()?;
    let is_juror = accounts::get(conn, account)?.is_some_and(|a| a.active)
        && accounts::staff_grants(conn, account)?
            .iter()
            .any(|g| g.role == StaffRole::Juror);
    if !is_juror {
        return Err(DomainError::invalid(
            "account_id",
            Violation::new(
                "jury.not_a_juror",
                "Cette personne n'a pas le rôle de juré·e : un administrateur le lui donne d'abord, dans ses rôles.",
            ),
        )
        .into());
    }
    juries::add_member(conn, id, account, chair, now)?;
    Ok(at)
}

/// What the bureau sets a call's jury up from: the call, its jury and members once it has
/// one, and who may sit on it (the active holders of the juror's role, by name).
pub struct Setup {
    pub campaign: Campaign,
    pub jury: Option<(Jury, Vec<Member>)>,
    pub candidates: Vec<simpa_persistence::follow_up::Agent>,
}

/// A call's jury as the bureau sets it up; only a call for projects has one (not found
/// otherwise).
#[tracing::instrument(name = "juries::setup", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn setup(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
) -> StoreResult<Setup> {
    require(conn, subject, Action::ManageJury)?;
    let campaign = campaigns::get(conn, id)?
        .filter(|c| c.settings.circuit == CircuitKind::CallForProjects)
        .ok_or(DomainError::NotFound { what: "jury" })?;
    let jury = match juries::get(conn, id)? {
        Some(jury) => Some((jury, juries::members(conn, id)?)),
        None => None,
    };
    let candidates =
        simpa_persistence::follow_up::holders_of(conn, simpa_domain::roles::StaffRoleKind::Juror)?;
    Ok(Setup {
        campaign,
        jury,
        candidates,
    })
}

/// A juror withdraws: their seats go to the least-loaded others (when the jury seats a number
/// of jurors per request), and their scores no longer count. The bureau only, while open.
#[tracing::instrument(name = "juries::withdraw_juror", skip_all, fields(actor = Subject::kind(subject), campaign = %id, juror = %account))]
pub fn withdraw_juror(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    account: AccountId,
    city: CityNow,
    notifier: &Notifier,
) -> StoreResult<JuryAt> {
    let at = load_jury(conn, subject, id, Hold::Exclusive, |_| Action::ManageJury)?;
    at.jury.check_open()?;
    existed(juries::withdraw(conn, id, account, city.at)?, "juror")?;
    seat_jurors_on(conn, &at, city, notifier)?;
    Ok(at)
}

/// Seats jurors on every request without its count of jurors; run again after new requests
/// are admitted. The chair or the bureau, while the session is open.
#[tracing::instrument(name = "juries::seat_jurors", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn seat_jurors(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    city: CityNow,
    notifier: &Notifier,
) -> StoreResult<JuryAt> {
    let at = load_jury(conn, subject, id, Hold::Exclusive, |seat| {
        Action::ChairJury { seat }
    })?;
    at.jury.check_open()?;
    seat_jurors_on(conn, &at, city, notifier)?;
    Ok(at)
}

/// Seats jurors on every request without its count of jurors: the least-loaded first, never
/// a member of the applicant (recorded as recused by Simpa, in the request's history).
fn seat_jurors_on(
    conn: &mut DbConnection,
    at: &JuryAt,
    city: CityNow,
    notifier: &Notifier,
) -> StoreResult<()> {
    let now = city.at;
    let Standing {
        candidates,
        seats,
        members,
        counting,
        ..
    } = Standing::load(conn, &at.campaign, &at.jury, false)?;
    let jurors: Vec<AccountId> = members
        .iter()
        .filter(|m| m.withdrawn_at.is_none())
        .map(|m| m.account)
        .collect();
    let mut by_request: HashMap<RequestId, Vec<&Seat>> = HashMap::new();
    for seat in &seats {
        by_request.entry(seat.request).or_default().push(seat);
    }
    let mut recusals: Vec<Seat> = Vec::new();
    let to_cover: Vec<ToCover> = candidates
        .iter()
        .map(|r| {
            let mine = by_request.remove(&r.id).unwrap_or_default();
            let mut excluded: Vec<AccountId> = mine
                .iter()
                .filter(|s| counting.excluded(s, r.association))
                .map(|s| s.juror)
                .collect();
            for juror in &jurors {
                if counting.member_of(*juror, r.association) && !excluded.contains(juror) {
                    excluded.push(*juror);
                }
                let seated = mine.iter().any(|s| s.juror == *juror);
                if counting.member_of(*juror, r.association) && !seated {
                    recusals.push(Seat::recused_as_member(r.id, *juror, now));
                }
            }
            ToCover {
                request: r.id,
                seated: mine
                    .iter()
                    .filter(|s| !counting.excluded(s, r.association))
                    .map(|s| s.juror)
                    .collect(),
                excluded,
            }
        })
        .collect();
    let new_seats: Vec<Seat> = assign(&to_cover, &jurors, at.jury.settings.jurors_per_request)
        .into_iter()
        .map(|(request, juror)| Seat::empty(request, juror, now))
        .collect();
    juries::insert_seats(conn, at.campaign.id, &new_seats)?;
    juries::insert_seats(conn, at.campaign.id, &recusals)?;
    let seated: Vec<(AccountId, RequestId)> =
        new_seats.iter().map(|s| (s.juror, s.request)).collect();
    notify::tell_jurors_seated(conn, notifier, &at.campaign, &seated, &members, now)?;
    // Each recusal by Simpa is in the request's history (internal).
    let names: HashMap<AccountId, String> = members
        .iter()
        .map(|m| (m.account, m.name.clone()))
        .collect();
    for recusal in &recusals {
        let Some(request) = candidates.iter().find(|r| r.id == recusal.request) else {
            continue;
        };
        let command = Command::DeclareInterests {
            juror: names.get(&recusal.juror).cloned().unwrap_or_default(),
            declaration: Declaration::Conflict,
            reason: recusal.conflict_reason.clone(),
            automatic: true,
        };
        let signer = signed(conn, &at.actor)?;
        act_on(
            conn,
            &signer,
            request.id,
            &[Party::Jury],
            command,
            city,
            Telling::NoOne,
        )?;
    }
    Ok(())
}

/// Seats one more juror on a request (after a recusal, to keep it covered). The chair or the
/// bureau, while the session is open; never a member of the applicant nor a juror recused.
#[tracing::instrument(name = "juries::seat_juror", skip_all, fields(actor = Subject::kind(subject), campaign = %id, request = %request, juror = %juror))]
pub fn seat_juror(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    request: RequestId,
    juror: AccountId,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<JuryAt> {
    let at = load_jury(conn, subject, id, Hold::Exclusive, |seat| {
        Action::ChairJury { seat }
    })?;
    at.jury.check_open()?;
    let candidate = candidates(conn, id)?
        .into_iter()
        .find(|r| r.id == request)
        .ok_or(DomainError::NotFound { what: "request" })?;
    let members = juries::members(conn, id)?;
    if !members
        .iter()
        .any(|m| m.account == juror && m.withdrawn_at.is_none())
    {
        return Err(DomainError::NotFound { what: "juror" }.into());
    }
    let counting = Counting::load(conn, &members, &[candidate.association])?;
    let seats = juries::seats_of_request(conn, request)?;
    let candidates = [candidate];
    if !out_of_sight(&at, &candidates, &seats, &counting).is_empty() {
        return Err(DomainError::NotFound { what: "request" }.into());
    }
    let [candidate] = candidates;
    if counting.member_of(juror, candidate.association) {
        return Err(DomainError::conflict(
            "jury.member_of_applicant",
            None,
            "Ce juré·e est membre de l'association qui dépose la demande : il ou elle ne peut pas la noter.",
        )
        .into());
    }
    match juries::seat(conn, request, juror)? {
        Some(seat) if seat.recused() => {
            return Err(DomainError::conflict(
                "jury.recused",
                None,
                "Ce juré·e s'est récusé·e pour cette demande.",
            )
            .into());
        }
        Some(_) => {}
        None => {
            juries::insert_seats(conn, id, &[Seat::empty(request, juror, now)])?;
            let seated = [(juror, request)];
            notify::tell_jurors_seated(conn, notifier, &at.campaign, &seated, &members, now)?;
        }
    }
    Ok(at)
}

/// Closes the session: sheets not handed in no longer count, and scores are locked. The chair
/// or the bureau.
#[tracing::instrument(name = "juries::close", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn close(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
    now: DateTime<Utc>,
) -> StoreResult<JuryAt> {
    let at = load_jury(conn, subject, id, Hold::Exclusive, |seat| {
        Action::ChairJury { seat }
    })?;
    at.jury.check_close()?;
    juries::set_status(conn, id, SessionStatus::Closed, now)?;
    Ok(at)
}

/// The jury, for whom may read its minutes: the bureau, and its jurors once the session is
/// closed (the chair at any time).
#[tracing::instrument(name = "juries::minutes_reader", skip_all, fields(actor = Subject::kind(subject), campaign = %id))]
pub fn read_minutes(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: CampaignId,
) -> StoreResult<JuryAt> {
    let at = read(conn, subject, id)?;
    policy::authorize(
        &at.actor,
        Action::ReadMinutes {
            seat: at.seat,
            session_open: at.jury.status == SessionStatus::Open,
        },
    )?;
    Ok(at)
}

/// A jury as its list shows it: its call, its session, whether the caller chairs it.
pub struct JuryListed {
    pub campaign: Campaign,
    pub jury: Jury,
    pub chair: bool,
}

/// The juries the caller works on: every one for the bureau, those they sit on for a juror
/// (none for anyone else), the latest call first.
#[tracing::instrument(name = "juries::of_caller", skip_all, fields(actor = Subject::kind(subject)))]
pub fn of_caller(
    conn: &mut DbConnection,
    subject: Option<Subject>,
) -> StoreResult<Vec<JuryListed>> {
    let actor = load_actor(conn, subject)?;
    let seated = match &actor {
        Actor::Person { id, .. } => juries::seated_on(conn, *id)?,
        _ => vec![],
    };
    let all = policy::decide(&actor, Action::ManageJury).is_ok();
    let ids: Vec<CampaignId> = if all {
        juries::all_campaigns(conn)?
    } else {
        seated.iter().map(|(c, _)| *c).collect()
    };
    let mut listed = Vec::new();
    for campaign in campaigns::get_many(conn, &ids)? {
        if let Some(jury) = juries::get(conn, campaign.id)? {
            let chair = seated.iter().any(|(c, chair)| *c == campaign.id && *chair);
            listed.push(JuryListed {
                campaign,
                jury,
                chair,
            });
        }
    }
    listed.sort_by(|a, b| {
        b.campaign
            .settings
            .opens_at
            .cmp(&a.campaign.settings.opens_at)
    });
    Ok(listed)
}

/// Whether the caller sees the whole jury's work (the bureau, the chair) or their own seats.
pub fn sees_everything(at: &JuryAt) -> bool {
    at.seat.is_some_and(|s| s.chair) || policy::decide(&at.actor, Action::ManageJury).is_ok()
}

/// The requests whose jury work the caller may not see: for a juror (the chair included),
/// those they are recused from or whose applicant they belong to. The bureau sees them all.
pub fn out_of_sight(
    at: &JuryAt,
    candidates: &[StoredRequest],
    seats: &[Seat],
    counting: &Counting,
) -> HashSet<RequestId> {
    let Actor::Person { id, .. } = at.actor else {
        return HashSet::new();
    };
    if policy::decide(&at.actor, Action::ManageJury).is_ok() {
        return HashSet::new();
    }
    let mut hidden: HashSet<RequestId> = seats
        .iter()
        .filter(|s| s.juror == id && s.recused())
        .map(|s| s.request)
        .collect();
    hidden.extend(
        candidates
            .iter()
            .filter(|r| counting.member_of(id, r.association))
            .map(|r| r.id),
    );
    hidden
}

/// The juror whose own seats are all the caller sees; `None` for whom sees everything.
pub fn own_account(at: &JuryAt) -> Option<AccountId> {
    match at.actor {
        Actor::Person { id, .. } if !sees_everything(at) => Some(id),
        _ => None,
    }
}
