//! Deliberations: the acts by which a council votes subsidies (Paris: every subsidy is voted by
//! the Conseil de Paris, by délibération; a district council gives its opinion on local ones).
//! A deliberation lists requests with the amount proposed; its vote decides them all at once.

use crate::circuit::Command;
use crate::coded_enum;
use crate::ids::{DistrictNumber, RequestId};
use crate::request::RequestState;
use crate::text;
use crate::{DomainError, FieldError, Violation};
use chrono::NaiveDate;
use std::fmt;

/// A deliberation's reference as Paris writes it: `YYYY DIR NN` (`2021 DAC 123`), a joint
/// project's second direction after a dash (`2003 DPVI 20 - JS 282`), and before 2019 a `G`
/// when the Conseil sat as Conseil général (`2005 DASES 323 G`). French rules §4.8.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliberationReference(String);

fn direction_and_number(part: &str) -> Option<(&str, u32)> {
    let (direction, number) = part.split_once(' ')?;
    let direction_ok =
        (2..=6).contains(&direction.len()) && direction.chars().all(|c| c.is_ascii_uppercase());
    let number_ok = (1..=4).contains(&number.len()) && number.chars().all(|c| c.is_ascii_digit());
    (direction_ok && number_ok)
        .then(|| number.parse().ok())
        .flatten()
        .filter(|n| *n > 0)
        .map(|n| (direction, n))
}

impl DeliberationReference {
    pub fn parse(raw: &str) -> Result<DeliberationReference, Violation> {
        let invalid = || {
            Violation::new(
                "deliberation.reference_invalid",
                format!(
                    "« {} » n'est pas une référence de délibération (AAAA DIR NN, ex. 2027 DAC 123).",
                    raw.trim()
                ),
            )
        };
        let normalised = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let normalised = normalised.to_uppercase();
        let without_g = normalised.strip_suffix(" G").unwrap_or(&normalised);
        let (main, joint) = match without_g.split_once(" - ") {
            Some((main, joint)) => (main, Some(joint)),
            None => (without_g, None),
        };
        let (year, rest) = main.split_once(' ').ok_or_else(invalid)?;
        let year_ok = year.len() == 4
            && year.chars().all(|c| c.is_ascii_digit())
            && year
                .parse::<i32>()
                .is_ok_and(|y| (1990..=2100).contains(&y));
        if !year_ok
            || direction_and_number(rest).is_none()
            || joint.is_some_and(|j| direction_and_number(j).is_none())
        {
            return Err(invalid());
        }
        Ok(DeliberationReference(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn year(&self) -> i32 {
        self.0[..4].parse().unwrap_or_default()
    }

    /// The code of the direction that reports it (`DAC`).
    pub fn direction(&self) -> &str {
        self.0[5..].split(' ').next().unwrap_or_default()
    }
}

impl fmt::Display for DeliberationReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

coded_enum! {
    /// Which council votes.
    pub enum CouncilKind {
        ConseilDeParis = ("conseil_de_paris", "Conseil de Paris"),
        /// A district council: its decision or opinion on local-interest requests (CGCT
        /// L2511-14).
        District = ("conseil_arrondissement", "Conseil d'arrondissement"),
    }
}

/// The council a deliberation is put to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Council {
    pub kind: CouncilKind,
    pub district: Option<DistrictNumber>,
}

impl Council {
    /// A district council names its district; the Conseil de Paris none.
    pub fn new(kind: CouncilKind, district: Option<DistrictNumber>) -> Result<Council, FieldError> {
        match (kind, district) {
            (CouncilKind::ConseilDeParis, None) | (CouncilKind::District, Some(_)) => {
                Ok(Council { kind, district })
            }
            (CouncilKind::ConseilDeParis, Some(_)) => Err(Violation::new(
                "council.district_not_allowed",
                "Le Conseil de Paris ne se limite pas à un arrondissement.",
            )
            .at("district_number")),
            (CouncilKind::District, None) => Err(Violation::new(
                "council.district_required",
                "Précisez l'arrondissement du conseil.",
            )
            .at("district_number")),
        }
    }

    /// Whether a request may be on this council's agenda: the Conseil de Paris votes every
    /// subsidy; a district council decides only the local-interest requests of its district.
    pub fn admits(
        self,
        circuit: crate::campaign::CircuitKind,
        local_district: Option<DistrictNumber>,
    ) -> Result<(), DomainError> {
        match self.district {
            None => Ok(()),
            Some(district)
                if circuit == crate::campaign::CircuitKind::Local
                    && local_district == Some(district) =>
            {
                Ok(())
            }
            Some(_) => Err(DomainError::conflict(
                "deliberation.outside_council",
                Some("request_id"),
                format!(
                    "{} ne décide que des demandes d'intérêt local de son arrondissement.",
                    crate::circuit::capitalised(&self.name())
                ),
            )),
        }
    }

    /// "le Conseil de Paris", "le conseil du 11e arrondissement".
    pub fn name(self) -> String {
        match self.district {
            Some(d) => format!(
                "le conseil du {} arrondissement",
                crate::circuit::ordinal(d)
            ),
            None => "le Conseil de Paris".to_owned(),
        }
    }
}

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
}

/// An amendment: the amount voted for one line instead of the one proposed (0 refuses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amendment {
    pub request: RequestId,
    pub voted_cents: i64,
}

