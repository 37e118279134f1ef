//! The final report (compte rendu financier, CERFA 15059): the project's budget as carried
//! out beside the one planned (same chart, planned / actual / %), the indicators achieved, a
//! qualitative summary, an annex explaining the variances over 15 %, and attachments. The
//! instructing direction accepts it, which makes the balance due, or asks for changes.
//! French rules §3.3, §4.3.

use crate::budget::{Budget, Funder};
use crate::coded_enum;
use crate::french::percent;
use crate::request::Indicator;
use crate::text;
use crate::{Checks, DomainError, Violation};

coded_enum! {
    /// Where a final report stands.
    pub enum ReportStatus {
        Filed = ("filed", "Déposé, en cours d'examen"),
        ChangesAsked = ("changes_asked", "À reprendre"),
        Accepted = ("accepted", "Accepté"),
    }
}

/// Whether a grant's final report is overdue on `today`: due before it and neither filed nor
/// accepted (one sent back for changes counts), unless all that was paid is claimed back
/// (`funding::repaid_in_full`).
pub fn is_overdue(
    due_on: chrono::NaiveDate,
    status: Option<ReportStatus>,
    repaid_in_full: bool,
    today: chrono::NaiveDate,
) -> bool {
    due_on < today && !repaid_in_full && matches!(status, None | Some(ReportStatus::ChangesAsked))
}

/// A variance over this share of the planned amount (in basis points: 15 %) is explained in
/// the annex.
pub const SIGNIFICANT_VARIANCE_BASIS_POINTS: i64 = 1_500;

/// One line of the chart, planned beside carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineComparison {
    pub account: String,
    pub funder: Option<Funder>,
    pub label: String,
    pub planned_cents: i64,
    /// For the city's own subsidy lines (74, the commune): their share of what the council
    /// voted, which the line is judged against instead of what was asked.
    pub voted_cents: Option<i64>,
    pub actual_cents: i64,
    /// Actual over planned (over voted for the city's lines), in basis points (10,000 is
    /// 100 %); none when nothing was planned.
    pub achieved_basis_points: Option<i64>,
    /// Over 15 % away from the plan (or not planned at all): the annex explains it.
    pub significant: bool,
}

impl LineComparison {
    /// What the line is judged against: what the council voted for the city's lines, what was
    /// planned for the others.
    pub fn reference_cents(&self) -> i64 {
        self.voted_cents.unwrap_or(self.planned_cents)
    }
}

/// What a final report is compared with: the request's budget as planned, and what the
/// council voted. The city's own subsidy differs from what was asked by the council's choice,
/// which the association has nothing to explain about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub budget: Budget,
    pub voted_cents: i64,
}

/// The lines of both budgets, matched by account, funder and label: the planned ones in their
/// order, then those only carried out. The city's subsidy lines are judged against what was
/// voted, shared among them pro rata of what each asked (the remainder on the last).
pub fn compare(plan: &Plan, actual: &Budget) -> Vec<LineComparison> {
    let planned = &plan.budget;
    let key = |l: &crate::budget::BudgetLine| {
        (
            l.account.as_str().to_owned(),
            l.funder,
            l.label.to_lowercase(),
        )
    };
    let mut lines: Vec<LineComparison> = Vec::new();
    let mut position = |l: &crate::budget::BudgetLine| {
        let k = key(l);
        match lines
            .iter()
            .position(|c| (c.account.clone(), c.funder, c.label.to_lowercase()) == k)
        {
            Some(i) => i,
            None => {
                lines.push(LineComparison {
                    account: l.account.as_str().to_owned(),
                    funder: l.funder,
                    label: l.label.clone(),
                    planned_cents: 0,
                    voted_cents: None,
                    actual_cents: 0,
                    achieved_basis_points: None,
                    significant: false,
                });
                lines.len() - 1
            }
        }
    };
    let mut planned_at = Vec::new();
    let mut city = Vec::new();
    for l in &planned.lines {
        let i = position(l);
        planned_at.push((i, l.amount_cents));
        if l.account.is_subsidy() && l.funder == Some(Funder::City) && !city.contains(&i) {
            city.push(i);
        }
    }
    let mut actual_at = Vec::new();
    for l in &actual.lines {
        actual_at.push((position(l), l.amount_cents));
    }
    for (i, cents) in planned_at {
        lines[i].planned_cents = crate::money::total([lines[i].planned_cents, cents]);
    }
    for (i, cents) in actual_at {
        lines[i].actual_cents = crate::money::total([lines[i].actual_cents, cents]);
    }
    share_the_vote(&mut lines, &city, plan.voted_cents);
    for line in &mut lines {
        let (planned, actual) = (
            i128::from(line.reference_cents()),
            i128::from(line.actual_cents),
        );
        // Rounded to the nearest hundredth of a percent (2,900 € for 3,000 €: 96.67 %).
        line.achieved_basis_points = (planned > 0).then(|| {
            i64::try_from((actual * 20_000 + planned) / (2 * planned)).unwrap_or(i64::MAX)
        });
        // Judged on the exact amounts, not on the rounded percentage.
        line.significant = match planned {
            0 => actual > 0,
            _ => {
                (actual - planned).abs() * 10_000
                    > i128::from(SIGNIFICANT_VARIANCE_BASIS_POINTS) * planned
            }
        };
    }
    lines
}

