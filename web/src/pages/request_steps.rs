//! The CERFA 12156 sections of a request, one step per page, each saved as the draft when it
//! is sent: the project, its dates and places, its public and indicators, its budget (the
//! form's table, its totals computed as one types and again here). What is typed is read into
//! the application layer's `ContentInput` and checked by its rules; a step's form checks only
//! what it must read (a date, a number, an amount).

use super::requests::{STEP_COUNT, STEPS, Step, anchor, load};
use super::typed::{self, Typed, field};
use crate::Portal;
use crate::answers::unless_hidden;
use crate::answers::{not_found_page, see_other};
use crate::csrf::Posted;
use crate::forms::{errors_page, field_error, form_page};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use simpa_app::reference;
use simpa_app::request_content::{ContentInput, IndicatorInput, LineInput, parse_budget};
use simpa_app::requests;
use simpa_app::runtime::RunError;
use simpa_domain::budget::{Budget, CHART, ChartLine, Side};
use simpa_domain::circuit::ActionKind;
use simpa_domain::ids::RequestId;
use simpa_domain::money::{euros, total};
use simpa_domain::request::RequestContent;
use simpa_domain::{DomainError, FieldError};
use simpa_persistence::StoreError;
use uuid::Uuid;

/// How many indicators the form offers at least (more when the request has more).
const INDICATOR_ROWS: usize = 3;

/// The form's name of a line of the chart: `l60`, `l74_commune`.
fn line_field(line: &ChartLine) -> String {
    match line.funder {
        Some(funder) => format!("l{}_{}", line.account, funder.code()),
        None => format!("l{}", line.account),
    }
}

/// What the request says, as its steps' forms show it.
fn typed_of(content: &RequestContent) -> Typed {
    let mut typed = Typed::new();
    let mut put = |field: String, value: String| {
        typed.insert(field, value);
    };
    put("title".into(), content.title.clone());
    put("summary".into(), content.summary.clone());
    put("objectives".into(), content.objectives.clone());
    put("target_public".into(), content.target_public.clone());
    if let Some(n) = content.expected_beneficiaries {
        put("expected_beneficiaries".into(), n.to_string());
    }
    for (field, date) in [
        ("start_date", content.start_date),
        ("end_date", content.end_date),
    ] {
        if let Some(date) = date {
            put(field.into(), date.to_string());
        }
    }
    for district in &content.districts {
        put(format!("district_{}", district.0), "oui".into());
    }
    for (i, indicator) in content.indicators.iter().enumerate() {
        put(format!("indicators_{i}__name"), indicator.name.clone());
        put(format!("indicators_{i}__unit"), indicator.unit.clone());
        put(
            format!("indicators_{i}__target"),
            indicator.target.to_string(),
        );
    }
    for line in CHART {
        let cents = total(
            content
                .budget
                .lines
                .iter()
                .filter(|l| line.holds(l))
                .map(|l| l.amount_cents),
        );
        if cents != 0 {
            put(line_field(line), (cents / 100).to_string());
        }
    }
    typed
}

/// The lines of the chart as typed, with the lines of the request the chart does not hold
/// (a sub-account sent through the API) kept as they are; a line of the chart whose amount
/// did not change keeps its own wording. With each line's form field.
fn budget_typed(
    typed: &Typed,
    stored: &Budget,
    errors: &mut Vec<FieldError>,
) -> (Vec<LineInput>, Vec<String>) {
    let mut lines = Vec::new();
    let mut fields = Vec::new();
    let as_input = |l: &simpa_domain::budget::BudgetLine| LineInput {
        account: l.account.as_str().to_owned(),
        funder: l.funder,
        label: l.label.clone(),
        amount_cents: l.amount_cents,
    };
    for line in CHART {
        let name = line_field(line);
        let Some(cents) = typed::euros(typed, &name, errors) else {
            continue;
        };
        let held: Vec<_> = stored.lines.iter().filter(|l| line.holds(l)).collect();
        // Shown in whole euros: a line sent with cents through the API, left as it was
        // shown, keeps its cents and its wording.
        if total(held.iter().map(|l| l.amount_cents)) / 100 == cents / 100 {
            lines.extend(held.into_iter().map(as_input));
            fields.resize(lines.len(), name);
        } else if cents > 0 {
            lines.push(LineInput {
                account: line.account.to_owned(),
                funder: line.funder,
                label: line.label.to_owned(),
                amount_cents: cents,
            });
            fields.push(name);
        }
    }
    for other in stored
        .lines
        .iter()
        .filter(|l| !CHART.iter().any(|c| c.holds(l)))
    {
        lines.push(as_input(other));
        fields.push("budget".to_owned());
    }
    (lines, fields)
}

