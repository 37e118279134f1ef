//! The agents' dashboard (`/agents/tableau-de-bord`): the indicators as charts, for the bureau
//! and the whole city, a direction or a town hall for the requests it instructs, by budget
//! year, direction, district and campaign: the requests by state, the time each step takes
//! (median and 90th percentile), the amounts asked, proposed, voted and paid by direction,
//! district, sector, nature or year, and the alerts (steps past their deadline, payments late)
//! leading to the requests. Each chart says itself in a sentence and keeps its table.

use super::staff::chosen;
use crate::Portal;
use crate::answers::{city_date, unless_hidden};
use crate::charts::{BarChart, Line};
use crate::forms::{errors_page, field_error};
use crate::session::Visitor;
use actix_web::{HttpResponse, get, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::indicators::{self, Counted, Indicators};
use simpa_domain::FieldError;
use simpa_domain::ids::{CampaignId, DistrictNumber};
use simpa_domain::indicators::Amounts;
use simpa_domain::money::euros;
use simpa_domain::policy::{self, Action};
use uuid::Uuid;

/// How many alerts of each kind the page lists (the lists hold them all).
const ALERTS: usize = 20;

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    annee: Option<String>,
    direction: Option<String>,
    arrondissement: Option<String>,
    campagne: Option<String>,
    /// How the amounts are grouped: `direction` (the default), `arrondissement`, `secteur`,
    /// `nature`, `annee`.
    par: Option<String>,
}

/// The groupings of the amounts: their code, their name in the page.
const GROUPINGS: &[(&str, &str)] = &[
    ("direction", "Direction"),
    ("arrondissement", "Arrondissement"),
    ("secteur", "Secteur"),
    ("nature", "Nature"),
    ("annee", "Année budgétaire"),
];

#[get("/agents/tableau-de-bord")]
pub async fn dashboard(
    portal: web::Data<Portal>,
    visitor: Visitor,
    query: web::Query<DashboardQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let mut errors: Vec<FieldError> = vec![];
    let year = chosen(&query.annee).and_then(|y| {
        y.parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .or_else(|| {
                errors.push(field_error(
                    "annee",
                    "Saisissez une année, par exemple 2027.",
                ));
                None
            })
    });
    let district = chosen(&query.arrondissement)
        .and_then(|d| d.parse::<i32>().ok())
        .filter(|d| DistrictNumber::PARIS.contains(d))
        .map(DistrictNumber);
    let campaign = chosen(&query.campagne)
        .and_then(|c| Uuid::parse_str(c).ok())
        .map(CampaignId::from_uuid);
    let direction = chosen(&query.direction).map(str::to_owned);
    let (subject, now, today) = (
        visitor.subject(),
        portal.runtime.now(),
        portal.runtime.city_now().today(),
    );
    let found = portal
        .runtime
        .read(move |conn| {
            let counted = Counted {
                year,
                direction: direction.as_deref(),
                district,
                campaign,
            };
            let figures = indicators::indicators(conn, subject, &counted, now, today)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            let campaigns = simpa_app::campaigns::list(conn, subject, None, None)?;
            Ok((figures, directions, campaigns))
        })
        .await;
    let (figures, directions, campaigns) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(&portal, error),
    };
    let Some((actor, shown)) = figures else {
        errors.push(field_error(
            "direction",
            "Choisissez une direction de la liste.",
        ));
        let data = context! { filters => filters(&query, &directions, &campaigns) };
        return errors_page("staff_dashboard.html", &errors, data)
            .visitor(&visitor)
            .answer(&portal);
    };
    let grouping = chosen(&query.par)
        .and_then(|p| GROUPINGS.iter().find(|(code, _)| *code == p))
        .unwrap_or(&GROUPINGS[0]);
    let data = context! {
        filters => filters(&query, &directions, &campaigns),
        requests => shown.requests,
        refusal_rate => shown.refusal_rate.map(|r| format!("{:.0} %", r * 100.0)),
        reports_overdue => shown.final_reports_overdue,
        states => states_chart(&shown),
        durations => durations_chart(&shown),
        amounts => amounts_chart(&shown, grouping),
        steps_late => shown.steps_late.iter().take(ALERTS).map(|l| context! {
            id => l.request, number => l.number, title => l.title, state => l.state.label(),
            due_on => city_date(&portal, l.due_at), days => l.days_late,
        }).collect::<Vec<_>>(),
        steps_late_count => shown.steps_late.len(),
        payments_late => shown.payments_late.iter().take(ALERTS).map(|l| context! {
            id => l.request, number => l.number, title => l.title,
            due_on => simpa_domain::french::long_french_date(l.due_on), days => l.days_late,
            unpaid => euros(l.unpaid_cents),
        }).collect::<Vec<_>>(),
        payments_late_count => shown.payments_late.len(),
        reads_payments => policy::decide(&actor, Action::ReadPayments).is_ok(),
    };
    errors_page("staff_dashboard.html", &errors, data)
        .visitor(&visitor)
        .answer(&portal)
}

