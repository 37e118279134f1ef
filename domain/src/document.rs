//! Supporting documents, filed once for all requests ("une fois pour toutes"): what each kind
//! asks for, which version is in force on a date, and what the city sees at a glance.

use crate::coded_enum;
use crate::ids::DocumentVersionId;
use crate::text;
use crate::{FieldError, Violation};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

/// A document in force less than this many days before it stops being valid is "expiring".
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

/// Above this much public cash subsidy in a year, an association appoints a statutory auditor
/// and files its report (Code de commerce L612-4, D612-5): 153,000 €.
pub const AUDITOR_THRESHOLD_CENTS: i64 = 153_000 * 100;

/// A profile not confirmed for this many months is "à actualiser".
pub const PROFILE_CONFIRMATION_MONTHS: u32 = 12;

coded_enum! {
    /// How long a version of a kind stays valid.
    pub enum ValidityRule {
        /// Until replaced (statutes, list of officers, prefecture receipt, RIB).
        Permanent = ("permanent", "Valable jusqu'à remplacement"),
        /// One version per financial year (accounts, budget, activity report, auditor's report).
        FiscalYear = ("fiscal_year", "Un par exercice"),
        /// Valid until a date given with the upload (insurance certificate).
        ValidUntil = ("valid_until", "Valable jusqu'à une date"),
        /// Dated by an event, valid for some months after it (minutes of the last general meeting).
        Dated = ("dated", "Daté"),
        /// A recorded attestation, not a file (contrat d'engagement républicain).
        Attestation = ("attestation", "Attestation"),
    }
}

coded_enum! {
    /// When a kind is required at all.
    pub enum Condition {
        /// Only when the association received more than 153,000 € of public cash subsidies in
        /// the financial year concerned.
        PublicCashSubsidiesOverAuditorThreshold = ("public_cash_subsidies_over_153000", "Si plus de 153 000 € de subventions publiques en numéraire sur l'exercice"),
    }
}

coded_enum! {
    /// The city's review of a version.
    pub enum ReviewState {
        Pending = ("pending", "À vérifier"),
        Accepted = ("accepted", "Accepté"),
        Rejected = ("rejected", "Refusé"),
    }
}

coded_enum! {
    /// Where a kind stands on a date.
    pub enum DocumentStatus {
        Valid = ("valid", "Valide"),
        Expiring = ("expiring", "Expire bientôt"),
        Expired = ("expired", "Expiré"),
        Missing = ("missing", "Manquant"),
        Rejected = ("rejected", "Refusé"),
        PendingReview = ("pending_review", "En attente de vérification"),
        NotRequired = ("not_required", "Non requis"),
    }
}

coded_enum! {
    /// The status Paris shows on an association's profile.
    pub enum ProfileStatus {
        /// Statutes, list of officers or prefecture receipt missing (or rejected).
        ToComplete = ("a_completer", "À compléter"),
        /// Not confirmed for 12 months.
        ToUpdate = ("a_actualiser", "À actualiser"),
        UpToDate = ("a_jour", "À jour"),
    }
}

impl DocumentStatus {
    /// Whether a request can count on this kind: a missing, expired or rejected one it cannot.
    pub fn is_usable(self) -> bool {
        matches!(
            self,
            DocumentStatus::Valid
                | DocumentStatus::Expiring
                | DocumentStatus::PendingReview
                | DocumentStatus::NotRequired
        )
    }
}

/// A kind of document and its rules. Kinds are data: a city adds or edits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentKind {
    pub code: String,
    pub label: String,
    pub rule: ValidityRule,
    /// For `FiscalYear`: the year required on a date of year N is N + offset (−1: last year).
    pub fiscal_year_offset: i32,
    /// For `FiscalYear`: months into a year before its required year moves on (accounts of
    /// year N−1 are approved within six months, not on the 1st of January).
    pub grace_months: u32,
    /// For `Dated`: how long after its date a version stays valid.
    pub max_age_months: Option<u32>,
    /// A RIB: the upload carries IBAN, BIC and the account holder.
    pub bank_details: bool,
    /// Its absence makes the profile "à compléter".
    pub required_for_profile: bool,
    pub condition: Option<Condition>,
}

/// What the rules need to know of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFacts {
    pub id: DocumentVersionId,
    pub fiscal_year: Option<i32>,
    pub valid_until: Option<NaiveDate>,
    pub event_date: Option<NaiveDate>,
    pub filed_at: DateTime<Utc>,
    pub review: ReviewState,
}

