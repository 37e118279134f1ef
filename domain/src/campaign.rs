//! Campaigns: the windows in which associations file requests, with the circuit that
//! instructs them, the documents they need and who may apply (Paris: the annual campaign
//! closing at the end of November, a spring campaign, calls for projects).

use crate::coded_enum;
use crate::french;
use crate::ids::{CampaignId, DirectionId, DistrictNumber};
use crate::text;
use crate::{DomainError, FieldError, Violation};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

coded_enum! {
    /// What a subsidy pays for (CERFA 12156 cover page; Paris open data "nature").
    pub enum Nature {
        Operating = ("fonctionnement", "Fonctionnement"),
        Project = ("projet", "Projet"),
        Investment = ("investissement", "Investissement"),
    }
}

coded_enum! {
    /// How requests of a campaign are instructed (design.md, "The life of a request").
    pub enum CircuitKind {
        /// The bureau checks completeness, directions give opinions, the Conseil de Paris votes.
        Central = ("central", "Circuit central"),
        /// A district town hall checks and instructs requests of local interest.
        Local = ("local", "Intérêt local (mairie d'arrondissement)"),
        /// A fixed window, then a jury scores and ranks within an envelope.
        CallForProjects = ("call_for_projects", "Appel à projets"),
    }
}

impl CircuitKind {
    /// Who may file requests in a campaign of this circuit, as its page says.
    pub fn who_may_apply(self) -> &'static str {
        match self {
            CircuitKind::Central => "Les associations parisiennes du champ de la campagne",
            CircuitKind::Local => "Les associations d'intérêt local de l'arrondissement",
            CircuitKind::CallForProjects => {
                "Les associations dont le projet répond à l'appel : un jury note et classe les projets"
            }
        }
    }
}

coded_enum! {
    pub enum CampaignStatus {
        Draft = ("draft", "En préparation"),
        Published = ("published", "Publiée"),
        Closed = ("closed", "Clôturée"),
    }
}

/// Who may apply. Empty lists admit everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Eligibility {
    /// The association's head office must be in one of these districts.
    pub districts: Vec<DistrictNumber>,
    /// The association must work in one of these sectors.
    pub sectors: Vec<String>,
    pub max_requested_cents: Option<i64>,
    /// The association must have been created at least this many months before submitting.
    pub min_association_age_months: Option<u32>,
    /// Final reports of earlier subsidies must have been delivered (CERFA 15059: "before any
    /// renewal").
    pub final_reports_delivered: bool,
}

/// Days the city gives itself for each step of instruction (time waiting for the association
/// does not count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sla {
    /// From submission to admissibility.
    pub admissibility_days: u32,
    /// From admissibility to the last opinion.
    pub instruction_days: u32,
}

impl Default for Sla {
    fn default() -> Self {
        Sla {
            admissibility_days: 15,
            instruction_days: 60,
        }
    }
}

/// What the bureau (or a town hall) sets for a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSettings {
    pub code: String,
    pub title: String,
    pub description: String,
    /// The direction that carries the campaign; none for a local one, which its town hall
    /// runs.
    pub owner_direction: Option<DirectionId>,
    /// For the local circuit: the district whose town hall runs the campaign.
    pub district: Option<DistrictNumber>,
    pub nature: Nature,
    pub circuit: CircuitKind,
    /// The financial year the subsidies belong to; it also numbers the requests (`2027_00042`).
    pub budget_year: i32,
    pub opens_at: DateTime<Utc>,
    /// `None` for a permanent campaign ("au fil de l'eau").
    pub closes_at: Option<DateTime<Utc>>,
    pub envelope_cents: Option<i64>,
    pub required_documents: Vec<String>,
    pub eligibility: Eligibility,
    pub sla: Sla,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    pub settings: CampaignSettings,
    pub status: CampaignStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn parse_code(raw: &str) -> Result<String, Violation> {
    let code = raw.trim().to_uppercase();
    let well_formed = (2..=40).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if well_formed {
        Ok(code)
    } else {
        Err(Violation::new(
            "campaign.code_invalid",
            "Le code d'une campagne compte 2 à 40 caractères : lettres sans accent, chiffres, « _ » ou « - » (ex. ANNUELLE_2027).",
        ))
    }
}