/// Reads a step's form into what the request says: `Err` lists what the form itself could
/// not read (the rules check the rest). Fields of other steps stay as they are.
fn apply(
    step: &str,
    typed: &Typed,
    stored: &RequestContent,
) -> Result<(ContentInput, Rows), Vec<FieldError>> {
    let mut input = ContentInput::from(stored.clone());
    let mut errors = Vec::new();
    let mut rows = Rows::default();
    match step {
        "projet" => {
            input.title = field(typed, "title").to_owned();
            input.summary = field(typed, "summary").to_owned();
            input.objectives = field(typed, "objectives").to_owned();
        }
        "dates-et-lieux" => {
            input.start_date = typed::date(typed, "start_date", &mut errors);
            input.end_date = typed::date(typed, "end_date", &mut errors);
            let mut districts: Vec<i32> = typed
                .iter()
                .filter(|(_, v)| v.as_str() == "oui")
                .filter_map(|(k, _)| k.strip_prefix("district_")?.parse().ok())
                .collect();
            districts.sort_unstable();
            input.districts = districts;
        }
        "public" => {
            input.target_public = field(typed, "target_public").to_owned();
            input.expected_beneficiaries =
                typed::whole_number(typed, "expected_beneficiaries", &mut errors).and_then(|n| {
                    if n < 0 {
                        errors.push(field_error(
                            "expected_beneficiaries",
                            "Un nombre de bénéficiaires ne peut pas être négatif.",
                        ));
                        return None;
                    }
                    // Beyond what the rules allow, their own message says so.
                    Some(u32::try_from(n).unwrap_or(u32::MAX))
                });
            let mut kept = Vec::new();
            input.indicators = (0..indicator_rows(stored))
                .filter_map(|i| {
                    let at = |part: &str| format!("indicators_{i}__{part}");
                    let (name, unit) = (field(typed, &at("name")), field(typed, &at("unit")));
                    let target = typed::whole_number(typed, &at("target"), &mut errors);
                    let blank =
                        name.trim().is_empty() && unit.trim().is_empty() && target.is_none();
                    (!blank).then(|| {
                        kept.push(i);
                        IndicatorInput {
                            name: name.to_owned(),
                            unit: unit.to_owned(),
                            target: target.unwrap_or(0),
                        }
                    })
                })
                .collect();
            rows.indicators = kept;
        }
        "budget" => {
            let (lines, fields) = budget_typed(typed, &stored.budget, &mut errors);
            let (parsed, _) = parse_budget(&lines);
            input.requested_cents = Budget { lines: parsed }.city_subsidy_cents();
            input.budget = lines;
            rows.budget = fields;
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok((input, rows))
    } else {
        Err(errors)
    }
}

/// How many indicator rows the form shows.
fn indicator_rows(content: &RequestContent) -> usize {
    (content.indicators.len() + 1).max(INDICATOR_ROWS)
}

/// Where each item of a list the rules number sits in the step's form: a budget line's row
/// of the chart, an indicator's row (blank rows are not sent to the rules).
#[derive(Default)]
struct Rows {
    budget: Vec<String>,
    indicators: Vec<usize>,
}

/// A rule's field as the step's form names it (`budget[3].amount_cents` is its row of the
/// chart, `indicators[0].unit` the unit of the row it came from).
fn form_field(error: &FieldError, rows: &Rows) -> FieldError {
    let item = |list: &str| {
        let rest = error.field.strip_prefix(list)?.strip_prefix('[')?;
        let (index, part) = rest.split_once(']')?;
        Some((index.parse::<usize>().ok()?, part.trim_start_matches('.')))
    };
    let field = if let Some((i, _)) = item("budget") {
        rows.budget
            .get(i)
            .cloned()
            .unwrap_or_else(|| "budget".into())
    } else if let Some((i, part)) = item("indicators") {
        match rows.indicators.get(i) {
            Some(row) => format!("indicators_{row}__{part}"),
            None => "indicators_0__name".into(),
        }
    } else {
        anchor(&error.field)
    };
    FieldError {
        field,
        ..error.clone()
    }
}

/// The totals of a budget as the server computes them, and whether it balances.
fn totals(budget: &Budget) -> Value {
    let balance: Vec<String> = budget
        .balance_failures()
        .into_iter()
        .filter(|e| e.code != "budget.empty")
        .map(|e| e.message)
        .collect();
    context! {
        charges => euros(budget.total(Side::Charge)),
        income => euros(budget.total(Side::Income)),
        in_kind_used => euros(budget.total(Side::InKindUse)),
        in_kind_received => euros(budget.total(Side::InKindReceived)),
        requested => euros(budget.city_subsidy_cents()),
        balance => balance,
    }
}

/// The chart as the budget's form shows it, in its three tables.
fn chart_rows(side: &[Side]) -> Vec<Value> {
    CHART
        .iter()
        .filter(|line| side.contains(&line.side()))
        .map(|line| {
            context! {
                field => line_field(line),
                account => line.account,
                label => line.label,
                subsidy => line.funder.is_some(),
                side => side_name(line.side()),
            }
        })
        .collect()
}

/// A column of the chart as the budget's page and its script name it.
fn side_name(side: Side) -> &'static str {
    match side {
        Side::Charge => "charges",
        Side::Income => "produits",
        Side::InKindUse => "emplois",
        Side::InKindReceived => "contributions",
    }
}

