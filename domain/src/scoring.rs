//! How a jury's scores become a ranking and how the envelope of a call for projects is shared
//! out (Paris 2025/26: "critères d'analyse, déploiement d'AAP et de jurys … dimensionner les
//! subventions au plus juste").
//!
//! A juror's sheet gives points per criterion of the campaign's grid; its weighted score is
//! out of 100. A request's score is the mean over the jurors who may score it (recused or
//! withdrawn jurors never count). Optionally each juror's scores are first normalised (a
//! z-score over that juror's sheets), so that a harsh and a lenient juror weigh the same.
//! Requests are ranked by score, then by the instruction's opinion, then by submission time;
//! the envelope is allocated top-down, each request receiving its proposed amount (bounded by
//! what it asked) until the envelope runs out.

use crate::circuit::{Command, OpinionValue};
use crate::coded_enum;
use crate::french::score_in_french;
use crate::ids::{AccountId, RequestId};
use crate::text;
use crate::{FieldError, Violation};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// One line of a campaign's scoring grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub label: String,
    pub description: String,
    /// How much the criterion counts against the others (1 to 100).
    pub weight: u32,
    /// Points are whole numbers from 0 to this (1 to 100).
    pub max_points: u32,
}

pub const MAX_CRITERIA: usize = 20;

/// A criterion as typed, before it is checked.
#[derive(Debug, Clone)]
pub struct CriterionInput {
    pub label: String,
    pub description: String,
    pub weight: i64,
    pub max_points: i64,
}

/// Checks a whole grid: 1 to 20 criteria with distinct labels, weights and maximums from 1
/// to 100; every broken rule is listed.
pub fn parse_grid(input: &[CriterionInput]) -> Result<Vec<Criterion>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if input.is_empty() || input.len() > MAX_CRITERIA {
        errors.push(
            Violation::new(
                "grid.size",
                format!("Une grille compte de 1 à {MAX_CRITERIA} critères."),
            )
            .at("criteria"),
        );
    }
    let mut grid = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for (i, c) in input.iter().enumerate() {
        let at = |field: &str| format!("criteria[{i}].{field}");
        let label = text::line(&c.label, 1, 200)
            .map_err(|v| errors.push(v.at(at("label"))))
            .ok();
        let description = text::paragraphs(&c.description, 0, 2000)
            .map_err(|v| errors.push(v.at(at("description"))))
            .ok();
        let mut within = |field: &str, value: i64| match u32::try_from(value) {
            Ok(v) if (1..=100).contains(&v) => Some(v),
            _ => {
                errors.push(Violation::new("grid.out_of_range", "De 1 à 100.").at(at(field)));
                None
            }
        };
        let weight = within("weight", c.weight);
        let max_points = within("max_points", c.max_points);
        if let Some(label) = &label {
            let key = label.to_lowercase();
            if labels.contains(&key) {
                errors.push(
                    Violation::new(
                        "grid.duplicate_label",
                        "Deux critères ne portent pas le même intitulé.",
                    )
                    .at(at("label")),
                );
            }
            labels.push(key);
        }
        if let (Some(label), Some(description), Some(weight), Some(max_points)) =
            (label, description, weight, max_points)
        {
            grid.push(Criterion {
                label,
                description,
                weight,
                max_points,
            });
        }
    }
    if errors.is_empty() {
        Ok(grid)
    } else {
        Err(errors)
    }
}

