//! Open data of the subsidies granted, in two layouts:
//! - the SCDL "subventions" 2.1.1, the national standard for the essential data of subsidy
//!   agreements (french-rules.md §1; the schema and its examples are in `standards/scdl/`):
//!   one row per beneficiary, 16 columns;
//! - the layout of Paris's dataset "subventions associations votées" (§5): one row per
//!   request decided, refusals included with 0 where the city publishes them.
//!
//! The rules of the SCDL schema are written once, in [`SCDL_RULES`]: the export checks each
//! row it writes against them, and [`check_scdl_csv`] checks a whole file.

use crate::Violation;
use crate::funding::{AgreementGate, GrantMoney, InstallmentDue};
use crate::siret::Siret;
use chrono::{Days, NaiveDate};
use std::fmt;

/// What a column's cells must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRule {
    /// Any text, at most this many characters.
    Text(Option<usize>),
    /// 14 digits, a valid SIRET (the schema's custom check `french-siret-value`).
    Siret,
    /// A date `YYYY-MM-DD`.
    Date,
    /// `W` followed by 9 digits.
    Rna,
    /// A number with a decimal point, within bounds.
    Number { min: Option<f64>, max: Option<f64> },
    /// One of these values.
    OneOf(&'static [&'static str]),
    /// `YYYY-MM-DD` or `YYYY-MM-DD/YYYY-MM-DD`, in shape.
    DateOrPeriod,
    /// `oui` or `non`.
    YesNo,
}

/// A column of the SCDL: its name (the CSV header), whether a value is required, its rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnRule {
    pub name: &'static str,
    pub required: bool,
    pub rule: CellRule,
}

const fn column(name: &'static str, required: bool, rule: CellRule) -> ColumnRule {
    ColumnRule {
        name,
        required,
        rule,
    }
}

/// The values of `nature`.
pub const NATURES: &[&str] = &[
    "aide en numéraire",
    "aide en nature",
    "aide en numéraire;aide en nature",
    "aide en nature;aide en numéraire",
];

/// The 16 columns of the SCDL "subventions" 2.1.1, in order, with the rules of its schema.
pub const SCDL_RULES: [ColumnRule; 16] = [
    column("nomAttribuant", true, CellRule::Text(None)),
    column("idAttribuant", true, CellRule::Siret),
    column("dateConvention", true, CellRule::Date),
    column("referenceDecision", false, CellRule::Text(None)),
    column("nomBeneficiaire", true, CellRule::Text(None)),
    column("idBeneficiaire", false, CellRule::Siret),
    column("rnaBeneficiaire", false, CellRule::Rna),
    column("objet", true, CellRule::Text(Some(256))),
    column(
        "montant",
        true,
        CellRule::Number {
            min: None,
            max: None,
        },
    ),
    column("nature", true, CellRule::OneOf(NATURES)),
    column("conditionsVersement", true, CellRule::Text(Some(256))),
    column("datesPeriodeVersement", true, CellRule::DateOrPeriod),
    column("idRAE", false, CellRule::Text(Some(5))),
    column("notificationUE", true, CellRule::YesNo),
    column(
        "pourcentageSubvention",
        true,
        CellRule::Number {
            min: Some(0.01),
            max: Some(1.0),
        },
    ),
    column("dispositifAide", false, CellRule::Text(None)),
];

/// The names of the 16 columns, in order: the CSV header.
pub const SCDL_FIELDS: [&str; 16] = {
    let mut names = [""; 16];
    let mut i = 0;
    while i < SCDL_RULES.len() {
        names[i] = SCDL_RULES[i].name;
        i += 1;
    }
    names
};

/// One of the two columns must be filled (the schema's custom check `one-of-required`): a
/// beneficiary is identified by its SIRET or its RNA number.
const ONE_OF_REQUIRED: (&str, &str) = ("idBeneficiaire", "rnaBeneficiaire");

/// An amount in euros with a decimal point, as open data writes it: `33000`, `47800.20`.
pub fn decimal_euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (whole, rest) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
    match rest {
        0 => format!("{sign}{whole}"),
        rest => format!("{sign}{whole}.{rest:02}"),
    }
}

