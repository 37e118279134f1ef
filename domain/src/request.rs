//! Subsidy requests: what an association asks for (CERFA 12156, section 6 and the project
//! budget), its human number, and everything submitting checks.

use crate::budget::Budget;
use crate::campaign::{ApplicantFacts, Campaign, Nature};
use crate::coded_enum;
use crate::document::{
    DocumentKind, DocumentStatus, KindStatus, ProfileStatus, ValidityRule, missing_for_campaign,
};
use crate::ids::{DistrictNumber, DocumentVersionId, RequestId};

use crate::french;
use crate::text;
use crate::{DomainError, FieldError, Violation};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use std::fmt;

coded_enum! {
    /// Where a request stands. New circuits add states here and rules in `circuit.rs`.
    pub enum RequestState {
        Draft = ("draft", "Brouillon"),
        Submitted = ("submitted", "Déposée"),
        Incomplete = ("incomplete", "Incomplète : pièces ou informations demandées"),
        InInstruction = ("in_instruction", "En instruction"),
        Instructed = ("instructed", "Instruite"),
        /// A call for projects' jury ranked it, with the amount it proposes.
        Ranked = ("ranked", "Classée par le jury"),
        /// On the agenda of a council, in a deliberation, with the amount proposed.
        Scheduled = ("scheduled", "Inscrite à l'ordre du jour du conseil"),
        /// The council voted a subsidy.
        Granted = ("granted", "Subvention accordée"),
        Rejected = ("rejected", "Refusée"),
        Withdrawn = ("withdrawn", "Retirée"),
        /// The grant is paid and its report accepted, or its repayment settled.
        Closed = ("closed", "Dossier clos"),
    }
}

impl RequestState {
    /// No action leads out of it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RequestState::Rejected | RequestState::Withdrawn | RequestState::Closed
        )
    }
}

/// The human number of a submitted request, `YYYY_NNNNN` as in Paris (`2026_04217`): the
/// campaign's budget year and a serial, allocated without gaps at submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestNumber {
    pub year: i32,
    pub serial: u32,
}

impl RequestNumber {
    pub fn parse(raw: &str) -> Result<RequestNumber, Violation> {
        let invalid = || {
            Violation::new(
                "request_number.invalid",
                format!("« {raw} » n'est pas un numéro de dossier (AAAA_NNNNN, ex. 2026_04217)."),
            )
        };
        let (year, serial) = raw.trim().split_once('_').ok_or_else(invalid)?;
        if year.len() != 4
            || serial.len() < 5
            || !(year.bytes().chain(serial.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        Ok(RequestNumber {
            year: year.parse().map_err(|_| invalid())?,
            serial: serial.parse().map_err(|_| invalid())?,
        })
    }
}

impl fmt::Display for RequestNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{:05}", self.year, self.serial)
    }
}

/// An impact indicator the association commits to (CERFA 12156: "méthode d'évaluation et
/// indicateurs").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub name: String,
    pub unit: String,
    pub target: i64,
}

pub const MAX_INDICATORS: usize = 20;

impl Indicator {
    /// Indicators as data: one object each (`name`, `unit`, `target`).
    pub fn list_to_json(indicators: &[Indicator]) -> serde_json::Value {
        indicators
            .iter()
            .map(|i| serde_json::json!({"name": i.name, "unit": i.unit, "target": i.target}))
            .collect()
    }

    /// An indicator as stored, its texts on one line as they were written.
    pub fn stored(name: &str, unit: &str, target: i64) -> Indicator {
        Indicator {
            name: text::on_one_line(name),
            unit: text::on_one_line(unit),
            target,
        }
    }

    pub fn parse(
        index: usize,
        name: &str,
        unit: &str,
        target: i64,
    ) -> Result<Indicator, Vec<FieldError>> {
        let at = |field: &str| format!("indicators[{index}].{field}");
        let mut errors = Vec::new();
        let name = text::line(name, 1, 200)
            .map_err(|v| errors.push(v.at(at("name"))))
            .ok();
        let unit = text::line(unit, 1, 50)
            .map_err(|v| errors.push(v.at(at("unit"))))
            .ok();
        if target < 0 {
            errors.push(
                Violation::new(
                    "indicator.negative_target",
                    "La valeur cible ne peut pas être négative.",
                )
                .at(at("target")),
            );
        }
        match (name, unit) {
            (Some(name), Some(unit)) if errors.is_empty() => Ok(Indicator { name, unit, target }),
            _ => Err(errors),
        }
    }
}

