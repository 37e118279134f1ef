//! The circuits' state machine. Given a request's facts, an action and who asks, [`decide`]
//! returns the next facts and the event to record, or says in plain French why not.
//!
//! The rules are data ([`RULES`]): which action, from which states, by whom, on which
//! circuits, to which state. A new state or action is a row there and one arm in [`apply`].

use crate::campaign::CircuitKind;
use crate::coded_enum;
use crate::council::{Council, DeliberationReference};
use crate::french::{self, capitalised, long_french_date, score_in_french};
use crate::ids::{DirectionId, DistrictNumber};
use crate::parties::{Instructor, Party};
use crate::request::RequestState;
use crate::text;
use crate::{DomainError, FieldError, Violation};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

coded_enum! {
    /// What can happen to a request. `create` starts every history.
    pub enum ActionKind {
        Create = ("create", "créer le brouillon"),
        Edit = ("edit", "modifier la demande"),
        Submit = ("submit", "déposer la demande"),
        DeclareAdmissible = ("declare_admissible", "déclarer la demande recevable"),
        AskDocuments = ("ask_documents", "demander des pièces ou informations"),
        Resubmit = ("resubmit", "renvoyer la demande complétée"),
        RejectInadmissible = ("reject_inadmissible", "rejeter la demande comme irrecevable"),
        Dispatch = ("dispatch", "confier l'instruction à des directions"),
        GiveOpinion = ("give_opinion", "rendre un avis"),
        OverrideProposal = ("override_proposal", "modifier le montant proposé"),
        Withdraw = ("withdraw", "retirer la demande"),
        /// A juror declares whether they have a conflict of interest with the request.
        DeclareInterests = ("declare_interests", "déclarer ses liens d'intérêts (jury)"),
        /// The jury's validated ranking gives the request a place and an amount.
        Rank = ("rank", "classer la demande (jury)"),
        /// The jury's validated ranking leaves the request out.
        RejectAfterJury = ("reject_after_jury", "écarter la demande (jury)"),
        /// The bureau puts the request on a council's agenda, in a deliberation.
        Schedule = ("schedule", "inscrire la demande dans une délibération"),
        /// The bureau takes it off the agenda before the vote.
        Unschedule = ("unschedule", "retirer la demande de la délibération"),
        /// The council's vote grants a subsidy.
        Grant = ("grant", "accorder la subvention (vote du conseil)"),
        /// The council's vote refuses it.
        RefuseByVote = ("refuse_by_vote", "refuser la subvention (vote du conseil)"),
        /// The association files (or files again) its final report, CERFA 15059.
        FileFinalReport = ("file_final_report", "déposer le compte rendu financier"),
        /// The instructing direction (or the bureau) accepts it: the balance becomes due.
        AcceptFinalReport = ("accept_final_report", "accepter le compte rendu financier"),
        /// Or asks the association to complete or correct it.
        AskReportChanges = ("ask_report_changes", "demander de reprendre le compte rendu financier"),
        /// The project was not carried out, or only in part: money is claimed back.
        OrderRepayment = ("order_repayment", "émettre un ordre de reversement"),
        /// Everything due is paid and the report accepted, or the repayment settled. Simpa
        /// records it itself, for whoever completed the file.
        Close = ("close", "clore le dossier"),
        /// A member of the association writes to the city about the request.
        AssociationMessage = ("association_message", "écrire à la Ville"),
        /// An agent (or a direction's system) writes to the association.
        CityMessage = ("city_message", "écrire à l'association"),
        /// An agent leaves a note for the city's other services, never shown to the
        /// association.
        InternalNote = ("internal_note", "laisser une note interne"),
    }
}

coded_enum! {
    /// A direction's (or town hall's) opinion on a request.
    pub enum OpinionValue {
        Favourable = ("favourable", "Favorable"),
        Reserved = ("reserved", "Réservé"),
        Unfavourable = ("unfavourable", "Défavorable"),
    }
}

coded_enum! {
    /// Why a document or an answer is asked again.
    pub enum AskReason {
        Missing = ("missing", "Manquant"),
        Incorrect = ("incorrect", "Incorrect"),
        Outdated = ("outdated", "Périmé"),
    }
}

coded_enum! {
    /// Whether the association sees an event.
    pub enum Visibility {
        Public = ("public", "Visible par l'association"),
        Internal = ("internal", "Interne à la Ville"),
    }
}

coded_enum! {
    /// What a juror declares about a request before seeing it: what a
    /// jury seat's declaration carries.
    pub enum Declaration {
        NoConflict = ("no_conflict", "Aucun conflit d'intérêts"),
        Conflict = ("conflict", "Conflit d'intérêts : récusé·e"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    pub value: OpinionValue,
    pub proposed_cents: i64,
    /// Meant for the association, with the decision.
    pub public_comment: Option<String>,
    pub internal_comment: Option<String>,
    pub given_at: DateTime<Utc>,
}

/// An instructor of a request and, once given, its opinion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub instructor: Instructor,
    pub lead: bool,
    pub opinion: Option<Opinion>,
}

/// One thing asked of the association: a kind of document, or a field of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    Document(String),
    Field(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedItem {
    pub what: Asked,
    pub reason: AskReason,
}

/// One item as the city writes what it asks: a kind of document or a field of the request,
/// and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedInput {
    pub document_kind: Option<String>,
    pub field: Option<String>,
    pub reason: AskReason,
}

/// The items asked, each a kind of document that exists (`kinds`: their codes) or a field the
/// association can change; every wrong item is named at once.
pub fn check_asked(
    items: Vec<AskedInput>,
    kinds: &[String],
) -> Result<Vec<AskedItem>, DomainError> {
    use crate::request::ASKABLE_FIELDS;
    let mut c = crate::Checks::default();
    let mut asked = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let what = match (item.document_kind, item.field) {
            (Some(kind), None) => {
                let field = format!("items[{i}].document_kind");
                match crate::reference::known_document_kind(kinds, field, &kind) {
                    Ok(()) => Asked::Document(kind),
                    Err(unknown) => {
                        c.push(unknown);
                        continue;
                    }
                }
            }
            (None, Some(field)) if ASKABLE_FIELDS.contains(&field.as_str()) => Asked::Field(field),
            (None, Some(field)) => {
                c.push(
                    Violation::new(
                        "field.unknown",
                        format!(
                            "« {field} » n'est pas un champ de la demande ; champs possibles : {}.",
                            ASKABLE_FIELDS.join(", ")
                        ),
                    )
                    .at(format!("items[{i}].field")),
                );
                continue;
            }
            _ => {
                c.push(
                    Violation::new(
                        "ask.one_subject",
                        "Chaque élément demande soit une pièce, soit une partie de la demande, pas les deux.",
                    )
                    .at(format!("items[{i}]")),
                );
                continue;
            }
        };
        asked.push(AskedItem {
            what,
            reason: item.reason,
        });
    }
    c.finish()?;
    Ok(asked)
}

/// The details of an `ask_documents` event: what is asked, and by when.
fn asked_details(items: &[AskedItem], due_on: NaiveDate) -> serde_json::Value {
    json!({
        "due_on": due_on.to_string(),
        "items": items.iter().map(|i| match &i.what {
            Asked::Document(kind) => json!({"document_kind": kind, "reason": i.reason.code()}),
            Asked::Field(field) => json!({"field": field, "reason": i.reason.code()}),
        }).collect::<Vec<_>>(),
    })
}

/// What an `ask_documents` event asked and by when, read back from its details (as
/// [`asked_details`] wrote them); items not understood are left out.
pub fn asked_in(details: &serde_json::Value) -> (Vec<AskedItem>, Option<NaiveDate>) {
    let items = details["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let what = match (item["document_kind"].as_str(), item["field"].as_str()) {
                        (Some(kind), _) => Asked::Document(kind.to_owned()),
                        (None, Some(field)) => Asked::Field(field.to_owned()),
                        (None, None) => return None,
                    };
                    let reason = AskReason::from_code(item["reason"].as_str()?)?;
                    Some(AskedItem { what, reason })
                })
                .collect()
        })
        .unwrap_or_default();
    let due_on = details["due_on"]
        .as_str()
        .and_then(|d| d.parse::<NaiveDate>().ok());
    (items, due_on)
}

/// What the circuit needs to know of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub state: RequestState,
    /// Where an `incomplete` request goes back to once completed.
    pub resume_state: Option<RequestState>,
    pub circuit: CircuitKind,
    /// For the local circuit: the district whose town hall runs it.
    pub local_district: Option<DistrictNumber>,
    pub instructors: Vec<Assignment>,
    pub requested_cents: i64,
    /// What instruction proposes to grant.
    pub proposed_cents: Option<i64>,
}

impl RequestFacts {
    pub fn new_draft(circuit: CircuitKind, local_district: Option<DistrictNumber>) -> Self {
        RequestFacts {
            state: RequestState::Draft,
            resume_state: None,
            circuit,
            local_district,
            instructors: Vec::new(),
            requested_cents: 0,
            proposed_cents: None,
        }
    }

    /// The lead instructor's opinion, once given.
    pub fn lead_opinion(&self) -> Option<OpinionValue> {
        self.instructors
            .iter()
            .find(|a| a.lead)
            .and_then(|a| a.opinion.as_ref())
            .map(|o| o.value)
    }

