//! The payments the city owes (`/agents/versements`, for finance and the bureau): every grant
//! with money due now, the longest due first, the late marked with their days; and for
//! finance, beside each, the form that records a payment made (never more than is due, once
//! per reference, as through the API). And the money owed back (`/agents/reversements`): the
//! repayments ordered and not yet settled, with the form that records their settlement.

use super::listing::{self, EXPORT_PAGE, Frame};
use super::staff::chosen;
use super::typed::{self, Typed, field};
use crate::Portal;
use crate::answers::{city_date, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::exports::{Cell, Spreadsheet};
use crate::forms::{errors_page, field_error, form_page, refused_at};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::grants::{self, Payment};
use simpa_app::saved_filters;
use simpa_domain::FieldError;
use simpa_domain::french::long_french_date;
use simpa_domain::funding::{days_late, owed};
use simpa_domain::ids::{CampaignId, RequestId};
use simpa_domain::listing::PaymentOrder;
use simpa_domain::money::euros;
use simpa_domain::policy::Action;
use simpa_domain::saved_filter::FilteredList;
use simpa_persistence::grants::DueFilter;
use uuid::Uuid;

/// How many grants the page lists at once.
const SHOWN: usize = 50;

/// The payments due as finance filters and orders them.
#[derive(Deserialize, Default)]
pub struct DueQuery {
    /// Only the late (`oui`).
    en_retard: Option<String>,
    campagne: Option<String>,
    arrondissement: Option<String>,
    /// Due from and up to these days, as typed.
    du: Option<String>,
    au: Option<String>,
    tri: Option<String>,
    /// What was just done: a payment recorded (`oui`), a filter saved or deleted.
    fait: Option<String>,
    apres: Option<String>,
}

impl DueQuery {
    /// The filter it asks for on `today`, and the days typed wrong, said at their fields.
    fn filter(&self, today: NaiveDate) -> (DueFilter, Vec<FieldError>) {
        let mut errors = vec![];
        let filter = DueFilter {
            due_before: (chosen(&self.en_retard) == Some("oui")).then_some(today),
            due_from: listing::day("du", &self.du, &mut errors),
            due_until: listing::day("au", &self.au, &mut errors),
            campaign: chosen(&self.campagne)
                .and_then(|c| Uuid::parse_str(c).ok())
                .map(CampaignId::from_uuid),
            district: listing::district(&self.arrondissement),
            order: chosen(&self.tri)
                .and_then(PaymentOrder::from_code)
                .unwrap_or_default(),
        };
        (filter, errors)
    }

    fn criteria(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("en_retard", &self.en_retard),
            ("campagne", &self.campagne),
            ("arrondissement", &self.arrondissement),
            ("du", &self.du),
            ("au", &self.au),
            ("tri", &self.tri),
        ]
    }
}

/// The grants with money due now, as finance filters and orders them.
#[get("/agents/versements")]
pub async fn payments_due(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<DueQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let done = match query.fait.as_deref() {
        Some("oui") => {
            Some("Versement enregistré. L'association le voit sur la page de sa demande.")
        }
        fait => listing::filter_done(fait),
    };
    due_page(&portal, &req, &visitor, &query, done, None).await
}