/// The template of each step.
fn template(step: &str) -> Option<&'static str> {
    Some(match step {
        "projet" => "request_project.html",
        "dates-et-lieux" => "request_dates.html",
        "public" => "request_public.html",
        "budget" => "request_budget.html",
        _ => return None,
    })
}

/// A step's page: the request's names, the step, what is typed, and more (the totals, the
/// districts, a form's errors).
async fn step_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    slug: &str,
    typed: Option<&Typed>,
    errors: &[FieldError],
) -> HttpResponse {
    let (Some(template), Some(step)) = (template(slug), STEPS.iter().find(|s| s.slug == slug))
    else {
        return not_found_page(portal);
    };
    let (shown, _) = match load(portal, visitor, id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if !shown.possible.contains(&ActionKind::Edit) {
        return see_other(&format!("/demandes/{id}"));
    }
    let subject = visitor.subject();
    let districts = match portal
        .runtime
        .read(move |conn| reference::districts(conn, subject))
        .await
    {
        Ok(districts) => districts,
        Err(error) => return unless_hidden(portal, error),
    };
    let content = &shown.request().content;
    // The totals of what was typed, or of what is stored.
    let (typed, budget) = match typed {
        Some(typed) => {
            let (lines, _) = budget_typed(typed, &content.budget, &mut Vec::new());
            let lines = parse_budget(&lines).0;
            (typed.clone(), Budget { lines })
        }
        None => (typed_of(content), content.budget.clone()),
    };
    let data = context! {
        id => id.to_string(),
        association => shown.file.association,
        campaign => shown.file.campaign.settings.title,
        title => content.title,
        step => step.name,
        number => step.number(),
        step_count => STEP_COUNT,
        typed => typed,
        districts => districts.iter().map(|d| context! {
            field => format!("district_{}", d.number.0),
            label => simpa_domain::french::district(d.number),
        }).collect::<Vec<_>>(),
        indicator_rows => (0..indicator_rows(content)).collect::<Vec<_>>(),
        charges => chart_rows(&[Side::Charge]),
        income => chart_rows(&[Side::Income]),
        in_kind => chart_rows(&[Side::InKindUse, Side::InKindReceived]),
        totals => totals(&budget),
        others => content.budget.lines.iter().filter(|l| !CHART.iter().any(|c| c.holds(l))).map(|l| context! {
            account => l.account.as_str(), label => l.label, amount => euros(l.amount_cents),
            side => side_name(l.account.side_of()), euros => l.amount_cents as f64 / 100.0,
        }).collect::<Vec<_>>(),
    };
    let page = errors_page(template, errors, data);
    form_page(portal, req, page.visitor(visitor))
}

#[get("/demandes/{id}/{step}")]
pub async fn step_view(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, String)>,
) -> HttpResponse {
    let (id, slug) = path.into_inner();
    step_page(&portal, &req, &visitor, id, &slug, None, &[]).await
}