    /// Whether the bureau is to name the request's instructors: in instruction on a circuit
    /// it runs, none named yet.
    pub fn awaits_dispatch(&self) -> bool {
        self.state == RequestState::InInstruction
            && self.gatekeeper() == Some(Party::Bureau)
            && self.instructors.is_empty()
    }

    /// Whether this assignment's opinion is awaited now: in instruction, not given yet.
    pub fn awaits_opinion(&self, assignment: &Assignment) -> bool {
        self.state == RequestState::InInstruction && assignment.opinion.is_none()
    }

    /// Instructors whose opinion is still awaited.
    pub fn awaited(&self) -> Vec<Instructor> {
        self.instructors
            .iter()
            .filter(|a| a.opinion.is_none())
            .map(|a| a.instructor)
            .collect()
    }

    /// Who checks the request once submitted: the bureau, or the town hall of a local one.
    pub(crate) fn gatekeeper(&self) -> Option<Party> {
        match self.circuit {
            CircuitKind::Local => self.local_district.map(Party::District),
            CircuitKind::Central | CircuitKind::CallForProjects => Some(Party::Bureau),
        }
    }

    fn leads(&self, party: Party) -> bool {
        self.instructors
            .iter()
            .any(|a| a.lead && a.instructor.is(party))
    }

    fn instructs(&self, party: Party) -> bool {
        self.instructors.iter().any(|a| a.instructor.is(party))
    }
}

/// An action with what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The association changes what the request says (the new content is stored by the
    /// caller; the event records it).
    Edit,
    Submit,
    DeclareAdmissible {
        message: Option<String>,
    },
    AskDocuments {
        items: Vec<AskedItem>,
        message: String,
        due_on: NaiveDate,
    },
    Resubmit {
        message: Option<String>,
    },
    RejectInadmissible {
        reason: String,
    },
    Dispatch {
        lead: DirectionId,
        co: Vec<DirectionId>,
    },
    GiveOpinion {
        value: OpinionValue,
        proposed_cents: i64,
        public_comment: Option<String>,
        internal_comment: Option<String>,
    },
    OverrideProposal {
        proposed_cents: i64,
        reason: String,
    },
    Withdraw {
        reason: Option<String>,
    },
    DeclareInterests {
        juror: String,
        declaration: Declaration,
        reason: Option<String>,
        /// Recused by Simpa (the juror is a member of the applicant), not by themselves.
        automatic: bool,
    },
    Rank {
        rank: u32,
        /// The jury's score out of 100, in hundredths.
        score_hundredths: i64,
        funded_cents: i64,
        partial: bool,
    },
    RejectAfterJury {
        rank: u32,
        score_hundredths: Option<i64>,
        /// Why, in French, for the association.
        reason: String,
    },
    Schedule {
        deliberation: DeliberationReference,
        council: Council,
        session_on: NaiveDate,
        proposed_cents: i64,
    },
    Unschedule {
        deliberation: DeliberationReference,
    },
    Grant {
        deliberation: DeliberationReference,
        council: Council,
        voted_on: NaiveDate,
        voted_cents: i64,
        /// Why the council grants more than the association asked, when it does.
        above_requested: Option<String>,
    },
    RefuseByVote {
        deliberation: DeliberationReference,
        council: Council,
        voted_on: NaiveDate,
    },
    FileFinalReport {
        again: bool,
    },
    AcceptFinalReport {
        /// What the acceptance makes due (the balance), if anything.
        balance_cents: i64,
    },
    AskReportChanges {
        reason: String,
    },
    OrderRepayment {
        cents: i64,
        reason: String,
    },
    Close {
        repaid_cents: i64,
    },
}

impl Command {
    pub fn kind(&self) -> ActionKind {
        match self {
            Command::Edit => ActionKind::Edit,
            Command::Submit => ActionKind::Submit,
            Command::DeclareAdmissible { .. } => ActionKind::DeclareAdmissible,
            Command::AskDocuments { .. } => ActionKind::AskDocuments,
            Command::Resubmit { .. } => ActionKind::Resubmit,
            Command::RejectInadmissible { .. } => ActionKind::RejectInadmissible,
            Command::Dispatch { .. } => ActionKind::Dispatch,
            Command::GiveOpinion { .. } => ActionKind::GiveOpinion,
            Command::OverrideProposal { .. } => ActionKind::OverrideProposal,
            Command::Withdraw { .. } => ActionKind::Withdraw,
            Command::DeclareInterests { .. } => ActionKind::DeclareInterests,
            Command::Rank { .. } => ActionKind::Rank,
            Command::RejectAfterJury { .. } => ActionKind::RejectAfterJury,
            Command::Schedule { .. } => ActionKind::Schedule,
            Command::Unschedule { .. } => ActionKind::Unschedule,
            Command::Grant { .. } => ActionKind::Grant,
            Command::RefuseByVote { .. } => ActionKind::RefuseByVote,
            Command::FileFinalReport { .. } => ActionKind::FileFinalReport,
            Command::AcceptFinalReport { .. } => ActionKind::AcceptFinalReport,
            Command::AskReportChanges { .. } => ActionKind::AskReportChanges,
            Command::OrderRepayment { .. } => ActionKind::OrderRepayment,
            Command::Close { .. } => ActionKind::Close,
        }
    }
}

/// Who a rule lets act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// A member of the association.
    Applicant,
    /// The bureau, or the town hall for the local circuit.
    Gatekeeper,
    /// The gatekeeper or an instructor of the request.
    GatekeeperOrInstructor,
    /// The gatekeeper or the lead instructor (what follows the grant is the lead's).
    GatekeeperOrLead,
    /// The city's finance.
    Finance,
    Bureau,
    /// A direction (or town hall) instructing the request.
    Instructor,
    /// The jury of the call for projects (its chair for the ranking, a juror for a
    /// declaration): the jury's use cases check who sits on it.
    Jury,
    /// Any of the city's parties to the request: the bureau, finance, its gatekeeper or
    /// instructors.
    City,
}

/// Where a rule leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    To(RequestState),
    /// Back to where the request was before it became incomplete.
    Resume,
    /// `instructed` once every instructor gave its opinion, else unchanged.
    WhenOpinionsAreIn,
    Stay,
}

/// A condition a rule adds to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Always,
    /// An incomplete request that will go back to this state.
    ResumesTo(RequestState),
}

struct Rule {
    action: ActionKind,
    from: &'static [RequestState],
    when: When,
    by: Who,
    circuits: &'static [CircuitKind],
    to: Target,
}

use CircuitKind::{CallForProjects, Central, Local};
use RequestState::*;

const ANY_CIRCUIT: &[CircuitKind] = &[Central, Local, CallForProjects];
const CITY_WIDE: &[CircuitKind] = &[Central, CallForProjects];
/// A request may be withdrawn until the decision.
const BEFORE_DECISION: &[RequestState] = &[
    Draft,
    Submitted,
    Incomplete,
    InInstruction,
    Instructed,
    Ranked,
    Scheduled,
];
const CALLS: &[CircuitKind] = &[CallForProjects];

