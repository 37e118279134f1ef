//! A form as typed, each field by its name, for the pages whose fields are not known in
//! advance (a budget's lines, a request's indicators); and what a field must be read as before
//! the rules see it: a date, a whole number, an amount in euros. Each read that fails says so
//! at its field.

use crate::forms::field_error;
use chrono::NaiveDate;
use simpa_domain::FieldError;
use simpa_domain::money::parse_whole_euros;
use std::collections::HashMap;

/// A form as typed: each field by its name.
pub(super) type Typed = HashMap<String, String>;

/// A field as typed, empty when absent.
pub(super) fn field<'t>(typed: &'t Typed, name: &str) -> &'t str {
    typed.get(name).map_or("", |v| v.as_str())
}

/// A date as a date field sends it (`2027-03-15`), or as people type it (`15/03/2027`);
/// `None` when left empty.
pub(super) fn date(typed: &Typed, name: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    day(field(typed, name), name, errors)
}

/// A day as typed in the field `name` (see [`date`]).
pub(super) fn day(raw: &str, name: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map_err(|_| {
            errors.push(field_error(
                name,
                "Saisissez une date réelle, par exemple 15/03/2027.",
            ))
        })
        .ok()
}

/// A whole number (people, units, what an indicator achieved); `None` when left empty.
pub(super) fn whole_number(typed: &Typed, name: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let raw: String = field(typed, name)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if raw.is_empty() {
        return None;
    }
    raw.parse::<i64>()
        .map_err(|_| {
            errors.push(field_error(
                name,
                format!(
                    "« {} » n'est pas un nombre entier : saisissez des chiffres, par exemple 80.",
                    field(typed, name).trim()
                ),
            ))
        })
        .ok()
}

/// An amount in whole euros, in cents (zero when left empty).
pub(super) fn euros(typed: &Typed, name: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    parse_whole_euros(field(typed, name))
        .map_err(|violation| errors.push(field_error(name, violation.message)))
        .ok()
}
