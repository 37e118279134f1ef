//! Conversions between stored values and domain values.

use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::str::FromStr;

/// Parses a stored id (or any stored text) into its typed value.
pub fn parse<T: FromStr>(column: &str, raw: &str) -> StoreResult<T> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} = {raw:?}")))
}

/// Parses with a domain parser that returns a violation.
pub fn parse_with<T, E>(
    column: &str,
    raw: &str,
    parser: impl FnOnce(&str) -> Result<T, E>,
) -> StoreResult<T> {
    parser(raw).map_err(|_| StoreError::Corrupt(format!("{column} = {raw:?}")))
}

pub fn utc(naive: NaiveDateTime) -> DateTime<Utc> {
    naive.and_utc()
}

pub fn naive(time: DateTime<Utc>) -> NaiveDateTime {
    time.naive_utc()
}