/// The circuits, as data.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { action: ActionKind::Edit, from: &[Draft, Incomplete], when: When::Always, by: Who::Applicant, circuits: ANY_CIRCUIT, to: Target::Stay },
    Rule { action: ActionKind::Submit, from: &[Draft], when: When::Always, by: Who::Applicant, circuits: ANY_CIRCUIT, to: Target::To(Submitted) },
    Rule { action: ActionKind::DeclareAdmissible, from: &[Submitted], when: When::Always, by: Who::Gatekeeper, circuits: ANY_CIRCUIT, to: Target::To(InInstruction) },
    Rule { action: ActionKind::AskDocuments, from: &[Submitted], when: When::Always, by: Who::Gatekeeper, circuits: ANY_CIRCUIT, to: Target::To(Incomplete) },
    Rule { action: ActionKind::AskDocuments, from: &[InInstruction], when: When::Always, by: Who::GatekeeperOrInstructor, circuits: ANY_CIRCUIT, to: Target::To(Incomplete) },
    Rule { action: ActionKind::Resubmit, from: &[Incomplete], when: When::Always, by: Who::Applicant, circuits: ANY_CIRCUIT, to: Target::Resume },
    // Inadmissible is said at the admissibility check, not once instruction has begun.
    Rule { action: ActionKind::RejectInadmissible, from: &[Submitted], when: When::Always, by: Who::Gatekeeper, circuits: ANY_CIRCUIT, to: Target::To(Rejected) },
    Rule { action: ActionKind::RejectInadmissible, from: &[Incomplete], when: When::ResumesTo(Submitted), by: Who::Gatekeeper, circuits: ANY_CIRCUIT, to: Target::To(Rejected) },
    Rule { action: ActionKind::Dispatch, from: &[InInstruction], when: When::Always, by: Who::Bureau, circuits: CITY_WIDE, to: Target::WhenOpinionsAreIn },
    Rule { action: ActionKind::GiveOpinion, from: &[InInstruction], when: When::Always, by: Who::Instructor, circuits: ANY_CIRCUIT, to: Target::WhenOpinionsAreIn },
    Rule { action: ActionKind::OverrideProposal, from: &[Instructed], when: When::Always, by: Who::Bureau, circuits: ANY_CIRCUIT, to: Target::Stay },
    Rule { action: ActionKind::Withdraw, from: BEFORE_DECISION, when: When::Always, by: Who::Applicant, circuits: ANY_CIRCUIT, to: Target::To(Withdrawn) },
    Rule { action: ActionKind::DeclareInterests, from: &[InInstruction, Instructed], when: When::Always, by: Who::Jury, circuits: CALLS, to: Target::Stay },
    Rule { action: ActionKind::Rank, from: &[Instructed], when: When::Always, by: Who::Jury, circuits: CALLS, to: Target::To(Ranked) },
    Rule { action: ActionKind::RejectAfterJury, from: &[Instructed], when: When::Always, by: Who::Jury, circuits: CALLS, to: Target::To(Rejected) },
    // Calls for projects are voted once their jury ranked them.
    Rule { action: ActionKind::Schedule, from: &[Instructed], when: When::Always, by: Who::Bureau, circuits: &[Central, Local], to: Target::To(Scheduled) },
    Rule { action: ActionKind::Schedule, from: &[Ranked], when: When::Always, by: Who::Bureau, circuits: CALLS, to: Target::To(Scheduled) },
    // Off the agenda, back to where it was scheduled from.
    Rule { action: ActionKind::Unschedule, from: &[Scheduled], when: When::Always, by: Who::Bureau, circuits: &[Central, Local], to: Target::To(Instructed) },
    Rule { action: ActionKind::Unschedule, from: &[Scheduled], when: When::Always, by: Who::Bureau, circuits: CALLS, to: Target::To(Ranked) },
    Rule { action: ActionKind::Grant, from: &[Scheduled], when: When::Always, by: Who::Bureau, circuits: ANY_CIRCUIT, to: Target::To(Granted) },
    Rule { action: ActionKind::RefuseByVote, from: &[Scheduled], when: When::Always, by: Who::Bureau, circuits: ANY_CIRCUIT, to: Target::To(Rejected) },
    // A district council decides the local-interest requests of its district: its town hall
    // prepares the agenda and records the vote.
    Rule { action: ActionKind::Schedule, from: &[Instructed], when: When::Always, by: Who::Gatekeeper, circuits: &[Local], to: Target::To(Scheduled) },
    Rule { action: ActionKind::Unschedule, from: &[Scheduled], when: When::Always, by: Who::Gatekeeper, circuits: &[Local], to: Target::To(Instructed) },
    Rule { action: ActionKind::Grant, from: &[Scheduled], when: When::Always, by: Who::Gatekeeper, circuits: &[Local], to: Target::To(Granted) },
    Rule { action: ActionKind::RefuseByVote, from: &[Scheduled], when: When::Always, by: Who::Gatekeeper, circuits: &[Local], to: Target::To(Rejected) },
    // After the grant: the final report, its review, repayment, closure.
    Rule { action: ActionKind::FileFinalReport, from: &[Granted], when: When::Always, by: Who::Applicant, circuits: ANY_CIRCUIT, to: Target::Stay },
    Rule { action: ActionKind::AcceptFinalReport, from: &[Granted], when: When::Always, by: Who::GatekeeperOrLead, circuits: ANY_CIRCUIT, to: Target::Stay },
    Rule { action: ActionKind::AskReportChanges, from: &[Granted], when: When::Always, by: Who::GatekeeperOrLead, circuits: ANY_CIRCUIT, to: Target::Stay },
    Rule { action: ActionKind::OrderRepayment, from: &[Granted], when: When::Always, by: Who::GatekeeperOrLead, circuits: ANY_CIRCUIT, to: Target::Stay },
    Rule { action: ActionKind::OrderRepayment, from: &[Granted], when: When::Always, by: Who::Finance, circuits: ANY_CIRCUIT, to: Target::Stay },
    Rule { action: ActionKind::Close, from: &[Granted], when: When::Always, by: Who::City, circuits: ANY_CIRCUIT, to: Target::To(Closed) },
];

impl Who {
    fn admits(self, facts: &RequestFacts, party: Party) -> bool {
        let gatekeeper = facts.gatekeeper() == Some(party);
        match self {
            Who::Applicant => party == Party::Applicant,
            Who::Gatekeeper => gatekeeper,
            Who::GatekeeperOrInstructor => gatekeeper || facts.instructs(party),
            Who::GatekeeperOrLead => gatekeeper || facts.leads(party),
            Who::Finance => party == Party::Finance,
            Who::Bureau => party == Party::Bureau,
            Who::Instructor => facts.instructs(party),
            Who::Jury => party == Party::Jury,
            Who::City => {
                matches!(party, Party::Bureau | Party::Finance)
                    || gatekeeper
                    || facts.instructs(party)
            }
        }
    }

    /// Who may act, in French, for refusals.
    fn describe(self, facts: &RequestFacts) -> String {
        let gatekeeper = match facts.gatekeeper() {
            Some(Party::District(n)) => french::town_hall(n),
            _ => "le bureau des subventions".to_owned(),
        };
        match self {
            Who::Applicant => "l'association".to_owned(),
            Who::Gatekeeper => gatekeeper,
            Who::GatekeeperOrInstructor => {
                format!("{gatekeeper} ou une direction qui instruit la demande")
            }
            Who::GatekeeperOrLead => {
                format!("{gatekeeper} ou la direction pilote de la demande")
            }
            Who::Finance => "les finances de la Ville".to_owned(),
            Who::Bureau => "le bureau des subventions".to_owned(),
            Who::Instructor => {
                "une direction qui instruit la demande (désignée par le bureau des subventions)"
                    .to_owned()
            }
            Who::Jury => "le jury de l'appel à projets".to_owned(),
            Who::City => "la Ville".to_owned(),
        }
    }
}

fn rules_for(facts: &RequestFacts, action: ActionKind) -> impl Iterator<Item = &'static Rule> + '_ {
    RULES.iter().filter(move |r| {
        r.action == action
            && r.from.contains(&facts.state)
            && r.circuits.contains(&facts.circuit)
            && match r.when {
                When::Always => true,
                When::ResumesTo(state) => facts.resume_state == Some(state),
            }
    })
}

/// Whether some rule leads from `from` to `to` by `action`, whoever acts and whatever the
/// circuit: what a replayed history must follow.
pub fn leads(action: ActionKind, from: RequestState, to: RequestState) -> bool {
    if action.is_conversation() {
        return from == to && from != Draft;
    }
    RULES
        .iter()
        .filter(|r| r.action == action && r.from.contains(&from))
        .any(|r| match r.to {
            Target::To(state) => state == to,
            Target::Resume => matches!(to, Submitted | InInstruction),
            Target::WhenOpinionsAreIn => to == from || to == Instructed,
            Target::Stay => to == from,
        })
}

impl ActionKind {
    /// Taken by the association itself (its members' names are shown to it).
    pub fn is_the_applicants(self) -> bool {
        matches!(self, ActionKind::Create | ActionKind::AssociationMessage)
            || RULES
                .iter()
                .any(|r| r.action == self && r.by == Who::Applicant)
    }

    /// Whether what the action carried is shown to the association: what was asked of it
    /// and by when, its number. Opinions and proposals stay internal.
    pub fn details_are_public(self) -> bool {
        matches!(
            self,
            ActionKind::AskDocuments
                | ActionKind::Submit
                | ActionKind::Resubmit
                | ActionKind::Edit
                | ActionKind::AssociationMessage
                | ActionKind::CityMessage
        )
    }

    /// A message about the request (see `conversation`): it changes nothing of the request
    /// and is shown in its thread, not in its timeline.
    pub fn is_conversation(self) -> bool {
        matches!(
            self,
            ActionKind::AssociationMessage | ActionKind::CityMessage | ActionKind::InternalNote
        )
    }

    /// What the action did, as a request's timeline says it to the association.
    pub fn done(self) -> &'static str {
        match self {
            ActionKind::Create => "Brouillon commencé",
            ActionKind::Edit => "Demande modifiée",
            ActionKind::Submit => "Demande déposée",
            ActionKind::DeclareAdmissible => "Demande déclarée recevable",
            ActionKind::AskDocuments => "Pièces ou informations demandées",
            ActionKind::Resubmit => "Demande complétée et renvoyée",
            ActionKind::RejectInadmissible => "Demande rejetée comme irrecevable",
            ActionKind::Dispatch => "Instruction confiée",
            ActionKind::GiveOpinion => "Avis rendu",
            ActionKind::OverrideProposal => "Montant proposé modifié",
            ActionKind::Withdraw => "Demande retirée",
            ActionKind::DeclareInterests => "Liens d'intérêts déclarés",
            ActionKind::Rank => "Demande retenue par le jury",
            ActionKind::RejectAfterJury => "Demande écartée par le jury",
            ActionKind::Schedule => "Demande inscrite dans une délibération",
            ActionKind::Unschedule => "Demande retirée de la délibération",
            ActionKind::Grant => "Subvention votée par le conseil",
            ActionKind::RefuseByVote => "Subvention refusée par le conseil",
            ActionKind::FileFinalReport => "Compte rendu financier déposé",
            ActionKind::AcceptFinalReport => "Compte rendu financier accepté",
            ActionKind::AskReportChanges => "Compte rendu financier à reprendre",
            ActionKind::OrderRepayment => "Reversement demandé",
            ActionKind::Close => "Dossier clos",
            ActionKind::AssociationMessage => "Message de l'association",
            ActionKind::CityMessage => "Message de la Ville",
            ActionKind::InternalNote => "Note interne",
        }
    }

    /// Attaches the document versions then in force (and checks the request is complete).
    pub fn attaches_documents(self) -> bool {
        matches!(self, ActionKind::Submit | ActionKind::Resubmit)
    }
}

