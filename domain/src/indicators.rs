//! The indicators the city steers by ("indicateurs pertinents de suivi et d'alerte"): how
//! long each step of a request takes, with the time spent waiting for the association shown
//! apart; amounts requested, proposed, voted and paid; the refusal rate.

use crate::coded_enum;
use crate::money::total;
use crate::request::RequestState;
use chrono::{DateTime, NaiveDate, Utc};

coded_enum! {
    /// A step of a request's life whose duration is measured.
    pub enum Step {
        /// From the submission to the admissibility (the request goes into instruction).
        SubmissionToAdmissible = ("submission_to_admissible", "Dépôt → recevabilité"),
        /// From the admissibility to the opinion of the lead instructor.
        AdmissibleToInstructed = ("admissible_to_instructed", "Recevabilité → instruction terminée"),
        /// From the end of instruction to the vote.
        InstructedToVote = ("instructed_to_vote", "Instruction terminée → vote"),
        /// From the vote to the first payment.
        VoteToFirstPayment = ("vote_to_first_payment", "Vote → premier versement"),
    }
}

/// A change of state in a request's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: RequestState,
    pub at: DateTime<Utc>,
}

/// How long a step took, in days, and how much of it the request waited for the association
/// (asked to complete it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepSpan {
    pub step: Step,
    pub days: f64,
    pub waiting_days: f64,
}

/// Whole seconds as days.
fn days(span: chrono::TimeDelta) -> f64 {
    span.num_seconds().max(0) as f64 / 86_400.0
}

impl From<&crate::history::Event> for Transition {
    fn from(event: &crate::history::Event) -> Transition {
        Transition {
            to: event.to,
            at: event.at,
        }
    }
}

/// The steps a history (in order) went through to their end: each from the first entry into
/// its starting state to the first entry into its ending one after it. The time in
/// `incomplete` in between is the association's. The events that did not move the request
/// change nothing: its moves alone give the same spans.
pub fn step_spans(history: &[Transition]) -> Vec<StepSpan> {
    let first = |pred: &dyn Fn(&Transition) -> bool, after: usize| {
        history
            .iter()
            .enumerate()
            .skip(after)
            .find(|(_, t)| pred(t))
            .map(|(i, _)| i)
    };
    let waiting = |from: usize, to: usize| {
        history[from..=to]
            .windows(2)
            .filter(|w| w[0].to == RequestState::Incomplete)
            .map(|w| w[1].at - w[0].at)
            .fold(chrono::TimeDelta::zero(), |total, d| total + d)
    };
    let submitted = first(&|t| t.to == RequestState::Submitted, 0);
    let admissible = submitted.and_then(|s| first(&|t| t.to == RequestState::InInstruction, s));
    let instructed = admissible.and_then(|a| first(&|t| t.to == RequestState::Instructed, a));
    let voted = instructed.and_then(|i| {
        first(
            &|t| {
                t.to == RequestState::Granted
                    || (t.to == RequestState::Rejected
                        && history.iter().any(|h| h.to == RequestState::Scheduled))
            },
            i,
        )
    });
    let mut spans = Vec::new();
    for (step, from, to) in [
        (Step::SubmissionToAdmissible, submitted, admissible),
        (Step::AdmissibleToInstructed, admissible, instructed),
        (Step::InstructedToVote, instructed, voted),
    ] {
        if let (Some(from), Some(to)) = (from, to) {
            spans.push(StepSpan {
                step,
                days: days(history[to].at - history[from].at),
                waiting_days: days(waiting(from, to)),
            });
        }
    }
    spans
}

/// The spans the history ended after its first `before` transitions: what an action adds.
/// A step that ended stays as it ended, whatever comes after.
pub fn spans_ended(history: &[Transition], before: usize) -> Vec<StepSpan> {
    let ended = step_spans(&history[..before.min(history.len())]);
    step_spans(history)
        .into_iter()
        .filter(|span| !ended.iter().any(|e| e.step == span.step))
        .collect()
}