/// Gives each of the city's planned subsidy lines (at `city`) its share of `voted_cents`, pro
/// rata of what it asked (the remainder of the division on the last, so that the shares add
/// up).
fn share_the_vote(lines: &mut [LineComparison], city: &[usize], voted_cents: i64) {
    let city: Vec<usize> = city
        .iter()
        .copied()
        .filter(|&i| lines[i].planned_cents > 0)
        .collect();
    let asked = i128::from(crate::money::total(
        city.iter().map(|&i| lines[i].planned_cents),
    ));
    let Some((&last, others)) = city.split_last() else {
        return;
    };
    let voted = i128::from(voted_cents);
    let mut shared = 0_i128;
    for &i in others {
        let share = voted * i128::from(lines[i].planned_cents) / asked;
        shared += share;
        lines[i].voted_cents = Some(i64::try_from(share).unwrap_or(i64::MAX));
    }
    lines[last].voted_cents = Some(i64::try_from(voted - shared).unwrap_or(i64::MAX));
}

/// A planned indicator with what was achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorResult {
    pub name: String,
    pub unit: String,
    pub target: i64,
    pub achieved: i64,
}

/// A final report as the association files it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalReport {
    pub budget: Budget,
    pub indicators: Vec<IndicatorResult>,
    /// The qualitative summary: implementation, beneficiaries reached, places, dates.
    pub summary: String,
    pub beneficiaries_reached: Option<i64>,
    /// The explanatory annex: variances over 15 %, indirect costs, in-kind contributions.
    pub annex: Option<String>,
}

/// What the association sends (the budget's lines already checked one by one).
pub struct Filing<'a> {
    pub budget: Budget,
    /// (name, achieved), for each planned indicator.
    pub achieved: &'a [(String, i64)],
    pub summary: &'a str,
    pub beneficiaries_reached: Option<i64>,
    pub annex: Option<&'a str>,
}

