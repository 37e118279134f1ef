//! What the association writes in a request, as it is sent and shown: the CERFA fields, its
//! budget lines and indicators (a final report's budget is sent the same way).

use crate::codes::{FunderCode, NatureCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use simpa_domain::budget::{BudgetLine, parse_lines};
use simpa_domain::campaign::Nature;
use simpa_domain::ids::RequestId;
use simpa_domain::reference::known_district;
use simpa_domain::request::{self as rules, Indicator, MAX_INDICATORS, RequestContent};
use simpa_domain::{Checks, DomainError, Violation};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct BudgetLineFields {
    /// A CERFA account: 60–69 charges, 70–79 income, 86/87 in kind, or a sub-account (756).
    #[schema(example = "74")]
    pub account: String,
    /// For account 74 only: who pays (`commune` is the city asked).
    pub funder: Option<FunderCode>,
    #[schema(example = "Subvention demandée à la Ville de Paris")]
    pub label: String,
    /// Whole euros, in cents (a multiple of 100).
    #[schema(example = 400000)]
    pub amount_cents: i64,
}

#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct IndicatorFields {
    #[schema(example = "Jeunes accompagnés")]
    pub name: String,
    #[schema(example = "personnes")]
    pub unit: String,
    #[schema(example = 80)]
    pub target: i64,
}

/// The lines of a budget as sent (a request's, or a final report's as carried out), each
/// checked: the lines that pass, and the errors of the others, named `budget[i].<field>`.
pub(crate) fn parse_budget(
    budget: &[BudgetLineFields],
) -> (Vec<BudgetLine>, Vec<simpa_domain::FieldError>) {
    parse_lines(budget.iter().map(|l| {
        (
            l.account.as_str(),
            l.funder.map(|f| f.0),
            l.label.as_str(),
            l.amount_cents,
        )
    }))
}

/// What the association writes in a request (CERFA 12156, section 6 and the project budget).
/// A draft may be incomplete; submitting checks everything.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct RequestFields {
    #[schema(example = "Ateliers d'écriture pour les jeunes du quartier")]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub objectives: String,
    #[serde(default)]
    pub target_public: String,
    pub expected_beneficiaries: Option<u32>,
    /// Districts where the project takes place.
    #[serde(default)]
    pub districts: Vec<i32>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Defaults to the campaign's.
    pub nature: Option<NatureCode>,
    /// An earlier request of the same association that this one renews.
    pub renews_request_id: Option<Uuid>,
    /// What is asked of the city, in cents: the 74 `commune` lines of the budget.
    #[serde(default)]
    pub requested_cents: i64,
    #[serde(default)]
    pub budget: Vec<BudgetLineFields>,
    #[serde(default)]
    pub indicators: Vec<IndicatorFields>,
}

impl simpa_app::requests::ContentFields for RequestFields {
    /// Checks every field at once; completeness waits for submission.
    fn into_content(
        self,
        known_districts: &[i32],
        default_nature: Nature,
    ) -> Result<RequestContent, DomainError> {
        let mut c = Checks::default();
        let title = c.check("title", rules::parse_title(&self.title));
        let summary = c.check("summary", rules::parse_text(&self.summary));
        let objectives = c.check("objectives", rules::parse_text(&self.objectives));
        let target_public = c.check("target_public", rules::parse_text(&self.target_public));
        let requested_cents = c.check(
            "requested_cents",
            rules::parse_requested_cents(self.requested_cents),
        );
        let mut districts = Vec::new();
        for (i, n) in self.districts.iter().enumerate() {
            match known_district(known_districts, format!("districts[{i}]"), *n) {
                Ok(district) if !districts.contains(&district) => districts.push(district),
                Ok(_) => {}
                Err(e) => c.push(e),
            }
        }
        let start_date = c.check(
            "start_date",
            self.start_date.map(rules::parse_project_date).transpose(),
        );
        let end_date = c.check(
            "end_date",
            self.end_date.map(rules::parse_project_date).transpose(),
        );
        if self.expected_beneficiaries.is_some_and(|n| n > 100_000_000) {
            c.push(
                Violation::new(
                    "beneficiaries.out_of_range",
                    "Au plus 100 millions de bénéficiaires.",
                )
                .at("expected_beneficiaries"),
            );
        }
        let (lines, errors) = parse_budget(&self.budget);
        c.extend(errors);
        if self.indicators.len() > MAX_INDICATORS {
            c.push(
                Violation::new(
                    "indicators.too_many",
                    format!("Au plus {MAX_INDICATORS} indicateurs."),
                )
                .at("indicators"),
            );
        }
        let indicators: Vec<Indicator> = self
            .indicators
            .iter()
            .enumerate()
            .filter_map(|(i, ind)| {
                Indicator::parse(i, &ind.name, &ind.unit, ind.target)
                    .map_err(|e| c.extend(e))
                    .ok()
            })
            .collect();
        let (
            Some(title),
            Some(summary),
            Some(objectives),
            Some(target_public),
            Some(requested_cents),
            Some(start_date),
            Some(end_date),
        ) = (
            title,
            summary,
            objectives,
            target_public,
            requested_cents,
            start_date,
            end_date,
        )
        else {
            return Err(c.into_error());
        };
        c.finish()?;
        Ok(RequestContent {
            title,
            summary,
            objectives,
            target_public,
            expected_beneficiaries: self.expected_beneficiaries,
            districts,
            start_date,
            end_date,
            nature: self.nature.map_or(default_nature, |n| n.0),
            renews: self.renews_request_id.map(RequestId::from_uuid),
            requested_cents,
            budget: simpa_domain::budget::Budget { lines },
            indicators,
        })
    }
}

impl RequestFields {
    pub(crate) fn from_content(c: RequestContent) -> RequestFields {
        RequestFields {
            title: c.title,
            summary: c.summary,
            objectives: c.objectives,
            target_public: c.target_public,
            expected_beneficiaries: c.expected_beneficiaries,
            districts: c.districts.iter().map(|d| d.0).collect(),
            start_date: c.start_date,
            end_date: c.end_date,
            nature: Some(NatureCode(c.nature)),
            renews_request_id: c.renews.map(RequestId::uuid),
            requested_cents: c.requested_cents,
            budget: c
                .budget
                .lines
                .into_iter()
                .map(|l| BudgetLineFields {
                    account: l.account.as_str().to_owned(),
                    funder: l.funder.map(FunderCode),
                    label: l.label,
                    amount_cents: l.amount_cents,
                })
                .collect(),
            indicators: c
                .indicators
                .into_iter()
                .map(|i| IndicatorFields {
                    name: i.name,
                    unit: i.unit,
                    target: i.target,
                })
                .collect(),
        }
    }
}
