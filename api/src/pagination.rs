//! Cursor pagination: the cursor is an opaque token for the position where the next page starts.

use crate::problem::Problem;
use serde::Serialize;
use simpa_domain::Violation;
use simpa_persistence::{Keyset, Page as StoredPage};
use utoipa::ToSchema;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass it as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn from_stored<S>(page: StoredPage<S>, item: impl Fn(S) -> T) -> Page<T> {
        Page {
            items: page.items.into_iter().map(item).collect(),
            next_cursor: page.next.as_ref().map(encode),
        }
    }

    /// A complete list on one page (small reference lists).
    pub fn all(items: impl IntoIterator<Item = T>) -> Page<T> {
        Page {
            items: items.into_iter().collect(),
            next_cursor: None,
        }
    }
}

fn encode(keyset: &Keyset) -> String {
    simpa_app::cursor::encode(keyset)
}

fn invalid(field: &str, violation: Violation) -> Problem {
    Problem::invalid_query(vec![violation.at(field)])
}

/// The position named by a cursor received from a previous page.
pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<Keyset>, Problem> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || {
        invalid(
            "cursor",
            Violation::new(
                "cursor.invalid",
                "Ce curseur n'est pas valide : reprenez celui d'une page précédente.",
            ),
        )
    };
    simpa_app::cursor::decode(cursor).map(Some).ok_or_else(bad)
}

/// The page size asked for, within bounds.
pub fn limit(requested: Option<u32>) -> Result<usize, Problem> {
    match requested.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n as usize),
        n => Err(invalid(
            "limit",
            Violation::new(
                "limit.out_of_range",
                format!("limit doit être entre 1 et {MAX_LIMIT} (reçu {n})."),
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let keyset = Keyset {
            sort_key: "theatre de l'oeuvre".into(),
            id: "0190-…".into(),
        };
        assert_eq!(decode_cursor(Some(&encode(&keyset))).unwrap(), Some(keyset));
        assert_eq!(
            decode_cursor(Some("%%%")).unwrap_err().code,
            "query.invalid"
        );
        assert_eq!(decode_cursor(None).unwrap(), None);
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some(0)).unwrap_err().errors[0].field, "limit");
        assert_eq!(
            limit(Some(201)).unwrap_err().errors[0].code,
            "limit.out_of_range"
        );
    }
}
