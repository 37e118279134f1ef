//! The project budget of CERFA 12156 (the same chart as the final report, CERFA 15059):
//! charges in accounts 60–69, income in 70–79 with the subsidies of account 74 per funder, and
//! in-kind contributions 86 = 87. Amounts are whole euros on the form, cents here.

use crate::coded;
use crate::coded_enum;
use crate::money::euros;
use crate::text;
use crate::{FieldError, Violation};

coded_enum! {
    /// Who pays a subsidy line of account 74 ("Subventions d'exploitation").
    pub enum Funder {
        State = ("etat", "État"),
        Region = ("region", "Région(s)"),
        Department = ("departement", "Département(s)"),
        /// The city asked: for Paris, the Ville de Paris.
        City = ("commune", "Commune(s) — Ville de Paris"),
        Epci = ("epci", "Intercommunalité(s) (EPCI)"),
        SocialBodies = ("organismes_sociaux", "Organismes sociaux"),
        EuropeanFunds = ("fonds_europeens", "Fonds européens (FSE, FEDER…)"),
        Asp = ("asp", "Agence de services et de paiement (emplois aidés)"),
        OtherPublicBodies = ("autres_etablissements_publics", "Autres établissements publics"),
        Private = ("aides_privees", "Aides privées (fondations)"),
    }
}

/// Which column of the chart an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// 60–69.
    Charge,
    /// 70–79.
    Income,
    /// 86: uses of in-kind contributions.
    InKindUse,
    /// 87: in-kind contributions received.
    InKindReceived,
}

/// An account of the chart: its two-digit chapter (`74`), or a sub-account (`756`, `864`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCode(String);

