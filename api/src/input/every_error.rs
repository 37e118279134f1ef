//! Every error of a body, said at once. serde stops at the first value it cannot read; whoever
//! fixes a form, a treasurer or a direction's developer, wants them all, and the rules broken
//! by the other fields too. So a refused value is noted, a stand-in of the right type takes
//! its place (the rules' errors about it are not said), and the reading goes on. The call then
//! runs with the stand-ins, judged but never kept: [`crate::state::AppState::write`] rolls
//! its transaction back, and [`answer_every_error`] answers 422 with the refused values and
//! the rules the use case found broken elsewhere.

use super::words::field_error;
use crate::problem::Problem;
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use serde::de::DeserializeOwned;
use serde_json::Value;
use simpa_domain::FieldError;
use std::cell::RefCell;
use std::collections::VecDeque;

tokio::task_local! {
    /// The values refused in the body of the call being answered.
    static REFUSED: RefCell<Vec<FieldError>>;
}

/// A body read: its value (with stand-ins for the refused values), unless a refusal could not
/// be stood in for, and every value refused.
pub(super) struct Reading<T> {
    pub value: Option<T>,
    pub refused: Vec<FieldError>,
}

impl<T> Reading<T> {
    /// The value when nothing was refused; else the refusals, at once.
    pub fn strictly(self) -> Result<T, Problem> {
        match self.value {
            Some(value) if self.refused.is_empty() => Ok(value),
            _ => Err(Problem::invalid(self.refused)),
        }
    }

    /// The value, its refusals left for the call's answer when there are some and the call is
    /// answered by [`answer_every_error`]; else the refusals, at once.
    pub fn for_this_call(self) -> Result<T, Problem> {
        if self.refused.is_empty() || self.value.is_none() {
            return self.strictly();
        }
        let Reading { value, refused } = self;
        let kept = REFUSED
            .try_with(|pending| pending.borrow_mut().extend(refused.iter().cloned()))
            .is_ok();
        match value {
            Some(value) if kept => Ok(value),
            _ => Err(Problem::invalid(refused)),
        }
    }
}

/// Whether values of this call's body were refused and stand-ins took their place: what the
/// call does is then judged, never kept.
pub fn refused_in_this_call() -> bool {
    REFUSED
        .try_with(|pending| !pending.borrow().is_empty())
        .unwrap_or(false)
}

/// Answers a call whose body had refused values with every error at once: those values, and
/// the rules its use case found broken by other fields (what it said of a stand-in, or of a
/// field inside or around one, is not said). Whatever else it answered (a success judged on
/// stand-ins, a conflict, a refusal that may come of a stand-in) gives way to the refused
/// values. (A call without a valid token never gets here: `contract` answers it first.)
pub async fn answer_every_error(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    REFUSED
        .scope(RefCell::default(), async move {
            let response = next.call(req).await?;
            let refused = REFUSED.with(RefCell::take);
            if refused.is_empty() {
                return Ok(response.map_into_left_body());
            }
            let elsewhere: Vec<_> = response
                .response()
                .error()
                .and_then(|e| e.as_error::<Problem>())
                .filter(|p| p.code == "validation.failed")
                .map(|p| p.errors.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|broken| refused.iter().all(|r| !related(&r.field, &broken.field)))
                .collect();
            let answer = Problem::invalid(refused).with_more_errors(elsewhere);
            let (request, _) = response.into_parts();
            Ok(ServiceResponse::new(request, answer.error_response()).map_into_right_body())
        })
        .await
}

/// Whether two fields are one, or one holds the other (`budget` and `budget[2].label`).
fn related(a: &str, b: &str) -> bool {
    let holds = |outer: &str, inner: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    };
    holds(a, b) || holds(b, a)
}

