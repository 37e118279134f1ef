//! Where a request stands for those following it: who holds it, what happens next, and the
//! time it spent with the city against the campaign's deadlines, apart from the time it
//! waited for the association (an incomplete request stops the city's clock).

use crate::agreement::AgreementStatus;
use crate::campaign::{CircuitKind, Sla};
use crate::circuit::RequestFacts;
use crate::final_report::ReportStatus;
use crate::french::{capitalised, long_french_date};
use crate::funding::{AgreementGate, GrantMoney, repaid_in_full};
use crate::ids::{DirectionId, DistrictNumber};
use crate::money::euros;
use crate::parties::Instructor;
use crate::request::RequestState;
use chrono::{DateTime, Duration, NaiveDate, Utc};

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
    /// Until when the clock reads the same in whole days and on the same side of its
    /// deadline: the next day of a count that runs, or the deadline if it comes first; `None`
    /// while no count runs.
    pub reads_the_same_until: Option<DateTime<Utc>>,
}

impl SlaClock {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.due_at.is_some_and(|due| due < now)
    }
}

/// What a clock counts.
#[derive(Debug, Clone, Copy)]
enum Count {
    WithCity,
    InStep,
    WithAssociation,
}

/// The counts that the time spent in `state` goes to (`step`: the step the request is in).
fn counts_of(state: RequestState, step: Option<Step>) -> Vec<Count> {
    match state {
        RequestState::Submitted
        | RequestState::InInstruction
        | RequestState::Instructed
        | RequestState::Ranked
        | RequestState::Scheduled => {
            if step.is_some() && Step::of(state, None) == step {
                vec![Count::WithCity, Count::InStep]
            } else {
                vec![Count::WithCity]
            }
        }
        RequestState::Incomplete => vec![Count::WithAssociation],
        RequestState::Draft
        | RequestState::Rejected
        | RequestState::Withdrawn
        | RequestState::Granted
        | RequestState::Closed => vec![],
    }
}

impl SlaClock {
    /// Where the clock holds `count`.
    fn count_mut(&mut self, count: Count) -> &mut Duration {
        match count {
            Count::WithCity => &mut self.with_city,
            Count::InStep => &mut self.step_elapsed,
            Count::WithAssociation => &mut self.with_association,
        }
    }
}

/// When a count of `spent` at `now` reaches its next whole day.
fn next_day(spent: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(1) - (spent - Duration::days(spent.num_days()))
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
        reads_the_same_until: None,
    };
    for (i, (entered, state)) in transitions.iter().enumerate() {
        let left = transitions.get(i + 1).map_or(now, |next| next.0);
        let spent = (left - *entered).max(Duration::zero());
        for count in counts_of(*state, step) {
            *clock.count_mut(count) += spent;
        }
    }
    if current != RequestState::Incomplete
        && let Some(days) = clock.step_allowed_days
    {
        clock.due_at = Some(now + Duration::days(i64::from(days)) - clock.step_elapsed);
    }
    let due = clock.due_at.filter(|due| *due >= now);
    clock.reads_the_same_until = counts_of(current, step)
        .into_iter()
        .map(|count| next_day(*clock.count_mut(count), now))
        .chain(due)
        .min();
    clock
}

/// Who the request waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Association,
    Bureau,
    /// The city's finance department: a payment to make.
    Finance,
    District(DistrictNumber),
    /// The instructors whose opinion is awaited.
    Instructors(Vec<Instructor>),
    Nobody,
}