/// The filters' form, as chosen.
fn filters(
    query: &DashboardQuery,
    directions: &[simpa_domain::reference::Direction],
    campaigns: &[simpa_domain::campaign::Campaign],
) -> Value {
    let choice = |code: String, label: String| context! { code => code, label => label };
    context! {
        annee => query.annee, direction => query.direction, arrondissement => query.arrondissement,
        campagne => query.campagne, par => query.par.clone().unwrap_or_else(|| "direction".to_owned()),
        directions => directions.iter().map(|d| choice(d.code.clone(), d.name.clone())).collect::<Vec<_>>(),
        districts => DistrictNumber::PARIS.map(|n| choice(n.to_string(), simpa_domain::french::district(DistrictNumber(n)))).collect::<Vec<_>>(),
        campaigns => campaigns.iter().map(|c| choice(c.id.to_string(), c.settings.title.clone())).collect::<Vec<_>>(),
        groupings => GROUPINGS.iter().map(|(code, label)| choice((*code).to_owned(), (*label).to_owned())).collect::<Vec<_>>(),
    }
}

/// "1 demande", "12 demandes".
fn requests(n: u64) -> String {
    format!("{n} demande{}", if n > 1 { "s" } else { "" })
}

/// "4,5 jours".
fn days(d: Option<f64>) -> String {
    match d {
        Some(d) => format!(
            "{} jour{}",
            format!("{d:.1}").replace('.', ","),
            if d >= 2.0 { "s" } else { "" }
        ),
        None => "–".to_owned(),
    }
}

fn states_chart(shown: &Indicators) -> Value {
    BarChart {
        id: "etats",
        title: "Les demandes par état".to_owned(),
        dimension: "État",
        series: &["Demandes"],
        lines: shown
            .states
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(state, count)| Line {
                label: state.label().to_owned(),
                values: vec![*count as f64],
                said: vec![requests(*count)],
            })
            .collect(),
    }
    .drawn()
}

fn durations_chart(shown: &Indicators) -> Value {
    BarChart {
        id: "durees",
        title: "Le temps de chaque étape, en jours".to_owned(),
        dimension: "Étape",
        series: &["Médiane", "90e centile"],
        lines: shown
            .durations
            .iter()
            .filter(|d| d.count > 0)
            .map(|d| Line {
                // The step alone, short enough for a phone; how many requests it was
                // measured on is said with its median.
                label: d.step.label().to_owned(),
                values: vec![d.median_days.unwrap_or(0.0), d.p90_days.unwrap_or(0.0)],
                said: vec![
                    format!("{} (sur {})", days(d.median_days), requests(d.count)),
                    days(d.p90_days),
                ],
            })
            .collect(),
    }
    .drawn()
}

fn amounts_chart(shown: &Indicators, (code, label): &(&str, &str)) -> Value {
    let groups: &[(String, Amounts)] = match *code {
        "arrondissement" => &shown.amounts.district,
        "secteur" => &shown.amounts.sector,
        "nature" => &shown.amounts.nature,
        "annee" => &shown.amounts.year,
        _ => &shown.amounts.direction,
    };
    let cents = |a: &Amounts| {
        [
            a.requested_cents,
            a.proposed_cents,
            a.voted_cents,
            a.paid_cents,
        ]
    };
    BarChart {
        id: "montants",
        title: format!("Les montants par {}", label.to_lowercase()),
        dimension: label,
        series: &["Demandé", "Proposé", "Voté", "Versé"],
        lines: groups
            .iter()
            .map(|(key, a)| Line {
                label: if *code == "arrondissement" {
                    key.parse::<i32>().map_or_else(
                        |_| key.clone(),
                        |n| simpa_domain::french::district(DistrictNumber(n)),
                    )
                } else {
                    key.clone()
                },
                values: cents(a).iter().map(|c| *c as f64).collect(),
                said: cents(a).iter().map(|c| euros(*c)).collect(),
            })
            .collect(),
    }
    .drawn()
}