/// Checks a juror's points against the grid: one entry per criterion, each from 0 to its
/// maximum; `complete` (a sheet handed in) wants every criterion scored.
pub fn check_points(
    grid: &[Criterion],
    points: &[Option<i64>],
    complete: bool,
) -> Result<Vec<Option<u32>>, Vec<FieldError>> {
    if points.len() != grid.len() {
        return Err(vec![
            Violation::new(
                "score.criteria_mismatch",
                format!(
                    "La grille compte {} : donnez une note par critère, dans l'ordre de la grille.",
                    crate::french::count(
                        i64::try_from(grid.len()).unwrap_or(i64::MAX),
                        "critère",
                        "critères"
                    )
                ),
            )
            .at("scores"),
        ]);
    }
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(points.len());
    for (i, (criterion, given)) in grid.iter().zip(points).enumerate() {
        let field = format!("scores[{i}].points");
        match given {
            None if complete => errors.push(
                Violation::new(
                    "score.missing",
                    format!("Notez « {} » avant de remettre la fiche.", criterion.label),
                )
                .at(field),
            ),
            None => checked.push(None),
            Some(p) => match u32::try_from(*p) {
                Ok(p) if p <= criterion.max_points => checked.push(Some(p)),
                _ => errors.push(
                    Violation::new(
                        "score.out_of_range",
                        format!(
                            "« {} » se note de 0 à {} points.",
                            criterion.label, criterion.max_points
                        ),
                    )
                    .at(field),
                ),
            },
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

/// A juror's mark on one criterion: points (none yet in a draft) and a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub points: Option<u32>,
    pub comment: Option<String>,
}

/// Checks a sheet as typed (points and comment per criterion, see [`check_points`]).
pub fn check_sheet(
    grid: &[Criterion],
    typed: &[(Option<i64>, Option<String>)],
    complete: bool,
) -> Result<Vec<Mark>, Vec<FieldError>> {
    let points: Vec<Option<i64>> = typed.iter().map(|(p, _)| *p).collect();
    let mut errors = Vec::new();
    let comments: Vec<Option<String>> = typed
        .iter()
        .enumerate()
        .map(|(i, (_, comment))| {
            let comment = comment
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())?;
            text::paragraphs(comment, 1, 2000)
                .map_err(|v| errors.push(v.at(format!("scores[{i}].comment"))))
                .ok()
        })
        .collect();
    match check_points(grid, &points, complete) {
        Ok(points) if errors.is_empty() => Ok(points
            .into_iter()
            .zip(comments)
            .map(|(points, comment)| Mark { points, comment })
            .collect()),
        Ok(_) => Err(errors),
        Err(mut more) => {
            more.extend(errors);
            Err(more)
        }
    }
}

/// The points of a sheet handed in (every criterion scored), in grid order.
pub fn complete_points(marks: &[Mark]) -> Option<Vec<u32>> {
    marks.iter().map(|m| m.points).collect()
}

/// The weighted score of a complete sheet, out of 100: Σ weight × points / Σ weight × maximum.
pub fn weighted(grid: &[Criterion], points: &[u32]) -> f64 {
    let (mut got, mut best) = (0u64, 0u64);
    for (criterion, p) in grid.iter().zip(points) {
        got += u64::from(criterion.weight) * u64::from(*p);
        best += u64::from(criterion.weight) * u64::from(criterion.max_points);
    }
    if best == 0 {
        0.0
    } else {
        100.0 * got as f64 / best as f64
    }
}

/// The mean points of each of `criteria` criteria over the sheets handed in (each sheet its
/// points in the grid's order); `None` where no sheet gave that criterion points.
pub fn criteria_means<'a>(
    sheets: impl Iterator<Item = &'a [u32]> + Clone,
    criteria: usize,
) -> Vec<Option<f64>> {
    (0..criteria)
        .map(|i| {
            let points: Vec<f64> = sheets
                .clone()
                .filter_map(|sheet| sheet.get(i).map(|p| f64::from(*p)))
                .collect();
            (!points.is_empty()).then(|| points.iter().sum::<f64>() / points.len() as f64)
        })
        .collect()
}

/// A score as people read it, in hundredths: 72.456 → 7246 ("72,46/100").
pub fn hundredths(score: f64) -> i64 {
    (score * 100.0).round() as i64
}

coded_enum! {
    /// What the last request reached when the envelope runs out receives.
    pub enum LastRequest {
        Partial = ("partial", "Le reste de l'enveloppe"),
        Skip = ("skip", "Rien : elle n'est pas financée"),
    }
}