/// Facts about the association that conditions depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionFacts {
    /// Public cash subsidies received, per financial year, in cents.
    pub public_cash_subsidies: Vec<(i32, i64)>,
}

impl ConditionFacts {
    fn subsidies_of(&self, year: i32) -> i64 {
        crate::money::total(
            self.public_cash_subsidies
                .iter()
                .filter(|(y, _)| *y == year)
                .map(|(_, cents)| *cents),
        )
    }
}

/// A kind's status on a date, with the version in force (or the latest, when none is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindStatus {
    pub status: DocumentStatus,
    pub version: Option<DocumentVersionId>,
    /// The financial year required on that date, for yearly kinds.
    pub required_fiscal_year: Option<i32>,
    /// The last day the version is valid (inclusive, as a filed version's `valid_until`), when
    /// it has an end.
    pub valid_until: Option<NaiveDate>,
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

fn january_first(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

impl DocumentKind {
    /// The financial year this kind requires on `on`, for yearly kinds.
    pub fn required_fiscal_year(&self, on: NaiveDate) -> Option<i32> {
        (self.rule == ValidityRule::FiscalYear).then(|| {
            let shifted = on
                .checked_sub_months(Months::new(self.grace_months))
                .unwrap_or(on);
            shifted.year() + self.fiscal_year_offset
        })
    }

    /// The last day a version is valid (inclusive); `None` while it is valid until replaced.
    pub fn valid_until(&self, version: &VersionFacts) -> Option<NaiveDate> {
        self.first_day_out(version).and_then(|d| d.pred_opt())
    }

    /// The first day a version is no longer valid; `None` while it is valid until replaced.
    fn first_day_out(&self, version: &VersionFacts) -> Option<NaiveDate> {
        match self.rule {
            ValidityRule::Permanent | ValidityRule::Attestation => None,
            // The version of year Y is required during calendar year Y − offset, shifted by
            // the grace period.
            ValidityRule::FiscalYear => version.fiscal_year.map(|year| {
                add_months(
                    january_first(year - self.fiscal_year_offset + 1),
                    self.grace_months,
                )
            }),
            ValidityRule::ValidUntil => version.valid_until.and_then(|d| d.succ_opt()),
            ValidityRule::Dated => match (version.event_date, self.max_age_months) {
                (Some(date), Some(months)) => Some(add_months(date, months)),
                _ => None,
            },
        }
    }

    /// Whether its absence leaves the profile incomplete: a kind required for every profile,
    /// or one required on a condition (the auditor's report above 153,000 € of public
    /// subsidies) — when the condition does not hold, the kind is not required and usable.
    pub fn counts_for_profile(&self) -> bool {
        self.required_for_profile || self.condition.is_some()
    }

    /// Whether the kind is required at all for this association on `on`.
    pub fn is_required(&self, facts: &ConditionFacts, on: NaiveDate) -> bool {
        match self.condition {
            None => true,
            Some(Condition::PublicCashSubsidiesOverAuditorThreshold) => {
                let year = self.required_fiscal_year(on).unwrap_or(on.year() - 1);
                facts.subsidies_of(year) > AUDITOR_THRESHOLD_CENTS
            }
        }
    }

    /// Where the kind stands on `on`, given every version filed (any order).
    ///
    /// The latest filing that applies is in force: for yearly kinds, the latest of the
    /// required year. A rejected version counts as missing; one not yet reviewed is usable
    /// but shows as pending.
    pub fn status(
        &self,
        versions: &[VersionFacts],
        facts: &ConditionFacts,
        on: NaiveDate,
    ) -> KindStatus {
        let required_fiscal_year = self.required_fiscal_year(on);
        // For a yearly kind, a later year filed early (next year's budget during the grace
        // period) is in force too: the latest year filed, at or after the required one.
        let in_force = match required_fiscal_year {
            Some(year) => versions
                .iter()
                .filter(|v| v.fiscal_year.is_some_and(|y| y >= year))
                .max_by_key(|v| (v.fiscal_year, v.filed_at, v.id)),
            None => latest(versions.iter()),
        };
        let required = self.is_required(facts, on);
        let Some(version) = in_force else {
            // A yearly kind with only older years filed is out of date, not missing.
            let older = required_fiscal_year.and_then(|year| {
                latest(
                    versions
                        .iter()
                        .filter(|v| v.fiscal_year.is_some_and(|y| y < year)),
                )
            });
            let status = match (required, older) {
                (false, _) => DocumentStatus::NotRequired,
                (true, Some(_)) => DocumentStatus::Expired,
                (true, None) => DocumentStatus::Missing,
            };
            return KindStatus {
                status,
                version: older.map(|v| v.id),
                required_fiscal_year,
                valid_until: older.and_then(|v| self.valid_until(v)),
            };
        };
        let valid_until = self.valid_until(version);
        let days_left = self.first_day_out(version).map(|out| (out - on).num_days());
        let status = match (version.review, days_left) {
            (ReviewState::Rejected, _) => DocumentStatus::Rejected,
            (_, Some(days)) if days <= 0 => DocumentStatus::Expired,
            (ReviewState::Pending, _) => DocumentStatus::PendingReview,
            (_, Some(days)) if days <= EXPIRING_WITHIN_DAYS => DocumentStatus::Expiring,
            _ => DocumentStatus::Valid,
        };
        // A kind that is not required never blocks, whatever its latest filing.
        let status = if required {
            status
        } else {
            DocumentStatus::NotRequired
        };
        KindStatus {
            status,
            version: Some(version.id),
            required_fiscal_year,
            valid_until,
        }
    }
}

/// The types of files accepted, recognised by their content (never by their name), with the
/// extension given to downloads.
pub const ACCEPTED_MEDIA_TYPES: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("application/vnd.oasis.opendocument.text", "odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
];

/// How many years back a yearly document may be filed for (and one year ahead, for budgets).
pub const FISCAL_YEARS_BACK: i32 = 10;

/// What the filing of a version declares besides its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filing {
    pub fiscal_year: Option<i32>,
    pub valid_until: Option<NaiveDate>,
    pub event_date: Option<NaiveDate>,
}

