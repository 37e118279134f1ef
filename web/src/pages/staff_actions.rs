//! What the city's agents do to a request from its page: each action the circuit allows them
//! now is a form that says what it will do (declare it admissible, reject it, ask for
//! documents, dispatch it, give an opinion, change the proposed amount). Each runs the same
//! use case as through the API; a mistake comes back at its field, nothing done.

use super::staff::{After, OFFERED, named, request_page};
use super::typed::{self, Typed, field};
use crate::Portal;
use crate::answers::{not_found_page, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{field_error, refused_at};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, post, web};
use simpa_app::final_reports;
use simpa_app::grants::{self, RepaymentOrder};
use simpa_app::instruction::{act_as_reader, ask_documents, dispatch};
use simpa_app::requests;
use simpa_domain::circuit::{ActionKind, AskReason, AskedInput, Command, OpinionValue};
use simpa_domain::ids::{DirectionId, RequestId};
use simpa_domain::{DomainError, FieldError};
use uuid::Uuid;

/// An action's form, sent: the action done, then the request's page again, saying so; or the
/// page with what to fix at its fields.
#[post("/agents/demandes/{id}/actions")]
pub async fn act(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let Some(action) =
        ActionKind::from_code(field(&typed, "action")).filter(|a| OFFERED.contains(a))
    else {
        return not_found_page(&portal);
    };
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let notifier = portal.runtime.notifier.clone();
    let form = typed.clone();
    let done = portal
        .runtime
        .write(move |conn| {
            let request_id = RequestId::from_uuid(id);
            // A final report's review is the use case of its own that the API runs too.
            match action {
                ActionKind::AcceptFinalReport => {
                    final_reports::accept(conn, subject, request_id, now, &notifier)?;
                    return Ok(Ok(()));
                }
                ActionKind::OrderRepayment => {
                    let mut errors = vec![];
                    let amount = typed::euros(&form, &named(action, "amount"), &mut errors);
                    let breach_on = typed::date(&form, &named(action, "breach_on"), &mut errors);
                    if !errors.is_empty() {
                        return Ok(Err(errors));
                    }
                    let order = RepaymentOrder {
                        amount_cents: amount.filter(|c| *c > 0),
                        breach_on,
                        reason: field(&form, &named(action, "reason")).trim().to_owned(),
                    };
                    grants::order_repayment(conn, subject, request_id, order, now, &notifier)?;
                    return Ok(Ok(()));
                }
                ActionKind::AskReportChanges => {
                    let reason = field(&form, &named(action, "reason")).trim().to_owned();
                    final_reports::ask_changes(conn, subject, request_id, &reason, now, &notifier)?;
                    return Ok(Ok(()));
                }
                _ => {}
            }
            let (signed, request) = requests::load_readable(conn, subject, request_id, true)?;
            let command = match command(conn, action, &form, now.today())? {
                Ok(command) => command,
                Err(errors) => return Ok(Err(errors)),
            };
            act_as_reader(conn, &signed, request, command, now, &notifier)?;
            Ok(Ok(()))
        })
        .await;
    let errors = match done {
        Ok(Ok(())) => return see_other(&format!("/agents/demandes/{id}?fait={}", action.code())),
        Ok(Err(errors)) => errors,
        Err(error) => match refused_at(&error, |f| at_field(action, f), &named(action, "action")) {
            Some(errors) => errors,
            None => return unless_hidden(&portal, error),
        },
    };
    request_page(
        &portal,
        &req,
        &visitor,
        id,
        After::Refused(Some(action), errors, typed),
    )
    .await
}

/// Where a rule's refusal is said on the action's form: at its field when the form has one,
/// otherwise at the form itself.
fn at_field(action: ActionKind, rule_field: &str) -> String {
    let field = match rule_field {
        "proposed_cents" => "proposed",
        "amount_cents" => "amount",
        "breach_on" => "breach_on",
        "lead_direction_id" => "lead",
        "message" | "reason" | "due_on" | "public_comment" | "internal_comment" | "opinion" => {
            rule_field
        }
        _ => "action",
    };
    named(action, field)
}

