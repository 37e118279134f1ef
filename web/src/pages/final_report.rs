//! The final financial report of a grant (CERFA 15059), at `/demandes/{id}/compte-rendu`:
//! each line of the budget planned beside what was carried out, each planned indicator with
//! what it achieved, how the project went, and the annex that explains a line more than 15 %
//! away from the plan; once filed, where its review stands and what the city asked.

use super::requests::load;
use super::typed::{self, Typed, field};
use crate::Portal;
use crate::answers::{city_date, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{errors_page, field_errors, form_page, unprocessable};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use simpa_app::final_reports::{self, ReportFile, ReportFiling};
use simpa_app::request_content::LineInput;
use simpa_app::runtime::RunError;
use simpa_domain::budget::BudgetLine;
use simpa_domain::circuit::ActionKind;
use simpa_domain::final_report::{LineComparison, Plan, check_filing, compare};
use simpa_domain::french::percent;
use simpa_domain::ids::RequestId;
use simpa_domain::money::euros;
use simpa_domain::request::RequestContent;
use simpa_domain::{DomainError, FieldError};
use simpa_persistence::StoreError;
use uuid::Uuid;

/// What the form shows of a report filed before (to correct it when changes were asked).
fn typed_of(file: &ReportFile, content: &RequestContent) -> Typed {
    let report = &file.report.report;
    let mut typed = Typed::new();
    let carried = compare(&file.plan, &report.budget);
    for (i, line) in content.budget.lines.iter().enumerate() {
        if let Some(done) = compared_line(&carried, line) {
            typed.insert(format!("r{i}"), (done.actual_cents / 100).to_string());
        }
    }
    for (i, indicator) in content.indicators.iter().enumerate() {
        if let Some(result) = report.indicators.iter().find(|r| r.name == indicator.name) {
            typed.insert(format!("achieved_{i}"), result.achieved.to_string());
        }
    }
    typed.insert("summary".into(), report.summary.clone());
    typed.insert("annex".into(), report.annex.clone().unwrap_or_default());
    if let Some(n) = report.beneficiaries_reached {
        typed.insert("beneficiaries_reached".into(), n.to_string());
    }
    typed
}

/// The report as the form sends it, in the request's chart: `Err` lists what the form could
/// not read.
fn filing_of(typed: &Typed, content: &RequestContent) -> Result<ReportFiling, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut budget = Vec::new();
    for (i, line) in content.budget.lines.iter().enumerate() {
        if let Some(cents) = typed::euros(typed, &format!("r{i}"), &mut errors) {
            budget.push(LineInput {
                account: line.account.as_str().to_owned(),
                funder: line.funder,
                label: line.label.clone(),
                amount_cents: cents,
            });
        }
    }
    let achieved = content
        .indicators
        .iter()
        .enumerate()
        .filter_map(|(i, indicator)| {
            typed::whole_number(typed, &format!("achieved_{i}"), &mut errors)
                .map(|n| (indicator.name.clone(), n))
        })
        .collect();
    let beneficiaries_reached = typed::whole_number(typed, "beneficiaries_reached", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ReportFiling {
        budget,
        achieved,
        summary: field(typed, "summary").to_owned(),
        beneficiaries_reached,
        annex: Some(field(typed, "annex").to_owned()),
        attachments: vec![],
    })
}

/// The comparison of a line of the request's budget.
fn compared_line<'a>(
    compared: &'a [LineComparison],
    line: &BudgetLine,
) -> Option<&'a LineComparison> {
    compared.iter().find(|c| {
        c.account == line.account.as_str()
            && c.funder == line.funder
            && c.label.to_lowercase() == line.label.to_lowercase()
    })
}

/// A rule's field as the form names it: a budget line by its row.
fn form_field(error: &FieldError) -> FieldError {
    let field = match error.field.strip_prefix("budget[") {
        Some(rest) => format!("r{}", rest.split(']').next().unwrap_or("0")),
        None => error.field.clone(),
    };
    FieldError {
        field,
        ..error.clone()
    }
}