impl DocumentKind {
    /// Checks what a filing declares against the kind's rule, keeping only what the rule uses:
    /// a yearly kind needs its year, a dated one its date, an insurance certificate its end.
    /// Attestations are recorded, not uploaded.
    pub fn check_filing(
        &self,
        filing: &Filing,
        today: NaiveDate,
    ) -> Result<Filing, Vec<FieldError>> {
        let required = |field: &str| {
            Violation::new(
                "field.required",
                "Ce champ est obligatoire pour ce type de document.",
            )
            .at(field)
        };
        match self.rule {
            ValidityRule::Permanent => Ok(Filing::default()),
            ValidityRule::Attestation => Err(vec![
                Violation::new(
                    "kind.is_an_attestation",
                    format!(
                        "« {} » est une attestation : elle se signe, elle ne se dépose pas.",
                        self.label
                    ),
                )
                .at("kind"),
            ]),
            ValidityRule::FiscalYear => match filing.fiscal_year {
                None => Err(vec![required("fiscal_year")]),
                Some(year)
                    if year < today.year() - FISCAL_YEARS_BACK || year > today.year() + 1 =>
                {
                    Err(vec![
                        Violation::new(
                            "fiscal_year.out_of_range",
                            format!(
                                "L'exercice doit être compris entre {} et {}.",
                                today.year() - FISCAL_YEARS_BACK,
                                today.year() + 1
                            ),
                        )
                        .at("fiscal_year"),
                    ])
                }
                Some(year) => Ok(Filing {
                    fiscal_year: Some(year),
                    ..Filing::default()
                }),
            },
            ValidityRule::ValidUntil => match filing.valid_until {
                None => Err(vec![required("valid_until")]),
                Some(until)
                    if until.year() < today.year() - FISCAL_YEARS_BACK
                        || until.year() > today.year() + FISCAL_YEARS_BACK =>
                {
                    Err(vec![
                        Violation::new(
                            "valid_until.out_of_range",
                            "Cette date de fin de validité n'est pas vraisemblable.",
                        )
                        .at("valid_until"),
                    ])
                }
                Some(until) => Ok(Filing {
                    valid_until: Some(until),
                    ..Filing::default()
                }),
            },
            ValidityRule::Dated => match filing.event_date {
                None => Err(vec![required("event_date")]),
                Some(date) if date > today => Err(vec![
                    Violation::new(
                        "event_date.in_future",
                        "La date du document ne peut pas être dans le futur.",
                    )
                    .at("event_date"),
                ]),
                Some(date) => Ok(Filing {
                    event_date: Some(date),
                    ..Filing::default()
                }),
            },
        }
    }

