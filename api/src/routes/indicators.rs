//! The indicators the city steers by: requests per state, how long each step takes (the time
//! waiting for the association apart), amounts by direction, district, sector, nature and
//! year, the refusal rate, final reports overdue, and the alerts (steps past their deadline,
//! payments past theirs). The bureau sees the whole city; a direction or a town hall sees the
//! requests it instructs. JSON, or the same numbers as CSV.

use crate::auth::Caller;
use crate::input::{Format, Query};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use simpa_app::indicators::{self as app, Counted};
use simpa_app::spreadsheet::Csv;
use simpa_domain::Violation;
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::ids::CampaignId;
use simpa_domain::indicators::Amounts;
use simpa_domain::reference;
use simpa_persistence::audit::NewAuditEvent;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, IntoParams)]
pub struct IndicatorParams {
    /// The campaigns' budget year.
    pub year: Option<i32>,
    /// A direction's code (`DAC`): the requests it instructs.
    pub direction: Option<String>,
    /// The district of the associations' head offices, 1 to 20.
    pub district: Option<i32>,
    /// A campaign's id.
    pub campaign: Option<Uuid>,
    /// `json` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<Format>,
}

#[derive(Serialize, ToSchema)]
pub struct StateCount {
    pub state: String,
    pub label: String,
    pub count: u64,
}

/// How long a step took, in days, over the requests that went through it.
#[derive(Serialize, ToSchema)]
pub struct StepDurations {
    pub step: String,
    pub label: String,
    /// The requests that went through it.
    pub count: u64,
    pub median_days: Option<f64>,
    pub p90_days: Option<f64>,
    /// Of which the request waited for the association (asked to complete it).
    pub median_waiting_days: Option<f64>,
    pub p90_waiting_days: Option<f64>,
}