/// What the association writes in its request. A draft may be incomplete; submitting checks
/// that nothing is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContent {
    pub title: String,
    pub summary: String,
    pub objectives: String,
    pub target_public: String,
    pub expected_beneficiaries: Option<u32>,
    /// Districts where the project takes place.
    pub districts: Vec<DistrictNumber>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub nature: Nature,
    /// The earlier request of the same association this one renews, if any.
    pub renews: Option<RequestId>,
    /// What the association asks of the city, in cents: equal to the 74 "commune" lines.
    pub requested_cents: i64,
    pub budget: Budget,
    pub indicators: Vec<Indicator>,
}

impl RequestContent {
    /// The project's period: its dates, set at submission; else its budget year.
    pub fn period(&self, budget_year: i32) -> (NaiveDate, NaiveDate) {
        let day = |m, d| NaiveDate::from_ymd_opt(budget_year, m, d).unwrap_or_default();
        (
            self.start_date.unwrap_or_else(|| day(1, 1)),
            self.end_date.unwrap_or_else(|| day(12, 31)),
        )
    }
}

impl RequestContent {
    /// SHA-256 (hex) of what the request says, in a canonical form: the events that record
    /// the content (submission, edit) put it in the hash chain.
    pub fn digest(&self) -> String {
        let districts: Vec<i32> = self.districts.iter().map(|d| d.0).collect();
        let canonical = serde_json::json!([
            self.title,
            self.summary,
            self.objectives,
            self.target_public,
            self.expected_beneficiaries,
            districts,
            self.start_date.map(|d| d.to_string()),
            self.end_date.map(|d| d.to_string()),
            self.nature.code(),
            self.renews.map(|r| r.to_string()),
            self.requested_cents,
            self.budget.to_json(),
            Indicator::list_to_json(&self.indicators),
        ]);
        crate::digest::sha256_hex(canonical.to_string().as_bytes())
    }
}

/// A project lasts at most four years (multi-year agreements cover up to four).
pub const MAX_PROJECT_MONTHS: u32 = 48;

pub fn parse_title(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 200)
}

/// Long free text of a draft: may stay empty until submission.
pub fn parse_text(raw: &str) -> Result<String, Violation> {
    text::paragraphs(raw, 0, 10_000)
}

pub fn parse_requested_cents(cents: i64) -> Result<i64, Violation> {
    crate::money::check_whole_euros(cents, false)
}

impl RequestContent {
    /// What the form itself must hold to be submitted, all at once: texts, dates, the
    /// balanced budget and an amount asked that matches its 74 "commune" lines.
    pub fn completeness_failures(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let required = |field: &str| {
            Violation::new(
                "field.required",
                "Ce champ est obligatoire pour déposer la demande.",
            )
            .at(field)
        };
        for (field, text) in [
            ("summary", &self.summary),
            ("objectives", &self.objectives),
            ("target_public", &self.target_public),
        ] {
            if text.trim().is_empty() {
                errors.push(required(field));
            }
        }
        match (self.start_date, self.end_date) {
            (None, _) | (_, None) => {
                if self.start_date.is_none() {
                    errors.push(required("start_date"));
                }
                if self.end_date.is_none() {
                    errors.push(required("end_date"));
                }
            }
            (Some(start), Some(end)) if end < start => errors.push(
                Violation::new(
                    "dates.inverted",
                    format!("Le projet ne peut pas finir ({end}) avant de commencer ({start})."),
                )
                .at("end_date"),
            ),
            (Some(start), Some(end)) => {
                if start
                    .checked_add_months(Months::new(MAX_PROJECT_MONTHS))
                    .is_some_and(|limit| end > limit)
                {
                    errors.push(
                        Violation::new(
                            "dates.too_long",
                            format!("Un projet dure au plus {} ans.", MAX_PROJECT_MONTHS / 12),
                        )
                        .at("end_date"),
                    );
                }
            }
        }
        errors.extend(self.budget.balance_failures());
        let city_lines = self.budget.city_subsidy_cents();
        if self.requested_cents <= 0 {
            errors.push(
                Violation::new(
                    "request.amount_required",
                    "Indiquez le montant demandé à la Ville.",
                )
                .at("requested_cents"),
            );
        } else if self.requested_cents != city_lines {
            errors.push(
                Violation::new(
                    "request.amount_mismatch",
                    format!(
                        "Le montant demandé ({}) doit être celui de la ligne 74 « Commune(s) — Ville de Paris » du budget ({}).",
                        crate::money::euros(self.requested_cents),
                        crate::money::euros(city_lines)
                    ),
                )
                .at("requested_cents"),
            );
        }
        errors
    }
}