/// A duration as the indicators show it: in tenths of a day, to the nearest.
pub fn tenths(days: f64) -> i64 {
    (days * 10.0).round() as i64
}

/// The value in days below which `p` (0 to 1) of the durations fall, by nearest rank, from
/// how many there are of each (`counts`: tenths of a day and how many, in increasing order);
/// `None` for none. Rounding keeps the order, so this is the rounded [`percentile`] of the
/// durations themselves.
pub fn percentile_of_counts(counts: &[(i64, u64)], p: f64) -> Option<f64> {
    let n: u64 = counts.iter().map(|(_, count)| count).sum();
    if n == 0 {
        return None;
    }
    let rank = ((p * n as f64).ceil() as u64).clamp(1, n);
    let mut seen = 0;
    counts.iter().find_map(|&(tenths, count)| {
        seen += count;
        (seen >= rank).then_some(tenths as f64 / 10.0)
    })
}

/// The days from the vote to the first payment.
pub fn vote_to_first_payment(voted_on: NaiveDate, first_paid_on: NaiveDate) -> StepSpan {
    StepSpan {
        step: Step::VoteToFirstPayment,
        days: (first_paid_on - voted_on).num_days().max(0) as f64,
        waiting_days: 0.0,
    }
}

/// The value below which `p` (0 to 1) of `values` fall, by nearest rank; `None` for none.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Money of a group of requests, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    pub requests: u64,
    pub requested_cents: i64,
    pub proposed_cents: i64,
    pub voted_cents: i64,
    pub paid_cents: i64,
}

impl Amounts {
    pub fn add(&mut self, other: &Amounts) {
        self.requests += other.requests;
        self.requested_cents = total([self.requested_cents, other.requested_cents]);
        self.proposed_cents = total([self.proposed_cents, other.proposed_cents]);
        self.voted_cents = total([self.voted_cents, other.voted_cents]);
        self.paid_cents = total([self.paid_cents, other.paid_cents]);
    }
}

/// The share of requests decided that were refused: rejected after submission, against
/// granted or rejected; `None` before any decision.
pub fn refusal_rate(granted: u64, refused: u64) -> Option<f64> {
    let decided = granted + refused;
    (decided > 0).then(|| refused as f64 / decided as f64)
}

/// When a request's current step was due and how many whole days it is late at `now`, if it
/// is past its deadline; a request in a final state has none.
pub fn step_late(
    due_at: Option<DateTime<Utc>>,
    state: RequestState,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, i64)> {
    due_at
        .filter(|due| *due < now && !state.is_final())
        .map(|due| (due, (now - due).num_days()))
}

