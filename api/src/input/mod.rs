//! Reading request input: JSON bodies and query strings. A malformed body, a wrong type or an
//! unknown enum value becomes a problem naming the field, never a 500.

use crate::problem::Problem;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use simpa_domain::Violation;
use simpa_domain::text::has_control_characters;
use words::field_error;

mod every_error;
mod words;

use every_error::{Reading, read_every_error};
pub use every_error::{answer_every_error, refused_in_this_call, said};

/// The largest JSON body accepted, set from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

/// A JSON body, deserialised, with its raw bytes (for idempotency fingerprints).
pub struct Json<T> {
    pub value: T,
    pub raw: Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body_of(req, payload, &[BodyFormat::Json]);
        Box::pin(async move {
            let (_, raw) = body.await?;
            Ok(Json {
                value: read_json(&raw)?.for_this_call()?,
                raw,
            })
        })
    }
}

/// A JSON object read as two structs, each naming its own fields in errors: what serde's
/// `flatten` does, without losing the name of an offending field of the flattened struct
/// (serde reports it at the object's root). Errors of both are given at once.
pub struct JsonPair<A, B> {
    pub first: A,
    pub second: B,
    pub raw: Bytes,
}

impl<A: DeserializeOwned + 'static, B: DeserializeOwned + 'static> FromRequest for JsonPair<A, B> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Json::<serde::de::IgnoredAny>::from_request(req, payload);
        Box::pin(async move {
            let raw = body.await?.raw;
            let (first, second) = (read_json::<A>(&raw)?, read_json::<B>(&raw)?);
            let both = Reading {
                value: first.value.zip(second.value),
                refused: [first.refused, second.refused].concat(),
            };
            let (first, second) = both.for_this_call()?;
            Ok(JsonPair { first, second, raw })
        })
    }
}

/// A body in JSON or, as OAuth 2.0 clients send it, `application/x-www-form-urlencoded`.
pub struct JsonOrForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonOrForm<T> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body_of(req, payload, &[BodyFormat::Json, BodyFormat::Form]);
        Box::pin(async move {
            let (format, raw) = body.await?;
            match format {
                BodyFormat::Json => read_json(&raw)?.strictly().map(JsonOrForm),
                BodyFormat::Form => {
                    let parsed = form_urlencoded::parse(&raw);
                    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(parsed))
                        .map(JsonOrForm)
                        .map_err(|error| {
                            Problem::invalid(vec![field_error(
                                &error.path().to_string(),
                                &error.into_inner().to_string(),
                            )])
                        })
                }
            }
        })
    }
}

/// The body of a call in one of the `accepted` formats (415 otherwise, before it is read),
/// read whole within the configured limit.
fn read_body_of(
    req: &HttpRequest,
    payload: &mut Payload,
    accepted: &'static [BodyFormat],
) -> impl Future<Output = Result<(BodyFormat, Bytes), Problem>> + 'static {
    let limit = req.app_data::<JsonLimit>().map_or(1024 * 1024, |l| l.0);
    let format = body_format(req).filter(|f| accepted.contains(f));
    let mut payload = payload.take();
    async move {
        let format = format.ok_or_else(unsupported_media_type)?;
        Ok((format, read_body(&mut payload, limit).await?))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFormat {
    Json,
    Form,
}

fn body_format(req: &HttpRequest) -> Option<BodyFormat> {
    let mime = req.mime_type().ok().flatten()?;
    if mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json") {
        Some(BodyFormat::Json)
    } else if mime.subtype() == "x-www-form-urlencoded" {
        Some(BodyFormat::Form)
    } else {
        None
    }
}

fn unsupported_media_type() -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "content_type.unsupported",
        "Le corps de la requête doit être du JSON (Content-Type: application/json).",
    )
}

