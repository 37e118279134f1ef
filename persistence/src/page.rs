//! Keyset pagination: a page ends at a (sort key, id) pair, and the next page starts after it,
//! so pages stay stable while rows are added.

use crate::error::{StoreError, StoreResult};
use chrono::{NaiveDate, NaiveDateTime};
use simpa_domain::{DomainError, Violation};

const KEY_TIME: &str = "%Y-%m-%dT%H:%M:%S%.6f";
const KEY_DAY: &str = "%Y-%m-%d";

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub sort_key: String,
    pub id: String,
}

impl Keyset {
    /// The position of a row ordered by a time, then by id.
    pub fn at_time(time: NaiveDateTime, id: &str) -> Keyset {
        Keyset {
            sort_key: time.format(KEY_TIME).to_string(),
            id: id.to_owned(),
        }
    }

    /// The time of a position made by [`Keyset::at_time`]; a cursor refused otherwise.
    pub fn time(&self) -> StoreResult<NaiveDateTime> {
        NaiveDateTime::parse_from_str(&self.sort_key, KEY_TIME).map_err(|_| invalid_cursor())
    }

    /// The position of a row ordered by a day, then by id.
    pub fn at_day(day: NaiveDate, id: &str) -> Keyset {
        Keyset {
            sort_key: day.format(KEY_DAY).to_string(),
            id: id.to_owned(),
        }
    }

    /// The day of a position made by [`Keyset::at_day`]; a cursor refused otherwise.
    pub fn day(&self) -> StoreResult<NaiveDate> {
        NaiveDate::parse_from_str(&self.sort_key, KEY_DAY).map_err(|_| invalid_cursor())
    }

    /// The position of a row ordered by a whole number (an amount in cents), then by id.
    pub fn at_number(number: i64, id: &str) -> Keyset {
        Keyset {
            sort_key: number.to_string(),
            id: id.to_owned(),
        }
    }

    /// The number of a position made by [`Keyset::at_number`]; a cursor refused otherwise.
    pub fn number(&self) -> StoreResult<i64> {
        self.sort_key.parse().map_err(|_| invalid_cursor())
    }

    /// The position of a row ordered by a score (0 to 99,999, highest first), then by a sort
    /// key and id.
    pub fn scored(score: i32, sort_key: &str, id: &str) -> Keyset {
        Keyset {
            sort_key: format!("{score:05}{sort_key}"),
            id: id.to_owned(),
        }
    }

    /// The score and sort key of a position made by [`Keyset::scored`]; a cursor refused
    /// otherwise.
    pub fn score(&self) -> StoreResult<(i32, String)> {
        let score = self.sort_key.get(..5).and_then(|s| s.parse().ok());
        let rest = self.sort_key.get(5..);
        match (score, rest) {
            (Some(score), Some(rest)) => Ok((score, rest.to_owned())),
            _ => Err(invalid_cursor()),
        }
    }
}

/// A cursor no page gave.
fn invalid_cursor() -> StoreError {
    StoreError::Domain(DomainError::invalid(
        "cursor",
        Violation::new(
            "cursor.invalid",
            "Ce curseur n'est pas valide : reprenez celui d'une page précédente.",
        ),
    ))
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Keyset>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row only says
    /// that another page exists.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, keyset: impl Fn(&T) -> Keyset) -> Page<T> {
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(keyset)
        } else {
            None
        };
        Page { items: rows, next }
    }

    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next: self.next,
        })
    }
}

/// Orders a boxed `query` by `$column`, then by `$id` (`desc` or `asc`, `$beyond` being `lt`
/// or `gt` to match), starting after the position `$after` (an `Option<&Keyset>`) whose key
/// the method `$key` reads (`time`, `number`).
macro_rules! ordered_after {
    ($query:expr, $after:expr, $id:expr, $column:expr, $key:ident, $order:ident, $beyond:ident) => {{
        let query = match $after {
            Some(after) => {
                let (key, id) = (after.$key()?, after.id.clone());
                $query.filter(
                    $column
                        .$beyond(key)
                        .or($column.eq(key).and($id.$beyond(id))),
                )
            }
            None => $query,
        };
        query.order(($column.$order(), $id.$order()))
    }};
}
pub(crate) use ordered_after;
