//! Lists and small structures stored as JSON text (one schema for both databases).

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn write<T: Serialize + ?Sized>(value: &T) -> String {
    // Plain lists and maps of strings and numbers always serialise.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub fn read<T: DeserializeOwned>(column: &str, raw: &str) -> StoreResult<T> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}