pub fn parse_title(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 200)
}

pub fn parse_description(raw: &str) -> Result<String, Violation> {
    text::paragraphs(raw, 0, 10_000)
}

/// What the rules spanning several fields of a campaign's settings read. A part is `None`
/// when its own field was refused: the rules that read it wait for it, and the others are
/// judged with the field errors, in one answer.
#[derive(Debug, Clone, Copy)]
pub struct Spanning {
    pub opens_at: Option<DateTime<Utc>>,
    /// `Some(None)`: a permanent campaign.
    pub closes_at: Option<Option<DateTime<Utc>>>,
    /// `Some(None)`: no district given.
    pub district: Option<Option<DistrictNumber>>,
    pub owner_direction: Option<DirectionId>,
    pub circuit: CircuitKind,
    pub budget_year: i32,
    pub min_association_age_months: Option<u32>,
    pub sla: Sla,
}

impl Spanning {
    /// Every rule whose fields are known, broken.
    pub fn check(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let (Some(opens_at), Some(Some(closes_at))) = (self.opens_at, self.closes_at)
            && closes_at <= opens_at
        {
            errors.push(
                Violation::new(
                    "campaign.window_inverted",
                    "La clôture doit suivre l'ouverture.",
                )
                .at("closes_at"),
            );
        }
        if !(today.year() - 1..=today.year() + 2).contains(&self.budget_year) {
            errors.push(
                Violation::new(
                    "campaign.budget_year_out_of_range",
                    format!(
                        "L'exercice doit être compris entre {} et {}.",
                        today.year() - 1,
                        today.year() + 2
                    ),
                )
                .at("budget_year"),
            );
        }
        match (self.circuit, self.district) {
            (CircuitKind::Local, Some(None)) => errors.push(
                Violation::new(
                    "campaign.district_required",
                    "Une campagne d'intérêt local est conduite par une mairie d'arrondissement : précisez l'arrondissement.",
                )
                .at("district_number"),
            ),
            (CircuitKind::Central | CircuitKind::CallForProjects, Some(Some(_))) => errors.push(
                Violation::new(
                    "campaign.district_only_for_local",
                    "Seule une campagne d'intérêt local est conduite par une mairie d'arrondissement.",
                )
                .at("district_number"),
            ),
            _ => {}
        }
        if self.owner_direction.is_none() && self.circuit != CircuitKind::Local {
            errors.push(
                Violation::new(
                    "campaign.owner_direction_required",
                    "Choisissez la direction qui porte la campagne (seule une campagne d'intérêt local, conduite par sa mairie d'arrondissement, s'en passe).",
                )
                .at("owner_direction_id"),
            );
        }
        for (field, time) in [
            ("opens_at", self.opens_at),
            ("closes_at", self.closes_at.flatten()),
        ] {
            if time.is_some_and(|t| !(2000..=2100).contains(&t.year())) {
                errors.push(
                    Violation::new(
                        "time.out_of_range",
                        "Cette date n'est pas vraisemblable (années 2000 à 2100).",
                    )
                    .at(field),
                );
            }
        }
        if self.min_association_age_months.is_some_and(|m| m > 600) {
            errors.push(
                Violation::new("eligibility.age_out_of_range", "Au plus 600 mois (50 ans).")
                    .at("eligibility.min_association_age_months"),
            );
        }
        for (field, days) in [
            ("sla.admissibility_days", self.sla.admissibility_days),
            ("sla.instruction_days", self.sla.instruction_days),
        ] {
            if !(1..=365).contains(&days) {
                errors.push(
                    Violation::new("sla.out_of_range", "Un délai compte de 1 à 365 jours.")
                        .at(field),
                );
            }
        }
        errors
    }
}

