//! Deliberations: the acts by which a council votes subsidies (Paris: every subsidy is voted by
//! the Conseil de Paris, by délibération; a district council gives its opinion on local ones).
//! A deliberation lists requests with the amount proposed; its vote decides them all at once.

use crate::circuit::Command;
use crate::coded_enum;
use crate::council::{Council, DeliberationReference};
use crate::french::long_french_date;
use crate::ids::RequestId;
use crate::request::RequestState;
use crate::text;
use crate::{DomainError, Violation};
use chrono::NaiveDate;

pub fn parse_title(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 300)
}

coded_enum! {
    /// How the council voted a deliberation.
    pub enum VoteOutcome {
        AdoptedAsProposed = ("adopted", "Adoptée"),
        AdoptedWithAmendments = ("adopted_with_amendments", "Adoptée avec amendements"),
        Rejected = ("rejected", "Rejetée"),
    }
}

/// A line of a deliberation: a request and the amount proposed to the vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub request: RequestId,
    /// The request's number, to name it in messages.
    pub number: String,
    pub state: RequestState,
    pub proposed_cents: i64,
    /// What the association asked: the council grants more only saying why.
    pub requested_cents: i64,
}

/// An amendment: the amount voted for one line instead of the one proposed (0 refuses it),
/// and why when it grants more than the association asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    pub request: RequestId,
    pub voted_cents: i64,
    pub reason: Option<String>,
}

/// What the vote decides for one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineDecision {
    Granted {
        voted_cents: i64,
        /// Why the council grants more than the association asked, when it does.
        above_requested: Option<String>,
    },
    Refused,
}

impl LineDecision {
    /// The circuit's action that carries this decision to its request, and the amount granted
    /// (0 when refused).
    pub fn command(
        &self,
        deliberation: &DeliberationReference,
        council: Council,
        voted_on: NaiveDate,
    ) -> (Command, i64) {
        match self {
            LineDecision::Granted {
                voted_cents,
                above_requested,
            } => (
                Command::Grant {
                    deliberation: deliberation.clone(),
                    council,
                    voted_on,
                    voted_cents: *voted_cents,
                    above_requested: above_requested.clone(),
                },
                *voted_cents,
            ),
            LineDecision::Refused => (
                Command::RefuseByVote {
                    deliberation: deliberation.clone(),
                    council,
                    voted_on,
                },
                0,
            ),
        }
    }
}