/// The step after `slug`: the next section, or the check before submitting.
fn next_after(id: Uuid, slug: &str) -> String {
    let next = STEPS
        .iter()
        .skip_while(|s: &&Step| s.slug != slug)
        .nth(1)
        .filter(|s| s.slug != "documents");
    match next {
        Some(step) => format!("/demandes/{id}/{}", step.slug),
        None => format!("/demandes/{id}/verification"),
    }
}

/// Saves a step into the draft (one transaction: read, apply, check, record), then asks the
/// next one; what is wrong comes back on the step's page with what was typed.
#[post("/demandes/{id}/{step}")]
pub async fn save_step(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, String)>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let (id, slug) = path.into_inner();
    if template(&slug).is_none() {
        return not_found_page(&portal);
    }
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let notifier = portal.runtime.notifier.clone();
    let (step, form) = (slug.clone(), typed.clone());
    let saved = portal
        .runtime
        .write(move |conn| {
            let (_, request) =
                requests::load_readable(conn, subject, RequestId::from_uuid(id), false)?;
            let (input, rows) = match apply(&step, &form, &request.content) {
                Ok(applied) => applied,
                Err(errors) => return Ok(Err(errors)),
            };
            let edited = requests::edit(
                conn,
                subject,
                request.id,
                Some(request.version),
                input,
                now,
                &notifier,
            );
            match edited {
                Ok(_) => Ok(Ok(())),
                Err(StoreError::Domain(DomainError::Invalid(errors))) => {
                    Ok(Err(errors.iter().map(|e| form_field(e, &rows)).collect()))
                }
                Err(other) => Err(other),
            }
        })
        .await;
    let errors = match saved {
        Ok(Ok(())) => return see_other(&next_after(id, &slug)),
        Ok(Err(errors)) => errors,
        Err(RunError::Store(StoreError::Domain(
            DomainError::Conflict { message, .. }
            | DomainError::Unmet { message, .. }
            | DomainError::NotPermitted { message, .. },
        ))) => vec![field_error("formulaire", message)],
        Err(RunError::Store(StoreError::Domain(DomainError::StaleVersion { .. }))) => {
            vec![field_error(
                "formulaire",
                "La demande a été modifiée entre-temps, peut-être dans un autre onglet : relisez-la, puis saisissez à nouveau vos changements.",
            )]
        }
        // What the rules refused came back as the step's errors, inside the transaction.
        Err(error) => return unless_hidden(&portal, error),
    };
    let page = step_page(&portal, &req, &visitor, id, &slug, Some(&typed), &errors).await;
    crate::forms::unprocessable(page)
}
