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
use simpa_domain::text::has_control_characters;
use simpa_domain::{FieldError, Violation};

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
        let limit = req.app_data::<JsonLimit>().map_or(1024 * 1024, |l| l.0);
        let format = body_format(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if format != Some(BodyFormat::Json) {
                return Err(unsupported_media_type());
            }
            let raw = read_body(&mut payload, limit).await?;
            Ok(Json {
                value: parse_json(&raw)?,
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
            match (parse_json::<A>(&raw), parse_json::<B>(&raw)) {
                (Ok(first), Ok(second)) => Ok(JsonPair { first, second, raw }),
                (Err(a), Err(b)) => Err(a.merged_with(b)),
                (Err(problem), _) | (_, Err(problem)) => Err(problem),
            }
        })
    }
}

/// A body in JSON or, as OAuth 2.0 clients send it, `application/x-www-form-urlencoded`.
pub struct JsonOrForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonOrForm<T> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<JsonLimit>().map_or(1024 * 1024, |l| l.0);
        let format = body_format(req);
        let mut payload = payload.take();
        Box::pin(async move {
            let Some(format) = format else {
                return Err(unsupported_media_type());
            };
            let raw = read_body(&mut payload, limit).await?;
            match format {
                BodyFormat::Json => parse_json(&raw).map(JsonOrForm),
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

fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, Problem> {
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
    let invalid =
        |path: String, message: String| Problem::invalid(vec![field_error(&path, &message)]);
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let error = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => {
            deserializer.end().map_err(|e| malformed(&e))?;
            return Ok(value);
        }
        Err(error) => error,
    };
    let (path, inner) = (error.path().to_string(), error.into_inner());
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return Err(malformed(&inner));
    }
    if !inner
        .to_string()
        .starts_with("invalid type: floating point")
    {
        return Err(invalid(path, inner.to_string()));
    }
    // A number with a fraction where an integer is expected: read again, with the integers
    // written as decimals (`1430035.0`) as the integers they are. A `Value` keeps the last of
    // a key given twice, which the first reading refused: refused here too.
    serde_path_to_error::deserialize::<_, UniqueKeys>(&mut serde_json::Deserializer::from_slice(
        raw,
    ))
    .map_err(|error| invalid(error.path().to_string(), error.into_inner().to_string()))?;
    let mut value: serde_json::Value = serde_json::from_slice(raw).map_err(|e| malformed(&e))?;
    integers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        invalid(path, error.into_inner().to_string())
    })
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

/// Turns serde's English message into a field error people can read, in French: serde's own
/// words never reach a person (what is not recognised is logged and said plainly). The path
/// serde gives for a missing field is the enclosing object's; the field's own name is in the
/// message. An error of the body as a whole is named `body`, never an empty field.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_owned);
    let at = |v: Violation, field: String| v.at(field);
    let path = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    let join = |parent: &str, name: &str| {
        if parent == "body" {
            name.to_owned()
        } else {
            format!("{parent}.{name}")
        }
    };
    // What serde lists after "expected one of", each quoted.
    let permitted = || {
        let listed = message.split("expected ").nth(1).unwrap_or_default();
        listed
            .trim_start_matches("one of ")
            .split(", ")
            .map(|v| format!("« {} »", v.trim_matches('`')))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = quoted(rest).unwrap_or_default();
        return at(
            Violation::new("field.required", "Ce champ est obligatoire."),
            join(&path, &name),
        );
    }
    if message.starts_with("unknown variant ") {
        let given = quoted(message).unwrap_or_default();
        return at(
            Violation::new(
                "field.unknown_value",
                format!(
                    "La valeur « {given} » n'est pas permise ; valeurs permises : {}.",
                    permitted()
                ),
            ),
            path,
        );
    }
    if message.starts_with("unknown field ") {
        let given = quoted(message).unwrap_or_default();
        return at(
            Violation::new(
                "field.unknown",
                format!("Champ inconnu ; champs permis : {}.", permitted()),
            ),
            join(&path, &given),
        );
    }
    if message.starts_with("duplicate field ") {
        let given = quoted(message).unwrap_or_default();
        // serde names the object, or already the key given twice.
        let field = if path.rsplit('.').next() == Some(given.as_str()) {
            path
        } else {
            join(&path, &given)
        };
        return at(
            Violation::new("field.duplicate", "Ce champ est donné deux fois."),
            field,
        );
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let expected = expected_in_french(rest.split(", expected ").nth(1).unwrap_or_default());
        return at(
            Violation::new(
                "field.invalid_value",
                format!("Valeur invalide : on attend {expected}."),
            ),
            path,
        );
    }
    // A list where an object was expected (serde reads a struct from a list too).
    if message.starts_with("invalid length ") && message.contains("expected struct") {
        return at(
            Violation::new(
                "field.invalid_type",
                "Type de valeur incorrect : on attend un objet.",
            ),
            path,
        );
    }
    if message.starts_with("invalid length ") {
        return at(
            Violation::new(
                "field.invalid_length",
                "Le nombre d'éléments de cette liste n'est pas celui attendu.",
            ),
            path,
        );
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let expected = expected_in_french(rest.split(", expected ").nth(1).unwrap_or_default());
        return at(
            Violation::new(
                "field.invalid_type",
                format!("Type de valeur incorrect : on attend {expected}."),
            ),
            path,
        );
    }
    // chrono's words for a date or a time it cannot read.
    if [
        "premature end of input",
        "input contains invalid characters",
        "input is out of range",
        "input is not enough",
        "trailing input",
        "no possible date and time",
    ]
    .iter()
    .any(|m| message.starts_with(m))
    {
        return at(
            Violation::new(
                "field.invalid_value",
                "Date ou heure illisible : une date s'écrit AAAA-MM-JJ, une heure AAAA-MM-JJTHH:MM:SS avec son fuseau (+01:00).",
            ),
            path,
        );
    }
    // uuid's words for an identifier it cannot read.
    if message.starts_with("invalid character")
        || message.starts_with("invalid group")
        || message.starts_with("invalid length: expected")
    {
        return at(
            Violation::new(
                "field.invalid_value",
                "Identifiant illisible : on attend un UUID (8-4-4-4-12 chiffres hexadécimaux).",
            ),
            path,
        );
    }
    tracing::debug!(%message, %path, "a body's value not read, said plainly");
    at(
        Violation::new("field.invalid_value", "Valeur invalide pour ce champ."),
        path,
    )
}

