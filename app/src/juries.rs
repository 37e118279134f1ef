//! The jury of a call for projects: loading it as the caller may act on it, whose scores
//! count, the ranking as it stands, and validating it.

use crate::clock::CityNow;
use crate::instruction::{Telling, act_many};
use crate::notify::Notifier;
use crate::requests::signed;
use simpa_domain::DomainError;
use simpa_domain::campaign::Campaign;
use simpa_domain::circuit::Command;
use simpa_domain::ids::{AccountId, AssociationId, CampaignId, RequestId};
use simpa_domain::jury::{Jury, SessionStatus};
use simpa_domain::life::StoredRequest;
use simpa_domain::parties::Party;
use simpa_domain::policy::{self, Action, Actor, JurySeat, Subject};
use simpa_domain::request::RequestState;
use simpa_domain::scoring::{AllocationRules, Candidate, Placed, Sheet, outcome_command};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::juries::{self, Member, Seat};
use simpa_persistence::{DbConnection, StoreResult, campaigns, requests};
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

    pub fn association_of(&self) -> HashMap<RequestId, AssociationId> {
        self.candidates
            .iter()
            .map(|r| (r.id, r.association))
            .collect()
    }

    /// The ranking and allocation as they stand.
    pub fn placed(&self) -> Vec<Placed> {
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
        simpa_domain::scoring::rank_and_allocate(&candidates, &sheets, &HashSet::new(), &self.rules)
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
    let commands: Vec<(StoredRequest, Command)> = placed
        .iter()
        .filter_map(|p| {
            let request = standing.candidates.iter().find(|r| r.id == p.request)?;
            Some((request.clone(), outcome_command(p, &standing.rules)))
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