/// Reads `raw` (JSON that parsed, with integers written as decimals made integers) as `T`:
/// each value serde refuses is noted and a stand-in put in its place, until `T` reads or a
/// refusal cannot be stood in for. The work is bounded: a large body has fewer tries.
pub(super) fn read_every_error<T: DeserializeOwned>(
    body: &mut Value,
    mut refused: Vec<FieldError>,
    size: usize,
) -> Reading<T> {
    let mut tries = (4 << 20) / size.max(1);
    tries = tries.clamp(8, 256);
    let mut refusal = match attempt::<T>(body) {
        Ok(value) => {
            return Reading {
                value: Some(value),
                refused,
            };
        }
        Err(refusal) => refusal,
    };
    if !body.is_object() {
        refused.push(not_an_object::<T>().unwrap_or_else(|| refusal.said()));
        return Reading {
            value: None,
            refused,
        };
    }
    // Where stand-ins were put: what serde then refuses inside one (the fields of an object
    // that stands in for a missing one) comes of the stand-in, and is not said.
    let mut stood_in: Vec<Vec<Step>> = Vec::new();
    loop {
        let Some(place) = locate(body, &refusal) else {
            refused.push(refusal.said());
            return Reading {
                value: None,
                refused,
            };
        };
        if !stood_in.iter().any(|outer| place.at.starts_with(outer)) {
            refused.push(refusal.said_at(&place.at));
        }
        match stand_in::<T>(body, &place, &refusal, &mut tries) {
            StandIn::Read(value) => {
                return Reading {
                    value: Some(value),
                    refused,
                };
            }
            StandIn::Next(next) => {
                stood_in.push(place.at);
                refusal = next;
            }
            StandIn::Stuck => {
                return Reading {
                    value: None,
                    refused,
                };
            }
        }
    }
}

/// The error of a body that is not the object `T` is read from (serde would name a value of
/// a list it reads as the object's fields, `[0]`); none when `T` is not read from an object.
fn not_an_object<T: DeserializeOwned>() -> Option<FieldError> {
    let empty = Value::Object(serde_json::Map::new());
    let read_from_an_object = match attempt::<T>(&empty) {
        Ok(_) => true,
        Err(refusal) => !refusal.message.starts_with("invalid type: map"),
    };
    read_from_an_object.then(|| super::words::not_an_object("body".to_owned()))
}

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// What serde refused, where it said it.
#[derive(Debug, PartialEq, Eq)]
struct Refusal {
    /// `None` when serde could not follow (an enum's variant).
    steps: Option<Vec<Step>>,
    path: String,
    message: String,
}

impl Refusal {
    /// As serde said it.
    fn said(&self) -> FieldError {
        field_error(&self.path, &self.message)
    }

    /// At the field it was found to be about.
    fn said_at(&self, at: &[Step]) -> FieldError {
        FieldError {
            field: shown(at),
            ..self.said()
        }
    }
}

fn shown(steps: &[Step]) -> String {
    let mut shown = String::new();
    for step in steps {
        match step {
            Step::Key(key) if shown.is_empty() => shown.push_str(key),
            Step::Key(key) => {
                shown.push('.');
                shown.push_str(key);
            }
            Step::Index(i) => shown.push_str(&format!("[{i}]")),
        }
    }
    if shown.is_empty() {
        "body".to_owned()
    } else {
        shown
    }
}

fn attempt<T: DeserializeOwned>(body: &Value) -> Result<T, Refusal> {
    serde_path_to_error::deserialize(body).map_err(|error| {
        use serde_path_to_error::Segment;
        let steps = error
            .path()
            .iter()
            .map(|segment| match segment {
                Segment::Map { key } => Some(Step::Key(key.clone())),
                Segment::Seq { index } => Some(Step::Index(*index)),
                Segment::Enum { .. } | Segment::Unknown => None,
            })
            .collect();
        Refusal {
            steps,
            path: error.path().to_string(),
            message: error.into_inner().to_string(),
        }
    })
}

/// Where a stand-in goes: at the field the refusal is about, put there or taken away.
struct Place {
    at: Vec<Step>,
    remove: bool,
}

