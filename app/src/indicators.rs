//! The city's indicators, added up from the figures stored for the requests submitted in the
//! caller's scope as staff (the bureau and the administration see the whole city, a direction
//! or a town hall the requests it instructs), within the filters.

use crate::access::require;
use chrono::{DateTime, NaiveDate, Utc};
use simpa_domain::ids::{CampaignId, DistrictNumber};
use simpa_domain::indicators::{
    Amounts, Step, payment_late, percentile_of_counts, refusal_rate, step_late, tenths,
    vote_to_first_payment,
};
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{Action, Actor, Subject, request_scope};
use simpa_domain::request::RequestState;
use simpa_persistence::indicators::{self, Counts, Tally};
use simpa_persistence::requests::RequestFilter;
use simpa_persistence::{DbConnection, StoreResult, reference};
use std::collections::BTreeMap;

/// Which requests the indicators count.
#[derive(Default)]
pub struct Counted<'a> {
    pub year: Option<i32>,
    /// A direction's code: the requests it instructs.
    pub direction: Option<&'a str>,
    pub district: Option<DistrictNumber>,
    pub campaign: Option<CampaignId>,
}

/// The actor and the indicators of the requests counted on `now` (`today` in the city);
/// `None` when the direction named is none of the city's.
#[tracing::instrument(name = "indicators::indicators", skip_all, fields(actor = Subject::kind(subject)))]
pub fn indicators(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    counted: &Counted<'_>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> StoreResult<Option<(Actor, Indicators)>> {
    let Some((actor, scope, filter)) = selection(conn, subject, counted)? else {
        return Ok(None);
    };
    let tally = indicators::tally(conn, &scope, &filter, now, today)?;
    Ok(Some((actor, indicators_of_tally(tally, now, today))))
}

/// Who asks, what they see as staff and which of it is counted; `None` for an unknown
/// direction.
fn selection(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    counted: &Counted<'_>,
) -> StoreResult<Option<(Actor, simpa_domain::policy::RequestScope, RequestFilter)>> {
    let actor = require(conn, subject, Action::ReadIndicators)?;
    let mut scope = request_scope(&actor);
    // What the caller sees as staff, not as a member of an association.
    scope.associations.clear();
    let instructor = match counted.direction {
        None => None,
        Some(code) => match reference::direction_by_code(conn, code)? {
            Some(direction) => Some(Instructor::Direction(direction.id)),
            None => return Ok(None),
        },
    };
    let filter = RequestFilter {
        campaign: counted.campaign,
        budget_year: counted.year,
        instructor,
        district: counted.district,
        ..RequestFilter::default()
    };
    Ok(Some((actor, scope, filter)))
}

/// How long a step took, in days, over the requests that went through it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDurations {
    pub step: Step,
    /// The requests that went through it.
    pub count: u64,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
    /// Of which the request waited for the association (asked to complete it).
    pub median_waiting_days: Option<f64>,
    pub p90_waiting_days: Option<f64>,
}

/// The money of the requests grouped by each dimension, in each group's key order.
#[derive(Debug, Clone, PartialEq)]
pub struct AmountsBy {
    pub direction: Vec<(String, Amounts)>,
    /// The district of the association's head office (`hors Paris` without one).
    pub district: Vec<(String, Amounts)>,
    /// Each of the association's sectors (a request counts in each of them).
    pub sector: Vec<(String, Amounts)>,
    pub nature: Vec<(String, Amounts)>,
    pub year: Vec<(String, Amounts)>,
}

/// A request whose current step is past its deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct LateStep {
    pub request: String,
    pub number: String,
    pub title: String,
    pub state: RequestState,
    pub due_at: DateTime<Utc>,
    pub days_late: i64,
}

/// A grant whose payment is past its deadline, with what is payable and unpaid.
#[derive(Debug, Clone, PartialEq)]
pub struct LatePayment {
    pub request: String,
    pub number: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub days_late: i64,
    pub unpaid_cents: i64,
}