/// The actions these parties may take now, in the order of [`ActionKind`] (closing, which
/// Simpa records itself, is not one, nor are messages, which the conversation allows).
pub fn possible_actions(facts: &RequestFacts, parties: &[Party]) -> Vec<ActionKind> {
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|action| *action != ActionKind::Close && !action.is_conversation())
        .filter(|action| {
            rules_for(facts, *action).any(|r| parties.iter().any(|p| r.by.admits(facts, *p)))
        })
        .collect()
}

/// An event to append to the request's history (who and when are added by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub action: ActionKind,
    pub from: Option<RequestState>,
    pub to: RequestState,
    pub visibility: Visibility,
    pub public_message: Option<String>,
    pub internal_note: Option<String>,
    /// What the action carried (asked items, directions, opinion…), for staff.
    pub details: Value,
}

/// The first event of every history.
pub fn creation_event() -> EventDraft {
    EventDraft {
        action: ActionKind::Create,
        from: None,
        to: Draft,
        visibility: Visibility::Public,
        public_message: Some("Brouillon créé.".into()),
        internal_note: None,
        details: json!({}),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub facts: RequestFacts,
    pub event: EventDraft,
}

fn list_in_french(actions: &[ActionKind]) -> String {
    if actions.is_empty() {
        "aucune".to_owned()
    } else {
        actions
            .iter()
            .map(|a| a.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether these parties may take `action` now (the refusals of [`decide`]), before what the
/// action carries is checked: use cases that check much ask it first, so that whoever may not
/// act hears it before anything about their input.
pub fn check_turn(
    facts: &RequestFacts,
    action: ActionKind,
    parties: &[Party],
) -> Result<(), DomainError> {
    allowed_rule(facts, action, parties).map(|_| ())
}

fn allowed_rule(
    facts: &RequestFacts,
    action: ActionKind,
    parties: &[Party],
) -> Result<&'static Rule, DomainError> {
    let possible = list_in_french(&possible_actions(facts, parties));
    let candidates: Vec<&'static Rule> = rules_for(facts, action).collect();
    if candidates.is_empty() {
        return Err(DomainError::conflict(
            "request.action_not_allowed",
            None,
            format!(
                "Impossible {} : la demande est « {} ». Possible maintenant pour vous : {possible}.",
                french::before("de", action.label()),
                facts.state.label().to_lowercase()
            ),
        ));
    }
    candidates
        .iter()
        .find(|r| parties.iter().any(|p| r.by.admits(facts, *p)))
        .copied()
        .ok_or_else(|| DomainError::NotPermitted {
            code: "request.not_your_turn",
            message: format!(
                "À ce stade, il revient {} {}. Possible maintenant pour vous : {possible}.",
                french::a(&candidates[0].by.describe(facts)),
                french::before("de", action.label())
            ),
        })
}

/// Decides what `command` does to a request, for an actor holding `parties` towards it.
///
/// Refused with 409 (`request.action_not_allowed`) when no rule allows the action in the
/// current state; with 403 (`request.not_your_turn`) when a rule does but for someone else;
/// with 422 when what the action carries breaks a rule. Both refusals say what is possible now.
pub fn decide(
    facts: &RequestFacts,
    command: Command,
    parties: &[Party],
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Outcome, DomainError> {
    let rule = allowed_rule(facts, command.kind(), parties)?;
    let actor_instructor = facts
        .instructors
        .iter()
        .map(|a| a.instructor)
        .find(|i| parties.iter().any(|p| i.is(*p)));
    apply(facts, command, rule.to, actor_instructor, now, today)
}

/// The reason, message or comment of an action, as stored.
pub fn reason(field: &str, raw: &str) -> Result<String, DomainError> {
    text::paragraphs(raw, 1, 2000).map_err(|v| DomainError::invalid(field, v))
}

fn optional_text(field: &str, raw: Option<String>) -> Result<Option<String>, DomainError> {
    match raw.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => reason(field, text).map(Some),
    }
}

fn check_amount(field: &str, cents: i64, requested: i64) -> Result<(), FieldError> {
    crate::money::check_whole_euros(cents, false).map_err(|v| v.at(field))?;
    if cents > requested {
        Err(Violation::new(
            "amount.out_of_range",
            format!(
                "Le montant proposé va de 0 au montant demandé ({}).",
                crate::money::euros(requested)
            ),
        )
        .at(field))
    } else {
        Ok(())
    }
}

fn event(
    action: ActionKind,
    from: RequestState,
    to: RequestState,
    visibility: Visibility,
) -> EventDraft {
    EventDraft {
        action,
        from: Some(from),
        to,
        visibility,
        public_message: None,
        internal_note: None,
        details: json!({}),
    }
}

/// Carries out an allowed action: checks what it carries, then gives the next facts.
fn apply(
    facts: &RequestFacts,
    command: Command,
    target: Target,
    actor_instructor: Option<Instructor>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Outcome, DomainError> {
    let from = facts.state;
    let mut next = facts.clone();
    let mut to = match target {
        Target::To(state) => state,
        Target::Resume => facts.resume_state.unwrap_or(Submitted),
        Target::WhenOpinionsAreIn | Target::Stay => from,
    };
    let mut draft = event(command.kind(), from, to, Visibility::Public);
    match command {
        Command::Edit => {
            draft.public_message = Some("Demande modifiée par l'association.".into());
        }
        Command::Submit => {
            draft.public_message =
                Some("Demande déposée : elle attend la vérification de sa complétude.".into());
        }
        Command::DeclareAdmissible { message } => {
            if facts.circuit == Local
                && let Some(district) = facts.local_district
            {
                next.instructors = vec![Assignment {
                    instructor: Instructor::District(district),
                    lead: true,
                    opinion: None,
                }];
            }
            draft.public_message = Some(optional_text("message", message)?.unwrap_or_else(|| {
                "Votre dossier est complet et recevable : il entre en instruction.".into()
            }));
        }
        Command::AskDocuments {
            items,
            message,
            due_on,
        } => {
            let mut errors = Vec::new();
            if items.is_empty() {
                errors.push(
                    Violation::new(
                        "ask.items_required",
                        "Précisez au moins une pièce ou une information demandée.",
                    )
                    .at("items"),
                );
            }
            if due_on <= today {
                errors.push(
                    Violation::new(
                        "ask.due_in_past",
                        "L'échéance doit être postérieure à aujourd'hui.",
                    )
                    .at("due_on"),
                );
            }
            let message = text::paragraphs(&message, 1, 2000)
                .map_err(|v| errors.push(v.at("message")))
                .ok();
            if !errors.is_empty() {
                return Err(DomainError::Invalid(errors));
            }
            next.resume_state = Some(from);
            draft.public_message = message;
            draft.details = asked_details(&items, due_on);
        }
        Command::Resubmit { message } => {
            next.resume_state = None;
            // An opinion proposing more than the amount now asked is given again.
            let mut reopened = Vec::new();
            for assignment in &mut next.instructors {
                if assignment
                    .opinion
                    .as_ref()
                    .is_some_and(|o| o.proposed_cents > next.requested_cents)
                {
                    assignment.opinion = None;
                    reopened.push(assignment.instructor.key());
                }
            }
            if !reopened.is_empty() {
                draft.internal_note = Some(format!(
                    "Montant demandé abaissé à {} : avis à rendre à nouveau par {}.",
                    crate::money::euros(next.requested_cents),
                    reopened.join(", ")
                ));
            }
            draft.public_message = Some(optional_text("message", message)?.unwrap_or_else(|| {
                "Pièces et informations transmises : la demande reprend son cours.".into()
            }));
        }
        Command::RejectInadmissible { reason: text } => {
            next.resume_state = None;
            draft.public_message = Some(reason("reason", &text)?);
        }
        Command::Dispatch { lead, co } => {
            let mut errors = Vec::new();
            let mut seen = vec![lead];
            for (i, direction) in co.iter().enumerate() {
                if seen.contains(direction) {
                    errors.push(
                        Violation::new(
                            "dispatch.duplicate",
                            "Une direction n'est désignée qu'une fois.",
                        )
                        .at(format!("co_direction_ids[{i}]")),
                    );
                }
                seen.push(*direction);
            }
            if co.len() > 5 {
                errors.push(
                    Violation::new(
                        "dispatch.too_many",
                        "Au plus 5 directions co-instructrices.",
                    )
                    .at("co_direction_ids"),
                );
            }
            if !errors.is_empty() {
                return Err(DomainError::Invalid(errors));
            }
            let kept = |instructor: Instructor| {
                facts
                    .instructors
                    .iter()
                    .find(|a| a.instructor == instructor)
                    .and_then(|a| a.opinion.clone())
            };
            next.instructors = seen
                .iter()
                .enumerate()
                .map(|(i, d)| Assignment {
                    instructor: Instructor::Direction(*d),
                    lead: i == 0,
                    opinion: kept(Instructor::Direction(*d)),
                })
                .collect();
            draft.public_message = Some(
                "Votre demande est confiée pour instruction aux directions concernées.".into(),
            );
            draft.details = json!({
                "lead": lead.to_string(),
                "co": co.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            });
        }
        Command::GiveOpinion {
            value,
            proposed_cents,
            public_comment,
            internal_comment,
        } => {
            let mut errors = Vec::new();
            if let Err(e) = check_amount("proposed_cents", proposed_cents, facts.requested_cents) {
                errors.push(e);
            } else if value == OpinionValue::Unfavourable && proposed_cents != 0 {
                errors.push(
                    Violation::new(
                        "opinion.unfavourable_with_amount",
                        "Un avis défavorable propose 0 €.",
                    )
                    .at("proposed_cents"),
                );
            }
            if !errors.is_empty() {
                return Err(DomainError::Invalid(errors));
            }
            let public_comment = optional_text("public_comment", public_comment)?;
            let internal_comment = optional_text("internal_comment", internal_comment)?;
            let Some(instructor) = actor_instructor else {
                return Err(DomainError::Forbidden);
            };
            draft.internal_note.clone_from(&internal_comment);
            draft.details = json!({
                "instructor": instructor.key(),
                "opinion": value.code(),
                "proposed_cents": proposed_cents,
                "public_comment": public_comment,
            });
            for assignment in next
                .instructors
                .iter_mut()
                .filter(|a| a.instructor == instructor)
            {
                assignment.opinion = Some(Opinion {
                    value,
                    proposed_cents,
                    public_comment: public_comment.clone(),
                    internal_comment: internal_comment.clone(),
                    given_at: now,
                });
            }
        }
        Command::OverrideProposal {
            proposed_cents,
            reason: text,
        } => {
            check_amount("proposed_cents", proposed_cents, facts.requested_cents)
                .map_err(|e| DomainError::Invalid(vec![e]))?;
            let text = reason("reason", &text)?;
            next.proposed_cents = Some(proposed_cents);
            draft.visibility = Visibility::Internal;
            draft.internal_note = Some(text);
            draft.details =
                json!({"proposed_cents": proposed_cents, "previous_cents": facts.proposed_cents});
        }
        Command::Withdraw { reason: text } => {
            next.resume_state = None;
            draft.public_message = Some(
                optional_text("reason", text)?
                    .unwrap_or_else(|| "Demande retirée par l'association.".into()),
            );
        }
        Command::DeclareInterests {
            juror,
            declaration,
            reason,
            automatic,
        } => {
            draft.visibility = Visibility::Internal;
            draft.internal_note = Some(match (declaration, automatic) {
                (Declaration::NoConflict, _) => {
                    format!("{juror} déclare n'avoir aucun conflit d'intérêts avec la demande.")
                }
                (Declaration::Conflict, true) => format!(
                    "{juror} est récusé·e d'office : membre de l'association qui dépose la demande."
                ),
                (Declaration::Conflict, false) => format!(
                    "{juror} se déclare en conflit d'intérêts et se récuse : {}",
                    reason.as_deref().unwrap_or("")
                ),
            });
            draft.details = json!({
                "juror": juror,
                "declaration": declaration.code(),
                "reason": reason,
                "automatic": automatic,
            });
        }
        Command::Rank {
            rank,
            score_hundredths,
            funded_cents,
            partial,
        } => {
            check_amount("funded_cents", funded_cents, facts.requested_cents)
                .map_err(|e| DomainError::Invalid(vec![e]))?;
            next.proposed_cents = Some(funded_cents);
            draft.public_message = Some(format!(
                "Le jury de l'appel à projets a retenu votre demande (note {}){} : {} seront proposés au vote du conseil.",
                score_in_french(score_hundredths),
                if partial {
                    ", pour ce qui restait de l'enveloppe"
                } else {
                    ""
                },
                crate::money::euros(funded_cents)
            ));
            draft.details = json!({
                "rank": rank,
                "score_hundredths": score_hundredths,
                "funded_cents": funded_cents,
                "partial": partial,
            });
        }
        Command::RejectAfterJury {
            rank,
            score_hundredths,
            reason: text,
        } => {
            next.proposed_cents = Some(0);
            draft.public_message = Some(reason("reason", &text)?);
            draft.details = json!({"rank": rank, "score_hundredths": score_hundredths});
        }
        Command::Schedule {
            deliberation,
            council,
            session_on,
            proposed_cents,
        } => {
            check_amount("proposed_cents", proposed_cents, facts.requested_cents)
                .map_err(|e| DomainError::Invalid(vec![e]))?;
            next.proposed_cents = Some(proposed_cents);
            draft.public_message = Some(format!(
                "Votre demande est inscrite au projet de délibération {deliberation}, soumis {} en séance du {}.",
                french::a(&council.name()),
                long_french_date(session_on)
            ));
            draft.details = json!({
                "deliberation": deliberation.as_str(),
                "session_on": session_on.to_string(),
                "proposed_cents": proposed_cents,
            });
        }
        Command::Unschedule { deliberation } => {
            draft.visibility = Visibility::Internal;
            draft.internal_note = Some(format!(
                "Retirée de la délibération {deliberation} avant le vote."
            ));
            draft.details = json!({"deliberation": deliberation.as_str()});
        }
        Command::Grant {
            deliberation,
            council,
            voted_on,
            voted_cents,
            above_requested,
        } => {
            crate::money::check_whole_euros(voted_cents, true)
                .map_err(|v| DomainError::invalid("voted_cents", v))?;
            // The vote says why it grants more than asked (`deliberation::decide_vote`).
            let more = above_requested.as_ref().map_or_else(String::new, |why| {
                format!(
                    " Il accorde plus que les {} demandés : {why}",
                    crate::money::euros(facts.requested_cents)
                )
            });
            draft.public_message = Some(format!(
                "{} a accordé une subvention de {} à votre demande (délibération {deliberation} du {}).{more}",
                capitalised(&council.name()),
                crate::money::euros(voted_cents),
                long_french_date(voted_on)
            ));
            draft.details = json!({
                "deliberation": deliberation.as_str(),
                "voted_on": voted_on.to_string(),
                "voted_cents": voted_cents,
                "above_requested": above_requested,
            });
        }
        Command::RefuseByVote {
            deliberation,
            council,
            voted_on,
        } => {
            draft.public_message = Some(format!(
                "{} n'a pas accordé de subvention à votre demande (délibération {deliberation} du {}).",
                capitalised(&council.name()),
                long_french_date(voted_on)
            ));
            draft.details = json!({
                "deliberation": deliberation.as_str(),
                "voted_on": voted_on.to_string(),
            });
        }
        Command::FileFinalReport { again } => {
            draft.public_message = Some(
                if again {
                    "Compte rendu financier déposé à nouveau, complété : la direction l'examine."
                } else {
                    "Compte rendu financier déposé : la direction l'examine."
                }
                .into(),
            );
        }
        Command::AcceptFinalReport { balance_cents } => {
            draft.public_message = Some(if balance_cents > 0 {
                format!(
                    "Votre compte rendu financier est accepté : le solde de {} vous sera versé.",
                    crate::money::euros(balance_cents)
                )
            } else {
                "Votre compte rendu financier est accepté.".into()
            });
            draft.details = json!({"balance_cents": balance_cents});
        }
        Command::AskReportChanges { reason: text } => {
            draft.public_message = Some(format!(
                "Votre compte rendu financier est à reprendre : {}",
                reason("reason", &text)?
            ));
        }
        Command::OrderRepayment {
            cents,
            reason: text,
        } => {
            crate::money::check_cents(cents, true)
                .map_err(|v| DomainError::invalid("amount_cents", v))?;
            draft.public_message = Some(format!(
                "Un reversement de {} vous est demandé : {}",
                crate::money::euros(cents),
                reason("reason", &text)?
            ));
            draft.details = json!({"amount_cents": cents});
        }
        Command::Close { repaid_cents } => {
            draft.public_message = Some(if repaid_cents > 0 {
                format!(
                    "Dossier clos : le reversement de {} est réglé.",
                    crate::money::euros(repaid_cents)
                )
            } else {
                "Dossier clos : la subvention est entièrement versée et son compte rendu financier accepté.".into()
            });
        }
    }
    if target == Target::WhenOpinionsAreIn {
        let all_in = !next.instructors.is_empty() && next.awaited().is_empty();
        if all_in {
            to = Instructed;
            next.proposed_cents = next
                .instructors
                .iter()
                .find(|a| a.lead)
                .and_then(|a| a.opinion.as_ref())
                .map(|o| o.proposed_cents);
            draft.public_message = Some(
                "L'instruction de votre demande est terminée : elle attend la décision.".into(),
            );
        } else if draft.action == ActionKind::GiveOpinion {
            draft.visibility = Visibility::Internal;
        }
    }
    next.state = to;
    draft.to = to;
    Ok(Outcome {
        facts: next,
        event: draft,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_is_asked_reads_back_as_it_was_written() {
        let items = vec![
            AskedItem {
                what: Asked::Document("rib".into()),
                reason: AskReason::Outdated,
            },
            AskedItem {
                what: Asked::Field("budget".into()),
                reason: AskReason::Incorrect,
            },
        ];
        let due_on = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        assert_eq!(
            asked_in(&asked_details(&items, due_on)),
            (items, Some(due_on))
        );
    }

    use super::*;

    #[test]
    fn what_is_asked_exists_and_every_wrong_item_is_named() {
        let kinds = vec!["statuts".to_owned(), "rib".to_owned()];
        let item = |kind: Option<&str>, field: Option<&str>| AskedInput {
            document_kind: kind.map(str::to_owned),
            field: field.map(str::to_owned),
            reason: AskReason::Missing,
        };
        let asked = check_asked(
            vec![item(Some("rib"), None), item(None, Some("summary"))],
            &kinds,
        )
        .unwrap();
        assert_eq!(
            asked.iter().map(|a| a.what.clone()).collect::<Vec<_>>(),
            vec![
                Asked::Document("rib".into()),
                Asked::Field("summary".into())
            ]
        );
        let wrong = vec![
            item(Some("passeport"), None),
            item(None, Some("number")),
            item(Some("rib"), Some("summary")),
        ];
        match check_asked(wrong, &kinds) {
            Err(DomainError::Invalid(errors)) => {
                let named: Vec<(String, &str)> =
                    errors.iter().map(|e| (e.field.clone(), e.code)).collect();
                assert_eq!(
                    named,
                    vec![
                        ("items[0].document_kind".to_owned(), "document_kind.unknown"),
                        ("items[1].field".to_owned(), "field.unknown"),
                        ("items[2]".to_owned(), "ask.one_subject"),
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }
    use chrono::TimeZone;
    use uuid::Uuid;

    const DAC: u128 = 1;
    const DJS: u128 = 2;
    const DDCT: u128 = 3;

    fn direction(n: u128) -> DirectionId {
        DirectionId::from_uuid(Uuid::from_u128(n))
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
    }

    fn facts(circuit: CircuitKind, state: RequestState) -> RequestFacts {
        let local = (circuit == Local).then_some(DistrictNumber(11));
        let mut facts = RequestFacts::new_draft(circuit, local);
        facts.state = state;
        facts.requested_cents = 10_000_00;
        if state == Incomplete {
            facts.resume_state = Some(Submitted);
        }
        if matches!(
            state,
            InInstruction | Instructed | Ranked | Scheduled | Granted | Closed
        ) {
            facts.instructors = match circuit {
                Local => vec![Assignment {
                    instructor: Instructor::District(DistrictNumber(11)),
                    lead: true,
                    opinion: None,
                }],
                _ => vec![
                    Assignment {
                        instructor: Instructor::Direction(direction(DAC)),
                        lead: true,
                        opinion: None,
                    },
                    Assignment {
                        instructor: Instructor::Direction(direction(DJS)),
                        lead: false,
                        opinion: None,
                    },
                ],
            };
        }
        facts
    }

    /// One command of each kind, valid on its own.
    fn commands() -> Vec<Command> {
        vec![
            Command::Edit,
            Command::Submit,
            Command::DeclareAdmissible { message: None },
            Command::AskDocuments {
                items: vec![AskedItem {
                    what: Asked::Document("rib".into()),
                    reason: AskReason::Outdated,
                }],
                message: "Le RIB ne porte pas le nom de l'association.".into(),
                due_on: NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
            },
            Command::Resubmit { message: None },
            Command::RejectInadmissible {
                reason: "Hors du champ de la campagne.".into(),
            },
            Command::Dispatch {
                lead: direction(DAC),
                co: vec![direction(DJS)],
            },
            Command::GiveOpinion {
                value: OpinionValue::Favourable,
                proposed_cents: 8_000_00,
                public_comment: None,
                internal_comment: None,
            },
            Command::OverrideProposal {
                proposed_cents: 5_000_00,
                reason: "Enveloppe".into(),
            },
            Command::Withdraw { reason: None },
            Command::DeclareInterests {
                juror: "Claire Juré".into(),
                declaration: Declaration::NoConflict,
                reason: None,
                automatic: false,
            },
            Command::Rank {
                rank: 1,
                score_hundredths: 8_250,
                funded_cents: 8_000_00,
                partial: false,
            },
            Command::RejectAfterJury {
                rank: 9,
                score_hundredths: Some(3_000),
                reason: "Non retenue par le jury : enveloppe épuisée.".into(),
            },
            Command::Schedule {
                deliberation: deliberation(),
                council: paris(),
                session_on: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
                proposed_cents: 8_000_00,
            },
            Command::Unschedule {
                deliberation: deliberation(),
            },
            Command::Grant {
                deliberation: deliberation(),
                council: paris(),
                voted_on: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
                voted_cents: 7_500_00,
                above_requested: None,
            },
            Command::RefuseByVote {
                deliberation: deliberation(),
                council: paris(),
                voted_on: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            },
            Command::FileFinalReport { again: false },
            Command::AcceptFinalReport {
                balance_cents: 2_000_00,
            },
            Command::AskReportChanges {
                reason: "Joignez l'annexe des écarts.".into(),
            },
            Command::OrderRepayment {
                cents: 1_000_00,
                reason: "Action réalisée pour moitié.".into(),
            },
            Command::Close { repaid_cents: 0 },
        ]
    }

    fn deliberation() -> DeliberationReference {
        DeliberationReference::parse("2026 DAC 412").unwrap()
    }

    fn paris() -> Council {
        Council::new(crate::council::CouncilKind::ConseilDeParis, None).unwrap()
    }

    fn parties() -> Vec<(&'static str, Party)> {
        vec![
            ("applicant", Party::Applicant),
            ("bureau", Party::Bureau),
            ("lead direction", Party::Direction(direction(DAC))),
            ("co direction", Party::Direction(direction(DJS))),
            ("other direction", Party::Direction(direction(DDCT))),
            ("district 11", Party::District(DistrictNumber(11))),
            ("district 5", Party::District(DistrictNumber(5))),
            ("jury", Party::Jury),
            ("finance", Party::Finance),
        ]
    }

    /// Every (circuit, state, action, party) allowed, and where it leads. Anything else is
    /// refused. The rest of the matrix is the refusals, checked below.
    #[rustfmt::skip]
    fn allowed() -> Vec<(CircuitKind, RequestState, ActionKind, &'static str, RequestState)> {
        use ActionKind as A;
        let mut rows = Vec::new();
        for circuit in [Central, CallForProjects, Local] {
            let gate = if circuit == Local { "district 11" } else { "bureau" };
            rows.push((circuit, Draft, A::Edit, "applicant", Draft));
            rows.push((circuit, Incomplete, A::Edit, "applicant", Incomplete));
            rows.push((circuit, Draft, A::Submit, "applicant", Submitted));
            rows.push((circuit, Submitted, A::DeclareAdmissible, gate, InInstruction));
            rows.push((circuit, Submitted, A::AskDocuments, gate, Incomplete));
            rows.push((circuit, InInstruction, A::AskDocuments, gate, Incomplete));
            rows.push((circuit, Incomplete, A::Resubmit, "applicant", Submitted));
            rows.push((circuit, Submitted, A::RejectInadmissible, gate, Rejected));
            rows.push((circuit, Incomplete, A::RejectInadmissible, gate, Rejected));
            rows.push((circuit, Instructed, A::OverrideProposal, "bureau", Instructed));
            for state in [Draft, Submitted, Incomplete, InInstruction, Instructed, Ranked, Scheduled] {
                rows.push((circuit, state, A::Withdraw, "applicant", Withdrawn));
            }
            let voted = if circuit == CallForProjects { Ranked } else { Instructed };
            rows.push((circuit, voted, A::Schedule, "bureau", Scheduled));
            rows.push((circuit, Scheduled, A::Unschedule, "bureau", voted));
            rows.push((circuit, Scheduled, A::Grant, "bureau", Granted));
            rows.push((circuit, Scheduled, A::RefuseByVote, "bureau", Rejected));
            if circuit == Local {
                rows.push((circuit, Instructed, A::Schedule, "district 11", Scheduled));
                rows.push((circuit, Scheduled, A::Unschedule, "district 11", Instructed));
                rows.push((circuit, Scheduled, A::Grant, "district 11", Granted));
                rows.push((circuit, Scheduled, A::RefuseByVote, "district 11", Rejected));
            }
            rows.push((circuit, Granted, A::FileFinalReport, "applicant", Granted));
            let reviewers: &[&str] =
                if circuit == Local { &["district 11"] } else { &["bureau", "lead direction"] };
            for reviewer in reviewers {
                for action in [A::AcceptFinalReport, A::AskReportChanges, A::OrderRepayment] {
                    rows.push((circuit, Granted, action, reviewer, Granted));
                }
            }
            rows.push((circuit, Granted, A::OrderRepayment, "finance", Granted));
            let instructors: &[&str] =
                if circuit == Local { &["district 11"] } else { &["bureau", "lead direction", "co direction"] };
            for closer in [instructors, &["bureau", "finance"]].concat() {
                if !rows.contains(&(circuit, Granted, A::Close, closer, Closed)) {
                    rows.push((circuit, Granted, A::Close, closer, Closed));
                }
            }
            if circuit == CallForProjects {
                rows.push((circuit, InInstruction, A::DeclareInterests, "jury", InInstruction));
                rows.push((circuit, Instructed, A::DeclareInterests, "jury", Instructed));
                rows.push((circuit, Instructed, A::Rank, "jury", Ranked));
                rows.push((circuit, Instructed, A::RejectAfterJury, "jury", Rejected));
            }
            if circuit == Local {
                rows.push((circuit, InInstruction, A::GiveOpinion, "district 11", Instructed));
            } else {
                rows.push((circuit, InInstruction, A::AskDocuments, "lead direction", Incomplete));
                rows.push((circuit, InInstruction, A::AskDocuments, "co direction", Incomplete));
                // One of two opinions: still in instruction.
                rows.push((circuit, InInstruction, A::GiveOpinion, "lead direction", InInstruction));
                rows.push((circuit, InInstruction, A::GiveOpinion, "co direction", InInstruction));
                rows.push((circuit, InInstruction, A::Dispatch, "bureau", InInstruction));
            }
        }
        rows
    }

    #[test]
    fn every_state_action_and_party_is_allowed_or_refused_with_its_reason() {
        let allowed = allowed();
        let mut hit = vec![false; allowed.len()];
        for circuit in CircuitKind::ALL {
            for state in RequestState::ALL {
                let facts = facts(*circuit, *state);
                for command in commands() {
                    let action = command.kind();
                    let anyone = allowed
                        .iter()
                        .any(|(c, s, a, _, _)| c == circuit && s == state && *a == action);
                    for (name, party) in parties() {
                        let row = allowed.iter().position(|(c, s, a, p, _)| {
                            c == circuit && s == state && *a == action && *p == name
                        });
                        let expected = row.map(|i| {
                            hit[i] = true;
                            allowed[i].4
                        });
                        let result = decide(&facts, command.clone(), &[party], now(), today());
                        let case = format!("{circuit} / {state} / {action} by {name}");
                        match (expected, result) {
                            (Some(to), Ok(outcome)) => {
                                assert_eq!(outcome.facts.state, to, "{case}");
                                assert_eq!(
                                    (outcome.event.from, outcome.event.to, outcome.event.action),
                                    (Some(*state), to, action),
                                    "{case}"
                                );
                            }
                            (None, Err(DomainError::Conflict { code, message, .. })) => {
                                assert!(
                                    !anyone,
                                    "{case}: refused for the state though someone may"
                                );
                                assert_eq!(code, "request.action_not_allowed", "{case}");
                                assert!(
                                    message.contains("Possible maintenant pour vous"),
                                    "{case}: {message}"
                                );
                            }
                            (None, Err(DomainError::NotPermitted { code, message })) => {
                                assert!(anyone, "{case}: refused for the actor though nobody may");
                                assert_eq!(code, "request.not_your_turn", "{case}");
                                assert!(
                                    message.starts_with("À ce stade, il revient "),
                                    "{case}: {message}"
                                );
                                assert!(
                                    crate::french::slips(&message).is_empty(),
                                    "{case}: {message}"
                                );
                            }
                            (expected, result) => {
                                panic!("{case}: expected {expected:?}, got {result:?}")
                            }
                        }
                    }
                }
            }
        }
        let missed: Vec<_> = allowed.iter().zip(hit).filter(|(_, h)| !h).collect();
        assert!(missed.is_empty(), "allowed rows never tried: {missed:?}");
    }

    /// The message of a refusal for the state or for the party.
    fn refusal(facts: &RequestFacts, command: Command, party: Party) -> String {
        match decide(facts, command, &[party], now(), today()) {
            Err(
                DomainError::Conflict { message, .. } | DomainError::NotPermitted { message, .. },
            ) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// The fields an invalid command names, with their codes.
    fn invalid_fields(
        facts: &RequestFacts,
        command: Command,
        party: Party,
    ) -> Vec<(String, &'static str)> {
        match decide(facts, command, &[party], now(), today()) {
            Err(DomainError::Invalid(errors)) => {
                errors.into_iter().map(|e| (e.field, e.code)).collect()
            }
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    #[test]
    fn refusals_say_what_is_possible_now() {
        let admit = || Command::DeclareAdmissible { message: None };
        assert_eq!(
            refusal(&facts(Central, Submitted), admit(), Party::Applicant),
            "À ce stade, il revient au bureau des subventions de déclarer la demande recevable. Possible maintenant pour vous : retirer la demande."
        );
        let message = refusal(&facts(Local, Submitted), admit(), Party::Bureau);
        assert!(
            message.starts_with("À ce stade, il revient à la mairie du 11e arrondissement"),
            "{message}"
        );
        assert_eq!(
            refusal(
                &facts(Central, Withdrawn),
                Command::Resubmit { message: None },
                Party::Applicant
            ),
            "Impossible de renvoyer la demande complétée : la demande est « retirée ». Possible maintenant pour vous : aucune."
        );
    }

    #[test]
    fn the_last_opinion_completes_instruction_with_the_leads_proposal() {
        let mut request = facts(Central, InInstruction);
        let opinion = |value, cents| Command::GiveOpinion {
            value,
            proposed_cents: cents,
            public_comment: Some("Beau projet".into()),
            internal_comment: Some("À suivre".into()),
        };
        let co = decide(
            &request,
            opinion(OpinionValue::Reserved, 3_000_00),
            &[Party::Direction(direction(DJS))],
            now(),
            today(),
        )
        .unwrap();
        assert_eq!(
            co.event.visibility,
            Visibility::Internal,
            "a partial opinion is internal"
        );
        assert_eq!(co.event.internal_note.as_deref(), Some("À suivre"));
        assert_eq!(
            co.facts.awaited(),
            vec![Instructor::Direction(direction(DAC))]
        );
        request = co.facts;
        let lead = decide(
            &request,
            opinion(OpinionValue::Favourable, 8_000_00),
            &[Party::Direction(direction(DAC))],
            now(),
            today(),
        )
        .unwrap();
        assert_eq!(lead.facts.state, Instructed);
        assert_eq!(
            lead.facts.proposed_cents,
            Some(8_000_00),
            "the lead's proposal, not the last one's"
        );
        assert_eq!(lead.event.visibility, Visibility::Public);
        assert_eq!(lead.event.details["opinion"], "favourable");
    }

    #[test]
    fn what_actions_carry_is_checked() {
        let instructing = facts(Central, InInstruction);
        let dac = [Party::Direction(direction(DAC))];
        let too_much = Command::GiveOpinion {
            value: OpinionValue::Favourable,
            proposed_cents: 10_001_00,
            public_comment: None,
            internal_comment: None,
        };
        // Subsidies are decided in whole euros: 2,800.50 € is no proposal.
        let with_cents = Command::GiveOpinion {
            value: OpinionValue::Favourable,
            proposed_cents: 2_800_50,
            public_comment: None,
            internal_comment: None,
        };
        let unfavourable = Command::GiveOpinion {
            value: OpinionValue::Unfavourable,
            proposed_cents: 100,
            public_comment: None,
            internal_comment: None,
        };
        let dac = dac[0];
        for (command, code) in [
            (too_much, "amount.out_of_range"),
            (with_cents, "amount.not_whole_euros"),
            (unfavourable, "opinion.unfavourable_with_amount"),
        ] {
            let fields = invalid_fields(&instructing, command, dac);
            assert_eq!(
                (fields[0].0.as_str(), fields[0].1),
                ("proposed_cents", code)
            );
        }
        let ask = Command::AskDocuments {
            items: vec![],
            message: " ".into(),
            due_on: today(),
        };
        let named: Vec<String> = invalid_fields(&facts(Central, Submitted), ask, Party::Bureau)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(named, ["items", "due_on", "message"]);
        let twice = Command::Dispatch {
            lead: direction(DAC),
            co: vec![direction(DJS), direction(DAC)],
        };
        assert_eq!(
            invalid_fields(&instructing, twice, Party::Bureau)[0].0,
            "co_direction_ids[1]"
        );
        let reject = Command::RejectInadmissible { reason: "".into() };
        let fields = invalid_fields(&facts(Central, Submitted), reject, Party::Bureau);
        assert_eq!(fields[0].0, "reason");
    }

    #[test]
    fn incomplete_goes_back_to_where_it_was() {
        let ask = commands()
            .into_iter()
            .find(|c| c.kind() == ActionKind::AskDocuments)
            .expect("ask");
        for (state, party) in [
            (Submitted, Party::Bureau),
            (InInstruction, Party::Direction(direction(DJS))),
        ] {
            let asked = decide(
                &facts(Central, state),
                ask.clone(),
                &[party],
                now(),
                today(),
            )
            .unwrap();
            assert_eq!(
                (asked.facts.state, asked.facts.resume_state),
                (Incomplete, Some(state))
            );
            assert_eq!(asked.event.details["items"][0]["document_kind"], "rib");
            let back = decide(
                &asked.facts,
                Command::Resubmit { message: None },
                &[Party::Applicant],
                now(),
                today(),
            )
            .unwrap();
            assert_eq!((back.facts.state, back.facts.resume_state), (state, None));
            assert_eq!(
                back.facts.instructors, asked.facts.instructors,
                "instructors stay"
            );
        }
    }

    #[test]
    fn instruction_once_begun_is_not_declared_inadmissible() {
        let mut asked = facts(Central, Incomplete);
        let reject = Command::RejectInadmissible {
            reason: "Hors champ".into(),
        };
        assert!(decide(&asked, reject.clone(), &[Party::Bureau], now(), today()).is_ok());
        asked.resume_state = Some(InInstruction);
        let Err(DomainError::Conflict { code, .. }) =
            decide(&asked, reject, &[Party::Bureau], now(), today())
        else {
            panic!("refused");
        };
        assert_eq!(code, "request.action_not_allowed");
    }

    #[test]
    fn an_amount_lowered_while_incomplete_sends_higher_opinions_back() {
        // DJS gave its opinion, DAC has not; documents are asked; the amount is lowered.
        let mut request = facts(Central, InInstruction);
        let give = |cents| Command::GiveOpinion {
            value: OpinionValue::Favourable,
            proposed_cents: cents,
            public_comment: None,
            internal_comment: None,
        };
        request = decide(
            &request,
            give(9_000_00),
            &[Party::Direction(direction(DJS))],
            now(),
            today(),
        )
        .unwrap()
        .facts;
        let ask = commands()
            .into_iter()
            .find(|c| c.kind() == ActionKind::AskDocuments)
            .expect("ask");
        request = decide(&request, ask, &[Party::Bureau], now(), today())
            .unwrap()
            .facts;
        request.requested_cents = 5_000_00;
        let back = decide(
            &request,
            Command::Resubmit { message: None },
            &[Party::Applicant],
            now(),
            today(),
        )
        .unwrap();
        assert_eq!(back.facts.state, InInstruction);
        assert_eq!(
            back.facts.awaited(),
            vec![
                Instructor::Direction(direction(DAC)),
                Instructor::Direction(direction(DJS))
            ],
            "9,000 € is more than the 5,000 € now asked"
        );
        assert!(
            back.event
                .internal_note
                .as_deref()
                .is_some_and(|n| n.contains(&Instructor::Direction(direction(DJS)).key()))
        );
        // Kept when within the new amount.
        let mut kept = request.clone();
        kept.requested_cents = 9_500_00;
        let back = decide(
            &kept,
            Command::Resubmit { message: None },
            &[Party::Applicant],
            now(),
            today(),
        )
        .unwrap();
        assert_eq!(
            (back.facts.awaited(), back.event.internal_note),
            (vec![Instructor::Direction(direction(DAC))], None)
        );
    }

    #[test]
    fn redispatch_keeps_the_opinions_of_directions_kept() {
        let mut request = facts(Central, InInstruction);
        request = decide(
            &request,
            Command::GiveOpinion {
                value: OpinionValue::Favourable,
                proposed_cents: 1_000_00,
                public_comment: None,
                internal_comment: None,
            },
            &[Party::Direction(direction(DJS))],
            now(),
            today(),
        )
        .unwrap()
        .facts;
        let moved = decide(
            &request,
            Command::Dispatch {
                lead: direction(DDCT),
                co: vec![direction(DJS)],
            },
            &[Party::Bureau],
            now(),
            today(),
        )
        .unwrap();
        assert_eq!(moved.facts.state, InInstruction);
        assert_eq!(moved.facts.instructors.len(), 2);
        assert!(
            moved.facts.instructors[1].opinion.is_some(),
            "DJS keeps its opinion"
        );
        assert_eq!(
            moved.facts.awaited(),
            vec![Instructor::Direction(direction(DDCT))]
        );
        // Leaving only directions that gave their opinion completes instruction.
        let done = decide(
            &request,
            Command::Dispatch {
                lead: direction(DJS),
                co: vec![],
            },
            &[Party::Bureau],
            now(),
            today(),
        )
        .unwrap();
        assert_eq!(
            (done.facts.state, done.facts.proposed_cents),
            (Instructed, Some(1_000_00))
        );
    }

    #[test]
    fn a_town_hall_instructs_its_local_requests_itself() {
        let admissible = decide(
            &facts(Local, Submitted),
            Command::DeclareAdmissible { message: None },
            &[Party::District(DistrictNumber(11))],
            now(),
            today(),
        )
        .unwrap();
        assert_eq!(
            admissible.facts.instructors,
            vec![Assignment {
                instructor: Instructor::District(DistrictNumber(11)),
                lead: true,
                opinion: None
            }]
        );
        assert_eq!(
            possible_actions(&admissible.facts, &[Party::District(DistrictNumber(11))]),
            [ActionKind::AskDocuments, ActionKind::GiveOpinion]
        );
        assert_eq!(possible_actions(&admissible.facts, &[Party::Bureau]), []);
    }

    /// Random sequences of actions by random parties (fixed seed): whatever is accepted, the
    /// request never reaches an impossible state, and its history replays to its state.
    #[test]
    fn random_action_sequences_stay_consistent_and_replay() {
        use crate::history::{ChainCheck, Event, EventActor, replay, verify_chain};
        use crate::ids::{EventId, RequestId};
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
        let all_parties: Vec<Party> = parties().into_iter().map(|(_, p)| p).collect();
        let actor = EventActor {
            account: None,
            service: None,
            name: "test".into(),
        };
        let (mut accepted, mut reached) = (0, std::collections::BTreeSet::from([Draft]));
        for run in 0..1000_u128 {
            let circuit = CircuitKind::ALL[rng.random_range(0..3)];
            let local = (circuit == Local).then_some(DistrictNumber(11));
            let mut request = RequestFacts::new_draft(circuit, local);
            request.requested_cents = 10_000_00;
            let id = RequestId::from_uuid(Uuid::from_u128(run));
            let mut history = vec![Event::next(
                None,
                EventId::from_uuid(Uuid::from_u128(run << 32)),
                id,
                creation_event(),
                actor.clone(),
                now(),
            )];
            for step in 1..40_u32 {
                let mut commands = commands();
                // Vary who is dispatched and what is proposed.
                let of = |kind: ActionKind| {
                    self::commands()
                        .iter()
                        .position(|c| c.kind() == kind)
                        .expect("kind")
                };
                commands[of(ActionKind::Dispatch)] = Command::Dispatch {
                    lead: direction(rng.random_range(1..=3)),
                    co: if rng.random_bool(0.5) {
                        vec![direction(4)]
                    } else {
                        vec![]
                    },
                };
                commands[of(ActionKind::GiveOpinion)] = Command::GiveOpinion {
                    value: OpinionValue::Favourable,
                    proposed_cents: rng.random_range(0..=10_000) * 100,
                    public_comment: None,
                    internal_comment: None,
                };
                // Half the time someone who may act now, so that walks get far; otherwise
                // anyone (refusals are part of the walk).
                let acting: Vec<Party> = all_parties
                    .iter()
                    .copied()
                    .filter(|p| !possible_actions(&request, &[*p]).is_empty())
                    .collect();
                let party = if rng.random_bool(0.2) {
                    Party::Direction(direction(4))
                } else if !acting.is_empty() && rng.random_bool(0.5) {
                    acting[rng.random_range(0..acting.len())]
                } else {
                    all_parties[rng.random_range(0..all_parties.len())]
                };
                // Mostly what this party may do now (rarely withdrawing), sometimes anything.
                let possible: Vec<ActionKind> = possible_actions(&request, &[party])
                    .into_iter()
                    .filter(|a| *a != ActionKind::Withdraw || rng.random_bool(0.05))
                    .collect();
                let command = match possible.first() {
                    // Closing is Simpa's own, never among the possible actions: tried now and then.
                    _ if request.state == Granted && rng.random_bool(0.2) => {
                        Command::Close { repaid_cents: 0 }
                    }
                    Some(_) if rng.random_bool(0.8) => {
                        let wanted = possible[rng.random_range(0..possible.len())];
                        commands
                            .into_iter()
                            .find(|c| c.kind() == wanted)
                            .expect("a command of each kind")
                    }
                    _ => commands.swap_remove(rng.random_range(0..commands.len())),
                };
                let at = now() + chrono::Duration::hours(i64::from(step));
                let Ok(outcome) = decide(&request, command, &[party], at, today()) else {
                    continue;
                };
                accepted += 1;
                let event = Event::next(
                    history.last(),
                    EventId::from_uuid(Uuid::from_u128((run << 32) + u128::from(step))),
                    id,
                    outcome.event,
                    actor.clone(),
                    at,
                );
                history.push(event);
                request = outcome.facts;
                let state = request.state;
                reached.insert(state);
                assert_eq!(
                    state == Incomplete,
                    request.resume_state.is_some(),
                    "{request:?}"
                );
                if let Some(resume) = request.resume_state {
                    assert!(matches!(resume, Submitted | InInstruction));
                }
                if state == Instructed {
                    assert!(
                        !request.instructors.is_empty() && request.awaited().is_empty(),
                        "{request:?}"
                    );
                    assert!(
                        request
                            .proposed_cents
                            .is_some_and(|p| (0..=request.requested_cents).contains(&p))
                    );
                }
                if circuit == Local && !request.instructors.is_empty() {
                    assert_eq!(
                        request
                            .instructors
                            .iter()
                            .map(|a| a.instructor)
                            .collect::<Vec<_>>(),
                        [Instructor::District(DistrictNumber(11))]
                    );
                }
                assert_eq!(
                    request.instructors.iter().filter(|a| a.lead).count(),
                    usize::from(!request.instructors.is_empty())
                );
                if state.is_final() {
                    assert_eq!(possible_actions(&request, &all_parties), []);
                }
                assert_eq!(replay(&history), Ok(state));
            }
            assert_eq!(
                verify_chain(&history),
                ChainCheck::Intact {
                    events: history.len()
                }
            );
        }
        assert!(
            accepted > 2_000,
            "the walk goes somewhere: {accepted} actions accepted"
        );
        assert_eq!(
            reached.len(),
            RequestState::ALL.len(),
            "every state is reached: {reached:?}"
        );
    }

    #[test]
    fn instructor_keys_round_trip() {
        for instructor in [
            Instructor::Direction(direction(DAC)),
            Instructor::District(DistrictNumber(16)),
        ] {
            assert_eq!(Instructor::parse_key(&instructor.key()), Some(instructor));
        }
        assert_eq!(Instructor::parse_key("district:x"), None);
        assert_eq!(Instructor::parse_key("bureau"), None);
    }
}