/// The field a refusal is about. serde names the object for a missing or unknown field, the
/// field in its message; it names nothing inside an object read as a whole (an action named
/// by its `action`), where the field is the one value that is what serde says it refused.
fn locate(body: &Value, refusal: &Refusal) -> Option<Place> {
    let steps = refusal.steps.clone()?;
    let named = |prefix: &str| {
        let name = Step::Key(
            refusal
                .message
                .strip_prefix(prefix)?
                .split('`')
                .nth(1)?
                .into(),
        );
        let mut at = steps.clone();
        if at.last() != Some(&name) {
            at.push(name);
        }
        Some(at)
    };
    if let Some(at) = named("missing field ") {
        return Some(Place { at, remove: false });
    }
    if let Some(at) = named("unknown field ") {
        return Some(Place { at, remove: true });
    }
    if refusal.message.starts_with("duplicate field ") {
        return None;
    }
    if !steps.is_empty() {
        return Some(Place {
            at: steps,
            remove: false,
        });
    }
    let at = the_one_refused(body, &refusal.message)?;
    Some(Place { at, remove: false })
}

/// The one place in `body`, below its root, holding the value serde's message says it
/// refused (`invalid type: string "abc", expected i64`); none when several do.
fn the_one_refused(body: &Value, message: &str) -> Option<Vec<Step>> {
    let refused = if let Some(rest) = message.strip_prefix("unknown variant `") {
        format!("string {:?}", rest.split('`').next()?)
    } else {
        let rest = message
            .strip_prefix("invalid type: ")
            .or_else(|| message.strip_prefix("invalid value: "))?;
        rest[..rest.rfind(", expected ")?].to_owned()
    };
    if described(body).contains(&refused) {
        return None;
    }
    let mut found = Vec::new();
    let mut steps = Vec::new();
    find(body, &refused, &mut steps, &mut found);
    match found.len() {
        1 => found.pop(),
        _ => None,
    }
}

fn find(value: &Value, refused: &str, steps: &mut Vec<Step>, found: &mut Vec<Vec<Step>>) {
    let mut visit = |step: Step, inner: &Value| {
        steps.push(step);
        if described(inner).contains(&refused.to_owned()) {
            found.push(steps.clone());
        }
        find(inner, refused, steps, found);
        steps.pop();
    };
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                visit(Step::Key(key.clone()), inner);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                visit(Step::Index(i), inner);
            }
        }
        _ => {}
    }
}

/// How serde describes a value it refuses (`serde::de::Unexpected`, as serde_json says it).
fn described(value: &Value) -> Vec<String> {
    match value {
        Value::Null => vec!["null".into(), "unit value".into()],
        Value::Bool(b) => vec![format!("boolean `{b}`")],
        Value::Number(n) if n.is_i64() || n.is_u64() => vec![format!("integer `{n}`")],
        Value::Number(n) => vec![format!("floating point `{n}`")],
        Value::String(s) => vec![format!("string {s:?}")],
        Value::Array(_) => vec!["sequence".into()],
        Value::Object(_) => vec!["map".into()],
    }
}

enum StandIn<T> {
    /// With the stand-in, the body reads.
    Read(T),
    /// With the stand-in, the body stops at another refusal.
    Next(Refusal),
    /// No stand-in gets past this refusal.
    Stuck,
}

/// Values of the usual types, tried in turn as stand-ins; the values serde lists as permitted
/// come first.
fn stand_ins(message: &str) -> VecDeque<Value> {
    let mut values: VecDeque<Value> = permitted(message).collect();
    values.extend([
        Value::Null,
        Value::from(""),
        Value::from(0),
        Value::from(false),
        Value::Array(Vec::new()),
        Value::Object(serde_json::Map::new()),
        Value::from("00000000-0000-0000-0000-000000000000"),
        Value::from("2000-01-01"),
        Value::from("2000-01-01T00:00:00Z"),
    ]);
    values
}

