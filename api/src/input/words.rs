//! serde's English, said in French: what a JSON reader or a query string refused becomes a
//! field error that names the field as the client sent it.

use simpa_domain::{FieldError, Violation};

/// Turns serde's English message into a field error people can read, in French: serde's own
/// words never reach a person (what is not recognised is logged and said plainly). The path
/// serde gives for a missing field is the enclosing object's; the field's own name is in the
/// message. An error of the body as a whole is named `body`, never an empty field.
pub(super) fn field_error(path: &str, message: &str) -> FieldError {
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
        permitted(message)
            .map(|v| format!("« {v} »"))
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
    // serde names the object, or already the key it refuses.
    let named = |given: &str| {
        if path.rsplit('.').next() == Some(given) {
            path.clone()
        } else {
            join(&path, given)
        }
    };
    if message.starts_with("unknown field ") {
        let given = quoted(message).unwrap_or_default();
        return at(
            Violation::new(
                "field.unknown",
                format!("Champ inconnu ; champs permis : {}.", permitted()),
            ),
            named(&given),
        );
    }
    if message.starts_with("duplicate field ") {
        let given = quoted(message).unwrap_or_default();
        return at(
            Violation::new("field.duplicate", "Ce champ est donné deux fois."),
            named(&given),
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
        return not_an_object(path);
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

/// What is said of a value that should have been an object.
pub(super) fn not_an_object(field: String) -> FieldError {
    Violation::new(
        "field.invalid_type",
        "Type de valeur incorrect : on attend un objet.",
    )
    .at(field)
}

/// The values serde lists as permitted, each between backquotes after "expected"
/// (`` expected `a` ``, `` expected `a` or `b` ``, `` expected one of `a`, `b`, `c` ``).
pub(super) fn permitted(message: &str) -> impl Iterator<Item = &str> {
    let listed = message
        .split_once("expected ")
        .map_or("", |(_, listed)| listed);
    listed.split('`').skip(1).step_by(2)
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

#[cfg(test)]
mod tests {
    use super::field_error;

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
        let two = field_error(
            "kind",
            "unknown variant `x`, expected `charge` or `product`",
        );
        assert!(
            two.message
                .ends_with("valeurs permises : « charge », « product »."),
            "{}",
            two.message
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
                "lines[1].colour",
                "unknown field `colour`, expected `label` or `kind`",
                "lines[1].colour",
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