/// When a grant's payment was due and how many days it is late on `today`, if it is past due.
pub fn payment_late(due_on: Option<NaiveDate>, today: NaiveDate) -> Option<(NaiveDate, i64)> {
    due_on
        .filter(|due| *due < today)
        .map(|due| (due, crate::funding::days_late(due, today)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    fn went(to: RequestState, day: u32) -> Transition {
        Transition {
            to,
            at: at(day, 12),
        }
    }

    #[test]
    fn each_step_runs_from_its_first_entry_and_the_time_asked_of_the_association_is_apart() {
        use RequestState::*;
        let history = [
            went(Draft, 1),
            went(Submitted, 2),
            went(Incomplete, 4),
            went(Submitted, 9),
            went(InInstruction, 10),
            went(Incomplete, 12),
            went(InInstruction, 13),
            went(Instructed, 20),
            went(Scheduled, 22),
            went(Granted, 30),
        ];
        let spans = step_spans(&history);
        assert_eq!(
            spans,
            vec![
                StepSpan {
                    step: Step::SubmissionToAdmissible,
                    days: 8.0,
                    waiting_days: 5.0
                },
                StepSpan {
                    step: Step::AdmissibleToInstructed,
                    days: 10.0,
                    waiting_days: 1.0
                },
                StepSpan {
                    step: Step::InstructedToVote,
                    days: 10.0,
                    waiting_days: 0.0
                },
            ]
        );
        // Refused at admissibility: no step ends, nothing is counted.
        assert_eq!(step_spans(&[went(Submitted, 2), went(Rejected, 3)]), vec![]);
        // Refused by the vote: the step to the vote ends there.
        let refused = [
            went(Submitted, 2),
            went(InInstruction, 3),
            went(Instructed, 5),
            went(Scheduled, 6),
            went(Rejected, 8),
        ];
        assert_eq!(step_spans(&refused)[2].days, 3.0);
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let values = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 7.0, 6.0, 9.0, 8.0];
        assert_eq!(percentile(&values, 0.5), Some(5.0));
        assert_eq!(percentile(&values, 0.9), Some(9.0));
        assert_eq!(percentile(&[4.0], 0.9), Some(4.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(refusal_rate(6, 4), Some(0.4));
        assert_eq!(refusal_rate(0, 0), None);
    }

    #[test]
    fn the_rounded_percentile_is_read_from_counts_of_tenths() {
        // Durations of every size, some on a tenth's boundary, some repeated.
        let values: Vec<f64> = (0..997u64)
            .map(|i| (i * 7_919 % 1_009) as f64 * 0.0137 + if i % 5 == 0 { 0.05 } else { 0.0 })
            .collect();
        let mut counts: std::collections::BTreeMap<i64, u64> = Default::default();
        for v in &values {
            *counts.entry(tenths(*v)).or_default() += 1;
        }
        let counts: Vec<(i64, u64)> = counts.into_iter().collect();
        for p in [0.0, 0.1, 0.5, 0.9, 0.999, 1.0] {
            let rounded = percentile(&values, p).map(|d| tenths(d) as f64 / 10.0);
            assert_eq!(percentile_of_counts(&counts, p), rounded, "p = {p}");
        }
        assert_eq!(percentile_of_counts(&[], 0.5), None);
    }

    #[test]
    fn an_action_adds_the_spans_it_ends_and_moves_alone_give_the_same_spans() {
        use RequestState::*;
        let noted = |to, day, hour| Transition {
            to,
            at: at(day, hour),
        };
        let history = [
            went(Submitted, 2),
            went(Incomplete, 4),
            // A message while the association completes its request: no move.
            noted(Incomplete, 5, 7),
            went(Submitted, 9),
            went(InInstruction, 10),
            went(Instructed, 20),
        ];
        let moves: Vec<Transition> = history
            .iter()
            .enumerate()
            .filter(|(i, t)| *i == 0 || history[i - 1].to != t.to)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(step_spans(&moves), step_spans(&history));
        let ended = |len: usize, before: usize| -> Vec<Step> {
            spans_ended(&history[..len], before)
                .iter()
                .map(|s| s.step)
                .collect()
        };
        // Completed again: no step ends.
        assert_eq!(ended(4, 3), vec![]);
        assert_eq!(ended(5, 4), vec![Step::SubmissionToAdmissible]);
        assert_eq!(ended(6, 5), vec![Step::AdmissibleToInstructed]);
        // A whole history at once (the fixtures): every step it ended.
        assert_eq!(ended(6, 0).len(), 2);
        assert_eq!(step_spans(&history)[0].waiting_days, 5.0);
    }

    #[test]
    fn a_step_or_a_payment_is_late_past_its_due_time_only() {
        let now = at(10, 12);
        assert_eq!(
            step_late(Some(at(8, 12)), RequestState::InInstruction, now),
            Some((at(8, 12), 2))
        );
        assert_eq!(
            step_late(Some(at(11, 0)), RequestState::InInstruction, now),
            None
        );
        assert_eq!(
            step_late(Some(at(8, 12)), RequestState::Rejected, now),
            None
        );
        assert_eq!(step_late(None, RequestState::Submitted, now), None);
        let today = now.date_naive();
        let due = today - chrono::Duration::days(3);
        assert_eq!(payment_late(Some(due), today), Some((due, 3)));
        assert_eq!(payment_late(Some(today), today), None);
    }
}
