//! A jury's scoring grid, as sent and read back (the jury and the jurors' sheets).

use serde::{Deserialize, Serialize};
use simpa_domain::scoring::Criterion;
use utoipa::ToSchema;

/// A criterion of the scoring grid, as sent and read back.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct CriterionFields {
    #[schema(example = "Impact pour les habitants du quartier")]
    pub label: String,
    #[serde(default)]
    pub description: String,
    /// 1 to 100: how much it counts against the other criteria.
    #[schema(example = 3)]
    pub weight: i64,
    /// 1 to 100: points go from 0 to this.
    #[schema(example = 10)]
    pub max_points: i64,
}

impl CriterionFields {
    pub(crate) fn of_grid(grid: &[Criterion]) -> Vec<CriterionFields> {
        grid.iter()
            .map(|c| CriterionFields {
                label: c.label.clone(),
                description: c.description.clone(),
                weight: i64::from(c.weight),
                max_points: i64::from(c.max_points),
            })
            .collect()
    }
}