/// A report that holds: a balanced budget, as the request's had to be; every planned
/// indicator given what it achieved; a summary; and the annex when a line is more than 15 %
/// away from the plan. Every unmet rule is listed at once.
pub fn check(
    plan: &Plan,
    indicators: &[Indicator],
    filing: Filing<'_>,
) -> Result<FinalReport, DomainError> {
    let mut checks = Checks::default();
    checks.extend(filing.budget.balance_failures());
    let summary = checks.check("summary", text::paragraphs(filing.summary, 1, 10_000));
    let annex = match filing.annex.map(str::trim).filter(|a| !a.is_empty()) {
        Some(text) => checks
            .check("annex", text::paragraphs(text, 1, 20_000))
            .map(Some),
        None => Some(None),
    };
    if filing.beneficiaries_reached.is_some_and(|n| n < 0) {
        checks.push(
            Violation::new(
                "amount.not_positive",
                "Un nombre de bénéficiaires ne peut pas être négatif.",
            )
            .at("beneficiaries_reached"),
        );
    }
    let mut results = Vec::with_capacity(indicators.len());
    for indicator in indicators {
        match filing
            .achieved
            .iter()
            .find(|(name, _)| name.trim().eq_ignore_ascii_case(indicator.name.trim()))
        {
            Some((_, achieved)) if *achieved >= 0 => results.push(IndicatorResult {
                name: indicator.name.clone(),
                unit: indicator.unit.clone(),
                target: indicator.target,
                achieved: *achieved,
            }),
            Some(_) => checks.push(
                Violation::new(
                    "final_report.indicator_negative",
                    format!(
                        "« {} » : une valeur atteinte ne peut pas être négative.",
                        indicator.name
                    ),
                )
                .at("indicators"),
            ),
            None => checks.push(
                Violation::new(
                    "final_report.indicator_missing",
                    format!(
                        "Indiquez la valeur atteinte de l'indicateur prévu « {} » ({} {} visés).",
                        indicator.name, indicator.target, indicator.unit
                    ),
                )
                .at("indicators"),
            ),
        }
    }
    let variances: Vec<String> = compare(plan, &filing.budget)
        .into_iter()
        .filter(|l| l.significant)
        .map(|l| match (l.achieved_basis_points, l.voted_cents) {
            (Some(bp), None) => format!("{} {} ({} du prévu)", l.account, l.label, percent(bp)),
            (Some(bp), Some(_)) => format!("{} {} ({} du voté)", l.account, l.label, percent(bp)),
            (None, _) => format!("{} {} (non prévue)", l.account, l.label),
        })
        .collect();
    if !variances.is_empty() && annex.as_ref().is_some_and(Option::is_none) {
        checks.push(
            Violation::new(
                "final_report.annex_required",
                format!(
                    "Ces lignes s'écartent de plus de 15 % du budget prévu : expliquez-les dans l'annexe. {}.",
                    variances.join(" ; ")
                ),
            )
            .at("annex"),
        );
    }
    match (checks.is_empty(), summary, annex) {
        (true, Some(summary), Some(annex)) => Ok(FinalReport {
            budget: filing.budget,
            indicators: results,
            summary,
            beneficiaries_reached: filing.beneficiaries_reached,
            annex,
        }),
        _ => Err(checks.into_error()),
    }
}

/// The association files its report when none is under review or accepted: first, or again
/// once asked for changes.
pub fn check_filing(current: Option<ReportStatus>) -> Result<(), DomainError> {
    match current {
        None | Some(ReportStatus::ChangesAsked) => Ok(()),
        Some(ReportStatus::Filed) => Err(DomainError::conflict(
            "final_report.under_review",
            None,
            "Le compte rendu financier déposé est en cours d'examen : attendez la réponse de la direction.",
        )),
        Some(ReportStatus::Accepted) => Err(DomainError::conflict(
            "final_report.accepted",
            None,
            "Le compte rendu financier est déjà accepté.",
        )),
    }
}