/// Whole euros, as Paris's dataset writes the amounts voted (half a euro rounds up).
pub fn whole_euros(cents: i64) -> i64 {
    cents.div_euclid(100) + i64::from(cents.rem_euclid(100) >= 50)
}

/// Whether the law requires publishing a grant of `cents` voted `on` (loi n° 2000-321, art. 10;
/// CADA 20224387): above 23,000 € alone, or with the association's other grants (`others`:
/// each one's vote date and amount) within twelve months of it, before or after: each of the
/// grants that add up above the threshold is published.
pub fn publication_required(on: NaiveDate, cents: i64, others: &[(NaiveDate, i64)]) -> bool {
    use crate::funding::AGREEMENT_THRESHOLD_CENTS;
    use chrono::Months;
    // Every twelve months that hold this grant end on its date or on a later grant's.
    let year = Months::new(12);
    let ends = std::iter::once(on).chain(
        others
            .iter()
            .map(|(d, _)| *d)
            .filter(|d| *d > on && d.checked_sub_months(year).is_some_and(|s| s < on)),
    );
    ends.into_iter().any(|end| {
        let start = end.checked_sub_months(year).unwrap_or(end);
        let within = crate::money::total(
            others
                .iter()
                .filter(|(d, _)| *d > start && *d <= end)
                .map(|(_, c)| *c),
        );
        crate::money::total([cents, within]) > AGREEMENT_THRESHOLD_CENTS
    })
}

/// When a grant is paid: one day, or the period from the first payment to the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl fmt::Display for PaymentPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from.format("%Y-%m-%d"))
        } else {
            write!(
                f,
                "{}/{}",
                self.from.format("%Y-%m-%d"),
                self.to.format("%Y-%m-%d")
            )
        }
    }
}

/// The dates of a grant's payments, from its schedule and the payments made (`paid`: the
/// first and last payment's dates):
/// - it begins on the first payment, or on the day payments may begin (the notification, or
///   the city's signature of the agreement);
/// - it ends on the last payment once the grant is paid in full (or a repayment stopped the
///   payments after some); until then, on the day the last installment is due: the payment
///   delay after the day payments may begin, or after the final report's acceptance (its due
///   date while it is not accepted) for a balance.
///
/// `None` while the agreement the grant needs is not signed: no payment can be planned.
pub fn payment_period(
    money: &GrantMoney,
    paid: Option<(NaiveDate, NaiveDate)>,
    final_report_due_on: NaiveDate,
) -> Option<PaymentPeriod> {
    let (payable_from, days) = money.payment_window()?;
    let from = paid.map_or(payable_from, |(first, _)| first);
    let last_paid = paid.map(|(_, last)| last);
    let settled = money.paid_cents >= money.granted_cents || money.repayment_ordered();
    let to = if let (true, Some(last)) = (settled, last_paid) {
        last
    } else {
        let balance_after_report = money
            .installments
            .iter()
            .any(|i| i.due == InstallmentDue::AfterFinalReport);
        let last_due_from = if balance_after_report {
            money
                .report_accepted_on
                .unwrap_or(final_report_due_on)
                .max(payable_from)
        } else {
            payable_from
        };
        last_due_from
            .checked_add_days(Days::new(u64::from(days)))
            .unwrap_or(last_due_from)
    };
    Some(PaymentPeriod {
        from,
        to: to.max(from).max(last_paid.unwrap_or(from)),
    })
}

/// `unique` for a single payment, `échelonné` for installments.
pub fn payment_terms(money: &GrantMoney) -> &'static str {
    if money.installments.len() > 1 {
        "échelonné"
    } else {
        "unique"
    }
}

/// The granting authority: the city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grantor {
    pub name: String,
    pub siret: Siret,
}

/// A grant as the open data publishes it: its request, beneficiary, decision and money.
#[derive(Debug, Clone)]
pub struct PublishedGrant {
    /// The request's number.
    pub number: String,
    pub title: String,
    pub association_name: String,
    pub siret: Option<String>,
    pub rna: Option<String>,
    /// The deliberation's reference.
    pub deliberation_reference: String,
    pub voted_on: NaiveDate,
    pub final_report_due_on: NaiveDate,
    pub money: GrantMoney,
    /// The first and the last payment's dates.
    pub paid: Option<(NaiveDate, NaiveDate)>,
}