    /// Checks that an edited kind's settings fit its rule; returns it with its label as
    /// stored (see `text::line`).
    pub fn checked(mut self) -> Result<DocumentKind, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.rule == ValidityRule::Dated && self.max_age_months.is_none_or(|m| m == 0) {
            errors.push(
                Violation::new(
                    "kind.max_age_required",
                    "Un document daté doit préciser combien de mois il reste valable.",
                )
                .at("max_age_months"),
            );
        }
        if self.rule == ValidityRule::FiscalYear && !(-1..=0).contains(&self.fiscal_year_offset) {
            errors.push(
                Violation::new(
                    "kind.offset_out_of_range",
                    "L'exercice exigé est celui de l'année (0) ou de l'année précédente (-1).",
                )
                .at("fiscal_year_offset"),
            );
        }
        if self.grace_months > 12 {
            errors.push(
                Violation::new(
                    "kind.grace_out_of_range",
                    "Le délai de grâce est de 12 mois au plus.",
                )
                .at("grace_months"),
            );
        }
        if self.rule == ValidityRule::Attestation && self.bank_details {
            errors.push(
                Violation::new(
                    "kind.attestation_without_file",
                    "Une attestation ne porte pas de coordonnées bancaires.",
                )
                .at("bank_details"),
            );
        }
        match text::line(&self.label, 1, 200) {
            Ok(label) => self.label = label,
            Err(v) => errors.push(v.at("label")),
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// A rejection tells the association why, so that it can file a better version.
pub fn check_review(
    state: ReviewState,
    reason: Option<&str>,
) -> Result<Option<String>, FieldError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match (state, reason) {
        (ReviewState::Pending, _) => Err(Violation::new(
            "review.decision_required",
            "La décision est « accepted » ou « rejected ».",
        )
        .at("decision")),
        (ReviewState::Rejected, None) => {
            Err(Violation::new("review.reason_required", "Un refus doit être motivé.").at("reason"))
        }
        (_, Some(reason)) => text::paragraphs(reason, 1, 2000)
            .map(Some)
            .map_err(|v| v.at("reason")),
        (ReviewState::Accepted, None) => Ok(None),
    }
}

/// The latest filing among `candidates`.
fn latest<'a>(candidates: impl Iterator<Item = &'a VersionFacts>) -> Option<&'a VersionFacts> {
    candidates.max_by_key(|v| (v.filed_at, v.id))
}

/// The profile status Paris shows: "à compléter" while a kind that counts for the profile is
/// not usable, then "à actualiser" from the day 12 months after its last confirmation (dates
/// in the city's time zone), else "à jour".
pub fn profile_status(
    statuses: &[(&DocumentKind, DocumentStatus)],
    confirmed_on: NaiveDate,
    on: NaiveDate,
) -> ProfileStatus {
    let incomplete = statuses
        .iter()
        .any(|(kind, status)| kind.counts_for_profile() && !status.is_usable());
    if incomplete {
        ProfileStatus::ToComplete
    } else if on >= add_months(confirmed_on, PROFILE_CONFIRMATION_MONTHS) {
        ProfileStatus::ToUpdate
    } else {
        ProfileStatus::UpToDate
    }
}

/// An association's whole vault on a date: each kind's status, in the kinds' order, and the
/// profile status they make.
pub fn vault_status(
    kinds: &[DocumentKind],
    versions: &[(String, VersionFacts)],
    facts: &ConditionFacts,
    on: NaiveDate,
    confirmed_on: NaiveDate,
) -> (Vec<(String, KindStatus)>, ProfileStatus) {
    let statuses: Vec<(String, KindStatus)> = kinds
        .iter()
        .map(|kind| {
            let of_kind: Vec<VersionFacts> = versions
                .iter()
                .filter(|(code, _)| *code == kind.code)
                .map(|(_, v)| v.clone())
                .collect();
            (kind.code.clone(), kind.status(&of_kind, facts, on))
        })
        .collect();
    let pairs: Vec<(&DocumentKind, DocumentStatus)> = kinds
        .iter()
        .zip(&statuses)
        .map(|(kind, (_, s))| (kind, s.status))
        .collect();
    let profile = profile_status(&pairs, confirmed_on, on);
    (statuses, profile)
}

