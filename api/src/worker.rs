//! Background work inside `simpa serve`: the outbox worker, which sends what the outbox holds
//! (at least once: a message is marked sent only after the server accepted it; one taken by a
//! worker that died is taken again when its lease runs out), and the daily jobs.

use crate::mail::{Mailer, SendFailure};
use crate::state::AppState;
use crate::webhooks::Webhooks;
use actix_web::web;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::join_all;
use simpa_domain::outbox::{AfterFailure, after_failure};
use simpa_persistence::outbox::{self, Channel, Message};
use simpa_persistence::webhooks;
use std::panic::AssertUnwindSafe;
use tokio::sync::watch;
use uuid::Uuid;

/// How long a stopping worker lets the messages it is sending finish.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Sends due messages until told to stop. Stopping lets the messages being sent finish for a
/// few seconds, then gives the lease of the others back, so that another node sends them at
/// once (a crash leaves the lease to run out), and drops the SMTP connections while the runtime
/// still runs.
pub async fn deliver(state: web::Data<AppState>, mut stop: watch::Receiver<bool>) {
    // Built here, inside the runtime: lettre's pooled SMTP transport spawns a task.
    let mailer = match Mailer::new(&state.config.mail) {
        Ok(mailer) => mailer,
        Err(reason) => {
            tracing::error!(%reason, "e-mail cannot be sent: the outbox worker does not start");
            return;
        }
    };
    let webhooks = match crate::webhooks::client(&state.config.webhook_allowed_hosts) {
        Ok(webhooks) => webhooks,
        Err(reason) => {
            tracing::error!(%reason, "webhooks cannot be called: the outbox worker does not start");
            return;
        }
    };
    loop {
        // Whole microseconds (the clock's, plus whole seconds): compared with what was stored.
        let lease = state.now() + state.config.outbox.lease;
        // A panic in a round (a bug) ends that round only: the panic hook has logged and
        // counted it, what it had taken is sent again when its lease runs out.
        let round = AssertUnwindSafe(async {
            #[cfg(feature = "faults")]
            if state.faults.worker_must_panic() {
                panic!("fault injected by a test, in the outbox worker");
            }
            deliver_due(&state, &mailer, &webhooks, lease).await
        })
        .catch_unwind();
        tokio::pin!(round);
        let taken = tokio::select! {
            taken = &mut round => taken,
            _ = stop.changed() => {
                // What is being sent may finish and be recorded; what is left is given back.
                let _ = tokio::time::timeout(STOP_GRACE, &mut round).await;
                match state.write(move |conn| outbox::release(conn, lease)).await {
                    Ok(0) => {}
                    Ok(released) => tracing::info!(released, "outbox messages given back on stopping"),
                    Err(problem) => tracing::warn!(%problem, "the outbox lease could not be given back"),
                }
                return;
            }
        };
        match taken {
            // A full batch: more may be waiting.
            Ok(Ok(taken)) if taken as i64 >= state.config.outbox.batch => continue,
            Ok(Ok(_)) => {}
            Ok(Err(problem)) => tracing::warn!(%problem, "the outbox could not be read"),
            Err(_) => tracing::error!("an outbox round panicked; the worker goes on"),
        }
        tokio::select! {
            _ = tokio::time::sleep(state.config.outbox.poll) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Takes the due messages and sends them; returns how many were taken. Messages to different
/// recipients go out side by side; those to one recipient go in the order they were queued,
/// and once one fails the others wait for its retry, so that a receiver down costs one
/// attempt per round, not one per message.
pub async fn deliver_due(
    state: &AppState,
    mailer: &Mailer,
    webhooks: &Webhooks,
    lease: DateTime<Utc>,
) -> Result<usize, crate::problem::Problem> {
    let now = state.now();
    let batch = state.config.outbox.batch;
    let messages = state
        .write(move |conn| outbox::claim(conn, now, lease, batch))
        .await?;
    let taken = messages.len();
    let mut by_recipient: Vec<Vec<Message>> = Vec::new();
    for message in messages {
        match by_recipient
            .iter_mut()
            .find(|queue| queue[0].recipient == message.recipient)
        {
            Some(queue) => queue.push(message),
            None => by_recipient.push(vec![message]),
        }
    }
    let queues = by_recipient.into_iter().map(|queue| async move {
        let mut queue = queue.into_iter();
        while let Some(message) = queue.next() {
            if let Some(retry_at) = deliver_one(state, mailer, webhooks, message, lease).await? {
                let rest: Vec<Uuid> = queue.map(|m| m.id).collect();
                if !rest.is_empty() {
                    state
                        .write(move |conn| outbox::postpone(conn, &rest, lease, retry_at))
                        .await?;
                }
                break;
            }
        }
        Ok::<(), crate::problem::Problem>(())
    });
    join_all(queues)
        .await
        .into_iter()
        .collect::<Result<(), _>>()?;
    Ok(taken)
}

/// Sends one message taken under `lease` and records how it went: sent, given up, or to try
/// again at the time returned.
async fn deliver_one(
    state: &AppState,
    mailer: &Mailer,
    webhooks: &Webhooks,
    message: Message,
    lease: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, crate::problem::Problem> {
    let attempts = message.attempts + 1;
    let result = match message.channel {
        Channel::Email => mailer.send(&state.config.mail.from, &message).await,
        Channel::Webhook => {
            let endpoint = match message.recipient.parse() {
                Ok(id) => state.read(move |conn| webhooks::get(conn, id)).await?,
                Err(_) => None,
            };
            match endpoint {
                Some(endpoint) => {
                    crate::webhooks::deliver(webhooks, &endpoint, &message, state.now()).await
                }
                None => Err(SendFailure {
                    permanent: true,
                    reason: "no such endpoint".into(),
                }),
            }
        }
    };
    let now = state.now();
    let (id, queued_at) = (message.id, message.created_at);
    let failure = match result {
        Ok(()) => {
            state
                .write(move |conn| outbox::mark_sent(conn, id, lease, attempts, now))
                .await?;
            return Ok(None);
        }
        Err(failure) => failure,
    };
    let retry_at = match after_failure(
        &state.config.outbox.backoff,
        attempts,
        queued_at,
        now,
        failure.permanent,
    ) {
        AfterFailure::RetryAt(at) => Some(at),
        AfterFailure::GiveUp => None,
    };
    if retry_at.is_none() {
        tracing::warn!(%id, reason = %failure.reason, attempts, "a message is given up");
    } else {
        tracing::info!(%id, reason = %failure.reason, attempts, "a message will be sent again");
    }
    let reason = failure.reason;
    state
        .write(move |conn| outbox::mark_failed(conn, id, lease, attempts, &reason, retry_at, now))
        .await?;
    Ok(retry_at)
}