impl PublishedGrant {
    /// The date of its agreement: the city's signature, or the vote when none is needed.
    pub fn convention_on(&self) -> NaiveDate {
        match self.money.agreement {
            AgreementGate::Signed { on, .. } => on,
            _ => self.voted_on,
        }
    }

    /// Its SCDL row, once its agreement (if it needs one) is signed and if the row meets
    /// every rule of the schema; else the rules it breaks (a beneficiary with neither SIRET
    /// nor RNA number breaks `one-of-required`).
    pub fn scdl_row(self, grantor: &Grantor) -> Result<ScdlRow, Vec<(&'static str, Violation)>> {
        let unsigned = || {
            vec![(
                "dateConvention",
                Violation::new(
                    "scdl.agreement_unsigned",
                    "La convention n'est pas encore signée par la Ville.",
                ),
            )]
        };
        let period = payment_period(&self.money, self.paid, self.final_report_due_on)
            .ok_or_else(unsigned)?;
        let row = ScdlRow {
            grantor_name: grantor.name.clone(),
            grantor_siret: grantor.siret.as_str().to_owned(),
            convention_on: self.convention_on(),
            decision_reference: self.deliberation_reference,
            beneficiary_name: self.association_name,
            beneficiary_siret: self.siret,
            beneficiary_rna: self.rna,
            object: self.title,
            cents: self.money.granted_cents,
            payment_terms: payment_terms(&self.money),
            payment_period: period,
        };
        let cells = row.cells();
        let broken = check_scdl_row(&cells.iter().map(String::as_str).collect::<Vec<_>>());
        if broken.is_empty() {
            Ok(row)
        } else {
            Err(broken)
        }
    }
}

/// One row of the SCDL: a grant to one beneficiary (Simpa's grants have one each, so
/// `pourcentageSubvention` is always 1).
#[derive(Debug, Clone, PartialEq)]
pub struct ScdlRow {
    pub grantor_name: String,
    pub grantor_siret: String,
    /// The city's signature of the agreement; the vote for a grant that needs none.
    pub convention_on: NaiveDate,
    /// The deliberation's reference (`2026 DAC 12`).
    pub decision_reference: String,
    pub beneficiary_name: String,
    pub beneficiary_siret: Option<String>,
    pub beneficiary_rna: Option<String>,
    pub object: String,
    pub cents: i64,
    pub payment_terms: &'static str,
    pub payment_period: PaymentPeriod,
}

/// Simpa grants money only, never notified as State aid.
pub const NATURE: &str = "aide en numéraire";
pub const NOTIFIED_TO_EU: bool = false;
pub const SHARE: f64 = 1.0;

/// Text cut to `max` characters, the last one an ellipsis when cut.
pub fn clipped(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

impl ScdlRow {
    /// The object, within the schema's 256 characters.
    pub fn objet(&self) -> String {
        clipped(&self.object, 256)
    }

    /// The 16 cells, in the order of [`SCDL_RULES`].
    pub fn cells(&self) -> [String; 16] {
        [
            self.grantor_name.clone(),
            self.grantor_siret.clone(),
            self.convention_on.format("%Y-%m-%d").to_string(),
            self.decision_reference.clone(),
            self.beneficiary_name.clone(),
            self.beneficiary_siret.clone().unwrap_or_default(),
            self.beneficiary_rna.clone().unwrap_or_default(),
            self.objet(),
            decimal_euros(self.cents),
            NATURE.to_owned(),
            self.payment_terms.to_owned(),
            self.payment_period.to_string(),
            String::new(),
            if NOTIFIED_TO_EU { "oui" } else { "non" }.to_owned(),
            format!("{SHARE:.2}"),
            String::new(),
        ]
    }
}

/// A rule of the SCDL a file breaks: where (`line` of the file, 1 for the header; `column`)
/// and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScdlError {
    pub line: u64,
    pub column: String,
    pub violation: Violation,
}