/// Money of a group of requests, in cents.
#[derive(Serialize, ToSchema)]
pub struct AmountGroup {
    pub key: String,
    pub requests: u64,
    pub requested_cents: i64,
    /// What the lead instructors proposed.
    pub proposed_cents: i64,
    pub voted_cents: i64,
    pub paid_cents: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AmountsBy {
    pub direction: Vec<AmountGroup>,
    /// The district of the association's head office (`hors Paris` without one).
    pub district: Vec<AmountGroup>,
    /// Each of the association's sectors (a request counts in each of them).
    pub sector: Vec<AmountGroup>,
    pub nature: Vec<AmountGroup>,
    pub year: Vec<AmountGroup>,
}

/// A request whose current step is past its deadline.
#[derive(Serialize, ToSchema)]
pub struct LateStep {
    pub request: String,
    pub number: String,
    pub title: String,
    pub state: String,
    pub due_at: DateTime<Utc>,
    pub days_late: i64,
    pub link: String,
}

/// A grant whose payment is past its deadline (60 days after notification, or the
/// agreement's delay), with what is payable and unpaid.
#[derive(Serialize, ToSchema)]
pub struct LatePayment {
    pub request: String,
    pub number: String,
    pub title: String,
    pub due_on: NaiveDate,
    pub days_late: i64,
    pub unpaid_cents: i64,
    pub link: String,
}

#[derive(Serialize, ToSchema)]
pub struct Alerts {
    pub steps_late: Vec<LateStep>,
    pub payments_late: Vec<LatePayment>,
}

#[derive(Serialize, ToSchema)]
pub struct Indicators {
    /// The requests counted: submitted, in the caller's scope and the filters.
    pub requests: u64,
    pub states: Vec<StateCount>,
    pub durations: Vec<StepDurations>,
    pub amounts: AmountsBy,
    /// Refused among decided (granted or refused after submission); none before any decision.
    pub refusal_rate: Option<f64>,
    pub final_reports_overdue: u64,
    pub alerts: Alerts,
}

fn groups(totals: &[(String, Amounts)]) -> Vec<AmountGroup> {
    totals
        .iter()
        .map(|(key, a)| AmountGroup {
            key: key.clone(),
            requests: a.requests,
            requested_cents: a.requested_cents,
            proposed_cents: a.proposed_cents,
            voted_cents: a.voted_cents,
            paid_cents: a.paid_cents,
        })
        .collect()
}

/// The indicators as the API says them.
fn view_of(i: app::Indicators) -> Indicators {
    Indicators {
        requests: i.requests,
        states: i
            .states
            .iter()
            .map(|(state, count)| StateCount {
                state: state.code().to_owned(),
                label: state.label().to_owned(),
                count: *count,
            })
            .collect(),
        durations: i
            .durations
            .iter()
            .map(|d| StepDurations {
                step: d.step.code().to_owned(),
                label: d.step.label().to_owned(),
                count: d.count,
                median_days: d.median_days,
                p90_days: d.p90_days,
                median_waiting_days: d.median_waiting_days,
                p90_waiting_days: d.p90_waiting_days,
            })
            .collect(),
        amounts: AmountsBy {
            direction: groups(&i.amounts.direction),
            district: groups(&i.amounts.district),
            sector: groups(&i.amounts.sector),
            nature: groups(&i.amounts.nature),
            year: groups(&i.amounts.year),
        },
        refusal_rate: i.refusal_rate,
        final_reports_overdue: i.final_reports_overdue,
        alerts: Alerts {
            steps_late: i
                .steps_late
                .into_iter()
                .map(|l| LateStep {
                    link: format!("/api/v1/requests/{}", l.request),
                    request: l.request,
                    number: l.number,
                    title: l.title,
                    state: l.state.code().to_owned(),
                    due_at: l.due_at,
                    days_late: l.days_late,
                })
                .collect(),
            payments_late: i
                .payments_late
                .into_iter()
                .map(|l| LatePayment {
                    link: format!("/api/v1/requests/{}/grant", l.request),
                    request: l.request,
                    number: l.number,
                    title: l.title,
                    due_on: l.due_on,
                    days_late: l.days_late,
                    unpaid_cents: l.unpaid_cents,
                })
                .collect(),
        },
    }
}

/// A number as French spreadsheets read it: a decimal comma.
fn decimal(value: f64) -> String {
    value.to_string().replace('.', ",")
}

fn euros(cents: i64) -> String {
    decimal(cents as f64 / 100.0)
}

/// The same numbers as CSV, one per line: `rubrique;groupe;mesure;valeur`.
fn indicators_csv(view: &Indicators) -> Result<String, Problem> {
    let mut lines: Vec<[String; 4]> = vec![];
    let mut line = |section: &str, group: &str, measure: &str, value: String| {
        lines.push([section.into(), group.into(), measure.into(), value]);
    };
    line("demandes", "", "nombre", view.requests.to_string());
    for s in &view.states {
        line("etat", &s.state, "nombre", s.count.to_string());
    }
    for d in &view.durations {
        line("duree", &d.step, "demandes", d.count.to_string());
        for (measure, value) in [
            ("mediane_jours", d.median_days),
            ("p90_jours", d.p90_days),
            ("mediane_attente_association_jours", d.median_waiting_days),
            ("p90_attente_association_jours", d.p90_waiting_days),
        ] {
            line(
                "duree",
                &d.step,
                measure,
                value.map(decimal).unwrap_or_default(),
            );
        }
    }
    for (section, groups) in [
        ("montants_par_direction", &view.amounts.direction),
        ("montants_par_arrondissement", &view.amounts.district),
        ("montants_par_secteur", &view.amounts.sector),
        ("montants_par_nature", &view.amounts.nature),
        ("montants_par_annee", &view.amounts.year),
    ] {
        for g in groups {
            line(section, &g.key, "demandes", g.requests.to_string());
            line(section, &g.key, "demande_euros", euros(g.requested_cents));
            line(section, &g.key, "propose_euros", euros(g.proposed_cents));
            line(section, &g.key, "vote_euros", euros(g.voted_cents));
            line(section, &g.key, "verse_euros", euros(g.paid_cents));
        }
    }
    line(
        "taux_de_refus",
        "",
        "taux",
        view.refusal_rate.map(decimal).unwrap_or_default(),
    );
    line(
        "comptes_rendus_en_retard",
        "",
        "nombre",
        view.final_reports_overdue.to_string(),
    );
    for late in &view.alerts.steps_late {
        line(
            "alerte_delai",
            &late.number,
            "jours_de_retard",
            late.days_late.to_string(),
        );
    }
    for late in &view.alerts.payments_late {
        line(
            "alerte_versement",
            &late.number,
            "jours_de_retard",
            late.days_late.to_string(),
        );
    }
    let mut writer = Csv::new(vec![], b';');
    writer
        .row(["rubrique", "groupe", "mesure", "valeur"])
        .map_err(|_| Problem::internal())?;
    for record in lines {
        writer.row(record).map_err(|_| Problem::internal())?;
    }
    let bytes = writer.into_inner().map_err(|_| Problem::internal())?;
    String::from_utf8(bytes).map_err(|_| Problem::internal())
}

/// The indicators of the requests submitted in the caller's scope: the bureau and the
/// administration see the whole city, a direction (or its API client) and a town hall the
/// requests they instruct. `?format=csv` gives the same numbers, one per line.
#[utoipa::path(
    tag = "indicators",
    security(("bearer" = [])),
    params(IndicatorParams),
    responses(
        (status = 200, description = "JSON, or CSV with `?format=csv`", content(
            (Indicators = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
    )
)]
#[get("/indicators")]
pub async fn get_indicators(
    state: web::Data<AppState>,
    caller: Caller,
    params: Query<IndicatorParams>,
) -> Result<HttpResponse, Problem> {
    let params = params.0;
    let csv = params.format == Some(Format::Csv);
    let district =
        reference::district_filter(params.district).map_err(|e| Problem::invalid_query(vec![e]))?;
    let (now, today) = (state.now(), state.today());
    let filters = json!({
        "year": params.year,
        "direction": params.direction,
        "district": params.district,
        "campaign": params.campaign,
    });
    let view = state
        .read(move |conn| {
            let counted = Counted {
                year: params.year,
                direction: params.direction.as_deref(),
                district,
                campaign: params.campaign.map(CampaignId::from_uuid),
            };
            let found = app::indicators(conn, caller.0, &counted, now, today)?;
            Ok(found.map(|(actor, shown)| (AuditActor::acting(&actor), view_of(shown))))
        })
        .await?;
    let Some((actor, view)) = view else {
        return Err(Problem::invalid_query(vec![
            Violation::new(
                "direction.unknown",
                "Ce code n'est celui d'aucune direction.",
            )
            .at("direction"),
        ]));
    };
    if csv {
        let text = indicators_csv(&view)?;
        let export = NewAuditEvent::new(AuditAction::IndicatorsExported, actor).with(filters);
        state.audit(export).await?;
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(text))
    } else {
        Ok(HttpResponse::Ok().json(view))
    }
}