coded_enum! {
    /// What the allocation gave a ranked request, and why.
    pub enum Allotment {
        Funded = ("funded", "Retenue"),
        PartiallyFunded = ("partially_funded", "Retenue pour le reste de l'enveloppe"),
        EnvelopeExhausted = ("envelope_exhausted", "Non retenue : enveloppe épuisée"),
        BelowMinimum = ("below_minimum", "Non retenue : note inférieure au minimum"),
        NoAmountProposed = ("no_amount_proposed", "Non retenue : aucun montant proposé par l'instruction"),
        Unscored = ("unscored", "Non retenue : aucune note du jury"),
    }
}

impl Allotment {
    pub fn is_funded(self) -> bool {
        matches!(self, Allotment::Funded | Allotment::PartiallyFunded)
    }
}

/// A sheet handed in: a juror's weighted score of a request (out of 100).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sheet {
    pub request: RequestId,
    pub juror: AccountId,
    pub score: f64,
}

/// A request the jury ranks, with what instruction said of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub request: RequestId,
    pub requested_cents: i64,
    pub proposed_cents: Option<i64>,
    /// The lead instructor's opinion.
    pub opinion: Option<OpinionValue>,
    pub submitted_at: DateTime<Utc>,
}

/// The campaign's rules for ranking and allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocationRules {
    pub envelope_cents: i64,
    /// Rank by each juror's normalised scores (z-scores) rather than their raw scores.
    pub normalise: bool,
    /// Requests scored by fewer jurors are flagged for the chair.
    pub min_scores: u32,
    /// Requests whose score (out of 100, raw) is below this are not funded.
    pub min_score: u32,
    pub last_request: LastRequest,
}

impl AllocationRules {
    /// Whether a request scored by this many sheets is flagged for the chair: fewer than the
    /// jury wants.
    pub fn too_few_sheets(&self, sheets: u32) -> bool {
        sheets < self.min_scores
    }
}

/// A request's place in the ranking and what the allocation gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub request: RequestId,
    /// 1 for the first.
    pub rank: u32,
    /// The mean weighted score (out of 100) of the jurors who count; `None` when unscored.
    pub score: Option<f64>,
    /// The mean z-score, when the campaign normalises.
    pub normalised: Option<f64>,
    pub sheets: u32,
    /// Fewer sheets than the campaign wants.
    pub flagged: bool,
    pub funded_cents: i64,
    pub allotment: Allotment,
}

/// What ranks first: the higher score (kept to a millionth, so that a computation's last bits
/// never decide), a better opinion, the earlier submission, then the id.
fn rank_key(score: Option<f64>) -> i64 {
    score.map_or(i64::MAX, |s| -((s * 1e6).round() as i64))
}

fn opinion_rank(opinion: Option<OpinionValue>) -> u8 {
    match opinion {
        Some(OpinionValue::Favourable) => 0,
        Some(OpinionValue::Reserved) => 1,
        Some(OpinionValue::Unfavourable) => 2,
        None => 3,
    }
}

/// Each juror's mean and standard deviation over the sheets that count.
fn juror_statistics(sheets: &[&Sheet]) -> HashMap<AccountId, (f64, f64)> {
    let mut by_juror: HashMap<AccountId, Vec<f64>> = HashMap::new();
    for s in sheets {
        by_juror.entry(s.juror).or_default().push(s.score);
    }
    by_juror
        .into_iter()
        .map(|(juror, mut scores)| {
            // Summed in a fixed order, so the result does not depend on the input's.
            scores.sort_by(f64::total_cmp);
            let n = scores.len() as f64;
            let mean = scores.iter().sum::<f64>() / n;
            let variance = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
            (juror, (mean, variance.sqrt()))
        })
        .collect()
}