impl CampaignSettings {
    /// Whether `other` changes anything but the title and description: the rules applicants
    /// relied on.
    pub fn changes_rules(&self, other: &CampaignSettings) -> bool {
        let mut same_texts = other.clone();
        same_texts.title.clone_from(&self.title);
        same_texts.description.clone_from(&self.description);
        *self != same_texts
    }

    /// Whether `now` falls within the window.
    pub fn window_contains(&self, now: DateTime<Utc>) -> bool {
        self.opens_at <= now && self.closes_at.is_none_or(|closes_at| now < closes_at)
    }
}

impl Campaign {
    /// Only a campaign in preparation is deleted (its code is free again); a published one
    /// is closed instead.
    pub fn check_discard(&self) -> Result<(), DomainError> {
        if self.status == CampaignStatus::Draft {
            Ok(())
        } else {
            Err(DomainError::conflict(
                "campaign.not_draft",
                None,
                "Seule une campagne en préparation se supprime ; une campagne publiée se clôture.",
            ))
        }
    }

    /// A draft may be started while the campaign is published and its window not over.
    pub fn check_accepts_drafts(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.status != CampaignStatus::Published {
            return Err(DomainError::conflict(
                "campaign.not_published",
                Some("campaign_id"),
                format!(
                    "La campagne « {} » n'est pas ouverte aux demandes ({}).",
                    self.settings.title,
                    self.status.label().to_lowercase()
                ),
            ));
        }
        if self.settings.closes_at.is_some_and(|c| now >= c) {
            return Err(DomainError::conflict(
                "campaign.window_closed",
                Some("campaign_id"),
                format!(
                    "La campagne « {} » est close : les demandes n'y sont plus reçues.",
                    self.settings.title
                ),
            ));
        }
        Ok(())
    }

    /// Why a request cannot be submitted to this campaign at `now`, if it cannot.
    pub fn submission_window_failure(&self, now: DateTime<Utc>) -> Option<FieldError> {
        let violation = if self.status != CampaignStatus::Published {
            Violation::new(
                "campaign.not_published",
                format!("La campagne « {} » n'est pas ouverte.", self.settings.title),
            )
        } else if now < self.settings.opens_at {
            Violation::new(
                "campaign.not_yet_open",
                format!(
                    "La campagne « {} » n'est pas encore ouverte : le dépôt sera possible à son ouverture.",
                    self.settings.title
                ),
            )
        } else if !self.settings.window_contains(now) {
            Violation::new(
                "campaign.window_closed",
                format!(
                    "La campagne « {} » est close : le dépôt n'est plus possible.",
                    self.settings.title
                ),
            )
        } else {
            return None;
        };
        Some(violation.at("campaign"))
    }

    /// An edit keeps a closed campaign as it is, and keeps the rules of a campaign once a
    /// request has been submitted to it (the applicants relied on them).
    pub fn check_edit(
        &self,
        edited: &CampaignSettings,
        submitted_requests: i64,
        started_requests: i64,
    ) -> Result<(), DomainError> {
        // A draft is started on a circuit: it must not find itself on another one.
        let moves_circuit =
            (edited.circuit, edited.district) != (self.settings.circuit, self.settings.district);
        if started_requests > 0 && moves_circuit {
            return Err(DomainError::conflict(
                "campaign.circuit_locked",
                Some("circuit"),
                format!(
                    "{} dans cette campagne : son circuit et son arrondissement ne peuvent plus changer.",
                    french::agreed(
                        usize::try_from(started_requests).unwrap_or(usize::MAX),
                        "Une demande a été commencée",
                        "{n} demandes ont été commencées"
                    )
                ),
            ));
        }
        if self.status == CampaignStatus::Closed {
            return Err(DomainError::conflict(
                "campaign.closed",
                None,
                "Une campagne clôturée ne se modifie plus.",
            ));
        }
        if submitted_requests > 0 && self.settings.changes_rules(edited) {
            return Err(DomainError::conflict(
                "campaign.rules_locked",
                None,
                format!(
                    "{} dans cette campagne : ses règles ne peuvent plus changer (seuls le titre et la description le peuvent).",
                    french::agreed(
                        usize::try_from(submitted_requests).unwrap_or(usize::MAX),
                        "Une demande a déjà été déposée",
                        "{n} demandes ont déjà été déposées"
                    )
                ),
            ));
        }
        Ok(())
    }