/// What serde says it expected, for a French sentence.
fn expected_in_french(expected: &str) -> String {
    let kind = match expected {
        "a boolean" => "un booléen (true ou false)",
        "a string" | "a borrowed string" => "une chaîne de caractères",
        "a sequence" => "une liste",
        "a map" => "un objet",
        e if e.starts_with("struct ") || e.starts_with("internally tagged enum") => "un objet",
        e if e.starts_with('u') => "un nombre entier positif",
        e if e.starts_with('i') => "un nombre entier",
        e if e.starts_with('f') => "un nombre",
        "a formatted date string" | "a formatted date" => "une date AAAA-MM-JJ",
        "UUID" | "a UUID string" => "un identifiant UUID",
        e if e.contains("date") || e.contains("time") => "une date ou une heure",
        _ => "une autre valeur",
    };
    kind.to_owned()
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
    use super::field_error;

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

    #[test]
    fn serde_messages_become_named_french_field_errors() {
        let missing = field_error(".", "missing field `name` at line 1 column 2");
        assert_eq!(
            (missing.field.as_str(), missing.code),
            ("name", "field.required")
        );
        let nested = field_error("address", "missing field `city`");
        assert_eq!(nested.field, "address.city");
        let variant = field_error(
            "role",
            "unknown variant `owner`, expected one of `president`, `treasurer`",
        );
        assert_eq!(
            (variant.field.as_str(), variant.code),
            ("role", "field.unknown_value")
        );
        assert!(
            variant.message.contains("« owner »")
                && variant.message.contains("« president », « treasurer »"),
            "{}",
            variant.message
        );
        let wrong = field_error(
            "directory_consent",
            "invalid type: string \"yes\", expected a boolean at line 1 column 30",
        );
        assert_eq!(
            (wrong.field.as_str(), wrong.code),
            ("directory_consent", "field.invalid_type")
        );
        assert_eq!(
            wrong.message,
            "Type de valeur incorrect : on attend un booléen (true ou false)."
        );
        let number = field_error("limit", "invalid type: string \"x\", expected u32");
        assert!(
            number.message.contains("nombre entier"),
            "{}",
            number.message
        );
        // Whatever serde says, a person reads French, at a field named as it was sent.
        for (path, message, field, code) in [
            (
                "payment_days",
                "invalid value: integer `-1`, expected u32",
                "payment_days",
                "field.invalid_value",
            ),
            (
                ".",
                "unknown field `colour`, expected one of `name`, `email`",
                "colour",
                "field.unknown",
            ),
            (
                "address",
                "duplicate field `city`",
                "address.city",
                "field.duplicate",
            ),
            (
                "items",
                "invalid length 3, expected a tuple of size 2",
                "items",
                "field.invalid_length",
            ),
            (
                "start_date",
                "input contains invalid characters",
                "start_date",
                "field.invalid_value",
            ),
            (
                "id",
                "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `z` at 1",
                "id",
                "field.invalid_value",
            ),
            (
                ".",
                "invalid type: sequence, expected struct RequestFields",
                "body",
                "field.invalid_type",
            ),
            (
                ".",
                "invalid length 0, expected struct Registration with 3 elements",
                "body",
                "field.invalid_type",
            ),
            (
                "x",
                "something serde never said",
                "x",
                "field.invalid_value",
            ),
        ] {
            let error = field_error(path, message);
            assert_eq!(
                (error.field.as_str(), error.code),
                (field, code),
                "{message}"
            );
            let slips = simpa_domain::french::slips(&error.message);
            assert!(slips.is_empty(), "{message} → {}: {slips:?}", error.message);
        }
    }
}