/// The fields of a request the city may ask the association to complete or correct.
pub const ASKABLE_FIELDS: &[&str] = &[
    "title",
    "summary",
    "objectives",
    "target_public",
    "expected_beneficiaries",
    "districts",
    "start_date",
    "end_date",
    "nature",
    "requested_cents",
    "budget",
    "indicators",
];

/// A field of a request, as the association reads it ("le budget", "la date de début").
pub fn field_in_words(field: &str) -> &'static str {
    match field {
        "title" => "le titre",
        "summary" => "la présentation du projet",
        "objectives" => "les objectifs",
        "target_public" => "le public visé",
        "expected_beneficiaries" => "le nombre de bénéficiaires",
        "districts" => "les lieux",
        "start_date" => "la date de début",
        "end_date" => "la date de fin",
        "nature" => "la nature de la demande",
        "requested_cents" => "le montant demandé",
        "budget" => "le budget",
        "indicators" => "les indicateurs",
        _ => "une information",
    }
}

/// A project's start or end: a plausible date (what databases store alike).
pub fn parse_project_date(date: NaiveDate) -> Result<NaiveDate, Violation> {
    if (1900..=2200).contains(&date.year()) {
        Ok(date)
    } else {
        Err(Violation::new(
            "date.out_of_range",
            "Cette date n'est pas vraisemblable (années 1900 à 2200).",
        ))
    }
}

/// The kinds of documents a request in this campaign needs: those the campaign lists, every
/// attestation (the contrat d'engagement républicain is signed for every request, loi
/// 2000-321 art. 10-1), and those required on a condition (the auditor's report, when it
/// holds; otherwise the kind is not required and passes).
pub fn required_kinds(campaign: &Campaign, kinds: &[DocumentKind]) -> Vec<String> {
    kinds
        .iter()
        .filter(|k| {
            k.rule == ValidityRule::Attestation
                || k.condition.is_some()
                || campaign.settings.required_documents.contains(&k.code)
        })
        .map(|k| k.code.clone())
        .collect()
}

/// Everything submission depends on besides the request itself.
#[derive(Debug, Clone)]
pub struct SubmissionContext<'a> {
    pub campaign: &'a Campaign,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub applicant: ApplicantFacts,
    pub profile: ProfileStatus,
    /// The vault on `today`: each kind and its status.
    pub documents: Vec<(DocumentKind, KindStatus)>,
    pub required_kinds: Vec<String>,
    /// Sent back after the city asked for documents: the campaign may have closed since.
    pub resubmission: bool,
    /// What the city asked then that the association has not answered since (see
    /// [`unanswered`]).
    pub unanswered: Vec<FieldError>,
}

/// What the city asked when it last asked for documents or corrections (`asked`) that the
/// association has not answered since: a kind of document not filed again since
/// (`filed_since`: the kinds filed after the ask), a field of the request not changed since
/// (`edited_since`: whether it was edited after the ask). Each named at its field.
pub fn unanswered(
    asked: &[crate::circuit::AskedItem],
    kinds: &[DocumentKind],
    filed_since: &[String],
    edited_since: bool,
) -> Vec<FieldError> {
    use crate::circuit::Asked;
    asked
        .iter()
        .filter_map(|item| match &item.what {
            Asked::Document(code) if !filed_since.contains(code) => {
                let label = kinds
                    .iter()
                    .find(|k| &k.code == code)
                    .map_or(code.as_str(), |k| k.label.as_str());
                Some(
                    Violation::new(
                        "resubmit.document_not_filed",
                        format!(
                            "La Ville a demandé « {label} » (motif : {}) : déposez-en une nouvelle version avant de renvoyer la demande.",
                            item.reason.label().to_lowercase()
                        ),
                    )
                    .at(format!("documents.{code}")),
                )
            }
            Asked::Field(field) if !edited_since => Some(
                Violation::new(
                    "resubmit.field_unchanged",
                    format!(
                        "La Ville a demandé de reprendre {} (motif : {}) : modifiez ce point avant de renvoyer la demande.",
                        field_in_words(field),
                        item.reason.label().to_lowercase()
                    ),
                )
                .at(field.clone()),
            ),
            _ => None,
        })
        .collect()
}

