//! The grants, for finance and the bureau (`/agents/subventions`): every grant by request
//! number, of a budget year, those with money left to pay; and a grant's page: the amount
//! voted, the vote, the agreement, the payments, the final report and the repayments, with
//! for finance the schedule of its payments to set (it adds up to the amount voted, and
//! holds once the first payment is made or the association signs its agreement).

use super::requests::grant_shown;
use super::staff::DoneQuery;
use super::staff::chosen;
use super::typed::{self, Typed, field};
use crate::Portal;
use crate::answers::{see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{errors_page, field_error, form_page, refused_at};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::grants::{self, Followed};
use simpa_domain::FieldError;
use simpa_domain::french::long_french_date;
use simpa_domain::funding::{Installment, InstallmentDue, MAX_INSTALLMENTS};
use simpa_domain::ids::RequestId;
use simpa_domain::money::euros;
use simpa_domain::policy::Action;
use simpa_persistence::grants::Grant;
use uuid::Uuid;

const LIST: &str = "/agents/subventions";

/// How many grants a page lists.
const SHOWN: usize = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    annee: Option<String>,
    a_verser: Option<String>,
    apres: Option<String>,
}

#[get("/agents/subventions")]
pub async fn grant_list(
    portal: web::Data<Portal>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let mut errors = vec![];
    let year = chosen(&query.annee).and_then(|y| {
        y.parse::<i32>().ok().or_else(|| {
            errors.push(field_error(
                "annee",
                "Saisissez une année, par exemple 2027.",
            ));
            None
        })
    });
    let unpaid = query.a_verser.as_deref() == Some("oui");
    let subject = visitor.subject();
    let after = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| grants::list(conn, subject, year, unpaid, after.as_ref(), SHOWN))
        .await;
    let page = match found {
        Ok(page) => page,
        Err(error) => return unless_hidden(&portal, error),
    };
    let address = |after: Option<String>| {
        let pairs: Vec<(&str, String)> = [
            ("annee", year.map(|y| y.to_string())),
            ("a_verser", unpaid.then(|| "oui".to_owned())),
            ("apres", after),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        format!(
            "{LIST}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let data = context! {
        items => page.items.iter().map(|g| context! {
            id => g.request.to_string(),
            number => g.number,
            association => g.association_name,
            granted => euros(g.cents),
            paid => euros(g.paid_cents),
            left => euros((g.cents - g.paid_cents).max(0)),
            voted_on => long_french_date(g.voted_on),
            year => g.year,
        }).collect::<Vec<_>>(),
        annee => query.annee,
        unpaid => unpaid,
        next => page.next.as_ref().map(|n| address(Some(simpa_app::cursor::encode(n)))),
        first => query.apres.as_ref().map(|_| address(None)),
    };
    errors_page("staff_grants.html", &errors, data)
        .visitor(&visitor)
        .answer(&portal)
}

#[get("/agents/subventions/{id}")]
pub async fn grant_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = query.fait.is_some();
    shown(
        &portal,
        &req,
        &visitor,
        path.into_inner(),
        done,
        vec![],
        Typed::new(),
    )
    .await
}

/// A grant's page, after its schedule was set (`done`) or with the schedule's `errors`.
async fn shown(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    done: bool,
    errors: Vec<FieldError>,
    typed: Typed,
) -> HttpResponse {
    let subject = visitor.subject();
    let request = RequestId::from_uuid(id);
    let found = portal
        .runtime
        .read(move |conn| {
            let readable = grants::read(conn, subject, request)?;
            let repayments = grants::repayments(conn, subject, request)?;
            let deliberation =
                simpa_persistence::deliberations::get(conn, readable.grant.deliberation)?;
            let association =
                simpa_persistence::associations::name(conn, readable.request.association)?;
            let manages = require(conn, subject, Action::ManagePayments).is_ok();
            Ok((readable, repayments, deliberation, association, manages))
        })
        .await;
    let (readable, repayments, deliberation, association, manages) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let request = readable.request;
    let followed = Followed {
        grant: readable.grant,
        agreement: readable.agreement,
        deliberation,
    };
    let data = context! {
        id => id.to_string(),
        number => request.number.map(|n| n.to_string()),
        title => request.content.title,
        association => association,
        grant => grant_shown(&followed, request.content.requested_cents, id),
        repayments => repayments.iter().map(|r| context! {
            amount => euros(r.cents),
            reason => r.reason,
            settled_on => r.settled_on.map(long_french_date),
        }).collect::<Vec<_>>(),
        schedule => manages.then(|| schedule_form(&followed.grant, &typed)),
        done => done,
    };
    let page = errors_page("staff_grant.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// The form of a grant's schedule: its installments, and one line more to add one.
fn schedule_form(grant: &Grant, typed: &Typed) -> Value {
    let lines = (grant.installments.len() + 1).min(MAX_INSTALLMENTS);
    context! {
        version => grant.version,
        dues => InstallmentDue::ALL.iter().map(|d| context! { code => d.code(), label => d.label() }).collect::<Vec<_>>(),
        lines => (0..lines).map(|i| {
            let stored = grant.installments.get(i);
            let (amount, due) = (format!("tranche-{i}-montant"), format!("tranche-{i}-echeance"));
            context! {
                amount_field => amount,
                due_field => due,
                amount => typed.get(&amount).cloned().or_else(|| stored.map(|s| (s.cents / 100).to_string())),
                due => typed.get(&due).cloned().or_else(|| stored.map(|s| s.due.code().to_owned())),
                number => i + 1,
            }
        }).collect::<Vec<_>>(),
    }
}

/// A grant's schedule as finance sets it, from the version read: each line typed an amount
/// in euros and when it falls due (a line left empty is none).
#[post("/agents/subventions/{id}/echeancier")]
pub async fn set_schedule(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let mut errors = vec![];
    let typed_lines: Vec<usize> = (0..MAX_INSTALLMENTS)
        .filter(|i| {
            !field(&form, &format!("tranche-{i}-montant"))
                .trim()
                .is_empty()
        })
        .collect();
    let mut installments = vec![];
    for i in &typed_lines {
        let cents = typed::euros(&form, &format!("tranche-{i}-montant"), &mut errors);
        let due = InstallmentDue::from_code(field(&form, &format!("tranche-{i}-echeance")))
            .unwrap_or(InstallmentDue::OnNotification);
        if let Some(cents) = cents {
            installments.push(Installment { cents, due });
        }
    }
    let first = "tranche-0-montant";
    if errors.is_empty() {
        let version = field(&form, "version").parse::<i64>().ok();
        let (subject, now) = (visitor.subject(), portal.runtime.city_now());
        let request = RequestId::from_uuid(id);
        let saved = portal
            .runtime
            .write(move |conn| {
                grants::set_schedule(conn, subject, request, version, installments, now).map(|_| ())
            })
            .await;
        match saved {
            Ok(()) => return see_other(&format!("{LIST}/{id}?fait=echeancier")),
            Err(error) => {
                // `installments[1].cents` is the second line typed.
                let at = |rule: &str| {
                    rule.strip_prefix("installments[")
                        .and_then(|r| r.split(']').next())
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| typed_lines.get(i))
                        .map_or_else(
                            || first.to_owned(),
                            |line| format!("tranche-{line}-montant"),
                        )
                };
                match refused_at(&error, at, first) {
                    Some(refused) => errors.extend(refused),
                    None => return unless_hidden(&portal, error),
                }
            }
        }
    }
    shown(&portal, &req, &visitor, id, false, errors, form).await
}