/// The command a form asks for, read as typed (amounts in euros, dates, the boxes ticked),
/// each reading's mistake said at its field; the rules then check it as the API's.
pub(super) fn command(
    conn: &mut simpa_persistence::DbConnection,
    action: ActionKind,
    typed: &Typed,
    today: chrono::NaiveDate,
) -> simpa_persistence::StoreResult<Result<Command, Vec<FieldError>>> {
    let text = |name: &str| field(typed, &named(action, name)).trim().to_owned();
    let optional = |name: &str| Some(text(name)).filter(|t| !t.is_empty());
    let mut errors = vec![];
    let command = match action {
        ActionKind::DeclareAdmissible => Command::DeclareAdmissible {
            message: optional("message"),
        },
        ActionKind::RejectInadmissible => Command::RejectInadmissible {
            reason: text("reason"),
        },
        ActionKind::OverrideProposal => Command::OverrideProposal {
            proposed_cents: typed::euros(typed, &named(action, "proposed"), &mut errors)
                .unwrap_or(0),
            reason: text("reason"),
        },
        ActionKind::GiveOpinion => {
            let value = OpinionValue::from_code(&text("opinion"));
            if value.is_none() {
                errors.push(field_error(
                    &named(action, "opinion"),
                    "Choisissez l'avis : favorable, réservé ou défavorable.",
                ));
            }
            let proposed = typed::euros(typed, &named(action, "proposed"), &mut errors);
            match value {
                Some(value) if errors.is_empty() => Command::GiveOpinion {
                    value,
                    proposed_cents: proposed.unwrap_or(0),
                    public_comment: optional("public_comment"),
                    internal_comment: optional("internal_comment"),
                },
                _ => return Ok(Err(errors)),
            }
        }
        ActionKind::AskDocuments => {
            let reason = AskReason::from_code(&text("ask_reason"));
            if reason.is_none() {
                errors.push(field_error(
                    &named(action, "ask_reason"),
                    "Choisissez pourquoi ces pièces sont demandées.",
                ));
            }
            // Said above when missing; nothing is asked then.
            let reason = reason.unwrap_or(AskReason::Missing);
            let items: Vec<AskedInput> = typed
                .iter()
                .filter(|(_, value)| value.as_str() == "oui")
                .filter_map(|(name, _)| name.strip_prefix(&named(action, "kind-")))
                .map(|kind| AskedInput {
                    document_kind: Some(kind.to_owned()),
                    field: None,
                    reason,
                })
                .collect();
            if items.is_empty() {
                errors.push(field_error(
                    &named(action, "action"),
                    "Cochez au moins une pièce à demander.",
                ));
            }
            let due_on = typed::date(typed, &named(action, "due_on"), &mut errors)
                .unwrap_or(today + chrono::Days::new(15));
            if !errors.is_empty() {
                return Ok(Err(errors));
            }
            ask_documents(conn, items, text("message"), due_on)?
        }
        ActionKind::Dispatch => {
            let lead = Uuid::parse_str(&text("lead"))
                .ok()
                .map(DirectionId::from_uuid);
            let co: Vec<DirectionId> = typed
                .iter()
                .filter(|(_, value)| value.as_str() == "oui")
                .filter_map(|(name, _)| name.strip_prefix(&named(action, "co-")))
                .filter_map(|id| Uuid::parse_str(id).ok().map(DirectionId::from_uuid))
                .collect();
            let Some(lead) = lead else {
                errors.push(field_error(
                    &named(action, "lead"),
                    "Choisissez la direction pilote.",
                ));
                return Ok(Err(errors));
            };
            dispatch(conn, lead, co)?
        }
        _ => {
            return Err(DomainError::NotFound { what: "action" }.into());
        }
    };
    Ok(if errors.is_empty() {
        Ok(command)
    } else {
        Err(errors)
    })
}