/// Every reason the request cannot be submitted now, each naming its field; empty when it can.
pub fn submission_failures(
    content: &RequestContent,
    ctx: &SubmissionContext<'_>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !ctx.resubmission {
        errors.extend(ctx.campaign.submission_window_failure(ctx.now));
    }
    errors.extend(ctx.campaign.settings.eligibility.failures(
        &ctx.applicant,
        content.requested_cents,
        ctx.today,
    ));
    if ctx.profile != ProfileStatus::UpToDate {
        let to_do = match ctx.profile {
            ProfileStatus::ToComplete => {
                let lacking: Vec<String> = ctx
                    .documents
                    .iter()
                    .filter(|(kind, status)| {
                        kind.counts_for_profile() && !status.status.is_usable()
                    })
                    .map(|(kind, _)| format!("« {} »", kind.label))
                    .collect();
                format!("déposez {}.", french::enumeration(&lacking))
            }
            _ => "relisez-le, puis confirmez qu'il est à jour.".to_owned(),
        };
        errors.push(
            Violation::new(
                "association.profile_not_up_to_date",
                format!(
                    "Le profil de l'association est « {} » : {to_do}",
                    ctx.profile.label().to_lowercase(),
                ),
            )
            .at("association.profile_status"),
        );
    }
    let statuses: Vec<(String, KindStatus)> = ctx
        .documents
        .iter()
        .map(|(kind, status)| (kind.code.clone(), status.clone()))
        .collect();
    for (code, status) in missing_for_campaign(&ctx.required_kinds, &statuses) {
        let kind = ctx
            .documents
            .iter()
            .map(|(k, _)| k)
            .find(|k| k.code == code);
        let label = kind.map_or(code.as_str(), |k| k.label.as_str());
        let attestation = kind.is_some_and(|k| k.rule == ValidityRule::Attestation);
        let violation = match (status, attestation) {
            (_, true) => Violation::new(
                "documents.not_attested",
                format!(
                    "« {label} » n'est pas signé : le président ou la présidente le signe au nom de l'association."
                ),
            ),
            (DocumentStatus::Expired, _) => Violation::new(
                "documents.expired",
                format!("« {label} » n'est plus valable : déposez-en une version à jour."),
            ),
            (DocumentStatus::Rejected, _) => Violation::new(
                "documents.rejected",
                format!("« {label} » a été refusé par la Ville : déposez-en une version valable."),
            ),
            _ => Violation::new(
                "documents.missing",
                format!("« {label} » manque : déposez-le."),
            ),
        };
        errors.push(violation.at(format!("documents.{code}")));
    }
    // What the city asked and was not answered, unless already named above.
    errors.extend(
        ctx.unanswered
            .iter()
            .filter(|u| !errors.iter().any(|e| e.field == u.field))
            .cloned()
            .collect::<Vec<_>>(),
    );
    errors.extend(content.completeness_failures());
    errors
}

/// Submission as a rule: every failure at once, or nothing.
pub fn check_submission(
    content: &RequestContent,
    ctx: &SubmissionContext<'_>,
) -> Result<(), DomainError> {
    let errors = submission_failures(content, ctx);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Unmet {
            code: "request.not_submittable",
            message: format!(
                "La demande ne peut pas encore être déposée : {}, détaillé{} par champ.",
                french::agreed(errors.len(), "un point à régler", "{n} points à régler"),
                if errors.len() > 1 { "s" } else { "" }
            ),
            errors,
        })
    }
}

