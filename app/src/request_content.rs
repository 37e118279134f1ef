//! What the association writes in a request as a front door received it (the API's JSON,
//! the portal's steps), and how it is checked into a request's content; a final report's
//! budget is received the same way.

use chrono::NaiveDate;
use simpa_domain::budget::{Budget, BudgetLine, Funder, parse_lines};
use simpa_domain::campaign::Nature;
use simpa_domain::ids::RequestId;
use simpa_domain::reference::known_district;
use simpa_domain::request::{self as rules, Indicator, MAX_INDICATORS, RequestContent};
use simpa_domain::{Checks, DomainError, FieldError, Violation};

/// A budget line as a front door received it (a request's, or a final report's as carried
/// out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub account: String,
    pub funder: Option<Funder>,
    pub label: String,
    pub amount_cents: i64,
}

/// The lines of a budget as sent, each checked: the lines that pass, and the errors of the
/// others, named `budget[i].<field>`.
pub fn parse_budget(budget: &[LineInput]) -> (Vec<BudgetLine>, Vec<FieldError>) {
    parse_lines(budget.iter().map(|l| {
        (
            l.account.as_str(),
            l.funder,
            l.label.as_str(),
            l.amount_cents,
        )
    }))
}

/// An indicator as a front door received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorInput {
    pub name: String,
    pub unit: String,
    pub target: i64,
}

/// What the association writes in a request (CERFA 12156, section 6 and the project budget),
/// as a front door received it: [`ContentInput::into_content`] checks it. A draft may be
/// incomplete; submitting checks everything.
#[derive(Debug, Clone, Default)]
pub struct ContentInput {
    pub title: String,
    pub summary: String,
    pub objectives: String,
    pub target_public: String,
    pub expected_beneficiaries: Option<u32>,
    /// Districts where the project takes place.
    pub districts: Vec<i32>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// `None`: the campaign's.
    pub nature: Option<Nature>,
    pub renews: Option<RequestId>,
    /// What is asked of the city, in cents: the 74 `commune` lines of the budget.
    pub requested_cents: i64,
    pub budget: Vec<LineInput>,
    pub indicators: Vec<IndicatorInput>,
}

impl ContentInput {
    /// Checks every field at once, once the districts known and the campaign's nature are;
    /// completeness waits for submission.
    pub fn into_content(
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
            nature: self.nature.unwrap_or(default_nature),
            renews: self.renews,
            requested_cents,
            budget: Budget { lines },
            indicators,
        })
    }
}

impl From<RequestContent> for ContentInput {
    /// What a request says, as a form to change it starts from.
    fn from(c: RequestContent) -> ContentInput {
        ContentInput {
            title: c.title,
            summary: c.summary,
            objectives: c.objectives,
            target_public: c.target_public,
            expected_beneficiaries: c.expected_beneficiaries,
            districts: c.districts.iter().map(|d| d.0).collect(),
            start_date: c.start_date,
            end_date: c.end_date,
            nature: Some(c.nature),
            renews: c.renews,
            requested_cents: c.requested_cents,
            budget: c
                .budget
                .lines
                .into_iter()
                .map(|l| LineInput {
                    account: l.account.as_str().to_owned(),
                    funder: l.funder,
                    label: l.label,
                    amount_cents: l.amount_cents,
                })
                .collect(),
            indicators: c
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