    /// The status a move leads to: draft → published → closed.
    pub fn check_move(&self, to: CampaignStatus) -> Result<(), DomainError> {
        let allowed = matches!(
            (self.status, to),
            (CampaignStatus::Draft, CampaignStatus::Published)
                | (CampaignStatus::Published, CampaignStatus::Closed)
        );
        if allowed {
            Ok(())
        } else {
            Err(DomainError::conflict(
                "campaign.status_move_not_allowed",
                Some("status"),
                format!(
                    "Une campagne « {} » ne peut pas passer à « {} » (en préparation → publiée → clôturée).",
                    self.status.label().to_lowercase(),
                    to.label().to_lowercase()
                ),
            ))
        }
    }
}

/// What eligibility needs to know of the association applying.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicantFacts {
    pub district: Option<DistrictNumber>,
    pub sectors: Vec<String>,
    pub creation_date: Option<NaiveDate>,
    /// Final reports of earlier subsidies that are overdue.
    pub overdue_final_reports: u32,
}

impl Eligibility {
    /// Every rule the applicant or the amount breaks.
    pub fn failures(
        &self,
        applicant: &ApplicantFacts,
        requested_cents: i64,
        today: NaiveDate,
    ) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !self.districts.is_empty()
            && !applicant
                .district
                .is_some_and(|d| self.districts.contains(&d))
        {
            let list: Vec<String> = self.districts.iter().map(|d| d.to_string()).collect();
            errors.push(
                Violation::new(
                    "eligibility.district",
                    format!(
                        "Cette campagne est réservée aux associations dont le siège est dans les arrondissements {}.",
                        list.join(", ")
                    ),
                )
                .at("association.district_number"),
            );
        }
        if !self.sectors.is_empty() && !applicant.sectors.iter().any(|s| self.sectors.contains(s)) {
            errors.push(
                Violation::new(
                    "eligibility.sector",
                    format!(
                        "Cette campagne est réservée aux associations des secteurs : {}.",
                        self.sectors.join(", ")
                    ),
                )
                .at("association.sectors"),
            );
        }
        if let Some(max) = self.max_requested_cents
            && requested_cents > max
        {
            errors.push(
                Violation::new(
                    "eligibility.max_amount",
                    format!(
                        "Cette campagne finance au plus {} par demande.",
                        crate::money::euros(max)
                    ),
                )
                .at("requested_cents"),
            );
        }
        if let Some(months) = self.min_association_age_months {
            let old_enough = applicant.creation_date.is_some_and(|created| {
                created
                    .checked_add_months(Months::new(months))
                    .is_some_and(|d| d <= today)
            });
            if !old_enough {
                errors.push(
                    Violation::new(
                        "eligibility.too_recent",
                        format!(
                            "Cette campagne est réservée aux associations créées depuis au moins {months} mois (date de création à renseigner dans le profil)."
                        ),
                    )
                    .at("association.creation_date"),
                );
            }
        }
        if self.final_reports_delivered && applicant.overdue_final_reports > 0 {
            errors.push(
                Violation::new(
                    "eligibility.final_reports_overdue",
                    french::agreed(
                        usize::try_from(applicant.overdue_final_reports).unwrap_or(usize::MAX),
                        "Le compte rendu financier d'une subvention précédente est en retard : déposez-le avant toute nouvelle demande.",
                        "{n} comptes rendus financiers de subventions précédentes sont en retard : déposez-les avant toute nouvelle demande.",
                    ),
                )
                .at("association.final_reports"),
            );
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 11, 0, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    pub(crate) fn settings() -> CampaignSettings {
        CampaignSettings {
            code: "ANNUELLE_2027".into(),
            title: "Campagne annuelle 2027".into(),
            description: String::new(),
            owner_direction: Some(DirectionId::from_uuid(Uuid::from_u128(7))),
            district: None,
            nature: Nature::Project,
            circuit: CircuitKind::Central,
            budget_year: 2027,
            opens_at: at(2026, 9, 1),
            closes_at: Some(at(2026, 11, 29)),
            envelope_cents: None,
            required_documents: vec!["statuts".into()],
            eligibility: Eligibility::default(),
            sla: Sla::default(),
        }
    }

    fn campaign(status: CampaignStatus) -> Campaign {
        Campaign {
            id: CampaignId::from_uuid(Uuid::from_u128(1)),
            settings: settings(),
            status,
            version: 1,
            created_at: at(2026, 8, 1),
            updated_at: at(2026, 8, 1),
        }
    }

    #[test]
    fn codes_are_upper_case_words() {
        assert_eq!(parse_code(" annuelle_2027 ").unwrap(), "ANNUELLE_2027");
        assert!(parse_code("A").is_err());
        assert!(parse_code("ÉTÉ 2027").is_err());
    }

    #[test]
    fn the_window_opens_at_its_start_and_closes_at_its_end() {
        let s = settings();
        assert!(!s.window_contains(at(2026, 8, 31)));
        assert!(s.window_contains(s.opens_at));
        assert!(s.window_contains(at(2026, 11, 28)));
        assert!(!s.window_contains(s.closes_at.unwrap()));
        let permanent = CampaignSettings {
            closes_at: None,
            ..settings()
        };
        assert!(permanent.window_contains(at(2040, 1, 1)));

        let published = campaign(CampaignStatus::Published);
        assert_eq!(
            published
                .submission_window_failure(at(2026, 8, 1))
                .unwrap()
                .code,
            "campaign.not_yet_open"
        );
        assert_eq!(published.submission_window_failure(at(2026, 10, 1)), None);
        assert_eq!(
            published
                .submission_window_failure(at(2026, 12, 1))
                .unwrap()
                .code,
            "campaign.window_closed"
        );
        assert_eq!(
            campaign(CampaignStatus::Draft)
                .submission_window_failure(at(2026, 10, 1))
                .unwrap()
                .code,
            "campaign.not_published"
        );
        // Drafts may be prepared before the window opens, not after it closes.
        assert!(published.check_accepts_drafts(at(2026, 8, 1)).is_ok());
        assert!(published.check_accepts_drafts(at(2026, 12, 1)).is_err());
        assert!(
            campaign(CampaignStatus::Draft)
                .check_accepts_drafts(at(2026, 10, 1))
                .is_err()
        );
    }

    #[test]
    fn settings_that_contradict_each_other_are_refused() {
        let today = date(2026, 8, 1);
        let right = Spanning {
            opens_at: Some(at(2026, 9, 1)),
            closes_at: Some(Some(at(2026, 11, 29))),
            district: Some(None),
            owner_direction: Some(DirectionId::from_uuid(uuid::Uuid::nil())),
            circuit: CircuitKind::Central,
            budget_year: 2027,
            min_association_age_months: None,
            sla: Sla::default(),
        };
        let fields =
            |s: Spanning| -> Vec<String> { s.check(today).into_iter().map(|e| e.field).collect() };
        assert!(fields(right).is_empty());
        let bad = Spanning {
            closes_at: Some(Some(at(2026, 8, 1))),
            budget_year: 2031,
            circuit: CircuitKind::Local,
            sla: Sla {
                admissibility_days: 0,
                instruction_days: 60,
            },
            ..right
        };
        assert_eq!(
            fields(bad),
            [
                "closes_at",
                "budget_year",
                "district_number",
                "sla.admissibility_days"
            ]
        );
        let central_with_district = Spanning {
            district: Some(Some(DistrictNumber(11))),
            ..right
        };
        assert_eq!(
            central_with_district.check(today)[0].code,
            "campaign.district_only_for_local"
        );
        // A rule waits for a field that was refused: no window without its opening, no
        // district required of a district that could not be read.
        let refused = Spanning {
            opens_at: None,
            district: None,
            ..bad
        };
        assert_eq!(fields(refused), ["budget_year", "sla.admissibility_days"]);
    }

    #[test]
    fn rules_are_locked_once_a_request_was_submitted_but_texts_are_not() {
        let c = campaign(CampaignStatus::Published);
        let retitled = CampaignSettings {
            title: "Campagne annuelle 2027 (subventions de projet)".into(),
            description: "Précisions".into(),
            ..settings()
        };
        assert!(c.check_edit(&retitled, 3, 3).is_ok());
        let extended = CampaignSettings {
            closes_at: Some(at(2026, 12, 15)),
            ..settings()
        };
        assert!(c.check_edit(&extended, 0, 2).is_ok());
        let moved = CampaignSettings {
            circuit: CircuitKind::CallForProjects,
            ..settings()
        };
        assert!(c.check_edit(&moved, 0, 0).is_ok());
        assert!(matches!(
            c.check_edit(&moved, 0, 1),
            Err(DomainError::Conflict {
                code: "campaign.circuit_locked",
                ..
            })
        ));
        assert!(matches!(
            c.check_edit(&extended, 1, 1),
            Err(DomainError::Conflict {
                code: "campaign.rules_locked",
                ..
            })
        ));
        assert!(
            campaign(CampaignStatus::Closed)
                .check_edit(&retitled, 0, 0)
                .is_err()
        );
    }

    #[test]
    fn campaigns_move_forward_only() {
        use CampaignStatus::*;
        for (from, to, ok) in [
            (Draft, Published, true),
            (Published, Closed, true),
            (Draft, Closed, false),
            (Published, Draft, false),
            (Closed, Published, false),
            (Published, Published, false),
        ] {
            assert_eq!(campaign(from).check_move(to).is_ok(), ok, "{from} → {to}");
        }
    }

    #[test]
    fn eligibility_names_every_rule_broken() {
        let rules = Eligibility {
            districts: vec![DistrictNumber(18), DistrictNumber(19)],
            sectors: vec!["sport".into()],
            max_requested_cents: Some(5_000_00),
            min_association_age_months: Some(12),
            final_reports_delivered: true,
        };
        let today = date(2026, 10, 1);
        let eligible = ApplicantFacts {
            district: Some(DistrictNumber(19)),
            sectors: vec!["culture_arts".into(), "sport".into()],
            creation_date: Some(date(2025, 10, 1)),
            overdue_final_reports: 0,
        };
        assert_eq!(rules.failures(&eligible, 5_000_00, today), vec![]);
        let not = ApplicantFacts {
            district: Some(DistrictNumber(11)),
            sectors: vec!["culture_arts".into()],
            creation_date: Some(date(2025, 10, 2)),
            overdue_final_reports: 2,
        };
        let codes: Vec<&str> = rules
            .failures(&not, 5_000_01, today)
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(
            codes,
            [
                "eligibility.district",
                "eligibility.sector",
                "eligibility.max_amount",
                "eligibility.too_recent",
                "eligibility.final_reports_overdue"
            ]
        );
        let unknown_creation = ApplicantFacts {
            creation_date: None,
            ..eligible
        };
        assert_eq!(
            rules.failures(&unknown_creation, 100, today)[0].field,
            "association.creation_date"
        );
    }
}