/// The indicators of a set of requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicators {
    /// The requests counted: submitted, in the caller's scope and the filters.
    pub requests: u64,
    /// Each state a submitted request can be in, with how many are in it.
    pub states: Vec<(RequestState, u64)>,
    pub durations: Vec<StepDurations>,
    pub amounts: AmountsBy,
    /// Refused among decided (granted or refused after submission); none before any decision.
    pub refusal_rate: Option<f64>,
    pub final_reports_overdue: u64,
    /// The latest first, then by number.
    pub steps_late: Vec<LateStep>,
    pub payments_late: Vec<LatePayment>,
}

fn step_durations(step: Step, days: &Counts, waiting: &Counts) -> StepDurations {
    StepDurations {
        step,
        count: days.iter().map(|(_, n)| n).sum(),
        median_days: percentile_of_counts(days, 0.5),
        p90_days: percentile_of_counts(days, 0.9),
        median_waiting_days: percentile_of_counts(waiting, 0.5),
        p90_waiting_days: percentile_of_counts(waiting, 0.9),
    }
}

/// The days from each vote to its grant's first payment, counted by tenths of a day (none
/// of them waiting for the association).
fn first_payment_counts(first_payments: &[(NaiveDate, NaiveDate, u64)]) -> (Counts, Counts) {
    let mut days: BTreeMap<i64, u64> = BTreeMap::new();
    for (voted_on, paid_on, n) in first_payments {
        *days
            .entry(tenths(vote_to_first_payment(*voted_on, *paid_on).days))
            .or_default() += n;
    }
    let total = days.values().sum();
    let waiting = if total > 0 { vec![(0, total)] } else { vec![] };
    (days.into_iter().collect(), waiting)
}

fn keyed(totals: BTreeMap<String, Amounts>) -> Vec<(String, Amounts)> {
    totals.into_iter().collect()
}

/// The indicators of what the figures of the requests counted add up to.
fn indicators_of_tally(tally: Tally, now: DateTime<Utc>, today: NaiveDate) -> Indicators {
    type Totals = BTreeMap<String, Amounts>;
    let mut states: BTreeMap<RequestState, u64> = BTreeMap::new();
    let (mut by_direction, mut by_nature, mut by_year) =
        (Totals::new(), Totals::new(), Totals::new());
    let (mut requests, mut granted, mut refused) = (0, 0, 0);
    for group in &tally.groups {
        let count = group.amounts.requests;
        requests += count;
        *states.entry(group.state).or_default() += count;
        by_direction
            .entry(group.direction.clone())
            .or_default()
            .add(&group.amounts);
        by_nature
            .entry(group.nature.label().to_owned())
            .or_default()
            .add(&group.amounts);
        by_year
            .entry(group.budget_year.to_string())
            .or_default()
            .add(&group.amounts);
        granted += group.granted;
        if group.state == RequestState::Rejected {
            refused += count;
        }
    }
    let mut by_district = Totals::new();
    for (district, amounts) in &tally.districts {
        let key = district.map_or_else(|| "hors Paris".to_owned(), |d| d.to_string());
        by_district.entry(key).or_default().add(amounts);
    }
    let mut by_sector = Totals::new();
    for (sector, amounts) in &tally.sectors {
        let key = sector.clone().unwrap_or_else(|| "sans secteur".to_owned());
        by_sector.entry(key).or_default().add(amounts);
    }
    let paid = first_payment_counts(&tally.first_payments);
    let none: Counts = vec![];
    let durations = Step::ALL
        .iter()
        .map(|&step| {
            let (days, waiting) = match step {
                Step::VoteToFirstPayment => (&paid.0, &paid.1),
                _ => tally
                    .spans
                    .iter()
                    .find(|(s, ..)| *s == step)
                    .map_or((&none, &none), |(_, days, waiting)| (days, waiting)),
            };
            step_durations(step, days, waiting)
        })
        .collect();
    let mut steps_late: Vec<LateStep> = tally
        .steps_due
        .into_iter()
        .filter_map(|due| {
            let (due_at, days_late) = step_late(Some(due.due_at), due.state, now)?;
            Some(LateStep {
                request: due.id,
                number: due.number,
                title: due.title,
                state: due.state,
                due_at,
                days_late,
            })
        })
        .collect();
    let mut payments_late: Vec<LatePayment> = tally
        .payments_due
        .into_iter()
        .filter_map(|due| {
            let (due_on, days_late) = payment_late(Some(due.due_on), today)?;
            Some(LatePayment {
                request: due.id,
                number: due.number,
                title: due.title,
                due_on,
                days_late,
                unpaid_cents: due.unpaid_cents,
            })
        })
        .collect();
    steps_late.sort_by(|a, b| b.days_late.cmp(&a.days_late).then(a.number.cmp(&b.number)));
    payments_late.sort_by(|a, b| b.days_late.cmp(&a.days_late).then(a.number.cmp(&b.number)));
    Indicators {
        requests,
        states: RequestState::ALL
            .iter()
            .filter(|s| **s != RequestState::Draft)
            .map(|s| (*s, states.get(s).copied().unwrap_or(0)))
            .collect(),
        durations,
        amounts: AmountsBy {
            direction: keyed(by_direction),
            district: keyed(by_district),
            sector: keyed(by_sector),
            nature: keyed(by_nature),
            year: keyed(by_year),
        },
        refusal_rate: refusal_rate(granted, refused).map(|r| (r * 1000.0).round() / 1000.0),
        final_reports_overdue: tally.reports_overdue,
        steps_late,
        payments_late,
    }
}