/// A client that sends nothing of its body for this long has gone: its call is abandoned.
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A JSON body (1 MiB by default) arrives within this time, however it trickles.
const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// Reads the whole body, refusing it as soon as it exceeds `limit`, stalls or trickles past
/// the deadline (408).
async fn read_body(payload: &mut Payload, limit: usize) -> Result<Bytes, Problem> {
    let mut body = BytesMut::new();
    let idle = || {
        Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "body.idle",
            "L'envoi du corps de la requête s'est interrompu ou traîne trop : recommencez.",
        )
    };
    let deadline = tokio::time::Instant::now() + BODY_DEADLINE;
    loop {
        let until = (tokio::time::Instant::now() + IDLE_TIMEOUT).min(deadline);
        let Some(chunk) = tokio::time::timeout_at(until, payload.next())
            .await
            .map_err(|_| idle())?
        else {
            break;
        };
        let chunk = chunk.map_err(|_| {
            Problem::bad_request(
                "body.unreadable",
                "Le corps de la requête n'a pas pu être lu.",
                vec![],
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Reads a JSON body as `T`, noting every value refused (see `every_error`); JSON that does not
/// parse is refused at once (400).
fn read_json<T: DeserializeOwned>(raw: &[u8]) -> Result<Reading<T>, Problem> {
    let malformed = |e: &serde_json::Error| {
        Problem::bad_request(
            "json.malformed",
            format!(
                "Le corps de la requête n'est pas du JSON valide (ligne {}, colonne {}).",
                e.line(),
                e.column()
            ),
            vec![],
        )
    };
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => {
            deserializer.end().map_err(|e| malformed(&e))?;
            return Ok(Reading {
                value: Some(value),
                refused: Vec::new(),
            });
        }
        Err(error) if error.inner().is_syntax() || error.inner().is_eof() => {
            return Err(malformed(error.inner()));
        }
        Err(_) => {}
    }
    // Read again from a `Value`, with the integers written as decimals (`1430035.0`) as the
    // integers they are. A `Value` keeps the last of a key given twice, which serde refuses
    // in an object it reads: refused here first.
    let twice = serde_path_to_error::deserialize::<_, UniqueKeys>(
        &mut serde_json::Deserializer::from_slice(raw),
    )
    .err()
    .map(|error| field_error(&error.path().to_string(), &error.into_inner().to_string()));
    let mut value: serde_json::Value = serde_json::from_slice(raw).map_err(|e| malformed(&e))?;
    integers_as_integers(&mut value);
    Ok(read_every_error(
        &mut value,
        twice.into_iter().collect(),
        raw.len(),
    ))
}

#[cfg(test)]
fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, Problem> {
    read_json(raw)?.strictly()
}

/// A JSON document read only to refuse an object that gives a key twice (as serde refuses a
/// field given twice), whatever its shape.
struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.insert(key.clone()) {
                map.next_value::<UniqueKeys>()?;
            } else {
                // Refused as its value is read, so that the error's path names the key.
                map.next_value_seed(Duplicate(key))?;
            }
        }
        Ok(UniqueKeys)
    }
}

/// The value of a key given twice: refused.
struct Duplicate(String);

impl<'de> serde::de::DeserializeSeed<'de> for Duplicate {
    type Value = UniqueKeys;

    fn deserialize<D: serde::Deserializer<'de>>(self, _: D) -> Result<UniqueKeys, D::Error> {
        Err(serde::de::Error::custom(format!(
            "duplicate field `{}`",
            self.0
        )))
    }
}

/// JSON Schema counts `1430035.0` as an integer, as the API's document says its integer
/// fields are: such numbers are read as the integers they are (up to 2^53, past which a
/// double no longer holds every integer; a number read as a double, `1.00000000000000001`
/// is `1.0`).
fn integers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() <= EXACT
            {
                // Exact: |float| <= 2^53 fits an i64.
                *number = serde_json::Number::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integers_as_integers),
        _ => {}
    }
}

pub fn too_large(limit: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body.too_large",
        format!("Le corps de la requête dépasse la taille permise ({limit} octets)."),
    )
}

/// How a table is answered (`?format=`): JSON, the default, or CSV for spreadsheets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

