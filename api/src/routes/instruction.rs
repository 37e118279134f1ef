//! Actions on a request along its circuit: submit, check, ask for documents, dispatch, give
//! opinions, withdraw… One route; the circuit (`domain/src/circuit.rs`) decides.

use crate::auth::Caller;
use crate::codes::{AskReasonCode, OpinionCode};
use crate::idempotency::{Attempt, IdempotencyKey, Replay};
use crate::input::{Json, said};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use crate::views::requests::{RequestView, file_view};
use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use simpa_app::instruction;
use simpa_app::requests::load_readable;
use simpa_domain::circuit::{AskedInput, Command};
use simpa_domain::ids::{DirectionId, RequestId};
use simpa_persistence::{DbConnection, StoreResult};
use utoipa::ToSchema;
use uuid::Uuid;

/// One thing asked of the association: a kind of document or a field of the request.
#[derive(Clone, Deserialize, ToSchema)]
pub struct AskedItemInput {
    /// A kind code (`GET /api/v1/document-kinds`).
    pub document_kind: Option<String>,
    /// A field of the request (`budget`, `summary`…).
    pub field: Option<String>,
    pub reason: AskReasonCode,
}

/// An action, named by `action`, with what it carries.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionInput {
    /// The association submits its draft: everything is checked at once.
    Submit,
    /// The bureau (or the town hall, on the local circuit) finds the request complete.
    DeclareAdmissible {
        message: Option<String>,
    },
    /// Documents or information are asked of the association, by a date.
    AskDocuments {
        items: Vec<AskedItemInput>,
        message: String,
        #[serde(deserialize_with = "said::date")]
        due_on: NaiveDate,
    },
    /// The association sends the request back, completed.
    Resubmit {
        message: Option<String>,
    },
    RejectInadmissible {
        reason: String,
    },
    /// The bureau names the lead direction and any co-instructing ones.
    Dispatch {
        #[serde(deserialize_with = "said::uuid")]
        lead_direction_id: Uuid,
        #[serde(default, deserialize_with = "said::uuids")]
        co_direction_ids: Vec<Uuid>,
    },
    /// A direction instructing the request (or the town hall) gives its opinion.
    GiveOpinion {
        opinion: OpinionCode,
        proposed_cents: i64,
        public_comment: Option<String>,
        internal_comment: Option<String>,
    },
    /// The bureau changes the amount instruction proposed, saying why.
    OverrideProposal {
        proposed_cents: i64,
        reason: String,
    },
    /// The association withdraws its request, before any decision.
    Withdraw {
        reason: Option<String>,
    },
}

impl ActionInput {
    /// The command, its references checked against the data.
    fn into_command(self, conn: &mut DbConnection) -> StoreResult<Command> {
        Ok(match self {
            ActionInput::Submit => Command::Submit,
            ActionInput::DeclareAdmissible { message } => Command::DeclareAdmissible { message },
            ActionInput::Resubmit { message } => Command::Resubmit { message },
            ActionInput::RejectInadmissible { reason } => Command::RejectInadmissible { reason },
            ActionInput::OverrideProposal {
                proposed_cents,
                reason,
            } => Command::OverrideProposal {
                proposed_cents,
                reason,
            },
            ActionInput::Withdraw { reason } => Command::Withdraw { reason },
            ActionInput::GiveOpinion {
                opinion,
                proposed_cents,
                public_comment,
                internal_comment,
            } => Command::GiveOpinion {
                value: opinion.0,
                proposed_cents,
                public_comment,
                internal_comment,
            },
            ActionInput::AskDocuments {
                items,
                message,
                due_on,
            } => {
                let items = items
                    .into_iter()
                    .map(|item| AskedInput {
                        document_kind: item.document_kind,
                        field: item.field,
                        reason: item.reason.0,
                    })
                    .collect();
                instruction::ask_documents(conn, items, message, due_on)?
            }
            ActionInput::Dispatch {
                lead_direction_id,
                co_direction_ids,
            } => {
                let co = co_direction_ids
                    .into_iter()
                    .map(DirectionId::from_uuid)
                    .collect();
                instruction::dispatch(conn, DirectionId::from_uuid(lead_direction_id), co)?
            }
        })
    }
}

/// Acts on a request. What is possible depends on its state and on who acts (the request's
/// `possible_actions` lists it): 409 names what is possible when the state does not allow the
/// action, 403 when someone else must act, 422 lists every unmet condition (a submission
/// with a missing document, an unbalanced budget…). Send `Idempotency-Key` to retry safely.
#[utoipa::path(
    tag = "requests",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = ActionInput,
    responses(
        (status = 200, body = RequestView, headers(("ETag" = String))),
        (status = 403, response = responses::Forbidden),
        (status = 409, response = responses::Conflict),
    )
)]
#[post("/requests/{request_id}/actions")]
pub async fn act_on_request(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    path: web::Path<Uuid>,
    body: Json<ActionInput>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let attempt = Attempt::new(
        key,
        "request_action",
        &[id.to_string().as_bytes(), &body.raw],
    );
    let input = body.value;
    let now = state.city_now();
    let notifier = state.notifier.clone();
    let outcome: Result<RequestView, Replay> = state
        .write(move |conn| {
            let (signed, request) = load_readable(conn, caller.0, id, true)?;
            if let Some(replay) = attempt.replay(conn, &signed.actor)? {
                return Ok(Err(replay));
            }
            let command = input.into_command(conn)?;
            let file = instruction::act_as_reader(conn, &signed, request, command, now, &notifier)?;
            let view = file_view(conn, &signed.actor, file, now)?;
            // Answered with its ETag alone (not created: no Location).
            let headers = [("ETag", crate::etag::etag(view.version))];
            attempt.remember(conn, &signed.actor, 200, &headers, &view, now.at)?;
            Ok(Ok(view))
        })
        .await?;
    Ok(match outcome {
        Ok(view) => crate::etag::with_etag(HttpResponse::Ok(), view.version, &view),
        Err(replay) => replay.into_response(),
    })
}