/// Public cash subsidies declared for a year: a plausible year, a non-negative amount.
pub fn check_declared_funding(
    fiscal_year: i32,
    cents: i64,
    today: NaiveDate,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if fiscal_year < today.year() - FISCAL_YEARS_BACK || fiscal_year > today.year() {
        errors.push(
            Violation::new(
                "fiscal_year.out_of_range",
                format!(
                    "L'exercice doit être compris entre {} et {}.",
                    today.year() - FISCAL_YEARS_BACK,
                    today.year()
                ),
            )
            .at("fiscal_year"),
        );
    }
    if let Err(v) = crate::money::check_cents(cents, false) {
        errors.push(v.at("cash_subsidies_cents"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Whether a kind's version in force stops being valid within [`EXPIRING_WITHIN_DAYS`] of
/// `on` (whatever its review): what the association is reminded to renew.
pub fn expires_soon(status: &KindStatus, on: NaiveDate) -> bool {
    status.version.is_some()
        && status.status.is_usable()
        && status.status != DocumentStatus::NotRequired
        && status
            .valid_until
            .is_some_and(|last| (0..EXPIRING_WITHIN_DAYS).contains(&(last - on).num_days()))
}

/// Completeness for a campaign: of the kinds it requires, those missing, expired or rejected
/// on the date (the submit step of a request refuses while this is not empty).
pub fn missing_for_campaign(
    required: &[String],
    statuses: &[(String, KindStatus)],
) -> Vec<(String, DocumentStatus)> {
    required
        .iter()
        .map(|code| {
            let status = statuses
                .iter()
                .find(|(c, _)| c == code)
                .map_or(DocumentStatus::Missing, |(_, s)| s.status);
            (code.clone(), status)
        })
        .filter(|(_, status)| !status.is_usable())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn kind(rule: ValidityRule) -> DocumentKind {
        DocumentKind {
            code: "k".into(),
            label: "k".into(),
            rule,
            fiscal_year_offset: 0,
            grace_months: 0,
            max_age_months: None,
            bank_details: false,
            required_for_profile: false,
            condition: None,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn version(n: u128, review: ReviewState) -> VersionFacts {
        VersionFacts {
            id: DocumentVersionId::from_uuid(Uuid::from_u128(n)),
            fiscal_year: None,
            valid_until: None,
            event_date: None,
            filed_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
                + chrono::Duration::hours(n as i64),
            review,
        }
    }

    const NONE: ConditionFacts = ConditionFacts {
        public_cash_subsidies: Vec::new(),
    };

    #[test]
    fn permanent_kinds_take_the_latest_filing_and_a_rejection_counts_as_missing() {
        let statutes = kind(ValidityRule::Permanent);
        let on = date(2026, 11, 23);
        assert_eq!(
            statutes.status(&[], &NONE, on).status,
            DocumentStatus::Missing
        );
        let first = version(1, ReviewState::Accepted);
        let second = version(2, ReviewState::Pending);
        let status = statutes.status(&[second.clone(), first.clone()], &NONE, on);
        assert_eq!(
            (status.status, status.version),
            (DocumentStatus::PendingReview, Some(second.id)),
            "the latest filing supersedes"
        );
        let rejected = VersionFacts {
            review: ReviewState::Rejected,
            ..second
        };
        assert_eq!(
            statutes
                .status(&[first.clone(), rejected], &NONE, on)
                .status,
            DocumentStatus::Rejected
        );
        assert!(!DocumentStatus::Rejected.is_usable());
        assert_eq!(
            statutes.status(&[first], &NONE, on).status,
            DocumentStatus::Valid
        );
    }

    #[test]
    fn dated_validity_is_expiring_within_30_days_and_expired_on_the_day_after() {
        let insurance = kind(ValidityRule::ValidUntil);
        let v = VersionFacts {
            valid_until: Some(date(2026, 12, 31)),
            ..version(1, ReviewState::Accepted)
        };
        let status = |on| insurance.status(std::slice::from_ref(&v), &NONE, on).status;
        // Valid through 31 December: the first invalid day is 1 January, 30 days after 2 December.
        assert_eq!(status(date(2026, 12, 1)), DocumentStatus::Valid);
        assert_eq!(status(date(2026, 12, 2)), DocumentStatus::Expiring);
        assert_eq!(status(date(2026, 12, 31)), DocumentStatus::Expiring);
        assert_eq!(status(date(2027, 1, 1)), DocumentStatus::Expired);
        assert_eq!(
            insurance
                .status(std::slice::from_ref(&v), &NONE, date(2026, 12, 2))
                .valid_until,
            Some(date(2026, 12, 31)),
            "the last valid day, as filed"
        );

        let minutes = DocumentKind {
            max_age_months: Some(18),
            ..kind(ValidityRule::Dated)
        };
        let v = VersionFacts {
            event_date: Some(date(2025, 6, 15)),
            ..version(2, ReviewState::Accepted)
        };
        assert_eq!(
            minutes
                .status(std::slice::from_ref(&v), &NONE, date(2026, 11, 14))
                .status,
            DocumentStatus::Valid
        );
        assert_eq!(
            minutes
                .status(std::slice::from_ref(&v), &NONE, date(2026, 11, 15))
                .status,
            DocumentStatus::Expiring
        );
        assert_eq!(
            minutes
                .status(std::slice::from_ref(&v), &NONE, date(2026, 12, 15))
                .status,
            DocumentStatus::Expired
        );
    }

    #[test]
    fn yearly_kinds_follow_the_required_year_with_a_grace_period() {
        // Approved accounts of year N−1, required from 1 July of year N (six months' grace).
        let accounts = DocumentKind {
            fiscal_year_offset: -1,
            grace_months: 6,
            ..kind(ValidityRule::FiscalYear)
        };
        assert_eq!(accounts.required_fiscal_year(date(2026, 6, 30)), Some(2024));
        assert_eq!(accounts.required_fiscal_year(date(2026, 7, 1)), Some(2025));
        let of_2025 = VersionFacts {
            fiscal_year: Some(2025),
            ..version(1, ReviewState::Accepted)
        };
        let status = |versions: &[VersionFacts], on| accounts.status(versions, &NONE, on);
        assert_eq!(
            status(std::slice::from_ref(&of_2025), date(2026, 11, 23)).status,
            DocumentStatus::Valid
        );
        // In force through 30 June 2027; expiring from 1 June.
        assert_eq!(
            status(std::slice::from_ref(&of_2025), date(2026, 11, 23)).valid_until,
            Some(date(2027, 6, 30))
        );
        assert_eq!(
            status(std::slice::from_ref(&of_2025), date(2027, 5, 31)).status,
            DocumentStatus::Valid
        );
        assert_eq!(
            status(std::slice::from_ref(&of_2025), date(2027, 6, 1)).status,
            DocumentStatus::Expiring
        );
        // Once 2026 is required, 2025 is out of date, not missing.
        let later = status(std::slice::from_ref(&of_2025), date(2027, 7, 1));
        assert_eq!(
            (later.status, later.required_fiscal_year, later.version),
            (DocumentStatus::Expired, Some(2026), Some(of_2025.id))
        );
        assert_eq!(
            status(&[], date(2027, 7, 1)).status,
            DocumentStatus::Missing
        );
        // A later filing of another year does not replace the required one.
        let of_2024 = VersionFacts {
            fiscal_year: Some(2024),
            ..version(5, ReviewState::Accepted)
        };
        assert_eq!(
            status(&[of_2025.clone(), of_2024], date(2026, 11, 23)).version,
            Some(of_2025.id)
        );

        // The budget of year N, with three months' grace.
        let budget = DocumentKind {
            fiscal_year_offset: 0,
            grace_months: 3,
            ..kind(ValidityRule::FiscalYear)
        };
        assert_eq!(budget.required_fiscal_year(date(2027, 3, 31)), Some(2026));
        assert_eq!(budget.required_fiscal_year(date(2027, 4, 1)), Some(2027));
        // Next year's budget filed during the grace period is in force: nothing is missing.
        let budget_2027 = VersionFacts {
            fiscal_year: Some(2027),
            ..version(3, ReviewState::Accepted)
        };
        let early = budget.status(std::slice::from_ref(&budget_2027), &NONE, date(2027, 2, 15));
        assert_eq!(
            (early.status, early.version),
            (DocumentStatus::Valid, Some(budget_2027.id))
        );
    }

    #[test]
    fn the_auditors_report_is_required_only_above_153000_euros() {
        let report = DocumentKind {
            fiscal_year_offset: -1,
            grace_months: 6,
            condition: Some(Condition::PublicCashSubsidiesOverAuditorThreshold),
            ..kind(ValidityRule::FiscalYear)
        };
        let on = date(2026, 11, 23);
        let facts = |cents| ConditionFacts {
            public_cash_subsidies: vec![(2025, cents), (2024, 900_000 * 100)],
        };
        assert_eq!(
            report.status(&[], &facts(153_000 * 100), on).status,
            DocumentStatus::NotRequired,
            "153,000 € is not above"
        );
        assert_eq!(
            report.status(&[], &facts(153_000 * 100 + 1), on).status,
            DocumentStatus::Missing
        );
        let filed = VersionFacts {
            fiscal_year: Some(2025),
            ..version(1, ReviewState::Accepted)
        };
        assert_eq!(
            report
                .status(std::slice::from_ref(&filed), &facts(153_000 * 100 + 1), on)
                .status,
            DocumentStatus::Valid
        );
        // Not required, a rejected report blocks nothing.
        let rejected = VersionFacts {
            review: ReviewState::Rejected,
            ..filed
        };
        assert_eq!(
            report.status(&[rejected], &facts(100_000 * 100), on).status,
            DocumentStatus::NotRequired
        );
    }

    #[test]
    fn the_profile_needs_its_founding_documents_and_a_yearly_confirmation() {
        let statutes = DocumentKind {
            required_for_profile: true,
            ..kind(ValidityRule::Permanent)
        };
        let insurance = kind(ValidityRule::ValidUntil);
        let confirmed = date(2025, 11, 23);
        let status = |s, on| {
            profile_status(
                &[(&statutes, s), (&insurance, DocumentStatus::Missing)],
                confirmed,
                on,
            )
        };
        assert_eq!(
            status(DocumentStatus::Valid, date(2026, 11, 22)),
            ProfileStatus::UpToDate,
            "other kinds do not count"
        );
        assert_eq!(
            status(DocumentStatus::PendingReview, date(2026, 11, 22)),
            ProfileStatus::UpToDate
        );
        assert_eq!(
            status(DocumentStatus::Missing, date(2026, 11, 22)),
            ProfileStatus::ToComplete
        );
        assert_eq!(
            status(DocumentStatus::Rejected, date(2026, 11, 22)),
            ProfileStatus::ToComplete
        );
        assert_eq!(
            status(DocumentStatus::Valid, date(2026, 11, 23)),
            ProfileStatus::ToUpdate,
            "twelve months to the day"
        );
        assert_eq!(
            status(DocumentStatus::Missing, date(2026, 11, 23)),
            ProfileStatus::ToComplete
        );
        // The auditor's report counts once its condition holds (missing), not before.
        let auditor = DocumentKind {
            condition: Some(Condition::PublicCashSubsidiesOverAuditorThreshold),
            ..kind(ValidityRule::FiscalYear)
        };
        let with_auditor = |s| {
            profile_status(
                &[(&statutes, DocumentStatus::Valid), (&auditor, s)],
                confirmed,
                date(2026, 11, 22),
            )
        };
        assert_eq!(
            with_auditor(DocumentStatus::Missing),
            ProfileStatus::ToComplete
        );
        assert_eq!(
            with_auditor(DocumentStatus::NotRequired),
            ProfileStatus::UpToDate
        );
    }

    #[test]
    fn each_rule_asks_the_filing_for_what_it_uses() {
        let today = date(2026, 11, 23);
        let fields = |r: Result<Filing, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect::<Vec<_>>()
        };
        let yearly = kind(ValidityRule::FiscalYear);
        assert_eq!(
            fields(yearly.check_filing(&Filing::default(), today)),
            [("fiscal_year".into(), "field.required")]
        );
        assert_eq!(
            fields(yearly.check_filing(
                &Filing {
                    fiscal_year: Some(2015),
                    ..Filing::default()
                },
                today
            )),
            [("fiscal_year".into(), "fiscal_year.out_of_range")]
        );
        assert_eq!(
            fields(yearly.check_filing(
                &Filing {
                    fiscal_year: Some(2028),
                    ..Filing::default()
                },
                today
            )),
            [("fiscal_year".into(), "fiscal_year.out_of_range")]
        );
        let kept = yearly
            .check_filing(
                &Filing {
                    fiscal_year: Some(2016),
                    event_date: Some(today),
                    ..Filing::default()
                },
                today,
            )
            .unwrap();
        assert_eq!(
            kept,
            Filing {
                fiscal_year: Some(2016),
                ..Filing::default()
            },
            "only what the rule uses is kept"
        );
        assert!(
            yearly
                .check_filing(
                    &Filing {
                        fiscal_year: Some(2027),
                        ..Filing::default()
                    },
                    today
                )
                .is_ok()
        );
        let dated = kind(ValidityRule::Dated);
        assert_eq!(
            fields(dated.check_filing(
                &Filing {
                    event_date: Some(date(2026, 11, 24)),
                    ..Filing::default()
                },
                today
            )),
            [("event_date".into(), "event_date.in_future")]
        );
        assert_eq!(
            fields(kind(ValidityRule::ValidUntil).check_filing(&Filing::default(), today)),
            [("valid_until".into(), "field.required")]
        );
        assert_eq!(
            fields(kind(ValidityRule::Attestation).check_filing(&Filing::default(), today)),
            [("kind".into(), "kind.is_an_attestation")]
        );
        assert_eq!(
            kind(ValidityRule::Permanent)
                .check_filing(
                    &Filing {
                        fiscal_year: Some(2020),
                        ..Filing::default()
                    },
                    today
                )
                .unwrap(),
            Filing::default()
        );
    }

    #[test]
    fn a_rejection_gives_its_reason() {
        assert_eq!(check_review(ReviewState::Accepted, Some("  ")), Ok(None));
        assert_eq!(
            check_review(ReviewState::Rejected, Some(" Illisible ")),
            Ok(Some("Illisible".into()))
        );
        assert_eq!(
            check_review(ReviewState::Rejected, None).unwrap_err().code,
            "review.reason_required"
        );
        assert_eq!(
            check_review(ReviewState::Pending, None).unwrap_err().field,
            "decision"
        );
    }

    #[test]
    fn edited_kinds_stay_consistent() {
        assert!(
            DocumentKind {
                max_age_months: Some(18),
                ..kind(ValidityRule::Dated)
            }
            .checked()
            .is_ok()
        );
        let labelled = DocumentKind {
            label: "  Statuts\u{200B} ".into(),
            ..kind(ValidityRule::Permanent)
        };
        assert_eq!(labelled.checked().unwrap().label, "Statuts");
        let errors = DocumentKind {
            grace_months: 13,
            fiscal_year_offset: -2,
            ..kind(ValidityRule::FiscalYear)
        }
        .checked()
        .unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["fiscal_year_offset", "grace_months"]
        );
        assert_eq!(
            DocumentKind {
                max_age_months: None,
                ..kind(ValidityRule::Dated)
            }
            .checked()
            .unwrap_err()[0]
                .code,
            "kind.max_age_required"
        );
    }

    #[test]
    fn documents_expiring_soon_are_recalled_whatever_their_review() {
        let insurance = kind(ValidityRule::ValidUntil);
        let pending = VersionFacts {
            valid_until: Some(date(2026, 12, 31)),
            ..version(1, ReviewState::Pending)
        };
        let status = |on| insurance.status(std::slice::from_ref(&pending), &NONE, on);
        assert_eq!(
            status(date(2026, 12, 10)).status,
            DocumentStatus::PendingReview
        );
        assert!(expires_soon(
            &status(date(2026, 12, 10)),
            date(2026, 12, 10)
        ));
        assert!(
            !expires_soon(&status(date(2026, 12, 1)), date(2026, 12, 1)),
            "31 days left"
        );
        assert!(
            !expires_soon(&status(date(2027, 1, 1)), date(2027, 1, 1)),
            "expired already"
        );
        let permanent = kind(ValidityRule::Permanent).status(
            &[version(2, ReviewState::Accepted)],
            &NONE,
            date(2026, 12, 10),
        );
        assert!(!expires_soon(&permanent, date(2026, 12, 10)));
    }

    #[test]
    fn a_campaign_lists_what_is_not_usable() {
        let s = |status| KindStatus {
            status,
            version: None,
            required_fiscal_year: None,
            valid_until: None,
        };
        let statuses = vec![
            ("statuts".to_owned(), s(DocumentStatus::Valid)),
            ("rib".to_owned(), s(DocumentStatus::Rejected)),
            ("assurance".to_owned(), s(DocumentStatus::Expiring)),
            ("comptes".to_owned(), s(DocumentStatus::Expired)),
        ];
        let required: Vec<String> = ["statuts", "rib", "assurance", "comptes", "budget"]
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            missing_for_campaign(&required, &statuses),
            vec![
                ("rib".into(), DocumentStatus::Rejected),
                ("comptes".into(), DocumentStatus::Expired),
                ("budget".into(), DocumentStatus::Missing)
            ]
        );
    }
}