/// The indicators recounted from every request, as they were before the figures were
/// stored: the tests compare them with [`indicators`].
#[cfg(feature = "recount")]
pub mod recount {
    use super::*;
    use simpa_domain::final_report;
    use simpa_domain::indicators::{StepSpan, percentile, step_spans};
    use simpa_persistence::indicators_recount::{self, RequestFigures};

    /// The actor and the figures of the requests counted; `None` when the direction named is
    /// none of the city's.
    #[tracing::instrument(name = "indicators::figures", skip_all, fields(actor = Subject::kind(subject)))]
    pub fn figures(
        conn: &mut DbConnection,
        subject: Option<Subject>,
        counted: &Counted<'_>,
    ) -> StoreResult<Option<(Actor, Vec<RequestFigures>)>> {
        let Some((actor, scope, filter)) = selection(conn, subject, counted)? else {
            return Ok(None);
        };
        let figures = indicators_recount::figures(conn, &scope, &filter)?;
        Ok(Some((actor, figures)))
    }

    /// Tenths of a day.
    fn rounded(days: Option<f64>) -> Option<f64> {
        days.map(|d| (d * 10.0).round() / 10.0)
    }

    fn durations(spans: &[StepSpan]) -> Vec<StepDurations> {
        Step::ALL
            .iter()
            .map(|&step| {
                let of_step: Vec<&StepSpan> = spans.iter().filter(|s| s.step == step).collect();
                let total: Vec<f64> = of_step.iter().map(|s| s.days).collect();
                let waiting: Vec<f64> = of_step.iter().map(|s| s.waiting_days).collect();
                StepDurations {
                    step,
                    count: of_step.len() as u64,
                    median_days: rounded(percentile(&total, 0.5)),
                    p90_days: rounded(percentile(&total, 0.9)),
                    median_waiting_days: rounded(percentile(&waiting, 0.5)),
                    p90_waiting_days: rounded(percentile(&waiting, 0.9)),
                }
            })
            .collect()
    }