/// What the vote decides for one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineDecision {
    Granted { voted_cents: i64 },
    Refused,
}

impl LineDecision {
    /// The circuit's action that carries this decision to its request, and the amount granted
    /// (0 when refused).
    pub fn command(
        self,
        deliberation: &DeliberationReference,
        council: Council,
        voted_on: NaiveDate,
    ) -> (Command, i64) {
        match self {
            LineDecision::Granted { voted_cents } => (
                Command::Grant {
                    deliberation: deliberation.clone(),
                    council,
                    voted_on,
                    voted_cents,
                },
                voted_cents,
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
        if let Err(v) = crate::money::check_cents(a.voted_cents, false) {
            errors.push(v.at(format!("amendments[{i}].voted_cents")));
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    Ok(lines
        .iter()
        .map(|line| {
            let voted = match outcome {
                VoteOutcome::Rejected => 0,
                VoteOutcome::AdoptedAsProposed => line.proposed_cents,
                VoteOutcome::AdoptedWithAmendments => amendments
                    .iter()
                    .find(|a| a.request == line.request)
                    .map_or(line.proposed_cents, |a| a.voted_cents),
            };
            let decision = if voted > 0 {
                LineDecision::Granted { voted_cents: voted }
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
                    french_date(session_on)
                ),
            ),
        ));
    }
    Ok(())
}

/// "10/02/2027", as people write dates.
pub fn french_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
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

    #[test]
    fn a_district_council_decides_only_the_local_requests_of_its_district() {
        use crate::campaign::CircuitKind::{Central, Local};
        let d11 = Some(DistrictNumber(11));
        let district = Council::new(CouncilKind::District, d11).unwrap();
        let paris = Council::new(CouncilKind::ConseilDeParis, None).unwrap();
        assert!(district.admits(Local, d11).is_ok());
        assert!(paris.admits(Local, d11).is_ok());
        assert!(paris.admits(Central, None).is_ok());
        for (circuit, local) in [(Local, Some(DistrictNumber(5))), (Central, None)] {
            match district.admits(circuit, local) {
                Err(DomainError::Conflict { code, message, .. }) => {
                    assert_eq!(code, "deliberation.outside_council");
                    assert!(message.starts_with("Le conseil du 11e"), "{message}");
                }
                other => panic!("{other:?}"),
            }
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
        }
    }

    #[test]
    fn references_are_written_as_paris_writes_them() {
        for (raw, normalised, year, direction) in [
            ("2021 DAC 123", "2021 DAC 123", 2021, "DAC"),
            (" 2020  dfpe 36 ", "2020 DFPE 36", 2020, "DFPE"),
            (
                "2003 DPVI 20 - JS 282",
                "2003 DPVI 20 - JS 282",
                2003,
                "DPVI",
            ),
            ("2005 DASES 323 G", "2005 DASES 323 G", 2005, "DASES"),
        ] {
            let reference = DeliberationReference::parse(raw).unwrap();
            assert_eq!(reference.as_str(), normalised);
            assert_eq!(reference.year(), year);
            assert_eq!(reference.direction(), direction);
        }
        for bad in [
            "",
            "DAC 123",
            "21 DAC 123",
            "2021 DAC",
            "2021 D 12",
            "2021 DAC 12345",
            "2021 DAC 0",
            "2021 DAC 12 -",
            "2021 DAC 12 - JS",
            "2021 DAC 12 X",
        ] {
            assert_eq!(
                DeliberationReference::parse(bad).unwrap_err().code,
                "deliberation.reference_invalid",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_district_council_names_its_district() {
        let eleventh = Council::new(CouncilKind::District, Some(DistrictNumber(11))).unwrap();
        assert_eq!(eleventh.name(), "le conseil du 11e arrondissement");
        assert_eq!(
            Council::new(CouncilKind::ConseilDeParis, None)
                .unwrap()
                .name(),
            "le Conseil de Paris"
        );
        assert_eq!(
            Council::new(CouncilKind::District, None).unwrap_err().code,
            "council.district_required"
        );
        assert_eq!(
            Council::new(CouncilKind::ConseilDeParis, Some(DistrictNumber(1)))
                .unwrap_err()
                .code,
            "council.district_not_allowed"
        );
    }

    #[test]
    fn a_vote_decides_every_line_at_once() {
        let lines = vec![
            line(1, RequestState::Scheduled, 4_000_00),
            line(2, RequestState::Scheduled, 30_000_00),
            line(3, RequestState::Scheduled, 1_500_00),
        ];
        let granted = |c| LineDecision::Granted { voted_cents: c };
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
                },
                Amendment {
                    request: request(3),
                    voted_cents: 0,
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
                },
                Amendment {
                    request: request(1),
                    voted_cents: -5,
                },
                Amendment {
                    request: request(1),
                    voted_cents: 100,
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
                    voted_cents: 1
                }]
            ),
            Err(DomainError::Invalid(_))
        ));
    }
}