/// The page of payments due as `query` filters it, after `done`, or with a form's `errors`
/// (and what was typed): a payment's at its grant's form, a filter's saving.
pub(super) async fn due_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    query: &DueQuery,
    done: Option<&str>,
    refused: Option<(Vec<FieldError>, Typed)>,
) -> HttpResponse {
    let (subject, today) = (visitor.subject(), portal.runtime.city_now().today());
    let (filter, mut errors) = query.filter(today);
    let from = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| {
            let page = grants::payments_due(conn, subject, &filter, from.as_ref(), SHOWN)?;
            let campaigns = simpa_app::campaigns::list(conn, subject, None, None)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            let saved = saved_filters::visible(conn, subject, FilteredList::Payments)?;
            Ok((page, campaigns, directions, saved))
        })
        .await;
    let (page, campaigns, directions, (saved, services)) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            let owed_cents = owed(d.payable_cents, d.paid_cents);
            context! {
                id => d.request.to_string(),
                number => d.number,
                association => d.association_name,
                granted => euros(d.cents),
                paid => euros(d.paid_cents),
                owed => euros(owed_cents),
                owed_typed => (owed_cents / 100).to_string(),
                due_on => long_french_date(d.due_on),
                late => days_late(d.due_on, today),
            }
        })
        .collect();
    let (refusal, typed) = refused.unwrap_or_default();
    errors.extend(refusal);
    let data = context! {
        items => items,
        done => done,
        today => today.to_string(),
        campaigns => campaigns.iter().map(|c| context! { code => c.id.to_string(), label => c.settings.title }).collect::<Vec<_>>(),
        districts => listing::districts(),
        orders => listing::orders(PaymentOrder::ALL, PaymentOrder::code, PaymentOrder::label),
        chosen => context! {
            en_retard => query.en_retard, campagne => query.campagne,
            arrondissement => query.arrondissement, tri => query.tri,
            du => listing::typed_day(&query.du), au => listing::typed_day(&query.au),
        },
        typed => typed.clone(),
        ..Frame {
            list: FilteredList::Payments,
            criteria: &query.criteria(),
            next: page.next.as_ref().map(simpa_app::cursor::encode),
            paged: query.apres.is_some(),
            filters: &saved,
            services: &services,
            directions: &directions,
            me: subject,
            typed,
        }.shown()
    };
    let page = errors_page("staff_payments.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// The columns of the payments due as a spreadsheet.
const COLUMNS: &[&str] = &[
    "Numéro",
    "Association",
    "Subvention",
    "Déjà versé",
    "Reste dû",
    "Échéance",
    "Jours de retard",
];

/// The payments due as filtered and ordered, every page of them, as a spreadsheet.
#[get("/agents/versements.{format:(csv|xlsx)}")]
pub async fn payments_export(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<DueQuery>,
) -> HttpResponse {
    let format = Spreadsheet::of_extension(&path);
    let (subject, today) = (visitor.subject(), portal.runtime.city_now().today());
    let (filter, _) = query.filter(today);
    let names = ("versements", "Versements dus");
    listing::download(&portal, format, names, COLUMNS, move |conn, sheet| {
        listing::write_pages(
            sheet,
            |after| grants::payments_due(conn, subject, &filter, after, EXPORT_PAGE),
            |d| {
                vec![
                    Cell::Text(d.number.clone().unwrap_or_default()),
                    Cell::Text(d.association_name.clone()),
                    Cell::Euros(Some(d.cents)),
                    Cell::Euros(Some(d.paid_cents)),
                    Cell::Euros(Some(owed(d.payable_cents, d.paid_cents))),
                    Cell::Day(Some(d.due_on)),
                    Cell::Text(days_late(d.due_on, today).to_string()),
                ]
            },
        )
    })
    .await
}

/// A payment made on a grant, as finance records it: its amount in euros, the day it was
/// paid and its reference in the city's accounts.
#[post("/agents/versements/{request}")]
pub async fn record_payment(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let request = path.into_inner();
    let name = |f: &str| format!("{request}-{f}");
    let mut errors = vec![];
    let amount = typed::euros(&form, &name("amount"), &mut errors);
    let paid_on = typed::date(&form, &name("paid_on"), &mut errors);
    if paid_on.is_none() && errors.is_empty() {
        errors.push(field_error(
            &name("paid_on"),
            "Saisissez le jour du versement.",
        ));
    }
    let reference = field(&form, &name("reference")).trim().to_owned();
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    if errors.is_empty() {
        let payment = Payment {
            amount_cents: amount.unwrap_or(0),
            paid_on: paid_on.unwrap_or_default(),
            reference,
        };
        let id = RequestId::from_uuid(request);
        let notifier = portal.runtime.notifier.clone();
        let recorded = portal
            .runtime
            .write(move |conn| grants::record_payment(conn, subject, id, payment, now, &notifier))
            .await;
        match recorded {
            Ok(_) => return see_other("/agents/versements?fait=oui"),
            Err(error) => {
                let at = |rule: &str| match rule {
                    "paid_on" | "reference" => name(rule),
                    _ => name("amount"),
                };
                match refused_at(&error, at, &name("amount")) {
                    Some(refused) => errors.extend(refused),
                    None => return unless_hidden(&portal, error),
                }
            }
        }
    }
    let query = DueQuery::default();
    due_page(&portal, &req, &visitor, &query, None, Some((errors, form))).await
}

#[derive(Deserialize)]
pub struct SettledQuery {
    fait: Option<String>,
}

/// The repayments ordered and not yet settled, the oldest first; and for finance, beside each,
/// the form that records the day it was settled (once every repayment of a grant is, its file
/// closes if all that was paid came back or its final report was accepted).
#[get("/agents/reversements")]
pub async fn repayments(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<SettledQuery>,
) -> HttpResponse {
    let done = query.fait.is_some();
    repayments_page(&portal, &req, &visitor, done, None).await
}

async fn repayments_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    done: bool,
    refused: Option<(Vec<FieldError>, Typed)>,
) -> HttpResponse {
    let subject = visitor.subject();
    let found = portal
        .runtime
        .read(move |conn| {
            let listed = grants::repayments_to_settle(conn, subject)?;
            let settles = require(conn, subject, Action::ManagePayments).is_ok();
            Ok((listed, settles))
        })
        .await;
    let (listed, settles) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let (errors, typed) = refused.unwrap_or_default();
    let data = context! {
        items => listed.iter().map(|r| context! {
            request => r.repayment.request.to_string(),
            id => r.repayment.id.to_string(),
            number => r.number,
            association => r.association_name,
            amount => euros(r.repayment.cents),
            reason => r.repayment.reason,
            breach_on => r.repayment.breach_on.map(long_french_date),
            ordered_by => r.repayment.ordered_by,
            ordered_on => city_date(portal, r.repayment.ordered_at),
        }).collect::<Vec<_>>(),
        settles => settles,
        done => done,
        today => portal.runtime.city_now().today().to_string(),
        typed => typed,
    };
    let page = errors_page("staff_repayments.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// A repayment settled, on the day finance says.
#[post("/agents/reversements/{request}/{repayment}")]
pub async fn settle(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let (request, repayment) = path.into_inner();
    let name = format!("{repayment}-settled_on");
    let mut errors = vec![];
    let settled_on = typed::date(&form, &name, &mut errors);
    if settled_on.is_none() && errors.is_empty() {
        errors.push(field_error(&name, "Saisissez le jour du règlement."));
    }
    if let (Some(settled_on), true) = (settled_on, errors.is_empty()) {
        let (subject, now) = (visitor.subject(), portal.runtime.city_now());
        let id = RequestId::from_uuid(request);
        let notifier = portal.runtime.notifier.clone();
        let settled = portal
            .runtime
            .write(move |conn| {
                grants::settle_repayment(conn, subject, id, repayment, settled_on, now, &notifier)
                    .map(|_| ())
            })
            .await;
        match settled {
            Ok(()) => return see_other("/agents/reversements?fait=oui"),
            Err(error) => match refused_at(&error, |_| name.clone(), &name) {
                Some(refused) => errors.extend(refused),
                None => return unless_hidden(&portal, error),
            },
        }
    }
    repayments_page(&portal, &req, &visitor, false, Some((errors, form))).await
}