/// The values serde lists as permitted, as JSON strings.
fn permitted(message: &str) -> impl Iterator<Item = Value> + '_ {
    super::words::permitted(message).map(Value::from)
}

fn stand_in<T: DeserializeOwned>(
    body: &mut Value,
    place: &Place,
    refusal: &Refusal,
    tries: &mut usize,
) -> StandIn<T> {
    let original = take(body, &place.at);
    let mut candidates = if place.remove {
        VecDeque::from([None])
    } else {
        stand_ins(&refusal.message).into_iter().map(Some).collect()
    };
    while let Some(candidate) = candidates.pop_front() {
        if *tries == 0 {
            break;
        }
        *tries -= 1;
        if let Some(value) = candidate
            && !put(body, &place.at, value)
        {
            break;
        }
        match attempt::<T>(body) {
            Ok(value) => return StandIn::Read(value),
            Err(next) => {
                // Whether it is still this place that is refused; when it cannot be told
                // where serde stopped, the stand-in is not trusted.
                let same = next == *refusal
                    || locate(body, &next).is_none_or(|p| p.at == place.at && !p.remove);
                if !same {
                    return StandIn::Next(next);
                }
                // An enum refused the stand-in: its values are now known.
                candidates.extend(permitted(&next.message).map(Some));
            }
        }
    }
    take(body, &place.at);
    if let Some(original) = original {
        put(body, &place.at, original);
    }
    StandIn::Stuck
}

/// The value at `at`, taken out (a list's item is left as null, for the next ones to keep
/// their index).
fn take(body: &mut Value, at: &[Step]) -> Option<Value> {
    let (last, parent) = at.split_last()?;
    match (parent_of(body, parent)?, last) {
        (Value::Object(fields), Step::Key(key)) => fields.remove(key),
        (Value::Array(items), Step::Index(i)) => items.get_mut(*i).map(Value::take),
        _ => None,
    }
}

/// Puts `value` at `at`; false when there is no such place.
fn put(body: &mut Value, at: &[Step], value: Value) -> bool {
    let Some((last, parent)) = at.split_last() else {
        return false;
    };
    match (parent_of(body, parent), last) {
        (Some(Value::Object(fields)), Step::Key(key)) => {
            fields.insert(key.clone(), value);
            true
        }
        (Some(Value::Array(items)), Step::Index(i)) if *i < items.len() => {
            items[*i] = value;
            true
        }
        _ => false,
    }
}

fn parent_of<'a>(body: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps
        .iter()
        .try_fold(body, |value, step| match (value, step) {
            (Value::Object(fields), Step::Key(key)) => fields.get_mut(key),
            (Value::Array(items), Step::Index(i)) => items.get_mut(*i),
            _ => None,
        })
}

/// Readers of values whose own refusals name no value (uuid's and chrono's words), for the
/// fields of an object serde reads as a whole (an action named by its `action`): refused as
/// serde refuses a value (`invalid value: string "x", expected …`), they are found by what
/// they are.
pub mod said {
    use serde::de::{Error, Unexpected};
    use serde::{Deserialize, Deserializer};

