//! What the association writes in a request, as it is sent and shown: the CERFA fields, its
//! budget lines and indicators (a final report's budget is sent the same way).

use crate::codes::{FunderCode, NatureCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use simpa_app::request_content::{ContentInput, IndicatorInput, LineInput};
use simpa_domain::ids::RequestId;
use simpa_domain::request::RequestContent;
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

impl From<BudgetLineFields> for LineInput {
    fn from(l: BudgetLineFields) -> LineInput {
        LineInput {
            account: l.account,
            funder: l.funder.map(|f| f.0),
            label: l.label,
            amount_cents: l.amount_cents,
        }
    }
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

impl From<RequestFields> for ContentInput {
    fn from(f: RequestFields) -> ContentInput {
        ContentInput {
            title: f.title,
            summary: f.summary,
            objectives: f.objectives,
            target_public: f.target_public,
            expected_beneficiaries: f.expected_beneficiaries,
            districts: f.districts,
            start_date: f.start_date,
            end_date: f.end_date,
            nature: f.nature.map(|n| n.0),
            renews: f.renews_request_id.map(RequestId::from_uuid),
            requested_cents: f.requested_cents,
            budget: f.budget.into_iter().map(LineInput::from).collect(),
            indicators: f
                .indicators
                .into_iter()
                .map(|i| IndicatorInput {
                    name: i.name,
                    unit: i.unit,
                    target: i.target,
                })
                .collect(),
        }
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