/// The report's page: the form while the association may file, else the report as filed.
async fn report_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    typed: Option<&Typed>,
    errors: &[FieldError],
) -> HttpResponse {
    let (shown, _) = match load(portal, visitor, id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    if shown.grant.is_none() {
        return see_other(&format!("/demandes/{id}"));
    }
    let subject = visitor.subject();
    let request = RequestId::from_uuid(id);
    let filed = match portal
        .runtime
        .read(
            move |conn| match final_reports::read(conn, subject, request) {
                Ok(file) => Ok(Some(file)),
                Err(StoreError::Domain(DomainError::NotFound { .. })) => Ok(None),
                Err(other) => Err(other),
            },
        )
        .await
    {
        Ok(filed) => filed,
        Err(error) => return unless_hidden(portal, error),
    };
    let content = &shown.request().content;
    // Filed first, or again once the city asked for changes.
    let may_file = shown.possible.contains(&ActionKind::FileFinalReport)
        && check_filing(filed.as_ref().map(|f| f.report.status)).is_ok();
    let typed = match (typed, &filed) {
        (Some(typed), _) => typed.clone(),
        (None, Some(file)) => typed_of(file, content),
        (None, None) => Typed::new(),
    };
    // What the council voted stands beside the city's lines: they are judged against it.
    let voted = shown.grant.as_ref().map_or_else(Vec::new, |g| {
        let plan = Plan {
            budget: content.budget.clone(),
            voted_cents: g.grant.cents,
        };
        compare(&plan, &plan.budget)
    });
    let data = context! {
        id => id.to_string(),
        title => content.title,
        association => shown.file.association,
        may_file => may_file,
        typed => typed,
        due_on => shown.grant.as_ref().map(|g| simpa_domain::french::long_french_date(g.grant.final_report_due_on)),
        lines => content.budget.lines.iter().enumerate().map(|(i, l)| context! {
            field => format!("r{i}"),
            label => format!("{} · {}", l.account.as_str(), l.label),
            planned => euros(l.amount_cents),
            voted => compared_line(&voted, l).and_then(|c| c.voted_cents).map(euros),
        }).collect::<Vec<_>>(),
        indicators => content.indicators.iter().enumerate().map(|(i, ind)| context! {
            field => format!("achieved_{i}"),
            label => format!("{} (visé : {} {})", ind.name, ind.target, ind.unit),
        }).collect::<Vec<_>>(),
        filed => filed.as_ref().map(|f| filed_shown(portal, f)),
    };
    let page = errors_page("final_report.html", errors, data);
    form_page(portal, req, page.visitor(visitor))
}

/// The report as filed: its state, the city's reason when it asks for changes, each line
/// planned beside carried out, the indicators achieved against their targets, the summary and
/// the annex.
pub(super) fn filed_shown(portal: &Portal, file: &ReportFile) -> Value {
    let stored = &file.report;
    let report = &stored.report;
    context! {
        status => stored.status.label(),
        filed_on => city_date(portal, stored.filed_at),
        filed_by => stored.filed_by,
        reason => stored.review_reason,
        indicators => report.indicators.iter().map(|i| context! {
            name => i.name,
            achieved => format!("{} {}", i.achieved, i.unit),
            target => format!("{} {}", i.target, i.unit),
        }).collect::<Vec<_>>(),
        summary => report.summary,
        beneficiaries => report.beneficiaries_reached,
        annex => report.annex,
        lines => compare(&file.plan, &stored.report.budget).iter().map(|l| context! {
            label => format!("{} · {}", l.account, l.label),
            planned => euros(l.planned_cents),
            voted => l.voted_cents.map(euros),
            actual => euros(l.actual_cents),
            share => l.achieved_basis_points.map(percent),
            significant => l.significant,
        }).collect::<Vec<_>>(),
    }
}

#[get("/demandes/{id}/compte-rendu")]
pub async fn report_view(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    report_page(&portal, &req, &visitor, path.into_inner(), None, &[]).await
}

/// Files the report (first, or again once the city asked for changes); every mistake comes
/// back at its field with what was typed.
#[post("/demandes/{id}/compte-rendu")]
pub async fn file_report(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let form = typed.clone();
    let notifier = portal.runtime.notifier.clone();
    let filed = portal
        .runtime
        .write(move |conn| {
            let (_, request) =
                simpa_app::requests::load_readable(conn, subject, RequestId::from_uuid(id), false)?;
            match filing_of(&form, &request.content) {
                Ok(filing) => {
                    final_reports::file(conn, subject, request.id, filing, now, &notifier)
                        .map(|_| Ok(()))
                }
                Err(errors) => Ok(Err(errors)),
            }
        })
        .await;
    let errors = match filed {
        Ok(Ok(())) => return see_other(&format!("/demandes/{id}/compte-rendu")),
        Ok(Err(errors)) => errors,
        Err(RunError::Store(StoreError::Domain(
            DomainError::Conflict { message, .. } | DomainError::NotPermitted { message, .. },
            // The form may be gone (a report under review): said at the top of the page.
        ))) => vec![crate::forms::field_error("contenu", message)],
        Err(error) => match field_errors(&error) {
            Some(errors) => errors.iter().map(form_field).collect(),
            None => return unless_hidden(&portal, error),
        },
    };
    unprocessable(report_page(&portal, &req, &visitor, id, Some(&typed), &errors).await)
}