impl Holder {
    /// Who holds the request, in words (the directions as `direction` names them: their code
    /// for programs, their name for people); a town hall among the instructors names it.
    pub fn in_words(&self, direction: impl Fn(DirectionId) -> String) -> String {
        let town_hall = |n: DistrictNumber| format!("Mairie du {}", crate::french::district(n));
        match self {
            Holder::Association => "L'association".into(),
            Holder::Bureau => "Bureau des subventions".into(),
            Holder::Finance => "Service des finances".into(),
            Holder::District(n) => town_hall(*n),
            Holder::Instructors(awaited) => {
                let district = awaited.iter().find_map(|i| match i {
                    Instructor::District(n) => Some(*n),
                    Instructor::Direction(_) => None,
                });
                match district {
                    Some(n) => town_hall(n),
                    None => awaited
                        .iter()
                        .filter_map(|i| match i {
                            Instructor::Direction(d) => Some(direction(*d)),
                            Instructor::District(_) => None,
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            }
            Holder::Nobody => "Personne : la demande est close".into(),
        }
    }
}

fn town_hall(n: DistrictNumber) -> String {
    crate::french::town_hall(n)
}

/// Who lets the request in: the town hall running it on the local circuit, else the bureau.
pub fn gatekeeper(facts: &RequestFacts) -> Holder {
    match (facts.circuit, facts.local_district) {
        (CircuitKind::Local, Some(n)) => Holder::District(n),
        _ => Holder::Bureau,
    }
}

/// Who reviews a request's final report: its lead instructor, or its gatekeeper (the bureau,
/// or the town hall running it) when none leads.
pub fn reviewers(facts: &RequestFacts) -> Holder {
    let lead: Vec<Instructor> = facts
        .instructors
        .iter()
        .filter(|a| a.lead)
        .map(|a| a.instructor)
        .collect();
    if lead.is_empty() {
        gatekeeper(facts)
    } else {
        Holder::Instructors(lead)
    }
}

/// Where a grant stands once voted, which decides what its request waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantStage {
    /// A repayment is ordered and not settled yet.
    RepaymentDue { cents: i64 },
    /// The agreement waits for the association's president.
    AgreementToSign,
    /// Signed by the association, the agreement waits for the city's signature.
    AgreementToCountersign,
    /// Money is to be paid (owed now, or later without anything else awaited).
    PaymentDue {
        cents: i64,
        due_on: Option<NaiveDate>,
    },
    /// The final report is awaited (or to be taken up again), with the balance its acceptance
    /// makes payable.
    ReportDue {
        due_on: NaiveDate,
        balance_cents: i64,
    },
    /// The final report is filed and under review.
    ReportUnderReview,
    /// Nothing is awaited any more: the file closes.
    Complete,
}

impl GrantStage {
    /// The stage of a grant from its money, its agreement's signatures, its final report,
    /// what repayments still claim (`unsettled_cents`) and when its report is due.
    pub fn of(
        money: &GrantMoney,
        agreement: Option<AgreementStatus>,
        report: Option<ReportStatus>,
        unsettled_cents: i64,
        report_due_on: NaiveDate,
    ) -> GrantStage {
        if unsettled_cents > 0 {
            return GrantStage::RepaymentDue {
                cents: unsettled_cents,
            };
        }
        if money.agreement == AgreementGate::Unsigned {
            return match agreement {
                Some(AgreementStatus::SignedByAssociation | AgreementStatus::Signed) => {
                    GrantStage::AgreementToCountersign
                }
                _ => GrantStage::AgreementToSign,
            };
        }
        if money.owed_cents() > 0 {
            return GrantStage::PaymentDue {
                cents: money.owed_cents(),
                due_on: money.due_on(),
            };
        }
        let all_claimed_back = repaid_in_full(money.paid_cents, money.claimed_cents);
        match report {
            _ if all_claimed_back => GrantStage::Complete,
            None | Some(ReportStatus::ChangesAsked) => GrantStage::ReportDue {
                due_on: report_due_on,
                balance_cents: money.balance_cents(),
            },
            Some(ReportStatus::Filed) => GrantStage::ReportUnderReview,
            Some(ReportStatus::Accepted) if money.repayment_ordered() => GrantStage::Complete,
            Some(ReportStatus::Accepted) => match money.unpaid_cents() {
                0 => GrantStage::Complete,
                cents => GrantStage::PaymentDue {
                    cents,
                    due_on: money.due_on(),
                },
            },
        }
    }
}

/// Who holds a granted request, and what happens next, from its grant's stage.
pub fn grant_whereabouts(facts: &RequestFacts, stage: &GrantStage) -> (Holder, String) {
    match stage {
        GrantStage::RepaymentDue { cents } => (
            Holder::Association,
            format!(
                "Un reversement de {} est demandé : le service des finances enregistrera son règlement.",
                euros(*cents)
            ),
        ),
        GrantStage::AgreementToSign => (
            Holder::Association,
            "La convention attend la signature du président ou de la présidente de l'association ; le premier versement suivra la signature de la Ville.".into(),
        ),
        GrantStage::AgreementToCountersign => (
            Holder::Bureau,
            "La Ville signe à son tour la convention ; le premier versement suivra.".into(),
        ),
        GrantStage::PaymentDue { cents, due_on } => (
            Holder::Finance,
            match due_on {
                Some(day) => format!(
                    "Le service des finances verse {} (échéance le {}).",
                    euros(*cents),
                    long_french_date(*day)
                ),
                None => format!("Le service des finances versera {}.", euros(*cents)),
            },
        ),
        GrantStage::ReportDue {
            due_on,
            balance_cents,
        } => (
            Holder::Association,
            match balance_cents {
                0 => format!(
                    "Déposez le compte rendu financier de l'action avant le {}.",
                    long_french_date(*due_on)
                ),
                balance => format!(
                    "Déposez le compte rendu financier de l'action avant le {} : le solde de {} sera versé après son acceptation.",
                    long_french_date(*due_on),
                    euros(*balance)
                ),
            },
        ),
        GrantStage::ReportUnderReview => (
            reviewers(facts),
            "Le compte rendu financier est en cours d'examen.".into(),
        ),
        GrantStage::Complete => (Holder::Nobody, "Le dossier va être clos.".into()),
    }
}

/// Who holds the request now, and what happens next, in a sentence for the association. A
/// granted request is followed by its grant's stage (`grant_whereabouts`) where it is known.
pub fn whereabouts(facts: &RequestFacts) -> (Holder, String) {
    let gatekeeper = gatekeeper(facts);
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
                _ => format!(
                    "La demande est en instruction : {}.",
                    crate::french::count(i64::try_from(awaited.len()).unwrap_or(i64::MAX), "avis attendu", "avis attendus")
                ),
            };
            (Holder::Instructors(awaited), sentence)
        }
        RequestState::Instructed => match (facts.circuit, facts.local_district) {
            (CircuitKind::Local, Some(n)) => (
                Holder::District(n),
                format!("{} donnera son avis, puis la demande sera soumise au vote.", capitalised(&crate::french::district_council(n))),
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
            "La subvention est accordée.".into(),
        ),
        RequestState::Rejected => (Holder::Nobody, "La demande a été refusée ; le motif figure dans l'historique.".into()),
        RequestState::Withdrawn => (Holder::Nobody, "La demande a été retirée.".into()),
        RequestState::Closed => (Holder::Nobody, "Le dossier est clos.".into()),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn who_holds_a_request_is_said_in_words() {
        use crate::ids::DirectionId;
        let dac = DirectionId::from_uuid(uuid::Uuid::from_u128(1));
        let djs = DirectionId::from_uuid(uuid::Uuid::from_u128(2));
        let name = |d: DirectionId| {
            if d == dac {
                "Culture".to_owned()
            } else {
                "Sports".to_owned()
            }
        };
        let directions =
            Holder::Instructors(vec![Instructor::Direction(dac), Instructor::Direction(djs)]);
        assert_eq!(directions.in_words(name), "Culture, Sports");
        let with_town_hall = Holder::Instructors(vec![
            Instructor::Direction(dac),
            Instructor::District(DistrictNumber(11)),
        ]);
        assert_eq!(
            with_town_hall.in_words(name),
            "Mairie du 11e arrondissement"
        );
        assert_eq!(Holder::Bureau.in_words(name), "Bureau des subventions");
    }

    use super::*;
    use crate::funding::{Installment, InstallmentDue};
    use chrono::TimeZone;

    #[test]
    fn a_grant_waits_for_its_agreement_its_payments_its_report_then_nothing() {
        let day = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
        let due_on = day(12, 31);
        // 30,000 €: 20,000 € on notification, the balance after the final report.
        let money = GrantMoney {
            granted_cents: 30_000_00,
            paid_cents: 0,
            installments: vec![
                Installment {
                    cents: 20_000_00,
                    due: InstallmentDue::OnNotification,
                },
                Installment {
                    cents: 10_000_00,
                    due: InstallmentDue::AfterFinalReport,
                },
            ],
            agreement: AgreementGate::Unsigned,
            notified_on: day(3, 1),
            report_accepted_on: None,
            claimed_cents: 0,
        };
        let stage = |m: &GrantMoney, a, r, unsettled| GrantStage::of(m, a, r, unsettled, due_on);
        assert_eq!(
            stage(&money, Some(AgreementStatus::Drafted), None, 0),
            GrantStage::AgreementToSign
        );
        assert_eq!(
            stage(&money, Some(AgreementStatus::SignedByAssociation), None, 0),
            GrantStage::AgreementToCountersign
        );
        let signed = GrantMoney {
            agreement: AgreementGate::Signed {
                on: day(4, 1),
                payment_days: 30,
            },
            ..money.clone()
        };
        assert_eq!(
            stage(&signed, Some(AgreementStatus::Signed), None, 0),
            GrantStage::PaymentDue {
                cents: 20_000_00,
                due_on: Some(day(5, 1))
            }
        );
        let advanced = GrantMoney {
            paid_cents: 20_000_00,
            ..signed.clone()
        };
        assert_eq!(
            stage(&advanced, Some(AgreementStatus::Signed), None, 0),
            GrantStage::ReportDue {
                due_on,
                balance_cents: 10_000_00
            }
        );
        assert_eq!(
            stage(&advanced, None, Some(ReportStatus::Filed), 0),
            GrantStage::ReportUnderReview
        );
        let paid = GrantMoney {
            paid_cents: 30_000_00,
            report_accepted_on: Some(day(9, 1)),
            ..signed
        };
        assert_eq!(
            stage(&paid, None, Some(ReportStatus::Accepted), 0),
            GrantStage::Complete
        );
        let claimed = GrantMoney {
            claimed_cents: 5_000_00,
            ..advanced
        };
        assert_eq!(
            stage(&claimed, None, None, 5_000_00),
            GrantStage::RepaymentDue { cents: 5_000_00 }
        );
        assert_eq!(
            stage(&claimed, None, None, 0),
            GrantStage::ReportDue {
                due_on,
                balance_cents: 0
            },
            "a part repaid, the rest is accounted for"
        );
    }

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    const SLA: Sla = Sla {
        admissibility_days: 10,
        instruction_days: 60,
    };

    #[test]
    fn a_running_clock_reads_the_same_until_its_next_whole_day() {
        // Submitted on the 1st at 9:00, in instruction from the 2nd at 15:00; read on the 4th
        // at 12:00: 3 days 3 hours with the city, 1 day 21 hours in instruction.
        let history = [
            (at(1, 9), RequestState::Submitted),
            (at(2, 15), RequestState::InInstruction),
        ];
        let clock = sla_clock(&history, None, &SLA, at(4, 12));
        assert_eq!(clock.with_city.num_days(), 3);
        assert_eq!(clock.step_elapsed.num_days(), 1);
        // The step's count turns 2 days at 15:00, before the city's turns 4 days tomorrow.
        assert_eq!(clock.reads_the_same_until, Some(at(4, 15)));
        let later = sla_clock(&history, None, &SLA, at(4, 15));
        assert_eq!(later.step_elapsed.num_days(), 2);
        assert_eq!(later.reads_the_same_until, Some(at(5, 9)));
    }

    #[test]
    fn the_sooner_of_two_counts_or_the_deadline_ends_a_reading() {
        // Submitted on the 1st at 9:00, in instruction from the 2nd at 3:00: the count with
        // the city turns a day at 9:00, the step's at 3:00.
        let history = [
            (at(1, 9), RequestState::Submitted),
            (at(2, 3), RequestState::InInstruction),
        ];
        let clock = sla_clock(&history, None, &SLA, at(4, 1));
        assert_eq!(clock.reads_the_same_until, Some(at(4, 3)));
        // Admissibility allows 10 days from the 1st at 9:00: read at 8:00 on the 11th, the
        // deadline at 9:00 comes before the next day of the count.
        let admissibility = [(at(1, 9), RequestState::Submitted)];
        let clock = sla_clock(&admissibility, None, &SLA, at(11, 8));
        assert_eq!(clock.due_at, Some(at(11, 9)));
        assert!(!clock.is_overdue(at(11, 8)));
        assert_eq!(clock.reads_the_same_until, Some(at(11, 9)));
        let overdue = sla_clock(&admissibility, None, &SLA, at(11, 10));
        assert!(overdue.is_overdue(at(11, 10)));
        assert_eq!(overdue.reads_the_same_until, Some(at(12, 9)));
    }

    #[test]
    fn waiting_for_the_association_runs_its_own_count_and_a_stopped_clock_never_changes() {
        let history = [
            (at(1, 9), RequestState::Submitted),
            (at(2, 15), RequestState::Incomplete),
        ];
        let clock = sla_clock(&history, Some(RequestState::Submitted), &SLA, at(3, 10));
        assert_eq!(clock.due_at, None);
        assert_eq!(clock.with_association.num_days(), 0);
        assert_eq!(clock.reads_the_same_until, Some(at(3, 15)));
        let granted = [
            (at(1, 9), RequestState::Submitted),
            (at(20, 9), RequestState::Granted),
        ];
        let clock = sla_clock(&granted, None, &SLA, at(25, 10));
        assert_eq!(clock.with_city.num_days(), 19);
        assert_eq!(clock.reads_the_same_until, None);
    }
}