fn mean(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Ranks the candidates and shares out the envelope. Sheets of `excluded` jurors for a
/// request (recused) and sheets of requests that are not candidates are left out. The same
/// input in any order gives the same result; the sum funded never exceeds the envelope.
pub fn rank_and_allocate(
    candidates: &[Candidate],
    sheets: &[Sheet],
    excluded: &HashSet<(RequestId, AccountId)>,
    rules: &AllocationRules,
) -> Vec<Placed> {
    let known: HashSet<RequestId> = candidates.iter().map(|c| c.request).collect();
    let counted: Vec<&Sheet> = sheets
        .iter()
        .filter(|s| known.contains(&s.request) && !excluded.contains(&(s.request, s.juror)))
        .collect();
    let statistics = juror_statistics(&counted);
    let mut raw: HashMap<RequestId, Vec<f64>> = HashMap::new();
    let mut normal: HashMap<RequestId, Vec<f64>> = HashMap::new();
    for s in &counted {
        raw.entry(s.request).or_default().push(s.score);
        let (m, sd) = statistics[&s.juror];
        let z = if sd > 1e-9 { (s.score - m) / sd } else { 0.0 };
        normal.entry(s.request).or_default().push(z);
    }
    let mut placed: Vec<(Placed, &Candidate)> = candidates
        .iter()
        .map(|c| {
            let mut scores = raw.remove(&c.request).unwrap_or_default();
            let sheets = u32::try_from(scores.len()).unwrap_or(u32::MAX);
            let normalised = if rules.normalise {
                mean(&mut normal.remove(&c.request).unwrap_or_default())
            } else {
                None
            };
            (
                Placed {
                    request: c.request,
                    rank: 0,
                    score: mean(&mut scores),
                    normalised,
                    sheets,
                    flagged: rules.too_few_sheets(sheets),
                    funded_cents: 0,
                    allotment: Allotment::Unscored,
                },
                c,
            )
        })
        .collect();
    placed.sort_by_key(|(p, c)| {
        let ranked_on = if rules.normalise {
            p.normalised
        } else {
            p.score
        };
        (
            rank_key(ranked_on),
            opinion_rank(c.opinion),
            c.submitted_at,
            c.request,
        )
    });
    let mut left = rules.envelope_cents.max(0);
    let mut exhausted = false;
    placed
        .into_iter()
        .enumerate()
        .map(|(i, (mut p, c))| {
            p.rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let amount = c.proposed_cents.unwrap_or(0).min(c.requested_cents).max(0);
            p.allotment = match p.score {
                None => Allotment::Unscored,
                Some(s) if s < f64::from(rules.min_score) => Allotment::BelowMinimum,
                Some(_) if amount == 0 => Allotment::NoAmountProposed,
                Some(_) if exhausted => Allotment::EnvelopeExhausted,
                Some(_) if amount <= left => {
                    left -= amount;
                    p.funded_cents = amount;
                    Allotment::Funded
                }
                Some(_) => {
                    exhausted = true;
                    if rules.last_request == LastRequest::Partial && left > 0 {
                        p.funded_cents = left;
                        left = 0;
                        Allotment::PartiallyFunded
                    } else {
                        Allotment::EnvelopeExhausted
                    }
                }
            };
            p
        })
        .collect()
}

/// What the validated ranking does to a request: ranked with its amount, or left out with
/// the reason the association is told.
pub fn outcome_command(p: &Placed, rules: &AllocationRules) -> Command {
    let score = p.score.map(hundredths);
    let noted = score.map_or_else(String::new, |s| format!(" (note {})", score_in_french(s)));
    let reason = match p.allotment {
        Allotment::Funded | Allotment::PartiallyFunded => {
            return Command::Rank {
                rank: p.rank,
                score_hundredths: score.unwrap_or(0),
                funded_cents: p.funded_cents,
                partial: p.allotment == Allotment::PartiallyFunded,
            };
        }
        Allotment::EnvelopeExhausted => format!(
            "Non retenue par le jury de l'appel à projets{noted} : l'enveloppe de {} était épuisée à son rang.",
            crate::money::euros(rules.envelope_cents)
        ),
        Allotment::BelowMinimum => format!(
            "Non retenue par le jury de l'appel à projets{noted} : la note minimale est de {}/100.",
            rules.min_score
        ),
        Allotment::NoAmountProposed => format!(
            "Non retenue{noted} : l'instruction n'a proposé aucun montant pour cette demande."
        ),
        Allotment::Unscored => {
            "Non retenue : le jury de l'appel à projets n'a pas pu noter la demande.".to_owned()
        }
    };
    Command::RejectAfterJury {
        rank: p.rank,
        score_hundredths: score,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_criterion_is_averaged_over_the_sheets_that_gave_it_points() {
        let sheets: Vec<Vec<u32>> = vec![vec![10, 4], vec![6], vec![8, 2]];
        let means = criteria_means(sheets.iter().map(Vec::as_slice), 3);
        assert_eq!(means, vec![Some(8.0), Some(3.0), None]);
        assert_eq!(criteria_means(std::iter::empty(), 2), vec![None, None]);
    }
    use chrono::TimeZone;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn request(n: u128) -> RequestId {
        RequestId::from_uuid(Uuid::from_u128(n))
    }

    fn juror(n: u128) -> AccountId {
        AccountId::from_uuid(Uuid::from_u128(1000 + n))
    }

    fn grid() -> Vec<Criterion> {
        parse_grid(&[
            CriterionInput {
                label: "Impact".into(),
                description: "Pour les habitants".into(),
                weight: 3,
                max_points: 10,
            },
            CriterionInput {
                label: "Budget".into(),
                description: String::new(),
                weight: 1,
                max_points: 5,
            },
        ])
        .unwrap()
    }

    fn candidate(n: u128, proposed: i64, opinion: Option<OpinionValue>) -> Candidate {
        Candidate {
            request: request(n),
            requested_cents: proposed * 2,
            proposed_cents: Some(proposed),
            opinion,
            submitted_at: Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap()
                + chrono::Duration::minutes(n as i64),
        }
    }

    fn rules(envelope_cents: i64) -> AllocationRules {
        AllocationRules {
            envelope_cents,
            normalise: false,
            min_scores: 2,
            min_score: 50,
            last_request: LastRequest::Partial,
        }
    }

    #[test]
    fn a_request_with_fewer_sheets_than_the_jury_wants_is_flagged() {
        let wants_two = rules(0);
        assert!(wants_two.too_few_sheets(0));
        assert!(wants_two.too_few_sheets(1));
        assert!(!wants_two.too_few_sheets(2));
        assert!(!wants_two.too_few_sheets(5));
    }

    #[test]
    fn a_grid_lists_every_broken_rule() {
        let bad = parse_grid(&[
            CriterionInput {
                label: "Impact".into(),
                description: String::new(),
                weight: 0,
                max_points: 10,
            },
            CriterionInput {
                label: "impact".into(),
                description: String::new(),
                weight: 1,
                max_points: 101,
            },
        ])
        .unwrap_err();
        let fields: Vec<(&str, &str)> = bad.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("criteria[0].weight", "grid.out_of_range"),
                ("criteria[1].max_points", "grid.out_of_range"),
                ("criteria[1].label", "grid.duplicate_label"),
            ]
        );
        assert_eq!(parse_grid(&[]).unwrap_err()[0].code, "grid.size");
    }

    #[test]
    fn points_stay_within_each_criterions_range() {
        let g = grid();
        assert_eq!(
            check_points(&g, &[Some(10), None], false),
            Ok(vec![Some(10), None])
        );
        let errors = check_points(&g, &[Some(11), None], true).unwrap_err();
        assert_eq!(
            errors
                .iter()
                .map(|e| (e.field.as_str(), e.code))
                .collect::<Vec<_>>(),
            [
                ("scores[0].points", "score.out_of_range"),
                ("scores[1].points", "score.missing")
            ]
        );
        assert_eq!(
            check_points(&g, &[Some(-1), Some(2)], true).unwrap_err()[0].code,
            "score.out_of_range"
        );
        assert_eq!(
            check_points(&g, &[Some(1)], false).unwrap_err()[0].code,
            "score.criteria_mismatch"
        );
    }

    #[test]
    fn a_sheet_weighs_each_criterion() {
        let g = grid();
        // (3 × 10 + 1 × 0) / (3 × 10 + 1 × 5) = 30 / 35.
        assert!((weighted(&g, &[10, 0]) - 100.0 * 30.0 / 35.0).abs() < 1e-9);
        assert_eq!(weighted(&g, &[10, 5]), 100.0);
        assert_eq!(weighted(&g, &[0, 0]), 0.0);
        assert_eq!(hundredths(100.0 * 30.0 / 35.0), 8571);
        assert_eq!(score_in_french(8571), "85,71/100");
        assert_eq!(score_in_french(705), "7,05/100");
    }

    #[test]
    fn the_envelope_goes_down_the_ranking_and_the_last_gets_what_is_left() {
        let candidates = vec![
            candidate(1, 4_000_00, Some(OpinionValue::Favourable)),
            candidate(2, 3_000_00, Some(OpinionValue::Favourable)),
            candidate(3, 5_000_00, Some(OpinionValue::Reserved)),
            candidate(4, 1_000_00, Some(OpinionValue::Favourable)),
            candidate(5, 2_000_00, Some(OpinionValue::Favourable)),
        ];
        let sheet = |r, j, score| Sheet {
            request: request(r),
            juror: juror(j),
            score,
        };
        let sheets = vec![
            sheet(1, 1, 90.0),
            sheet(1, 2, 80.0),
            sheet(2, 1, 60.0),
            sheet(2, 2, 70.0),
            sheet(3, 1, 70.0),
            sheet(3, 2, 60.0),
            // Juror 2 is recused on request 4: only juror 1 counts.
            sheet(4, 1, 75.0),
            sheet(4, 2, 10.0),
            sheet(5, 1, 40.0),
        ];
        let excluded = HashSet::from([(request(4), juror(2))]);
        let placed = rank_and_allocate(&candidates, &sheets, &excluded, &rules(10_000_00));
        let summary: Vec<(u128, u32, i64, Allotment, bool)> = placed
            .iter()
            .map(|p| {
                (
                    p.request.uuid().as_u128(),
                    p.rank,
                    p.funded_cents,
                    p.allotment,
                    p.flagged,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (1, 1, 4_000_00, Allotment::Funded, false),
                (4, 2, 1_000_00, Allotment::Funded, true),
                // 65 each: the favourable opinion goes first.
                (2, 3, 3_000_00, Allotment::Funded, false),
                (3, 4, 2_000_00, Allotment::PartiallyFunded, false),
                (5, 5, 0, Allotment::BelowMinimum, true),
            ]
        );
        assert_eq!(placed[0].score, Some(85.0));
        assert_eq!(placed[1].sheets, 1);

        let skip = AllocationRules {
            last_request: LastRequest::Skip,
            ..rules(10_000_00)
        };
        let placed = rank_and_allocate(&candidates, &sheets, &excluded, &skip);
        assert_eq!(placed[3].allotment, Allotment::EnvelopeExhausted);
        assert_eq!(placed[3].funded_cents, 0);
    }

    #[test]
    fn unscored_requests_and_unfavourable_opinions_are_not_funded() {
        let candidates = vec![
            candidate(1, 0, Some(OpinionValue::Unfavourable)),
            candidate(2, 1_000_00, Some(OpinionValue::Favourable)),
        ];
        let sheets = vec![Sheet {
            request: request(1),
            juror: juror(1),
            score: 99.0,
        }];
        let placed = rank_and_allocate(&candidates, &sheets, &HashSet::new(), &rules(5_000_00));
        assert_eq!(placed[0].allotment, Allotment::NoAmountProposed);
        assert_eq!(placed[1].allotment, Allotment::Unscored);
        assert_eq!(placed[1].score, None);
        assert!(placed.iter().all(|p| p.funded_cents == 0));
    }

    #[test]
    fn normalisation_puts_a_harsh_and_a_lenient_juror_on_one_scale() {
        // Juror 1 is harsh (10–30), juror 2 lenient (70–90); each scores two requests.
        let candidates: Vec<Candidate> = (1..=4)
            .map(|n| candidate(n, 1_000_00, Some(OpinionValue::Favourable)))
            .collect();
        let sheet = |r, j, score| Sheet {
            request: request(r),
            juror: juror(j),
            score,
        };
        let sheets = vec![
            sheet(1, 1, 30.0),
            sheet(2, 1, 10.0),
            sheet(3, 2, 80.0),
            sheet(4, 2, 70.0),
        ];
        let plain = AllocationRules {
            min_score: 0,
            ..rules(100_000_00)
        };
        let order = |placed: Vec<Placed>| -> Vec<u128> {
            placed.iter().map(|p| p.request.uuid().as_u128()).collect()
        };
        assert_eq!(
            order(rank_and_allocate(
                &candidates,
                &sheets,
                &HashSet::new(),
                &plain
            )),
            [3, 4, 1, 2]
        );
        let normalised = AllocationRules {
            normalise: true,
            ..plain
        };
        // Each juror's best is +1, worst −1: ties broken by submission time.
        assert_eq!(
            order(rank_and_allocate(
                &candidates,
                &sheets,
                &HashSet::new(),
                &normalised
            )),
            [1, 3, 2, 4]
        );
    }

    fn opinion_strategy() -> impl Strategy<Value = Option<OpinionValue>> {
        prop_oneof![
            Just(None),
            Just(Some(OpinionValue::Favourable)),
            Just(Some(OpinionValue::Reserved)),
            Just(Some(OpinionValue::Unfavourable)),
        ]
    }

    /// A call: up to 40 candidates, up to 8 jurors, sheets of any of them, some recusals.
    type Call = (
        Vec<Candidate>,
        Vec<Sheet>,
        HashSet<(RequestId, AccountId)>,
        AllocationRules,
    );

    fn call() -> impl Strategy<Value = Call> {
        let candidates = prop::collection::vec(
            (
                0i64..20_000_00,
                0i64..30_000_00,
                opinion_strategy(),
                0i64..10_000,
            ),
            1..40,
        );
        (
            candidates,
            1u128..8,
            any::<u64>(),
            0i64..200_000_00,
            any::<bool>(),
            0u32..80,
            any::<bool>(),
        )
            .prop_map(
                |(raw, jurors, seed, envelope, normalise, min_score, partial)| {
                    let candidates: Vec<Candidate> = raw
                        .iter()
                        .enumerate()
                        .map(|(i, (proposed, requested, opinion, minutes))| Candidate {
                            request: request(i as u128 + 1),
                            requested_cents: *requested,
                            proposed_cents: Some(*proposed),
                            opinion: *opinion,
                            submitted_at: Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap()
                                + chrono::Duration::minutes(*minutes),
                        })
                        .collect();
                    // A small deterministic generator drawn from the seed picks sheets and recusals.
                    let mut state = seed | 1;
                    let mut next = move || {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        state
                    };
                    let mut sheets = Vec::new();
                    let mut excluded = HashSet::new();
                    for c in &candidates {
                        for j in 1..=jurors {
                            match next() % 5 {
                                0 => {}
                                1 => {
                                    excluded.insert((c.request, juror(j)));
                                    sheets.push(Sheet {
                                        request: c.request,
                                        juror: juror(j),
                                        score: (next() % 101) as f64,
                                    });
                                }
                                _ => sheets.push(Sheet {
                                    request: c.request,
                                    juror: juror(j),
                                    score: (next() % 10_001) as f64 / 100.0,
                                }),
                            }
                        }
                    }
                    let rules = AllocationRules {
                        envelope_cents: envelope,
                        normalise,
                        min_scores: 2,
                        min_score,
                        last_request: if partial {
                            LastRequest::Partial
                        } else {
                            LastRequest::Skip
                        },
                    };
                    (candidates, sheets, excluded, rules)
                },
            )
    }

    fn outcome(placed: &[Placed]) -> Vec<(RequestId, u32, i64, Allotment)> {
        placed
            .iter()
            .map(|p| (p.request, p.rank, p.funded_cents, p.allotment))
            .collect()
    }

    proptest! {
        #[test]
        fn the_allocation_never_exceeds_the_envelope((candidates, sheets, excluded, rules) in call()) {
            let placed = rank_and_allocate(&candidates, &sheets, &excluded, &rules);
            let total: i64 = placed.iter().map(|p| p.funded_cents).sum();
            prop_assert!(total <= rules.envelope_cents);
            prop_assert!(placed.iter().all(|p| p.funded_cents >= 0));
            prop_assert_eq!(placed.len(), candidates.len());
            for p in &placed {
                let c = candidates.iter().find(|c| c.request == p.request).unwrap();
                prop_assert!(p.funded_cents <= c.requested_cents.min(c.proposed_cents.unwrap_or(0)).max(0));
                prop_assert_eq!(p.allotment.is_funded(), p.funded_cents > 0);
            }
        }

        #[test]
        fn funding_is_monotone_in_rank((candidates, sheets, excluded, rules) in call()) {
            let placed = rank_and_allocate(&candidates, &sheets, &excluded, &rules);
            prop_assert!(placed.iter().enumerate().all(|(i, p)| p.rank as usize == i + 1));
            // Among the requests that may be funded (scored enough, an amount proposed), those
            // funded come first; once one is not fully funded, none below is funded.
            let mut stopped = false;
            for p in &placed {
                match p.allotment {
                    Allotment::Funded => prop_assert!(!stopped),
                    Allotment::PartiallyFunded => { prop_assert!(!stopped); stopped = true; }
                    Allotment::EnvelopeExhausted => stopped = true,
                    _ => {}
                }
            }
            let partial = placed.iter().filter(|p| p.allotment == Allotment::PartiallyFunded).count();
            prop_assert!(partial <= 1);
            if rules.last_request == LastRequest::Skip {
                prop_assert_eq!(partial, 0);
            }
        }

        #[test]
        fn the_allocation_is_deterministic((candidates, sheets, excluded, rules) in call(), rotation in 0usize..40) {
            let first = rank_and_allocate(&candidates, &sheets, &excluded, &rules);
            let mut shuffled_candidates = candidates.clone();
            shuffled_candidates.reverse();
            let mut shuffled_sheets = sheets.clone();
            let by = rotation % shuffled_sheets.len().max(1);
            shuffled_sheets.rotate_left(by);
            let again = rank_and_allocate(&shuffled_candidates, &shuffled_sheets, &excluded, &rules);
            prop_assert_eq!(outcome(&first), outcome(&again));
        }

        #[test]
        fn recused_scores_never_count((candidates, sheets, excluded, rules) in call(), noise in 0u32..101) {
            let first = rank_and_allocate(&candidates, &sheets, &excluded, &rules);
            // Whatever the recused jurors' sheets say, nothing changes.
            let changed: Vec<Sheet> = sheets
                .iter()
                .map(|s| if excluded.contains(&(s.request, s.juror)) { Sheet { score: f64::from(noise), ..*s } } else { *s })
                .collect();
            let dropped: Vec<Sheet> = sheets.iter().copied().filter(|s| !excluded.contains(&(s.request, s.juror))).collect();
            prop_assert_eq!(outcome(&first), outcome(&rank_and_allocate(&candidates, &changed, &excluded, &rules)));
            prop_assert_eq!(outcome(&first), outcome(&rank_and_allocate(&candidates, &dropped, &excluded, &rules)));
        }

        #[test]
        fn normalisation_makes_a_constant_shift_of_one_jurors_scores_irrelevant(
            (candidates, sheets, excluded, rules) in call(),
            shift in 1u32..40,
        ) {
            let rules = AllocationRules { normalise: true, min_score: 0, ..rules };
            let first = rank_and_allocate(&candidates, &sheets, &excluded, &rules);
            let shifted: Vec<Sheet> = sheets
                .iter()
                .map(|s| if s.juror == juror(1) { Sheet { score: s.score + f64::from(shift), ..*s } } else { *s })
                .collect();
            prop_assert_eq!(outcome(&first), outcome(&rank_and_allocate(&candidates, &shifted, &excluded, &rules)));
        }
    }
}
