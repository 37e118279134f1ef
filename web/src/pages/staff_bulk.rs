//! One action on many requests at once, from the agents' list (`/agents/demandes/lot`):
//! declare them admissible, ask each for the same documents, or dispatch them to the same
//! directions. Each request goes through the use case it goes through alone, in a transaction
//! of its own: one refused leaves the others done, and none half-done. The page that answers
//! says, request by request, what was done or why not.

use super::staff_actions::command;
use super::staff_list::BULK;
use super::typed::{Typed, field};
use crate::Portal;
use crate::answers::{not_found_page, said, unless_hidden};
use crate::csrf::Posted;
use crate::render::Page;
use crate::session::Visitor;
use actix_web::{HttpResponse, post, web};
use minijinja::{Value, context};
use simpa_app::access::require;
use simpa_app::deliberations;
use simpa_app::instruction::act_as_reader;
use simpa_app::requests;
use simpa_app::runtime::RunError;
use simpa_domain::circuit::ActionKind;
use simpa_domain::ids::RequestId;
use simpa_domain::policy::Action;
use simpa_domain::{DomainError, Violation};
use simpa_persistence::StoreError;
use uuid::Uuid;

/// At most this many requests in one go.
const MOST: usize = 200;

/// The action chosen, on each request chosen: what it did to each.
#[post("/agents/demandes/lot")]
pub async fn act_on_many(
    portal: web::Data<Portal>,
    visitor: Visitor,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let Some(action) = ActionKind::from_code(field(&typed, "action")).filter(|a| BULK.contains(a))
    else {
        return not_found_page(&portal);
    };
    let subject = visitor.subject();
    // Only the city's agents act in bulk; what each may do is then each request's business.
    if let Err(error) = portal
        .runtime
        .read(move |conn| require(conn, subject, Action::FollowRequests))
        .await
    {
        return unless_hidden(&portal, error);
    }
    let chosen: Vec<Uuid> = typed
        .iter()
        .filter(|(_, value)| value.as_str() == "oui")
        .filter_map(|(name, _)| name.strip_prefix("choisie-"))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .take(MOST)
        .collect();
    // Put on a deliberation's agenda: the one chosen.
    let deliberation = Uuid::parse_str(field(&typed, "schedule-deliberation")).ok();
    let mut outcomes: Vec<Value> = Vec::new();
    for id in chosen {
        let (now, notifier, form) = (
            portal.runtime.city_now(),
            portal.runtime.notifier.clone(),
            typed.clone(),
        );
        // The deed in its own transaction: refused, it is rolled back whole.
        let done = portal
            .runtime
            .write(move |conn| {
                let request = RequestId::from_uuid(id);
                if action == ActionKind::Schedule {
                    let Some(deliberation) = deliberation else {
                        let unchosen = Violation::new(
                            "form",
                            "Choisissez la délibération où inscrire les demandes.",
                        );
                        return Err(DomainError::invalid("deliberation", unchosen).into());
                    };
                    return deliberations::schedule(
                        conn,
                        subject,
                        deliberation,
                        request,
                        None,
                        now,
                        &notifier,
                    );
                }
                let (signed, request) = requests::load_readable(conn, subject, request, true)?;
                match command(conn, action, &form, now.today())? {
                    Ok(command) => {
                        act_as_reader(conn, &signed, request, command, now, &notifier).map(|_| ())
                    }
                    Err(errors) => Err(DomainError::Invalid(errors).into()),
                }
            })
            .await;
        let why = match done {
            Ok(()) => None,
            Err(RunError::Store(StoreError::Domain(refusal))) => Some(said(refusal)),
            Err(error) => return unless_hidden(&portal, error),
        };
        // What it is called, as the agent may read it (nothing for what they may not).
        let named = portal
            .runtime
            .read(move |conn| {
                let (_, request) =
                    requests::load_readable(conn, subject, RequestId::from_uuid(id), false)?;
                Ok((request.number.map(|n| n.to_string()), request.content.title))
            })
            .await;
        let (number, title) = named.unwrap_or((None, "Demande introuvable".to_owned()));
        outcomes.push(context! {
            id => id.to_string(), number => number, title => title,
            done => why.is_none(), why => why,
        });
    }
    let done = outcomes
        .iter()
        .filter(|o| o.get_attr("done").is_ok_and(|d| d.is_true()))
        .count();
    let data = context! {
        action => action.label(),
        back => deliberation.filter(|_| action == ActionKind::Schedule).map(|d| format!("/agents/deliberations/{d}")),
        outcomes => outcomes.clone(),
        done => done,
        refused => outcomes.len() - done,
    };
    Page::new("staff_bulk.html", data)
        .visitor(&visitor)
        .answer(&portal)
}
