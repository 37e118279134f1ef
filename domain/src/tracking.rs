//! Where a request stands for those following it: who holds it, what happens next, and the
//! time it spent with the city against the campaign's deadlines, apart from the time it
//! waited for the association (an incomplete request stops the city's clock).

use crate::campaign::{CircuitKind, Sla};
use crate::circuit::RequestFacts;
use crate::ids::DistrictNumber;
use crate::parties::Instructor;
use crate::request::RequestState;
use crate::wording::{capitalised, ordinal};
use chrono::{DateTime, Duration, Utc};

/// A step of instruction with a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Admissibility,
    Instruction,
}

impl Step {
    pub fn code(self) -> &'static str {
        match self {
            Step::Admissibility => "admissibility",
            Step::Instruction => "instruction",
        }
    }

    fn of(state: RequestState, resume: Option<RequestState>) -> Option<Step> {
        match state {
            RequestState::Submitted => Some(Step::Admissibility),
            RequestState::InInstruction => Some(Step::Instruction),
            RequestState::Incomplete => resume.and_then(|r| Step::of(r, None)),
            _ => None,
        }
    }

    fn allowed_days(self, sla: &Sla) -> u32 {
        match self {
            Step::Admissibility => sla.admissibility_days,
            Step::Instruction => sla.instruction_days,
        }
    }
}

/// Time spent, and the deadline of the current step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaClock {
    pub with_city: Duration,
    pub with_association: Duration,
    /// The step the request is in (or will go back to, while incomplete).
    pub step: Option<Step>,
    /// Time the city spent in that step so far.
    pub step_elapsed: Duration,
    pub step_allowed_days: Option<u32>,
    /// When the step is due; `None` while the clock is stopped or outside the steps.
    pub due_at: Option<DateTime<Utc>>,
}

impl SlaClock {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.due_at.is_some_and(|due| due < now)
    }
}

/// Runs the clock over a history, given as the time and the state each event led to.
pub fn sla_clock(
    transitions: &[(DateTime<Utc>, RequestState)],
    resume: Option<RequestState>,
    sla: &Sla,
    now: DateTime<Utc>,
) -> SlaClock {
    let current = transitions.last().map_or(RequestState::Draft, |t| t.1);
    let step = Step::of(current, resume);
    let mut clock = SlaClock {
        with_city: Duration::zero(),
        with_association: Duration::zero(),
        step,
        step_elapsed: Duration::zero(),
        step_allowed_days: step.map(|s| s.allowed_days(sla)),
        due_at: None,
    };
    for (i, (entered, state)) in transitions.iter().enumerate() {
        let left = transitions.get(i + 1).map_or(now, |next| next.0);
        let spent = (left - *entered).max(Duration::zero());
        match state {
            RequestState::Submitted
            | RequestState::InInstruction
            | RequestState::Instructed
            | RequestState::Ranked
            | RequestState::Scheduled => {
                clock.with_city += spent;
                if step.is_some() && Step::of(*state, None) == step {
                    clock.step_elapsed += spent;
                }
            }
            RequestState::Incomplete => clock.with_association += spent,
            RequestState::Draft
            | RequestState::Rejected
            | RequestState::Withdrawn
            | RequestState::Granted
            | RequestState::Closed => {}
        }
    }
    if current != RequestState::Incomplete
        && let Some(days) = clock.step_allowed_days
    {
        clock.due_at = Some(now + Duration::days(i64::from(days)) - clock.step_elapsed);
    }
    clock
}

/// Who the request waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Association,
    Bureau,
    District(DistrictNumber),
    /// The instructors whose opinion is awaited.
    Instructors(Vec<Instructor>),
    Nobody,
}

fn town_hall(n: DistrictNumber) -> String {
    format!("la mairie du {} arrondissement", ordinal(n))
}

/// Who holds the request now, and what happens next, in a sentence for the association.
pub fn whereabouts(facts: &RequestFacts) -> (Holder, String) {
    let gatekeeper = match (facts.circuit, facts.local_district) {
        (CircuitKind::Local, Some(n)) => Holder::District(n),
        _ => Holder::Bureau,
    };
    let gatekeeper_name = match &gatekeeper {
        Holder::District(n) => town_hall(*n),
        _ => "le bureau des subventions".to_owned(),
    };
    match facts.state {
        RequestState::Draft => (
            Holder::Association,
            "Complétez la demande puis déposez-la avant la clôture de la campagne.".into(),
        ),
        RequestState::Submitted => (
            gatekeeper,
            format!("{} vérifie que le dossier est complet et recevable.", capitalised(&gatekeeper_name)),
        ),
        RequestState::Incomplete => (
            Holder::Association,
            "Transmettez les pièces ou informations demandées, puis renvoyez la demande : le délai d'instruction reprendra.".into(),
        ),
        RequestState::InInstruction if facts.instructors.is_empty() => (
            Holder::Bureau,
            "Le bureau des subventions désigne la direction qui instruira la demande.".into(),
        ),
        RequestState::InInstruction => {
            let awaited = facts.awaited();
            let sentence = match (facts.circuit, facts.local_district) {
                (CircuitKind::Local, Some(n)) => format!("{} instruit la demande.", capitalised(&town_hall(n))),
                _ => format!("La demande est en instruction : {} avis attendu(s).", awaited.len()),
            };
            (Holder::Instructors(awaited), sentence)
        }
        RequestState::Instructed => match (facts.circuit, facts.local_district) {
            (CircuitKind::Local, Some(n)) => (
                Holder::District(n),
                format!("Le conseil du {} arrondissement donnera son avis, puis la demande sera soumise au vote.", ordinal(n)),
            ),
            (CircuitKind::CallForProjects, _) => (
                Holder::Bureau,
                "La demande sera examinée par le jury de l'appel à projets, puis soumise au vote.".into(),
            ),
            _ => (Holder::Bureau, "La demande sera inscrite dans une délibération soumise au vote du conseil.".into()),
        },
        RequestState::Ranked => (
            Holder::Bureau,
            "Le jury a retenu la demande : elle sera inscrite dans une délibération soumise au vote du conseil.".into(),
        ),
        RequestState::Scheduled => (
            Holder::Bureau,
            "La demande est inscrite dans une délibération : le conseil la votera à sa séance.".into(),
        ),
        RequestState::Granted => (
            Holder::Bureau,
            format!(
                "La subvention est accordée : suivent la convention (au-delà de {}) et les versements.",
                crate::money::euros(crate::funding::AGREEMENT_THRESHOLD_CENTS)
            ),
        ),
        RequestState::Rejected => (Holder::Nobody, "La demande a été refusée ; le motif figure dans l'historique.".into()),
        RequestState::Withdrawn => (Holder::Nobody, "La demande a été retirée.".into()),
        RequestState::Closed => (Holder::Nobody, "Le dossier est clos.".into()),
    }
}