/// Query-string parameters, deserialised.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let invalid = Problem::invalid_query;
        let parsed = form_urlencoded::parse(req.query_string().as_bytes());
        if let Some((name, _)) = parsed
            .clone()
            .find(|(name, value)| has_control_characters(name) || has_control_characters(value))
        {
            let violation = Violation::new(
                "text.control_character",
                "Ce paramètre contient des caractères de contrôle invisibles.",
            );
            return ready(Err(invalid(vec![violation.at(name.into_owned())])));
        }
        ready(
            serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(parsed))
                .map(Query)
                .map_err(|error| {
                    let path = error.path().to_string();
                    let message = error.into_inner().to_string();
                    invalid(vec![field_error(&path, &message)])
                }),
        )
    }
}

/// Refuses, before reading anything, an upload whose body declares more than it may hold.
pub fn check_upload_length(req: &HttpRequest, limit: u64) -> Result<(), Problem> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    Ok(simpa_files::upload::check_declared_length(declared, limit)?)
}

/// Reads an upload (its text `fields`, those that may come several times, `lists`, and
/// maybe a file), once the store has room for it: the form, and the room, held until the
/// file is kept.
pub async fn read_upload<'a>(
    state: &crate::state::AppState,
    blobs: &'a simpa_files::store::BlobStore,
    multipart: actix_multipart::Multipart,
    fields: &[&str],
    lists: &[&str],
) -> Result<
    (
        simpa_files::upload::UploadForm,
        simpa_files::store::Slot<'a>,
    ),
    Problem,
> {
    let wait = state.config.pool.connection_timeout;
    let slot = blobs.slot(wait).await.ok_or_else(Problem::unavailable)?;
    let expected = simpa_files::upload::Expected {
        fields,
        also: &[],
        lists,
        limit: state.config.upload_limit,
        idle: IDLE_TIMEOUT,
    };
    let form = simpa_files::upload::read_form(multipart, blobs, expected).await?;
    Ok((form, slot))
}

#[cfg(test)]
mod tests {

    #[derive(serde::Deserialize, Debug)]
    struct Amounts {
        cents: i64,
        lines: Vec<u32>,
    }

    #[test]
    fn integer_valued_numbers_are_integers_and_others_are_refused_by_name() {
        let read: Amounts =
            super::parse_json(br#"{"cents": 1430035.0, "lines": [1, 2.0, 3e2]}"#).unwrap();
        assert_eq!((read.cents, read.lines), (1_430_035, vec![1, 2, 300]));
        let refused = super::parse_json::<Amounts>(br#"{"cents": 1.5, "lines": []}"#).unwrap_err();
        assert_eq!(
            (
                refused.errors[0].field.as_str(),
                refused.errors[0].code.as_str()
            ),
            ("cents", "field.invalid_type")
        );
        let malformed =
            super::parse_json::<Amounts>(br#"{"cents": 1, "lines": []} trailing"#).unwrap_err();
        assert_eq!(malformed.code, "json.malformed");
        let twice =
            super::parse_json::<Amounts>(br#"{"cents": 1, "cents": 2, "lines": []}"#).unwrap_err();
        assert_eq!(
            (
                twice.errors[0].field.as_str(),
                twice.errors[0].code.as_str()
            ),
            ("cents", "field.duplicate"),
            "a key given twice"
        );
        // Also when the first reading stops at a decimal, before it sees the second key.
        let twice = super::parse_json::<Amounts>(br#"{"cents": 1.0, "cents": 2, "lines": []}"#)
            .unwrap_err();
        assert_eq!(
            (
                twice.errors[0].field.as_str(),
                twice.errors[0].code.as_str()
            ),
            ("cents", "field.duplicate"),
            "a key given twice, the first a decimal"
        );
        let nested = super::parse_json::<Amounts>(
            br#"{"cents": 1.0, "lines": [], "extra": {"a": 1, "a": 2}}"#,
        )
        .unwrap_err();
        assert_eq!(nested.errors[0].field.as_str(), "extra.a");
    }
}