    fn parsed<'de, D: Deserializer<'de>, T: std::str::FromStr>(
        deserializer: D,
        expected: &'static str,
    ) -> Result<T, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|_| D::Error::invalid_value(Unexpected::Str(&text), &expected))
    }

    pub fn uuid<'de, D: Deserializer<'de>>(deserializer: D) -> Result<uuid::Uuid, D::Error> {
        parsed(deserializer, "a UUID string")
    }

    pub fn uuids<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<uuid::Uuid>, D::Error> {
        #[derive(Deserialize)]
        struct Said(#[serde(deserialize_with = "uuid")] uuid::Uuid);
        let read = Vec::<Said>::deserialize(deserializer)?;
        Ok(read.into_iter().map(|Said(id)| id).collect())
    }

    pub fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<chrono::NaiveDate, D::Error> {
        parsed(deserializer, "a formatted date string")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        label: String,
        amount_cents: i64,
        kind: Kind,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Charge,
        Product,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Form {
        title: String,
        year: i32,
        lines: Vec<Line>,
        note: Option<String>,
    }

    fn fields(reading: &Reading<impl std::fmt::Debug>) -> Vec<(String, &'static str)> {
        reading
            .refused
            .iter()
            .map(|e| (e.field.clone(), e.code))
            .collect()
    }

    #[test]
    fn every_refused_value_is_said_and_stood_in_for() {
        let mut body = serde_json::json!({
            "title": 12,
            "year": "2027",
            "lines": [
                {"label": "Loyer", "amount_cents": "100", "kind": "dépense"},
                {"label": "Subvention", "amount_cents": 5, "kind": "product", "colour": "red"},
                {"amount_cents": 5, "kind": "charge"}
            ],
        });
        let reading = read_every_error::<Form>(&mut body, Vec::new(), 200);
        assert!(reading.value.is_some(), "{:?}", fields(&reading));
        assert_eq!(
            fields(&reading),
            // In the order of the keys (a `Value` sorts them).
            [
                ("lines[0].amount_cents".to_owned(), "field.invalid_type"),
                ("lines[0].kind".to_owned(), "field.unknown_value"),
                ("lines[1].colour".to_owned(), "field.unknown"),
                ("lines[2].label".to_owned(), "field.required"),
                ("title".to_owned(), "field.invalid_type"),
                ("year".to_owned(), "field.invalid_type"),
            ]
        );
    }

    #[derive(Debug, Deserialize)]
    #[serde(tag = "action", rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Action {
        Give {
            proposed_cents: i64,
            comment: Option<String>,
            kind: Kind,
        },
        Withdraw {
            reason: String,
        },
    }

    #[test]
    fn inside_an_action_the_refused_value_is_found_by_what_it_is() {
        let mut body = serde_json::json!({
            "action": "give", "proposed_cents": "28000", "comment": null, "kind": "other"
        });
        let reading = read_every_error::<Action>(&mut body, Vec::new(), 100);
        assert!(reading.value.is_some());
        assert_eq!(
            fields(&reading),
            [
                ("kind".to_owned(), "field.unknown_value"),
                ("proposed_cents".to_owned(), "field.invalid_type"),
            ]
        );
        // Two values alike: which one serde refused is not guessed.
        let mut body = serde_json::json!({"action": "give", "proposed_cents": "x", "comment": "x", "kind": "charge"});
        let reading = read_every_error::<Action>(&mut body, Vec::new(), 100);
        assert!(reading.value.is_none());
        assert_eq!(
            fields(&reading),
            [("body".to_owned(), "field.invalid_type")]
        );
    }

    #[test]
    fn a_body_of_the_wrong_shape_is_refused_as_a_whole() {
        let mut body = serde_json::json!([{"title": "x"}]);
        let reading = read_every_error::<Form>(&mut body, Vec::new(), 20);
        assert!(reading.value.is_none());
        assert_eq!(
            fields(&reading),
            [("body".to_owned(), "field.invalid_type")]
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Place {
        name: String,
        address: Address,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Address {
        street: String,
        city: String,
    }

    #[test]
    fn what_a_stand_in_lacks_is_not_said() {
        let mut body = serde_json::json!({"name": 5});
        let reading = read_every_error::<Place>(&mut body, Vec::new(), 20);
        assert!(reading.value.is_some());
        assert_eq!(
            fields(&reading),
            [
                ("name".to_owned(), "field.invalid_type"),
                ("address".to_owned(), "field.required"),
            ]
        );
    }

    #[test]
    fn fields_inside_one_another_are_related() {
        assert!(related("budget", "budget[2].label"));
        assert!(related("budget[2].label", "budget"));
        assert!(related("title", "title"));
        assert!(!related("budget", "budget_year"));
    }
}