impl AccountCode {
    pub fn parse(raw: &str) -> Result<AccountCode, Violation> {
        let code = raw.trim();
        let digits = (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit());
        let code = AccountCode(code.to_owned());
        if digits && code.side().is_some() {
            Ok(code)
        } else {
            Err(Violation::new(
                "budget.account_invalid",
                format!(
                    "« {} » n'est pas un compte du budget CERFA : charges 60 à 69, produits 70 à 79, contributions en nature 86 et 87 (ou un sous-compte comme 756).",
                    raw.trim()
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit chapter.
    pub fn chapter(&self) -> u8 {
        self.0.get(..2).and_then(|c| c.parse().ok()).unwrap_or(0)
    }

    fn side(&self) -> Option<Side> {
        match self.chapter() {
            60..=69 => Some(Side::Charge),
            70..=79 => Some(Side::Income),
            86 => Some(Side::InKindUse),
            87 => Some(Side::InKindReceived),
            _ => None,
        }
    }

    pub fn side_of(&self) -> Side {
        self.side().unwrap_or(Side::Charge)
    }

    /// Account 74: operating subsidies, one line per funder.
    pub fn is_subsidy(&self) -> bool {
        self.chapter() == 74
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    pub account: AccountCode,
    /// For account 74 only: who pays.
    pub funder: Option<Funder>,
    pub label: String,
    pub amount_cents: i64,
}

/// A line of the budget as the CERFA 12156 form prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartLine {
    pub account: &'static str,
    pub funder: Option<Funder>,
    pub label: &'static str,
}

const fn chart(account: &'static str, label: &'static str) -> ChartLine {
    ChartLine {
        account,
        funder: None,
        label,
    }
}

const fn subsidy(funder: Funder, label: &'static str) -> ChartLine {
    ChartLine {
        account: "74",
        funder: Some(funder),
        label,
    }
}

/// The project budget of CERFA 12156 as the form prints it, in its order: charges 60 to 68,
/// income 70 to 78 (74 one line per funder), in-kind contributions 86 and 87.
pub const CHART: &[ChartLine] = &[
    chart("60", "Achats"),
    chart("61", "Services extérieurs"),
    chart("62", "Autres services extérieurs"),
    chart("63", "Impôts et taxes"),
    chart("64", "Charges de personnel"),
    chart("65", "Autres charges de gestion courante"),
    chart("66", "Charges financières"),
    chart("67", "Charges exceptionnelles"),
    chart("68", "Dotation aux amortissements"),
    chart(
        "70",
        "Vente de produits finis, de marchandises, prestations de services",
    ),
    chart("73", "Dotations et produits de tarification"),
    subsidy(Funder::State, "État"),
    subsidy(Funder::Region, "Région(s)"),
    subsidy(Funder::Department, "Département(s)"),
    subsidy(Funder::Epci, "Intercommunalité(s) (EPCI)"),
    subsidy(Funder::City, "Commune(s)"),
    subsidy(Funder::SocialBodies, "Organismes sociaux"),
    subsidy(Funder::EuropeanFunds, "Fonds européens (FSE, FEDER…)"),
    subsidy(
        Funder::Asp,
        "Agence de services et de paiement (emplois aidés)",
    ),
    subsidy(Funder::OtherPublicBodies, "Autres établissements publics"),
    subsidy(Funder::Private, "Aides privées (fondations)"),
    chart(
        "75",
        "Autres produits de gestion courante (cotisations, dons manuels, mécénat)",
    ),
    chart("76", "Produits financiers"),
    chart("77", "Produits exceptionnels"),
    chart("78", "Reprises sur amortissements et provisions"),
    chart("860", "Secours en nature"),
    chart("861", "Mise à disposition gratuite de biens et services"),
    chart("862", "Prestations"),
    chart("864", "Personnel bénévole"),
    chart("870", "Bénévolat"),
    chart("871", "Prestations en nature"),
    chart("875", "Dons en nature"),
];

impl ChartLine {
    /// Which column of the chart it belongs to.
    pub fn side(&self) -> Side {
        AccountCode(self.account.to_owned()).side_of()
    }

    /// Whether a line written in the budget is this one of the chart.
    pub fn holds(&self, line: &BudgetLine) -> bool {
        line.account.as_str() == self.account && line.funder == self.funder
    }
}

/// The most lines a budget holds (the CERFA chart has about forty).
pub const MAX_LINES: usize = 200;

impl BudgetLine {
    /// Checks one line as sent; errors name `budget[i].<field>`.
    /// A line as stored: its account must still be one of the chart (the budget's sides
    /// are computed from it); its label is shown as it was written, on one line, whatever
    /// rules of text came after it was filed.
    pub fn stored(
        account: &str,
        funder: Option<Funder>,
        label: &str,
        amount_cents: i64,
    ) -> Result<BudgetLine, Violation> {
        Ok(BudgetLine {
            account: AccountCode::parse(account)?,
            funder,
            label: crate::text::on_one_line(label),
            amount_cents,
        })
    }

    pub fn parse(
        index: usize,
        account: &str,
        funder: Option<Funder>,
        label: &str,
        amount_cents: i64,
    ) -> Result<BudgetLine, Vec<FieldError>> {
        let at = |field: &str| format!("budget[{index}].{field}");
        let mut errors = Vec::new();
        let account = AccountCode::parse(account)
            .map_err(|v| errors.push(v.at(at("account"))))
            .ok();
        let label = text::line(label, 1, 200)
            .map_err(|v| errors.push(v.at(at("label"))))
            .ok();
        if let Err(v) = crate::money::check_whole_euros(amount_cents, false) {
            errors.push(v.at(at("amount_cents")));
        }
        if let Some(account) = &account {
            match (account.is_subsidy(), funder) {
                (true, None) => errors.push(
                    Violation::new(
                        "budget.funder_required",
                        format!(
                            "Une subvention (compte 74) précise qui la verse : {}.",
                            coded::codes_list(Funder::codes())
                        ),
                    )
                    .at(at("funder")),
                ),
                (false, Some(_)) => errors.push(
                    Violation::new(
                        "budget.funder_only_for_74",
                        "Seules les lignes de subvention (compte 74) précisent un financeur.",
                    )
                    .at(at("funder")),
                ),
                _ => {}
            }
        }
        match (account, label) {
            (Some(account), Some(label)) if errors.is_empty() => Ok(BudgetLine {
                account,
                funder,
                label,
                amount_cents,
            }),
            _ => Err(errors),
        }
    }
}

/// The lines of a budget as written (account, funder, label, cents), each checked: those
/// that pass, and the errors of the others, named `budget[i].<field>` (the caller reports
/// them with what else it finds wrong). At most [`MAX_LINES`]: more are not read, as the
/// rules over the lines (and their sums) cost in proportion to their number.
pub fn parse_lines<'a>(
    lines: impl ExactSizeIterator<Item = (&'a str, Option<Funder>, &'a str, i64)>,
) -> (Vec<BudgetLine>, Vec<FieldError>) {
    if lines.len() > MAX_LINES {
        let too_many = Violation::new(
            "budget.too_many_lines",
            format!("Au plus {MAX_LINES} lignes."),
        );
        return (vec![], vec![too_many.at("budget")]);
    }
    let mut errors = Vec::new();
    let parsed = lines
        .enumerate()
        .filter_map(|(i, (account, funder, label, cents))| {
            BudgetLine::parse(i, account, funder, label, cents)
                .map_err(|e| errors.extend(e))
                .ok()
        })
        .collect();
    (parsed, errors)
}

/// A project budget: lines in the order the association gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    pub lines: Vec<BudgetLine>,
}

impl Budget {
    /// The chart as data: one object per line (`account`, `funder`, `label`, `amount_cents`).
    pub fn to_json(&self) -> serde_json::Value {
        self.lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "account": l.account.as_str(),
                    "funder": l.funder.map(|f| f.code()),
                    "label": l.label,
                    "amount_cents": l.amount_cents,
                })
            })
            .collect()
    }

    /// The total of one side (lines are each checked, and at most `MAX_LINES`).
    pub fn total(&self, side: Side) -> i64 {
        crate::money::total(
            self.lines
                .iter()
                .filter(|l| l.account.side_of() == side)
                .map(|l| l.amount_cents),
        )
    }

    /// What the budget asks of the city: the 74 lines of the commune.
    pub fn city_subsidy_cents(&self) -> i64 {
        crate::money::total(
            self.lines
                .iter()
                .filter(|l| l.account.is_subsidy() && l.funder == Some(Funder::City))
                .map(|l| l.amount_cents),
        )
    }

    /// The share of the project's income the city's subsidy makes, in hundredths of a percent
    /// (CERFA: "la subvention sollicitée représente …% du total des produits du projet").
    pub fn city_share_basis_points(&self) -> Option<i64> {
        let income = self.total(Side::Income);
        (income > 0).then(|| {
            let share = i128::from(self.city_subsidy_cents()) * 10_000 / i128::from(income);
            i64::try_from(share).unwrap_or(i64::MAX)
        })
    }

    /// The balance rules printed on the form: total charges equal total income, and the
    /// in-kind contributions used (86) equal those received (87).
    pub fn balance_failures(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.total(Side::Charge) == 0 {
            errors.push(
                Violation::new(
                    "budget.empty",
                    "Le budget du projet est vide : indiquez ses charges et ses produits.",
                )
                .at("budget"),
            );
        }
        let (charges, income) = (self.total(Side::Charge), self.total(Side::Income));
        if charges != income {
            errors.push(
                Violation::new(
                    "budget.unbalanced",
                    format!(
                        "Le total des charges ({}) doit être égal au total des produits ({}).",
                        euros(charges),
                        euros(income)
                    ),
                )
                .at("budget"),
            );
        }
        let (used, received) = (
            self.total(Side::InKindUse),
            self.total(Side::InKindReceived),
        );
        if used != received {
            errors.push(
                Violation::new(
                    "budget.in_kind_unbalanced",
                    format!(
                        "Les emplois des contributions volontaires en nature (compte 86 : {}) doivent égaler les contributions reçues (compte 87 : {}).",
                        euros(used),
                        euros(received)
                    ),
                )
                .at("budget"),
            );
        }
        errors
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_chart_is_an_account_of_its_side_and_named_once() {
        for line in CHART {
            let parsed = BudgetLine::parse(0, line.account, line.funder, line.label, 100);
            assert!(parsed.is_ok(), "{line:?}");
            assert_eq!(line.funder.is_some(), line.account == "74", "{line:?}");
        }
        let mut keys: Vec<_> = CHART
            .iter()
            .map(|l| (l.account, l.funder.map(|f| f.code())))
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), CHART.len());
        let sides: Vec<Side> = CHART.iter().map(ChartLine::side).collect();
        assert_eq!(sides.first(), Some(&Side::Charge));
        assert_eq!(sides.last(), Some(&Side::InKindReceived));
    }

    pub(crate) fn line(account: &str, funder: Option<Funder>, euros: i64) -> BudgetLine {
        BudgetLine::parse(0, account, funder, "ligne", euros * 100).unwrap()
    }

    /// A balanced project budget of 10,000 € asking the city for 4,000 €.
    pub(crate) fn balanced() -> Budget {
        Budget {
            lines: vec![
                line("60", None, 2_000),
                line("64", None, 8_000),
                line("70", None, 1_000),
                line("74", Some(Funder::City), 4_000),
                line("74", Some(Funder::State), 3_000),
                line("756", None, 2_000),
                line("864", None, 500),
                line("870", None, 500),
            ],
        }
    }

    #[test]
    fn accounts_are_those_of_the_chart() {
        for ok in ["60", "69", "70", "74", "79", "86", "87", "756", "864"] {
            assert!(AccountCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "6", "59", "80", "88", "6001", "7a", "A4"] {
            assert_eq!(
                AccountCode::parse(bad).unwrap_err().code,
                "budget.account_invalid",
                "{bad}"
            );
        }
        assert_eq!(AccountCode::parse("756").unwrap().chapter(), 75);
    }

    #[test]
    fn a_line_names_each_of_its_faults() {
        let fields = |r: Result<BudgetLine, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(BudgetLine::parse(2, "74", None, "", 150)),
            [
                ("budget[2].label".into(), "text.required"),
                ("budget[2].amount_cents".into(), "amount.not_whole_euros"),
                ("budget[2].funder".into(), "budget.funder_required"),
            ]
        );
        assert_eq!(
            fields(BudgetLine::parse(
                0,
                "64",
                Some(Funder::City),
                "Salaires",
                -100
            )),
            [
                ("budget[0].amount_cents".into(), "amount.not_positive"),
                ("budget[0].funder".into(), "budget.funder_only_for_74"),
            ]
        );
    }

    #[test]
    fn lines_are_read_each_checked_and_at_most_their_limit() {
        let written = [("60", None, "Achats", 100_00), ("99", None, "?", 5_00)];
        let (lines, errors) = parse_lines(written.into_iter());
        assert_eq!(lines.len(), 1);
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["budget[1].account"]);
        let too_many = vec![("60", None, "Achats", 100_00); MAX_LINES + 1];
        let (lines, errors) = parse_lines(too_many.into_iter());
        assert!(lines.is_empty());
        assert_eq!(errors[0].code, "budget.too_many_lines");
    }

    #[test]
    fn a_balanced_budget_passes_and_says_what_it_asks_of_the_city() {
        let budget = balanced();
        assert_eq!(budget.balance_failures(), vec![]);
        assert_eq!(budget.total(Side::Charge), 10_000_00);
        assert_eq!(budget.city_subsidy_cents(), 4_000_00);
        assert_eq!(budget.city_share_basis_points(), Some(4_000));
    }

    #[test]
    fn charges_must_equal_income_and_86_must_equal_87() {
        let mut budget = balanced();
        budget.lines.push(line("61", None, 100));
        budget.lines.push(line("861", None, 50));
        let failures = budget.balance_failures();
        let codes: Vec<&str> = failures.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["budget.unbalanced", "budget.in_kind_unbalanced"]);
        assert!(
            failures[0].message.contains("10\u{202f}100\u{a0}€")
                && failures[0].message.contains("10\u{202f}000\u{a0}€")
        );
        assert_eq!(
            Budget::default()
                .balance_failures()
                .iter()
                .map(|e| e.code)
                .collect::<Vec<_>>(),
            ["budget.empty"]
        );
    }
}
