//! The jury of a call for projects: its settings and session, who sits on which request,
//! conflicts of interest, and what may change when.
//!
//! A session is open while jurors score; the chair closes it (scores are then locked) and
//! validates the ranking, which moves each request to `ranked` or `rejected` (see
//! `scoring.rs` for the ranking and allocation).

use crate::circuit::Declaration;
use crate::coded_enum;
use crate::french;
use crate::ids::{AccountId, RequestId};
use crate::scoring::{AllocationRules, Criterion, CriterionInput, LastRequest, parse_grid};
use crate::text;
use crate::{Checks, DomainError, FieldError, Violation};
use std::collections::{HashMap, HashSet};

coded_enum! {
    pub enum SessionStatus {
        Open = ("open", "Ouverte : les juré·es notent"),
        Closed = ("closed", "Close : notes verrouillées"),
        Validated = ("validated", "Validée : classement arrêté"),
    }
}

/// What the bureau sets for a campaign's jury.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JurySettings {
    pub grid: Vec<Criterion>,
    pub normalise: bool,
    /// Requests with fewer sheets handed in are flagged.
    pub min_scores: u32,
    /// Out of 100: requests scored below are not funded.
    pub min_score: u32,
    pub last_request: LastRequest,
    /// Jurors per request; `None`: every juror on every request.
    pub jurors_per_request: Option<u32>,
    /// The day the session is planned to close: jurors whose sheets are not handed in are
    /// recalled [`SHEETS_REMINDER_DAYS`] days before.
    pub closes_on: Option<chrono::NaiveDate>,
}

/// Jurors whose sheets are not all handed in are recalled this many days before the session
/// is planned to close.
pub const SHEETS_REMINDER_DAYS: i64 = 3;

/// A jury's rules as sent: its grid and the rules between its fields.
pub struct JuryInput {
    pub criteria: Vec<CriterionInput>,
    pub normalise: bool,
    pub min_scores: u32,
    pub min_score: u32,
    pub last_request: LastRequest,
    pub jurors_per_request: Option<u32>,
    pub closes_on: Option<chrono::NaiveDate>,
}

impl JuryInput {
    /// The settings, or every broken rule of the grid and between fields at once.
    pub fn parse(&self) -> Result<JurySettings, DomainError> {
        let mut c = Checks::default();
        let grid = parse_grid(&self.criteria).map_err(|e| c.extend(e)).ok();
        let settings = JurySettings {
            grid: grid.unwrap_or_default(),
            normalise: self.normalise,
            min_scores: self.min_scores,
            min_score: self.min_score,
            last_request: self.last_request,
            jurors_per_request: self.jurors_per_request,
            closes_on: self.closes_on,
        };
        if let Err(errors) = settings.check() {
            c.extend(errors);
        }
        c.finish()?;
        Ok(settings)
    }
}

impl JurySettings {
    /// The rules the allocation follows: the jury's, with the campaign's envelope.
    pub fn allocation_rules(&self, envelope_cents: Option<i64>) -> AllocationRules {
        AllocationRules {
            envelope_cents: envelope_cents.unwrap_or(0),
            normalise: self.normalise,
            min_scores: self.min_scores,
            min_score: self.min_score,
            last_request: self.last_request,
        }
    }