/// The direction reviews a report that is filed.
pub fn check_review(current: Option<ReportStatus>) -> Result<(), DomainError> {
    match current {
        Some(ReportStatus::Filed) => Ok(()),
        _ => Err(DomainError::conflict(
            "final_report.not_filed",
            None,
            "Aucun compte rendu financier n'attend d'examen pour cette subvention.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::BudgetLine;

    fn line(account: &str, funder: Option<Funder>, label: &str, euros: i64) -> BudgetLine {
        BudgetLine::parse(0, account, funder, label, euros * 100).unwrap()
    }

    /// 4,000 € asked of the city, and voted.
    fn planned() -> Plan {
        Plan {
            budget: Budget {
                lines: vec![
                    line("60", None, "Achats", 6_000),
                    line("64", None, "Animateurs", 4_000),
                    line("70", None, "Participation des familles", 2_000),
                    line("74", Some(Funder::City), "Ville de Paris", 4_000),
                    line("74", Some(Funder::State), "DRAC", 4_000),
                ],
            },
            voted_cents: 4_000_00,
        }
    }

    fn indicators() -> Vec<Indicator> {
        vec![Indicator {
            name: "Jeunes accompagnés".into(),
            unit: "personnes".into(),
            target: 80,
        }]
    }

    fn codes(error: DomainError) -> Vec<(String, &'static str)> {
        match error {
            DomainError::Invalid(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lines_compare_planned_and_actual_and_flag_variances_over_15_percent() {
        let actual = Budget {
            lines: vec![
                line("60", None, "achats", 6_900),
                line("64", None, "Animateurs", 3_000),
                line("62", None, "Déplacements", 100),
                line("70", None, "Participation des familles", 2_000),
                line("74", Some(Funder::City), "Ville de Paris", 4_000),
                line("74", Some(Funder::State), "DRAC", 4_000),
            ],
        };
        let lines = compare(&planned(), &actual);
        let view: Vec<(&str, i64, i64, Option<i64>, bool)> = lines
            .iter()
            .map(|l| {
                (
                    l.account.as_str(),
                    l.planned_cents / 100,
                    l.actual_cents / 100,
                    l.achieved_basis_points,
                    l.significant,
                )
            })
            .collect();
        assert_eq!(
            view,
            [
                // Exactly 15 % over is not significant; 25 % under is.
                ("60", 6_000, 6_900, Some(11_500), false),
                ("64", 4_000, 3_000, Some(7_500), true),
                ("70", 2_000, 2_000, Some(10_000), false),
                ("74", 4_000, 4_000, Some(10_000), false),
                ("74", 4_000, 4_000, Some(10_000), false),
                ("62", 0, 100, None, true),
            ]
        );
    }

    #[test]
    fn a_report_balances_gives_every_indicator_and_explains_its_variances() {
        let actual = Budget {
            lines: vec![
                line("60", None, "Achats", 5_000),
                line("64", None, "Animateurs", 4_000),
                line("70", None, "Participation des familles", 1_000),
                line("74", Some(Funder::City), "Ville de Paris", 4_000),
                line("74", Some(Funder::State), "DRAC", 4_000),
            ],
        };
        let filing = |budget: Budget, achieved: &'static [(String, i64)], annex| Filing {
            budget,
            achieved,
            summary: "Ateliers tenus chaque mercredi.",
            beneficiaries_reached: Some(72),
            annex,
        };
        // Balanced, but an indicator is missing and two lines vary by more than 15 % (purchases
        // 83 %, families 50 %) with no annex.
        let errors =
            codes(check(&planned(), &indicators(), filing(actual.clone(), &[], None)).unwrap_err());
        assert_eq!(
            errors,
            [
                ("indicators".to_owned(), "final_report.indicator_missing"),
                ("annex".to_owned(), "final_report.annex_required"),
            ]
        );
        static ACHIEVED: std::sync::LazyLock<Vec<(String, i64)>> =
            std::sync::LazyLock::new(|| vec![("jeunes accompagnés".to_owned(), 72)]);
        let report = check(
            &planned(),
            &indicators(),
            Filing {
                budget: actual.clone(),
                achieved: &ACHIEVED,
                summary: " Ateliers tenus chaque mercredi. ",
                beneficiaries_reached: Some(72),
                annex: Some("Moins d'achats : matériel prêté par la médiathèque."),
            },
        )
        .unwrap();
        assert_eq!(report.summary, "Ateliers tenus chaque mercredi.");
        assert_eq!(report.indicators[0].achieved, 72);
        assert_eq!(report.indicators[0].target, 80);
        let mut unbalanced = actual;
        unbalanced.lines[0].amount_cents += 100;
        let errors = codes(
            check(
                &planned(),
                &indicators(),
                Filing {
                    budget: unbalanced,
                    achieved: &ACHIEVED,
                    summary: "",
                    beneficiaries_reached: Some(-1),
                    annex: Some("Écarts expliqués."),
                },
            )
            .unwrap_err(),
        );
        assert_eq!(
            errors,
            [
                ("budget".to_owned(), "budget.unbalanced"),
                ("summary".to_owned(), "text.required"),
                ("beneficiaries_reached".to_owned(), "amount.not_positive"),
            ]
        );
    }

    #[test]
    fn a_report_is_filed_when_none_waits_and_reviewed_once_filed() {
        use ReportStatus::*;
        assert!(check_filing(None).is_ok());
        assert!(check_filing(Some(ChangesAsked)).is_ok());
        for (result, code) in [
            (check_filing(Some(Filed)), "final_report.under_review"),
            (check_filing(Some(Accepted)), "final_report.accepted"),
            (check_review(None), "final_report.not_filed"),
            (check_review(Some(Accepted)), "final_report.not_filed"),
        ] {
            match result {
                Err(DomainError::Conflict { code: c, .. }) => assert_eq!(c, code),
                other => panic!("{other:?}"),
            }
        }
        assert!(check_review(Some(Filed)).is_ok());
    }

    #[test]
    fn what_was_achieved_is_rounded_to_the_hundredth_and_judged_exactly() {
        let actual = Budget {
            lines: vec![
                line("60", None, "Achats", 5_800),
                line("64", None, "Animateurs", 3_400),
                line("70", None, "Participation des familles", 2_000),
                line("74", Some(Funder::City), "Ville de Paris", 4_000),
                line("74", Some(Funder::State), "DRAC", 3_200),
            ],
        };
        let compared = compare(&planned(), &actual);
        let purchases = compared.iter().find(|l| l.account == "60").expect("60");
        // 5,800 € of 6,000 €: 96.666… %, said 96.67 % (it was truncated to 96.66 %).
        assert_eq!(purchases.achieved_basis_points, Some(96_67));
        assert!(!purchases.significant);
        // 3,400 € of 4,000 €: exactly 85 %, not beyond the 15 % that asks for a word.
        let animators = compared.iter().find(|l| l.account == "64").expect("64");
        assert_eq!(animators.achieved_basis_points, Some(85_00));
        assert!(!animators.significant);
    }

    #[test]
    fn the_citys_lines_are_judged_against_what_the_council_voted() {
        // 4,000 € asked, 3,000 € voted and received: nothing to explain on the 74 line.
        let plan = Plan {
            voted_cents: 3_000_00,
            ..planned()
        };
        // The State gives 15 % more (no more than may go without a word); purchases balance.
        let received = |city: i64| Budget {
            lines: vec![
                line("60", None, "Achats", 2_000 + city + 4_600 - 4_000),
                line("64", None, "Animateurs", 4_000),
                line("70", None, "Participation des familles", 2_000),
                line("74", Some(Funder::City), "Ville de Paris", city),
                line("74", Some(Funder::State), "DRAC", 4_600),
            ],
        };
        static ACHIEVED: std::sync::LazyLock<Vec<(String, i64)>> =
            std::sync::LazyLock::new(|| vec![("Jeunes accompagnés".to_owned(), 80)]);
        let filed = |budget: Budget| {
            check(
                &plan,
                &indicators(),
                Filing {
                    budget,
                    achieved: &ACHIEVED,
                    summary: "Ateliers tenus chaque mercredi.",
                    beneficiaries_reached: None,
                    annex: None,
                },
            )
        };
        let city = |actual: &Budget| {
            compare(&plan, actual)
                .into_iter()
                .find(|l| l.funder == Some(Funder::City))
                .expect("the city's line")
        };
        let as_voted = city(&received(3_000));
        assert_eq!(
            (
                as_voted.planned_cents,
                as_voted.voted_cents,
                as_voted.achieved_basis_points,
                as_voted.significant
            ),
            (4_000_00, Some(3_000_00), Some(100_00), false)
        );
        assert!(filed(received(3_000)).is_ok());
        // 2,400 € received of the 3,000 € voted is 80 %: that is for the association to say.
        let short = city(&received(2_400));
        assert_eq!(
            (short.achieved_basis_points, short.significant),
            (Some(80_00), true)
        );
        let Err(DomainError::Invalid(errors)) = filed(received(2_400)) else {
            panic!("the annex is required");
        };
        assert_eq!(errors[0].code, "final_report.annex_required");
        assert!(
            errors[0]
                .message
                .contains("74 Ville de Paris (80\u{a0}% du voté)"),
            "{}",
            errors[0].message
        );
        // Two lines of the city share the vote pro rata of what each asked.
        let two = Plan {
            budget: Budget {
                lines: vec![
                    line("60", None, "Achats", 12_000),
                    line("74", Some(Funder::City), "Direction de la culture", 3_000),
                    line("74", Some(Funder::City), "Direction de la jeunesse", 1_000),
                    line("74", Some(Funder::State), "DRAC", 8_000),
                ],
            },
            voted_cents: 2_000_01,
        };
        let shares: Vec<Option<i64>> = compare(&two, &two.budget)
            .iter()
            .map(|l| l.voted_cents)
            .collect();
        assert_eq!(shares, [None, Some(1_500_00), Some(500_01), None]);
    }
}
