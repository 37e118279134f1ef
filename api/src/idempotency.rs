//! `Idempotency-Key` on creating POSTs: a retried call is answered like the first one and
//! never creates twice. The key is recorded in the same transaction as what it created.

use crate::problem::Problem;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::future::{Ready, ready};
use serde::Serialize;
use simpa_domain::policy::Actor;
use simpa_domain::{DomainError, Violation};
use simpa_persistence::idempotency::{self, StoredResponse};
use simpa_persistence::{DbConnection, StoreError, StoreResult, locks};

const HEADER: &str = "Idempotency-Key";

/// The key sent by the client, if any.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(HEADER) else {
            return ready(Ok(IdempotencyKey(None)));
        };
        let key = value.to_str().ok().map(str::trim).filter(|k| {
            (1..=MAX_KEY_LENGTH).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
        });
        ready(match key {
            Some(key) => Ok(IdempotencyKey(Some(key.to_owned()))),
            None => Err(Problem::bad_request(
                "query.invalid",
                "L'en-tête Idempotency-Key n'est pas valide.",
                vec![
                    Violation::new(
                        "idempotency_key.invalid",
                        format!("1 à {MAX_KEY_LENGTH} caractères ASCII visibles."),
                    )
                    .at(HEADER),
                ],
            )),
        })
    }
}

/// The header, as the OpenAPI document shows it (`params(IdempotencyKey)`), with the rule
/// `from_request` applies.
impl utoipa::IntoParams for IdempotencyKey {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{Required, schema::ObjectBuilder, schema::Type};
        vec![
            ParameterBuilder::new()
                .name(HEADER)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(format!(
                    "Any unique string of 1 to {MAX_KEY_LENGTH} visible ASCII characters: a retry with the same key and body is answered like the first call, and acts only once."
                )))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(MAX_KEY_LENGTH))
                        .pattern(Some("^[!-~]+$")),
                ))
                .build(),
        ]
    }
}

/// A key is 1 to this many visible ASCII characters (`!` to `~`, the document's pattern).
const MAX_KEY_LENGTH: usize = 255;

/// The first answer, to give again.
pub struct Replay(StoredResponse);

impl Replay {
    pub fn into_response(self) -> HttpResponse {
        let mut response =
            HttpResponse::build(StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::OK));
        let headers: Vec<(String, String)> =
            serde_json::from_str(&self.0.headers).unwrap_or_default();
        for header in headers {
            response.insert_header(header);
        }
        response
            .content_type("application/json")
            .insert_header(("Idempotent-Replayed", "true"))
            .body(self.0.body)
    }
}

/// One call that a retry must not repeat: the key sent, what the call does, and a fingerprint
/// of what it was asked (the body, and whatever else names its target).
#[derive(Clone)]
pub struct Attempt {
    key: IdempotencyKey,
    operation: &'static str,
    fingerprint: String,
}

impl Attempt {
    pub fn new(key: IdempotencyKey, operation: &'static str, asked: &[&[u8]]) -> Attempt {
        Attempt {
            key,
            operation,
            fingerprint: crate::auth::secrets::sha256_hex(&asked.concat()),
        }
    }

    /// The first answer again, when this caller already made this call under this key; an
    /// error when the key served another call.
    pub fn replay(&self, conn: &mut DbConnection, caller: &Actor) -> StoreResult<Option<Replay>> {
        replay(
            conn,
            &owner(caller),
            &self.key,
            self.operation,
            &self.fingerprint,
        )
    }

    /// Records the answer (status, headers, body) under the key, if one was sent.
    pub fn remember<T: Serialize>(
        &self,
        conn: &mut DbConnection,
        caller: &Actor,
        status: u16,
        headers: &[(&str, String)],
        body: &T,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        remember(
            conn,
            &owner(caller),
            &self.key,
            self.operation,
            &self.fingerprint,
            (status, headers),
            body,
            now,
        )
    }
}

/// Whose keys these are: a person's, or an API client's.
fn owner(actor: &Actor) -> String {
    match actor {
        Actor::Person { id, .. } => id.to_string(),
        Actor::Service { id, .. } => format!("service:{id}"),
        Actor::Anonymous => "anonymous".into(),
    }
}

/// The earlier answer when this key was already used for the same call; an error when it was
/// used for a different one.
fn replay(
    conn: &mut DbConnection,
    owner: &str,
    key: &IdempotencyKey,
    operation: &str,
    fingerprint: &str,
) -> StoreResult<Option<Replay>> {
    let Some(key) = &key.0 else { return Ok(None) };
    // Calls with the same key take turns: the second sees the first's answer once it is stored.
    locks::lock_names(conn, &[&format!("idempotency:{owner}:{key}")])?;
    match idempotency::find(conn, owner, key)? {
        None => Ok(None),
        Some(stored) if stored.operation == operation && stored.request_hash == fingerprint => Ok(Some(Replay(stored))),
        Some(_) => Err(DomainError::invalid(
            HEADER,
            Violation::new("idempotency_key.reused", "Cette clé d'idempotence a déjà servi pour une autre requête : utilisez-en une nouvelle."),
        )
        .into()),
    }
}

#[allow(clippy::too_many_arguments)]
fn remember<T: Serialize>(
    conn: &mut DbConnection,
    owner: &str,
    key: &IdempotencyKey,
    operation: &str,
    fingerprint: &str,
    (status, headers): (u16, &[(&str, String)]),
    body: &T,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(key) = &key.0 else { return Ok(()) };
    let unserialisable =
        |e: serde_json::Error| StoreError::Corrupt(format!("response not serialisable: {e}"));
    let response = StoredResponse {
        operation: operation.to_owned(),
        request_hash: fingerprint.to_owned(),
        status,
        headers: serde_json::to_string(headers).map_err(unserialisable)?,
        body: serde_json::to_string(body).map_err(unserialisable)?,
    };
    idempotency::store(conn, owner, key, &response, now)
}

/// The answer to a creating call: 201 with the resource and its headers (`ETag`,
/// `Location`), or the first answer again for a retry.
pub fn created<T: Serialize>(
    outcome: Result<T, Replay>,
    headers: impl FnOnce(&T) -> Vec<(&'static str, String)>,
) -> HttpResponse {
    match outcome {
        Ok(view) => {
            let mut response = HttpResponse::Created();
            for header in headers(&view) {
                response.insert_header(header);
            }
            response.json(view)
        }
        Err(replay) => replay.into_response(),
    }
}