fn is_digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_date(text: &str) -> bool {
    text.len() == 10 && NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// A Table Schema number with a decimal point: digits, an optional fraction and exponent.
fn number(text: &str) -> Option<f64> {
    let allowed = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    let value: f64 = text.parse().ok()?;
    (allowed && value.is_finite()).then_some(value)
}

impl CellRule {
    /// Why `value` (not empty) breaks the rule, if it does.
    fn check(self, name: &str, value: &str) -> Option<Violation> {
        let broken = |code, message: String| Some(Violation::new(code, message));
        match self {
            CellRule::Text(Some(max)) if value.chars().count() > max => broken(
                "scdl.max_length",
                format!("{name} : {max} caractères au plus."),
            ),
            CellRule::Text(_) => None,
            CellRule::Siret if !is_digits(value, 14) || Siret::parse(value).is_err() => broken(
                "scdl.siret",
                format!(
                    "{name} : « {value} » n'est pas un SIRET valide (14 chiffres, clé de contrôle)."
                ),
            ),
            CellRule::Siret => None,
            CellRule::Date if !is_date(value) => broken(
                "scdl.date",
                format!("{name} : « {value} » n'est pas une date AAAA-MM-JJ."),
            ),
            CellRule::Date => None,
            CellRule::Rna if !(value.starts_with('W') && is_digits(&value[1..], 9)) => broken(
                "scdl.rna",
                format!("{name} : « {value} » n'est pas un numéro RNA (W suivi de 9 chiffres)."),
            ),
            CellRule::Rna => None,
            CellRule::Number { min, max } => match number(value) {
                None => broken(
                    "scdl.number",
                    format!(
                        "{name} : « {value} » n'est pas un nombre (séparateur décimal : le point)."
                    ),
                ),
                Some(v) if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) => broken(
                    "scdl.range",
                    format!(
                        "{name} : {value} est hors de [{}, {}].",
                        min.map_or("…".into(), |m| m.to_string()),
                        max.map_or("…".into(), |m| m.to_string())
                    ),
                ),
                Some(_) => None,
            },
            CellRule::OneOf(values) if !values.contains(&value) => broken(
                "scdl.enum",
                format!(
                    "{name} : « {value} » n'est pas l'une des valeurs « {} ».",
                    values.join(" », « ")
                ),
            ),
            CellRule::OneOf(_) => None,
            CellRule::DateOrPeriod => {
                // The schema's rule is a pattern: the shape of dates, not their calendar
                // (its own valid example has `2017-30-05`).
                let shaped = |d: &str| {
                    let b = d.as_bytes();
                    b.len() == 10
                        && b[4] == b'-'
                        && b[7] == b'-'
                        && [0, 1, 2, 3, 5, 6, 8, 9]
                            .iter()
                            .all(|&i| b[i].is_ascii_digit())
                };
                let valid = match value.split_once('/') {
                    Some((from, to)) => shaped(from) && shaped(to),
                    None => shaped(value),
                };
                (!valid).then(|| {
                    Violation::new(
                        "scdl.period",
                        format!("{name} : « {value} » n'est ni une date AAAA-MM-JJ ni une période AAAA-MM-JJ/AAAA-MM-JJ."),
                    )
                })
            }
            CellRule::YesNo if value != "oui" && value != "non" => broken(
                "scdl.yes_no",
                format!("{name} : « {value} » ; les valeurs admises sont « oui » et « non »."),
            ),
            CellRule::YesNo => None,
        }
    }
}

/// The rules a row of cells (in the order of [`SCDL_RULES`]; missing cells are empty)
/// breaks.
pub fn check_scdl_row(cells: &[&str]) -> Vec<(&'static str, Violation)> {
    let cell = |i: usize| cells.get(i).copied().unwrap_or("");
    let mut broken = Vec::new();
    for (i, column) in SCDL_RULES.iter().enumerate() {
        let value = cell(i);
        if value.is_empty() {
            if column.required {
                broken.push((
                    column.name,
                    Violation::new("scdl.required", format!("{} est obligatoire.", column.name)),
                ));
            }
        } else if let Some(violation) = column.rule.check(column.name, value) {
            broken.push((column.name, violation));
        }
    }
    let position = |name| SCDL_RULES.iter().position(|c| c.name == name);
    let (first, second) = ONE_OF_REQUIRED;
    if let (Some(a), Some(b)) = (position(first), position(second))
        && cell(a).is_empty()
        && cell(b).is_empty()
    {
        broken.push((
            first,
            Violation::new(
                "scdl.one_of_required",
                format!("{first} ou {second} : l'un des deux est obligatoire."),
            ),
        ));
    }
    broken
}