/// The decision of every line of a deliberation voted with `outcome`. Every line must still be
/// on the agenda (`scheduled`): a line withdrawn meanwhile gets 409 naming it. Amendments come
/// only with `adopted_with_amendments`, one per line at most, each naming a line of the
/// deliberation with an amount from 0 (refused) to ten billion euros.
pub fn decide_vote(
    lines: &[Line],
    outcome: VoteOutcome,
    amendments: &[Amendment],
) -> Result<Vec<(RequestId, LineDecision)>, DomainError> {
    if lines.is_empty() {
        return Err(DomainError::conflict(
            "deliberation.empty",
            None,
            "La délibération ne porte sur aucune demande : ajoutez-en avant le vote.",
        ));
    }
    if let Some(line) = lines.iter().find(|l| l.state != RequestState::Scheduled) {
        return Err(DomainError::conflict(
            "deliberation.line_not_scheduled",
            Some("lines"),
            format!(
                "La demande {} n'est plus inscrite à l'ordre du jour ({}) : retirez-la de la délibération avant le vote.",
                line.number,
                line.state.label().to_lowercase()
            ),
        ));
    }
    let mut errors = Vec::new();
    if outcome != VoteOutcome::AdoptedWithAmendments && !amendments.is_empty() {
        errors.push(
            Violation::new(
                "vote.amendments_not_allowed",
                "Des amendements ne se donnent qu'avec un vote « adoptée avec amendements ».",
            )
            .at("amendments"),
        );
    }
    let mut seen = Vec::new();
    // Why the council grants more than asked, checked, by request.
    let mut reasons = Vec::new();
    for (i, a) in amendments.iter().enumerate() {
        if !lines.iter().any(|l| l.request == a.request) {
            errors.push(
                Violation::new(
                    "vote.amendment_unknown_line",
                    "Cette demande ne figure pas dans la délibération.",
                )
                .at(format!("amendments[{i}].request_id")),
            );
        }
        if seen.contains(&a.request) {
            errors.push(
                Violation::new(
                    "vote.amendment_duplicate",
                    "Une seule modification par demande.",
                )
                .at(format!("amendments[{i}].request_id")),
            );
        }
        seen.push(a.request);
        if let Err(v) = crate::money::check_whole_euros(a.voted_cents, false) {
            errors.push(v.at(format!("amendments[{i}].voted_cents")));
        }
        // Opinions and proposals stay within what was asked: the vote too, unless it says why.
        let requested = lines
            .iter()
            .find(|l| l.request == a.request)
            .map(|l| l.requested_cents);
        if let Some(requested) = requested.filter(|r| a.voted_cents > *r) {
            let said = a
                .reason
                .as_deref()
                .map(|r| crate::text::paragraphs(r, 1, 2000));
            match said {
                Some(Ok(reason)) => reasons.push((a.request, reason)),
                Some(Err(v)) => errors.push(v.at(format!("amendments[{i}].reason"))),
                None => errors.push(
                    Violation::new(
                        "vote.above_requested",
                        format!(
                            "Le montant voté ({}) dépasse le montant demandé ({}) : dites pourquoi le conseil accorde davantage.",
                            crate::money::euros(a.voted_cents),
                            crate::money::euros(requested)
                        ),
                    )
                    .at(format!("amendments[{i}].reason")),
                ),
            }
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    Ok(lines
        .iter()
        .map(|line| {
            let amended = amendments.iter().find(|a| a.request == line.request);
            let voted = match (outcome, amended) {
                (VoteOutcome::Rejected, _) => 0,
                (VoteOutcome::AdoptedWithAmendments, Some(a)) => a.voted_cents,
                _ => line.proposed_cents,
            };
            let above_requested = reasons
                .iter()
                .find(|(request, _)| *request == line.request)
                .map(|(_, reason)| reason.clone());
            let decision = if voted > 0 {
                LineDecision::Granted {
                    voted_cents: voted,
                    above_requested,
                }
            } else {
                LineDecision::Refused
            };
            (line.request, decision)
        })
        .collect())
}

/// A vote is recorded once it happened: on the session's day or after, and not after today.
pub fn check_vote_date(
    voted_on: NaiveDate,
    session_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), DomainError> {
    if voted_on < session_on || voted_on > today {
        return Err(DomainError::invalid(
            "voted_on",
            Violation::new(
                "vote.voted_on",
                format!(
                    "Le vote se date du jour de la séance ({}) ou après, et pas après aujourd'hui.",
                    long_french_date(session_on)
                ),
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vote_is_dated_from_its_session_to_today() {
        let day = |d| NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
        assert!(check_vote_date(day(9), day(9), day(20)).is_ok());
        assert!(check_vote_date(day(20), day(9), day(20)).is_ok());
        for wrong in [day(8), day(21)] {
            assert!(matches!(
                check_vote_date(wrong, day(9), day(20)),
                Err(DomainError::Invalid(_))
            ));
        }
    }

    use uuid::Uuid;

    fn request(n: u128) -> RequestId {
        RequestId::from_uuid(Uuid::from_u128(n))
    }

    fn line(n: u128, state: RequestState, proposed_cents: i64) -> Line {
        Line {
            request: request(n),
            number: format!("2027_{n:05}"),
            state,
            proposed_cents,
            requested_cents: proposed_cents,
        }
    }

    #[test]
    fn a_vote_decides_every_line_at_once() {
        let lines = vec![
            line(1, RequestState::Scheduled, 4_000_00),
            line(2, RequestState::Scheduled, 30_000_00),
            line(3, RequestState::Scheduled, 1_500_00),
        ];
        let granted = |c| LineDecision::Granted {
            voted_cents: c,
            above_requested: None,
        };
        assert_eq!(
            decide_vote(&lines, VoteOutcome::AdoptedAsProposed, &[]).unwrap(),
            vec![
                (request(1), granted(4_000_00)),
                (request(2), granted(30_000_00)),
                (request(3), granted(1_500_00)),
            ]
        );
        let amended = decide_vote(
            &lines,
            VoteOutcome::AdoptedWithAmendments,
            &[
                Amendment {
                    request: request(2),
                    voted_cents: 25_000_00,
                    reason: None,
                },
                Amendment {
                    request: request(3),
                    voted_cents: 0,
                    reason: None,
                },
            ],
        )
        .unwrap();
        assert_eq!(
            amended,
            vec![
                (request(1), granted(4_000_00)),
                (request(2), granted(25_000_00)),
                (request(3), LineDecision::Refused),
            ]
        );
        assert!(
            decide_vote(&lines, VoteOutcome::Rejected, &[])
                .unwrap()
                .iter()
                .all(|(_, d)| *d == LineDecision::Refused)
        );
    }

    #[test]
    fn a_vote_with_a_line_no_longer_scheduled_names_it() {
        let lines = vec![
            line(1, RequestState::Scheduled, 4_000_00),
            line(7, RequestState::Withdrawn, 2_000_00),
        ];
        match decide_vote(&lines, VoteOutcome::AdoptedAsProposed, &[]) {
            Err(DomainError::Conflict { code, message, .. }) => {
                assert_eq!(code, "deliberation.line_not_scheduled");
                assert!(message.contains("2027_00007"), "{message}");
                assert!(message.contains("retirée"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decide_vote(&[], VoteOutcome::AdoptedAsProposed, &[]),
            Err(DomainError::Conflict {
                code: "deliberation.empty",
                ..
            })
        ));
    }

    #[test]
    fn amendments_name_lines_of_the_deliberation_once_with_a_possible_amount() {
        let lines = vec![line(1, RequestState::Scheduled, 4_000_00)];
        let errors = match decide_vote(
            &lines,
            VoteOutcome::AdoptedWithAmendments,
            &[
                Amendment {
                    request: request(9),
                    voted_cents: 100,
                    reason: None,
                },
                Amendment {
                    request: request(1),
                    voted_cents: -5,
                    reason: None,
                },
                Amendment {
                    request: request(1),
                    voted_cents: 100,
                    reason: None,
                },
            ],
        ) {
            Err(DomainError::Invalid(errors)) => errors,
            other => panic!("{other:?}"),
        };
        let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            found,
            [
                ("amendments[0].request_id", "vote.amendment_unknown_line"),
                ("amendments[1].voted_cents", "amount.not_positive"),
                ("amendments[2].request_id", "vote.amendment_duplicate"),
            ]
        );
        assert!(matches!(
            decide_vote(
                &lines,
                VoteOutcome::AdoptedAsProposed,
                &[Amendment {
                    request: request(1),
                    voted_cents: 1,
                    reason: None,
                }]
            ),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn a_vote_grants_more_than_asked_only_saying_why() {
        let lines = vec![Line {
            requested_cents: 12_000_00,
            ..line(1, RequestState::Scheduled, 12_000_00)
        }];
        let more = |reason: Option<&str>| Amendment {
            request: request(1),
            voted_cents: 15_000_00,
            reason: reason.map(str::to_owned),
        };
        let Err(DomainError::Invalid(errors)) =
            decide_vote(&lines, VoteOutcome::AdoptedWithAmendments, &[more(None)])
        else {
            panic!("refused");
        };
        assert_eq!(errors[0].field, "amendments[0].reason");
        assert_eq!(errors[0].code, "vote.above_requested");
        assert!(
            errors[0].message.contains("15\u{202f}000\u{a0}€"),
            "{errors:?}"
        );
        let said = "Le conseil finance aussi la saison d'été.";
        let decided = decide_vote(
            &lines,
            VoteOutcome::AdoptedWithAmendments,
            &[more(Some(said))],
        )
        .unwrap();
        assert_eq!(
            decided[0].1,
            LineDecision::Granted {
                voted_cents: 15_000_00,
                above_requested: Some(said.to_owned())
            }
        );
    }
}