    fn amounts_of(r: &RequestFigures) -> Amounts {
        Amounts {
            requests: 1,
            requested_cents: r.requested_cents,
            proposed_cents: r.proposed_cents.unwrap_or(0),
            voted_cents: r.grant.as_ref().map_or(0, |g| g.cents),
            paid_cents: r.grant.as_ref().map_or(0, |g| g.paid_cents),
        }
    }

    /// The indicators of these requests on `now` (`today` in the city).
    pub fn indicators_of(
        figures: &[RequestFigures],
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Indicators {
        let mut states: BTreeMap<RequestState, u64> = BTreeMap::new();
        let mut spans = Vec::new();
        type Totals = BTreeMap<String, Amounts>;
        let (mut by_direction, mut by_district, mut by_sector) =
            (Totals::new(), Totals::new(), Totals::new());
        let (mut by_nature, mut by_year) = (Totals::new(), Totals::new());
        let (mut granted, mut refused, mut reports_overdue) = (0, 0, 0);
        let mut steps_late = Vec::new();
        let mut payments_late = Vec::new();
        for r in figures {
            *states.entry(r.state).or_default() += 1;
            spans.extend(step_spans(&r.history));
            let amounts = amounts_of(r);
            let district = r
                .district
                .map_or_else(|| "hors Paris".to_owned(), |d| d.to_string());
            let sectors = if r.sectors.is_empty() {
                vec!["sans secteur".to_owned()]
            } else {
                r.sectors.clone()
            };
            for (totals, key) in [
                (&mut by_direction, r.direction.clone()),
                (&mut by_district, district),
                (&mut by_nature, r.nature.label().to_owned()),
                (&mut by_year, r.budget_year.to_string()),
            ] {
                totals.entry(key).or_default().add(&amounts);
            }
            for sector in sectors {
                by_sector.entry(sector).or_default().add(&amounts);
            }
            if r.state == RequestState::Rejected {
                refused += 1;
            }
            if let Some((due_at, days_late)) = step_late(r.sla_due_at, r.state, now) {
                steps_late.push(LateStep {
                    request: r.id.clone(),
                    number: r.number.clone(),
                    title: r.title.clone(),
                    state: r.state,
                    due_at,
                    days_late,
                });
            }
            let Some(grant) = &r.grant else { continue };
            granted += 1;
            if let Some(first) = grant.first_paid_on {
                spans.push(vote_to_first_payment(grant.voted_on, first));
            }
            if final_report::is_overdue(
                grant.final_report_due_on,
                grant.report_status,
                grant.repaid_in_full,
                today,
            ) {
                reports_overdue += 1;
            }
            if let Some((due_on, days_late)) = payment_late(grant.due_on, today) {
                payments_late.push(LatePayment {
                    request: r.id.clone(),
                    number: r.number.clone(),
                    title: r.title.clone(),
                    due_on,
                    days_late,
                    unpaid_cents: grant.payable_cents - grant.paid_cents,
                });
            }
        }
        steps_late.sort_by(|a, b| b.days_late.cmp(&a.days_late).then(a.number.cmp(&b.number)));
        payments_late.sort_by(|a, b| b.days_late.cmp(&a.days_late).then(a.number.cmp(&b.number)));
        Indicators {
            requests: figures.len() as u64,
            states: RequestState::ALL
                .iter()
                .filter(|s| **s != RequestState::Draft)
                .map(|s| (*s, states.get(s).copied().unwrap_or(0)))
                .collect(),
            durations: durations(&spans),
            amounts: AmountsBy {
                direction: by_direction.into_iter().collect(),
                district: by_district.into_iter().collect(),
                sector: by_sector.into_iter().collect(),
                nature: by_nature.into_iter().collect(),
                year: by_year.into_iter().collect(),
            },
            refusal_rate: refusal_rate(granted, refused).map(|r| (r * 1000.0).round() / 1000.0),
            final_reports_overdue: reports_overdue,
            steps_late,
            payments_late,
        }
    }
}
