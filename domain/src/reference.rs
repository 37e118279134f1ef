//! Reference data a city maintains: its districts, its directions, the activity sectors.
//! These are data (tables), never enums: another city has other ones.

use crate::ids::{DirectionId, DistrictNumber};

/// A district (arrondissement) and the postal codes that serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct District {
    pub number: DistrictNumber,
    pub name: String,
    /// INSEE COG code of the municipal arrondissement (751NN in Paris).
    pub insee_code: String,
    pub town_hall: String,
    pub postal_codes: Vec<String>,
}

/// A city direction that instructs subsidy requests. Merged or renamed directions stay,
/// inactive, so that history keeps its meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Direction {
    pub id: DirectionId,
    pub code: String,
    pub name: String,
    pub active: bool,
}

/// An activity sector of the associations directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sector {
    pub code: String,
    pub label: String,
}

/// A role or an API client can act only for a direction that exists and is still active.
pub fn check_assignable_direction(direction: Option<&Direction>) -> Result<(), crate::Violation> {
    match direction {
        None => Err(crate::Violation::new(
            "direction.unknown",
            "Cette direction n'existe pas (voir GET /api/v1/directions).",
        )),
        Some(d) if !d.active => Err(crate::Violation::new(
            "direction.inactive",
            format!(
                "La direction {} n'est plus active : choisissez la direction qui l'a remplacée.",
                d.code
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// The district numbered `number` if the city has it (`known`); otherwise the error for
/// `field`.
pub fn known_district(
    known: &[i32],
    field: String,
    number: i32,
) -> Result<DistrictNumber, crate::FieldError> {
    if known.contains(&number) {
        Ok(DistrictNumber(number))
    } else {
        Err(crate::Violation::new(
            "district.unknown",
            format!("L'arrondissement {number} n'existe pas (voir GET /api/v1/districts)."),
        )
        .at(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn only_existing_active_directions_are_assignable() {
        let dac = Direction {
            id: DirectionId::from_uuid(Uuid::nil()),
            code: "DAC".into(),
            name: "Culture".into(),
            active: true,
        };
        let dases = Direction {
            active: false,
            code: "DASES".into(),
            ..dac.clone()
        };
        assert!(check_assignable_direction(Some(&dac)).is_ok());
        assert_eq!(
            check_assignable_direction(Some(&dases)).unwrap_err().code,
            "direction.inactive"
        );
        assert_eq!(
            check_assignable_direction(None).unwrap_err().code,
            "direction.unknown"
        );
    }
}