/// Every rule of the SCDL "subventions" 2.1.1 that a CSV file breaks: the header (the 16
/// column names, in order), the length of each row, and each cell. Empty: the file is valid.
pub fn check_scdl_csv(file: &[u8]) -> Vec<ScdlError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file);
    let mut errors = Vec::new();
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => {
            return vec![ScdlError {
                line: 1,
                column: String::new(),
                violation: Violation::new("scdl.header", "Le fichier n'a pas d'en-tête CSV."),
            }];
        }
    };
    for (i, column) in SCDL_RULES.iter().enumerate() {
        let found = header.get(i).unwrap_or("");
        if found != column.name {
            errors.push(ScdlError {
                line: 1,
                column: column.name.to_owned(),
                violation: Violation::new(
                    "scdl.header",
                    format!(
                        "La colonne {} doit s'appeler « {} » ; l'en-tête porte « {found} ».",
                        i + 1,
                        column.name
                    ),
                ),
            });
        }
    }
    for extra in header.iter().skip(SCDL_RULES.len()) {
        errors.push(ScdlError {
            line: 1,
            column: extra.to_owned(),
            violation: Violation::new(
                "scdl.header",
                format!("La colonne « {extra} » n'est pas dans le schéma."),
            ),
        });
    }
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.push(ScdlError {
                    line: e.position().map_or(0, |p| p.line()),
                    column: String::new(),
                    violation: Violation::new("scdl.csv", format!("CSV illisible : {e}")),
                });
                break;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            errors.push(ScdlError {
                line,
                column: String::new(),
                violation: Violation::new(
                    "scdl.row_length",
                    format!(
                        "La ligne a {} cellules ; l'en-tête en a {}.",
                        record.len(),
                        header.len()
                    ),
                ),
            });
        }
        let cells: Vec<&str> = record.iter().collect();
        for (column, violation) in check_scdl_row(&cells) {
            errors.push(ScdlError {
                line,
                column: column.to_owned(),
                violation,
            });
        }
    }
    errors
}

/// The columns of Paris's dataset "subventions associations votées", as its CSV names them.
pub const PARIS_COLUMNS: [&str; 10] = [
    "Numéro de dossier",
    "Année budgétaire",
    "Collectivité",
    "Nom Bénéficiaire",
    "Numéro Siret",
    "Objet du dossier",
    "Montant voté",
    "Direction",
    "Nature de la subvention",
    "Secteurs d'activités définies par l'association",
];

/// One row of Paris's layout: a request decided, granted or refused (0 voted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParisRow {
    pub number: String,
    pub budget_year: i32,
    pub collectivity: String,
    pub beneficiary_name: String,
    pub siret: Option<String>,
    pub object: String,
    pub voted_cents: i64,
    /// The code of the lead direction (`DAC`); the campaign's before dispatch or when a town
    /// hall leads.
    pub direction: String,
    /// `Fonctionnement`, `Projet` or `Investissement`.
    pub nature: &'static str,
    /// The association's sectors, as the directory labels them.
    pub sectors: Vec<String>,
}

