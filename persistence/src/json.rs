//! Lists and small structures stored as JSON text (one schema for both databases).

use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use simpa_domain::budget::{Budget, BudgetLine, Funder};

pub fn write<T: Serialize + ?Sized>(value: &T) -> String {
    // Plain lists and maps of strings and numbers always serialise.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub fn read<T: DeserializeOwned>(column: &str, raw: &str) -> StoreResult<T> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// A CERFA budget as stored (see `Budget::to_json`), in `column` of the row `owner`. Lines
/// stored before today's rules on labels are read as they were written; anything no rule
/// ever allowed (an unknown account or funder) is corrupt.
pub fn read_budget(column: &str, owner: &str, raw: &str) -> StoreResult<Budget> {
    /// A line as `Budget::to_json` writes it, read without building a tree of values.
    #[derive(serde::Deserialize)]
    struct StoredLine<'a> {
        #[serde(borrow, default)]
        account: std::borrow::Cow<'a, str>,
        #[serde(borrow, default)]
        funder: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, default)]
        label: std::borrow::Cow<'a, str>,
        amount_cents: i64,
    }
    let corrupt = || StoreError::Corrupt(format!("{column} of {owner}"));
    let lines: Vec<StoredLine> =
        serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))?;
    let lines = lines
        .iter()
        .map(|line| {
            let funder = match line.funder.as_deref() {
                Some(code) => Some(Funder::from_code(code).ok_or_else(corrupt)?),
                None => None,
            };
            BudgetLine::stored(&line.account, funder, &line.label, line.amount_cents)
                .map_err(|_| corrupt())
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Budget { lines })
}

/// A CERFA budget as stored.
pub fn write_budget(budget: &Budget) -> String {
    budget.to_json().to_string()
}