    /// The rules between fields; the grid was checked on its own.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.min_score > 100 {
            errors.push(
                Violation::new(
                    "jury.min_score_out_of_range",
                    "Une note minimale va de 0 à 100.",
                )
                .at("min_score"),
            );
        }
        if self.min_scores > 50 {
            errors.push(
                Violation::new("jury.min_scores_out_of_range", "De 0 à 50 notes.").at("min_scores"),
            );
        }
        if self
            .jurors_per_request
            .is_some_and(|n| !(1..=50).contains(&n))
        {
            errors.push(
                Violation::new(
                    "jury.jurors_per_request_out_of_range",
                    "De 1 à 50 juré·es par demande.",
                )
                .at("jurors_per_request"),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jury {
    pub settings: JurySettings,
    pub status: SessionStatus,
    pub version: i64,
}

fn conflict(code: &'static str, message: &str) -> DomainError {
    DomainError::conflict(code, None, message)
}

impl Jury {
    /// Settings change until the ranking is validated; the grid only until the first score
    /// is given (the scores were given against it).
    pub fn check_edit(&self, edited: &JurySettings, scored: bool) -> Result<(), DomainError> {
        if self.status == SessionStatus::Validated {
            return Err(conflict(
                "jury.validated",
                "Le classement du jury est validé : ses règles ne changent plus.",
            ));
        }
        if scored && edited.grid != self.settings.grid {
            return Err(DomainError::conflict(
                "jury.grid_locked",
                Some("criteria"),
                "Des notes ont déjà été données : la grille ne peut plus changer.",
            ));
        }
        Ok(())
    }

    /// Jurors score, declare and are assigned while the session is open.
    pub fn check_open(&self) -> Result<(), DomainError> {
        match self.status {
            SessionStatus::Open => Ok(()),
            SessionStatus::Closed => Err(conflict(
                "jury.session_closed",
                "La séance du jury est close : les notes sont verrouillées.",
            )),
            SessionStatus::Validated => Err(conflict(
                "jury.validated",
                "Le classement du jury est validé : plus rien ne change.",
            )),
        }
    }

    /// The chair closes an open session.
    pub fn check_close(&self) -> Result<(), DomainError> {
        self.check_open()
    }

    /// The chair validates a closed session once, when the call has an envelope to share out
    /// and no request is still in instruction (`pending`: their numbers).
    pub fn check_validate(
        &self,
        envelope_cents: Option<i64>,
        pending: &[String],
    ) -> Result<(), DomainError> {
        match self.status {
            SessionStatus::Closed => {}
            SessionStatus::Open => {
                return Err(conflict(
                    "jury.session_open",
                    "Closez d'abord la séance du jury : le classement se valide sur des notes verrouillées.",
                ));
            }
            SessionStatus::Validated => {
                return Err(conflict(
                    "jury.already_validated",
                    "Le classement a déjà été validé et l'enveloppe répartie : elle ne se répartit pas deux fois.",
                ));
            }
        }
        if envelope_cents.is_none() {
            return Err(conflict(
                "jury.no_envelope",
                "L'appel à projets n'a pas d'enveloppe : fixez-la (envelope_cents) avant de répartir.",
            ));
        }
        if !pending.is_empty() {
            return Err(conflict(
                "jury.instruction_pending",
                &format!(
                    "{} (complétude, pièces ou avis) : {}.",
                    french::agreed(
                        pending.len(),
                        "Une demande n'est pas encore instruite",
                        "{n} demandes ne sont pas encore instruites"
                    ),
                    pending.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// Why Simpa recuses a juror who is a member of the applicant association.
pub const MEMBER_OF_APPLICANT: &str = "Membre de l'association qui dépose la demande.";

/// A declaration as given: a conflict needs its reason.
pub fn parse_declaration(
    declaration: Declaration,
    reason: Option<&str>,
) -> Result<Option<String>, DomainError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match (declaration, reason) {
        (Declaration::Conflict, None) => Err(DomainError::invalid(
            "reason",
            Violation::new(
                "declaration.reason_required",
                "Précisez la nature du conflit d'intérêts.",
            ),
        )),
        (_, Some(reason)) => text::paragraphs(reason, 1, 2000)
            .map(Some)
            .map_err(|v| DomainError::invalid("reason", v)),
        (Declaration::NoConflict, None) => Ok(None),
    }
}

/// A juror who declared a conflict stays recused: the declaration is final.
pub fn check_declaration_change(current: Option<Declaration>) -> Result<(), DomainError> {
    if current == Some(Declaration::Conflict) {
        return Err(conflict(
            "jury.recused",
            "Vous êtes récusé·e pour cette demande : la déclaration est définitive.",
        ));
    }
    Ok(())
}

/// A juror sees a request, and scores it, once they declared no conflict.
pub fn check_cleared(declaration: Option<Declaration>) -> Result<(), DomainError> {
    match declaration {
        Some(Declaration::NoConflict) => Ok(()),
        _ => Err(conflict(
            "jury.declaration_required",
            "Déclarez d'abord l'absence de conflit d'intérêts avec cette demande (PUT …/jury/declaration).",
        )),
    }
}

/// A sheet handed in no longer changes.
pub fn check_sheet_editable(handed_in: bool) -> Result<(), DomainError> {
    if handed_in {
        return Err(conflict(
            "jury.sheet_handed_in",
            "Votre fiche de notation a été remise : elle ne se modifie plus.",
        ));
    }
    Ok(())
}

/// A request to assign, with the jurors who may not sit on it (members of the applicant,
/// jurors who declared a conflict) and those already on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToCover {
    pub request: RequestId,
    pub excluded: Vec<AccountId>,
    pub seated: Vec<AccountId>,
}

/// Seats jurors on requests: every juror on every request, or `per_request` of them spread
/// evenly. Each request takes the least-loaded eligible jurors, ties broken by a rotation
/// from the request's position, so the spread is even and the same input gives the same
/// seats. Existing seats stay; only the missing ones are returned. Run again after a
/// withdrawal (without the juror), it fills the seats left empty.
pub fn assign(
    requests: &[ToCover],
    jurors: &[AccountId],
    per_request: Option<u32>,
) -> Vec<(RequestId, AccountId)> {
    let mut load: HashMap<AccountId, usize> = jurors.iter().map(|j| (*j, 0)).collect();
    for r in requests {
        for j in &r.seated {
            if let Some(l) = load.get_mut(j) {
                *l += 1;
            }
        }
    }
    let mut seats = Vec::new();
    for (position, r) in requests.iter().enumerate() {
        let seated: HashSet<AccountId> = r.seated.iter().copied().collect();
        let active_seated = jurors.iter().filter(|j| seated.contains(j)).count();
        let mut free: Vec<(usize, usize, AccountId)> = jurors
            .iter()
            .enumerate()
            .filter(|(_, j)| !seated.contains(j) && !r.excluded.contains(j))
            .map(|(i, j)| {
                let turn = (i + jurors.len() - position % jurors.len().max(1)) % jurors.len();
                (load[j], turn, *j)
            })
            .collect();
        free.sort();
        let wanted = per_request.map_or(usize::MAX, |n| n as usize);
        for (_, _, juror) in free.into_iter().take(wanted.saturating_sub(active_seated)) {
            *load.entry(juror).or_default() += 1;
            seats.push((r.request, juror));
        }
    }
    seats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{CriterionInput, parse_grid};
    use uuid::Uuid;

    fn juror(n: u128) -> AccountId {
        AccountId::from_uuid(Uuid::from_u128(n))
    }

    fn request(n: u128) -> RequestId {
        RequestId::from_uuid(Uuid::from_u128(1000 + n))
    }

    fn settings() -> JurySettings {
        JurySettings {
            grid: parse_grid(&[CriterionInput {
                label: "Impact".into(),
                description: String::new(),
                weight: 1,
                max_points: 5,
            }])
            .unwrap(),
            normalise: false,
            min_scores: 2,
            min_score: 40,
            last_request: LastRequest::Partial,
            jurors_per_request: Some(2),
            closes_on: None,
        }
    }

    fn jury(status: SessionStatus) -> Jury {
        Jury {
            settings: settings(),
            status,
            version: 1,
        }
    }

    fn code(e: DomainError) -> &'static str {
        match e {
            DomainError::Conflict { code, .. } => code,
            DomainError::Invalid(errors) => errors[0].code,
            _ => "other",
        }
    }

    #[test]
    fn the_grid_is_locked_by_the_first_score_and_everything_by_validation() {
        let open = jury(SessionStatus::Open);
        let mut other_grid = settings();
        other_grid.grid[0].max_points = 10;
        assert!(open.check_edit(&other_grid, false).is_ok());
        assert_eq!(
            code(open.check_edit(&other_grid, true).unwrap_err()),
            "jury.grid_locked"
        );
        let normalised = JurySettings {
            normalise: true,
            ..settings()
        };
        assert!(open.check_edit(&normalised, true).is_ok());
        assert_eq!(
            code(
                jury(SessionStatus::Validated)
                    .check_edit(&normalised, true)
                    .unwrap_err()
            ),
            "jury.validated"
        );
        let bad = JurySettings {
            min_score: 101,
            jurors_per_request: Some(0),
            closes_on: None,
            ..settings()
        };
        assert_eq!(bad.check().unwrap_err().len(), 2);
    }

    #[test]
    fn a_session_is_open_then_closed_then_validated_once() {
        assert!(jury(SessionStatus::Open).check_close().is_ok());
        assert_eq!(
            code(jury(SessionStatus::Closed).check_open().unwrap_err()),
            "jury.session_closed"
        );
        let envelope = Some(10_000_00);
        assert_eq!(
            code(
                jury(SessionStatus::Open)
                    .check_validate(envelope, &[])
                    .unwrap_err()
            ),
            "jury.session_open"
        );
        assert!(
            jury(SessionStatus::Closed)
                .check_validate(envelope, &[])
                .is_ok()
        );
        assert_eq!(
            code(
                jury(SessionStatus::Validated)
                    .check_validate(envelope, &[])
                    .unwrap_err()
            ),
            "jury.already_validated"
        );
    }

    #[test]
    fn a_ranking_is_validated_with_an_envelope_and_every_request_instructed() {
        let closed = jury(SessionStatus::Closed);
        assert_eq!(
            code(closed.check_validate(None, &[]).unwrap_err()),
            "jury.no_envelope"
        );
        let pending = ["2027_00004".to_owned(), "2027_00009".to_owned()];
        match closed.check_validate(Some(10_000_00), &pending) {
            Err(DomainError::Conflict { code, message, .. }) => {
                assert_eq!(code, "jury.instruction_pending");
                assert!(message.starts_with("2 demandes ne sont pas"), "{message}");
                assert!(message.ends_with(": 2027_00004, 2027_00009."), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_conflict_needs_a_reason_and_is_final() {
        assert_eq!(
            code(parse_declaration(Declaration::Conflict, Some("  ")).unwrap_err()),
            "declaration.reason_required"
        );
        assert_eq!(
            parse_declaration(Declaration::Conflict, Some("Je préside le club voisin")),
            Ok(Some("Je préside le club voisin".into()))
        );
        assert_eq!(parse_declaration(Declaration::NoConflict, None), Ok(None));
        assert!(check_declaration_change(Some(Declaration::NoConflict)).is_ok());
        assert_eq!(
            code(check_declaration_change(Some(Declaration::Conflict)).unwrap_err()),
            "jury.recused"
        );
        assert_eq!(
            code(check_cleared(None).unwrap_err()),
            "jury.declaration_required"
        );
        assert!(check_cleared(Some(Declaration::NoConflict)).is_ok());
    }

    fn cover(n: u128, excluded: &[u128], seated: &[u128]) -> ToCover {
        ToCover {
            request: request(n),
            excluded: excluded.iter().map(|j| juror(*j)).collect(),
            seated: seated.iter().map(|j| juror(*j)).collect(),
        }
    }

    fn loads(seats: &[(RequestId, AccountId)], jurors: &[AccountId]) -> Vec<usize> {
        jurors
            .iter()
            .map(|j| seats.iter().filter(|(_, s)| s == j).count())
            .collect()
    }

    #[test]
    fn jurors_are_spread_evenly_and_never_on_a_request_they_are_excluded_from() {
        let jurors: Vec<AccountId> = (1..=5).map(juror).collect();
        let requests: Vec<ToCover> = (1..=30)
            .map(|n| {
                if n == 7 {
                    cover(n, &[1, 2], &[])
                } else {
                    cover(n, &[], &[])
                }
            })
            .collect();
        let seats = assign(&requests, &jurors, Some(2));
        assert_eq!(seats.len(), 60);
        assert!(loads(&seats, &jurors).iter().all(|l| *l == 12));
        let on_seven: Vec<AccountId> = seats
            .iter()
            .filter(|(r, _)| *r == request(7))
            .map(|(_, j)| *j)
            .collect();
        assert_eq!(on_seven.len(), 2);
        assert!(!on_seven.contains(&juror(1)) && !on_seven.contains(&juror(2)));
        assert_eq!(assign(&requests, &jurors, Some(2)), seats, "deterministic");

        let everyone = assign(&requests, &jurors, None);
        assert_eq!(everyone.len(), 30 * 5 - 2);
    }

    #[test]
    fn a_withdrawal_is_covered_by_the_least_loaded_others() {
        let jurors: Vec<AccountId> = (1..=4).map(juror).collect();
        let requests: Vec<ToCover> = (1..=8).map(|n| cover(n, &[], &[])).collect();
        let seats = assign(&requests, &jurors, Some(2));
        // Juror 4 withdraws: the seats the others keep stay, the empty ones are filled.
        let remaining: Vec<AccountId> = (1..=3).map(juror).collect();
        let kept: Vec<ToCover> = requests
            .iter()
            .map(|r| ToCover {
                seated: seats
                    .iter()
                    .filter(|(req, j)| *req == r.request && *j != juror(4))
                    .map(|(_, j)| *j)
                    .collect(),
                ..r.clone()
            })
            .collect();
        let refill = assign(&kept, &remaining, Some(2));
        assert_eq!(
            refill.len(),
            seats.iter().filter(|(_, j)| *j == juror(4)).count()
        );
        let mut all: Vec<(RequestId, AccountId)> = seats
            .iter()
            .copied()
            .filter(|(_, j)| *j != juror(4))
            .chain(refill)
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 16, "two distinct jurors on every request");
        // Juror 4 always sat beside juror 3 (equal loads pair jurors by rotation), so the
        // seats it leaves go to jurors 1 and 2.
        assert_eq!(loads(&all, &remaining), [6, 6, 4]);
    }
}