/// The versions attached to a request when it is submitted: each kind's version in force and
/// usable on that day. Replacing a document later does not change them.
pub fn documents_snapshot(statuses: &[(String, KindStatus)]) -> Vec<(String, DocumentVersionId)> {
    statuses
        .iter()
        .filter(|(_, s)| s.status.is_usable())
        .filter_map(|(code, s)| s.version.map(|v| (code.clone(), v)))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn every_field_the_city_may_ask_for_is_named_in_words() {
        for field in ASKABLE_FIELDS {
            assert_ne!(field_in_words(field), "une information", "{field}");
        }
    }
    use crate::budget::tests::balanced;
    use crate::campaign::{CampaignSettings, CampaignStatus, CircuitKind, Eligibility, Sla};
    use crate::document::Condition;
    use crate::ids::{CampaignId, DirectionId};
    use chrono::TimeZone;
    use uuid::Uuid;

    pub(crate) fn content() -> RequestContent {
        RequestContent {
            title: "Ateliers d'écriture".into(),
            summary: "Des ateliers chaque semaine.".into(),
            objectives: "Faire écrire 80 jeunes.".into(),
            target_public: "Jeunes de 12 à 18 ans".into(),
            expected_beneficiaries: Some(80),
            districts: vec![DistrictNumber(11)],
            start_date: NaiveDate::from_ymd_opt(2027, 1, 1),
            end_date: NaiveDate::from_ymd_opt(2027, 12, 31),
            nature: Nature::Project,
            renews: None,
            requested_cents: 4_000_00,
            budget: balanced(),
            indicators: vec![],
        }
    }

    pub(crate) fn campaign() -> Campaign {
        Campaign {
            id: CampaignId::from_uuid(Uuid::from_u128(1)),
            settings: CampaignSettings {
                code: "ANNUELLE_2027".into(),
                title: "Campagne annuelle 2027".into(),
                description: String::new(),
                owner_direction: Some(DirectionId::from_uuid(Uuid::from_u128(7))),
                district: None,
                nature: Nature::Project,
                circuit: CircuitKind::Central,
                budget_year: 2027,
                opens_at: Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap(),
                closes_at: Some(Utc.with_ymd_and_hms(2026, 11, 29, 11, 0, 0).unwrap()),
                envelope_cents: None,
                required_documents: vec!["statuts".into(), "rib".into()],
                eligibility: Eligibility::default(),
                sla: Sla::default(),
            },
            status: CampaignStatus::Published,
            version: 1,
            created_at: Utc.with_ymd_and_hms(2026, 8, 1, 0, 0, 0).unwrap(),
            updated_at: Utc.with_ymd_and_hms(2026, 8, 1, 0, 0, 0).unwrap(),
        }
    }

    fn kind_status(status: DocumentStatus, version: u128) -> KindStatus {
        KindStatus {
            status,
            version: (version > 0).then(|| DocumentVersionId::from_uuid(Uuid::from_u128(version))),
            required_fiscal_year: None,
            valid_until: None,
        }
    }

    fn ready(campaign: &Campaign) -> SubmissionContext<'_> {
        SubmissionContext {
            campaign,
            now: Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap(),
            today: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            applicant: ApplicantFacts::default(),
            profile: ProfileStatus::UpToDate,
            documents: vec![
                (
                    kind("statuts", ValidityRule::Permanent),
                    kind_status(DocumentStatus::Valid, 1),
                ),
                (
                    kind("rib", ValidityRule::Permanent),
                    kind_status(DocumentStatus::PendingReview, 2),
                ),
                (
                    kind("cer", ValidityRule::Attestation),
                    kind_status(DocumentStatus::Valid, 3),
                ),
            ],
            required_kinds: vec!["statuts".into(), "rib".into(), "cer".into()],
            resubmission: false,
            unanswered: vec![],
        }
    }

    #[test]
    fn numbers_read_and_print_as_paris_writes_them() {
        let n = RequestNumber::parse("2026_04217").unwrap();
        assert_eq!((n.year, n.serial), (2026, 4217));
        assert_eq!(n.to_string(), "2026_04217");
        assert_eq!(
            RequestNumber {
                year: 2027,
                serial: 123_456
            }
            .to_string(),
            "2027_123456"
        );
        for bad in ["2026-04217", "26_04217", "2026_042", "2026_0421a", ""] {
            assert!(RequestNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_complete_request_in_an_open_campaign_can_be_submitted() {
        let campaign = campaign();
        assert_eq!(submission_failures(&content(), &ready(&campaign)), vec![]);
        assert!(check_submission(&content(), &ready(&campaign)).is_ok());
    }

    #[test]
    fn submission_names_every_failure_at_once() {
        let campaign = campaign();
        let mut ctx = ready(&campaign);
        ctx.now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        ctx.profile = ProfileStatus::ToComplete;
        ctx.documents[1].1 = kind_status(DocumentStatus::Rejected, 2);
        ctx.documents[2].1 = kind_status(DocumentStatus::Missing, 0);
        let mut request = content();
        request.summary = " ".into();
        request.end_date = NaiveDate::from_ymd_opt(2026, 12, 31);
        request.requested_cents = 5_000_00;
        request
            .budget
            .lines
            .push(crate::budget::tests::line("62", None, 10));
        let failures: Vec<(String, &str)> = submission_failures(&request, &ctx)
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect();
        assert_eq!(
            failures,
            [
                ("campaign".into(), "campaign.window_closed"),
                (
                    "association.profile_status".into(),
                    "association.profile_not_up_to_date"
                ),
                ("documents.rib".into(), "documents.rejected"),
                ("documents.cer".into(), "documents.not_attested"),
                ("summary".into(), "field.required"),
                ("end_date".into(), "dates.inverted"),
                ("budget".into(), "budget.unbalanced"),
                ("requested_cents".into(), "request.amount_mismatch"),
            ]
        );
        let Err(DomainError::Unmet { code, errors, .. }) = check_submission(&request, &ctx) else {
            panic!("refused")
        };
        assert_eq!((code, errors.len()), ("request.not_submittable", 8));
        // Sent back after documents were asked, the request no longer needs the window.
        ctx.resubmission = true;
        assert_eq!(submission_failures(&request, &ctx).len(), 7);
    }

    #[test]
    fn the_amount_asked_is_the_citys_74_line_and_more_than_nothing() {
        let mut request = content();
        request.requested_cents = 0;
        assert_eq!(
            request.completeness_failures()[0].code,
            "request.amount_required"
        );
        let mut long = content();
        long.end_date = NaiveDate::from_ymd_opt(2031, 1, 2);
        assert_eq!(long.completeness_failures()[0].code, "dates.too_long");
    }

    fn kind(code: &str, rule: ValidityRule) -> DocumentKind {
        DocumentKind {
            code: code.into(),
            label: code.into(),
            rule,
            fiscal_year_offset: 0,
            grace_months: 0,
            max_age_months: None,
            bank_details: false,
            required_for_profile: false,
            condition: None,
        }
    }

    #[test]
    fn attestations_and_conditional_kinds_are_required_for_every_request() {
        let kinds = vec![
            kind("statuts", ValidityRule::Permanent),
            kind("budget_previsionnel", ValidityRule::FiscalYear),
            kind("rib", ValidityRule::Permanent),
            kind("cer", ValidityRule::Attestation),
            DocumentKind {
                condition: Some(Condition::PublicCashSubsidiesOverAuditorThreshold),
                ..kind("rapport_commissaire_comptes", ValidityRule::FiscalYear)
            },
        ];
        assert_eq!(
            required_kinds(&campaign(), &kinds),
            ["statuts", "rib", "cer", "rapport_commissaire_comptes"],
            "attestations and kinds required on a condition (they pass when it does not hold)"
        );
    }

    #[test]
    fn the_snapshot_keeps_the_usable_versions_in_force() {
        let statuses = vec![
            ("statuts".to_owned(), kind_status(DocumentStatus::Valid, 1)),
            ("rib".to_owned(), kind_status(DocumentStatus::Rejected, 2)),
            (
                "assurance".to_owned(),
                kind_status(DocumentStatus::Expired, 3),
            ),
            ("budget".to_owned(), kind_status(DocumentStatus::Missing, 0)),
            ("pv".to_owned(), kind_status(DocumentStatus::Expiring, 5)),
        ];
        let kept: Vec<String> = documents_snapshot(&statuses)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(kept, ["statuts", "pv"]);
    }

    #[test]
    fn project_dates_stay_plausible() {
        assert!(parse_project_date(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()).is_ok());
        assert_eq!(
            parse_project_date(NaiveDate::from_ymd_opt(-5000, 1, 1).unwrap())
                .unwrap_err()
                .code,
            "date.out_of_range"
        );
    }
}