impl ParisRow {
    /// The 10 cells, in the order of [`PARIS_COLUMNS`]; the sectors `;`-separated.
    pub fn cells(&self) -> [String; 10] {
        [
            self.number.clone(),
            self.budget_year.to_string(),
            self.collectivity.clone(),
            self.beneficiary_name.clone(),
            self.siret.clone().unwrap_or_default(),
            self.object.clone(),
            whole_euros(self.voted_cents).to_string(),
            self.direction.clone(),
            self.nature.to_owned(),
            self.sectors.join(";"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funding::{AgreementGate, Installment};

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn money(installments: &[(i64, InstallmentDue)], paid_cents: i64) -> GrantMoney {
        GrantMoney {
            granted_cents: installments.iter().map(|(c, _)| c).sum(),
            paid_cents,
            installments: installments
                .iter()
                .map(|&(cents, due)| Installment { cents, due })
                .collect(),
            agreement: AgreementGate::NotRequired,
            notified_on: day("2026-03-10"),
            report_accepted_on: None,
            claimed_cents: 0,
        }
    }

    #[test]
    fn amounts_are_written_with_a_decimal_point_and_cents_only_when_there_are() {
        assert_eq!(decimal_euros(3_300_000), "33000");
        assert_eq!(decimal_euros(4_780_020), "47800.20");
        assert_eq!(decimal_euros(5), "0.05");
        assert_eq!(decimal_euros(0), "0");
        assert_eq!(decimal_euros(-50), "-0.50");
        assert_eq!(whole_euros(4_780_050), 47_801);
        assert_eq!(whole_euros(4_780_049), 47_800);
    }

    #[test]
    fn a_grant_is_published_by_law_above_23000_euros_alone_or_with_the_twelve_months_around_it() {
        let on = day("2026-03-10");
        assert!(publication_required(on, 2_300_001, &[]));
        assert!(!publication_required(on, 2_300_000, &[]));
        // 15,000 € then, 11 months later, 9,000 €: both are published.
        let later = (day("2027-02-10"), 900_000);
        assert!(publication_required(on, 1_500_000, &[later]));
        assert!(publication_required(later.0, later.1, &[(on, 1_500_000)]));
        // Thirteen months apart, they do not add up.
        let too_late = (day("2027-04-11"), 900_000);
        assert!(!publication_required(on, 1_500_000, &[too_late]));
        assert!(!publication_required(
            too_late.0,
            too_late.1,
            &[(on, 1_500_000)]
        ));
        // Three grants of 10,000 € eight months apart: two at a time make 20,000 €, and no
        // twelve months hold the three: none is published by law.
        let (first, second, third) = (day("2026-01-15"), day("2026-09-15"), day("2027-05-15"));
        let grants = [(first, 1_000_000), (second, 1_000_000), (third, 1_000_000)];
        let others = |i: usize| -> Vec<(NaiveDate, i64)> {
            grants
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, g)| *g)
                .collect()
        };
        assert!(!publication_required(first, 1_000_000, &others(0)));
        assert!(!publication_required(second, 1_000_000, &others(1)));
        assert!(!publication_required(third, 1_000_000, &others(2)));
    }

    #[test]
    fn the_payment_period_runs_from_the_first_payment_to_the_last_or_to_when_the_last_is_due() {
        let single = money(&[(500_000, InstallmentDue::OnNotification)], 0);
        let unpaid = payment_period(&single, None, day("2027-06-30")).unwrap();
        assert_eq!(unpaid.to_string(), "2026-03-10/2026-05-09");
        let mut paid = single.clone();
        paid.paid_cents = 500_000;
        let once = Some((day("2026-04-02"), day("2026-04-02")));
        assert_eq!(
            payment_period(&paid, once, day("2027-06-30"))
                .unwrap()
                .to_string(),
            "2026-04-02"
        );

        let split = money(
            &[
                (300_000, InstallmentDue::OnNotification),
                (200_000, InstallmentDue::AfterFinalReport),
            ],
            300_000,
        );
        let advance = Some((day("2026-04-02"), day("2026-04-02")));
        assert_eq!(
            payment_period(&split, advance, day("2027-06-30"))
                .unwrap()
                .to_string(),
            "2026-04-02/2027-08-29",
            "the balance is due 60 days after the report's due date while it is not accepted"
        );
        let mut accepted = split.clone();
        accepted.report_accepted_on = Some(day("2027-03-01"));
        assert_eq!(
            payment_period(&accepted, advance, day("2027-06-30"))
                .unwrap()
                .to_string(),
            "2026-04-02/2027-04-30"
        );
        accepted.paid_cents = 500_000;
        let both = Some((day("2026-04-02"), day("2027-03-20")));
        assert_eq!(
            payment_period(&accepted, both, day("2027-06-30"))
                .unwrap()
                .to_string(),
            "2026-04-02/2027-03-20"
        );

        let mut signed = single.clone();
        signed.agreement = AgreementGate::Signed {
            on: day("2026-05-01"),
            payment_days: 30,
        };
        assert_eq!(
            payment_period(&signed, None, day("2027-06-30"))
                .unwrap()
                .to_string(),
            "2026-05-01/2026-05-31",
            "payments begin with the city's signature and follow the agreement's delay"
        );
        signed.agreement = AgreementGate::Unsigned;
        assert_eq!(payment_period(&signed, None, day("2027-06-30")), None);

        // A repayment ordered before any payment: the planned window, not a payment's day.
        let mut stopped = single.clone();
        stopped.claimed_cents = 1_00;
        assert_eq!(
            payment_period(&stopped, None, day("2027-06-30"))
                .unwrap()
                .to_string(),
            "2026-03-10/2026-05-09"
        );
        // A partial payment made after the planned end stretches the period to it.
        let mut late = single.clone();
        late.paid_cents = 200_000;
        let paid_late = Some((day("2026-07-01"), day("2026-07-01")));
        assert_eq!(
            payment_period(&late, paid_late, day("2027-06-30"))
                .unwrap()
                .to_string(),
            "2026-07-01"
        );
    }

    fn official(name: &str) -> Vec<u8> {
        let path = format!("{}/../standards/scdl/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn found(errors: &[ScdlError]) -> Vec<(u64, &str, &str)> {
        errors
            .iter()
            .map(|e| (e.line, e.column.as_str(), e.violation.code))
            .collect()
    }

    #[test]
    fn the_official_valid_example_passes_and_the_invalid_ones_fail_for_their_errors() {
        assert_eq!(check_scdl_csv(&official("example-valid.csv")), vec![]);

        let cells = check_scdl_csv(&official("example-invalid-cells.csv"));
        let cells = found(&cells);
        for expected in [
            (1, "dispositifAide", "scdl.header"),
            (2, "pourcentageSubvention", "scdl.range"),
            (5, "dateConvention", "scdl.date"),
            (5, "rnaBeneficiaire", "scdl.rna"),
            (6, "idBeneficiaire", "scdl.siret"),
            (6, "montant", "scdl.number"),
            (6, "notificationUE", "scdl.yes_no"),
            (7, "idAttribuant", "scdl.siret"),
            (8, "datesPeriodeVersement", "scdl.period"),
            (8, "notificationUE", "scdl.yes_no"),
            (9, "idBeneficiaire", "scdl.one_of_required"),
            (9, "pourcentageSubvention", "scdl.number"),
            (10, "montant", "scdl.required"),
            (12, "rnaBeneficiaire", "scdl.rna"),
            (16, "nature", "scdl.enum"),
        ] {
            assert!(cells.contains(&expected), "{expected:?} not in {cells:?}");
        }

        let columns = check_scdl_csv(&official("example-invalid-columns.csv"));
        let columns = found(&columns);
        for expected in [
            (1, "nomAttribuant", "scdl.header"),
            (1, "idAttribuant", "scdl.header"),
            (1, "nomBeneficiaire", "scdl.header"),
            (1, "dispositifAide", "scdl.header"),
            (2, "idAttribuant", "scdl.siret"),
        ] {
            assert!(
                columns.contains(&expected),
                "{expected:?} not in {columns:?}"
            );
        }
    }

    #[test]
    fn a_row_of_ours_meets_every_rule_and_each_broken_rule_is_named() {
        let row = ScdlRow {
            grantor_name: "Ville de Paris".into(),
            grantor_siret: "21750001600019".into(),
            convention_on: day("2026-04-01"),
            decision_reference: "2026 DAC 12".into(),
            beneficiary_name: "Théâtre du Soleil, compagnie".into(),
            beneficiary_siret: None,
            beneficiary_rna: Some("W751000001".into()),
            object: "x".repeat(300),
            cents: 2_500_050,
            payment_terms: "unique",
            payment_period: PaymentPeriod {
                from: day("2026-04-02"),
                to: day("2026-04-02"),
            },
        };
        let cells = row.cells();
        assert_eq!(cells[7].chars().count(), 256);
        assert_eq!(cells[8], "25000.50");
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        assert_eq!(check_scdl_row(&refs), vec![]);

        let mut broken = refs.clone();
        broken[1] = "21750001600018";
        broken[6] = "";
        broken[14] = "100";
        broken[13] = "no";
        let codes: Vec<(&str, &str)> = check_scdl_row(&broken)
            .iter()
            .map(|(column, v)| (*column, v.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("idAttribuant", "scdl.siret"),
                ("notificationUE", "scdl.yes_no"),
                ("pourcentageSubvention", "scdl.range"),
                ("idBeneficiaire", "scdl.one_of_required"),
            ]
        );
    }
}
