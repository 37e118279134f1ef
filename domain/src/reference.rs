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

/// The directions a request is dispatched to: a lead and co-directions, each existing and
/// active (`directions`: the city's); every wrong one is named at once.
pub fn check_dispatch(
    lead: DirectionId,
    co: Vec<DirectionId>,
    directions: &[Direction],
) -> Result<(DirectionId, Vec<DirectionId>), crate::DomainError> {
    let mut c = crate::Checks::default();
    let find = |id: DirectionId| directions.iter().find(|d| d.id == id);
    c.check("lead_direction_id", check_assignable_direction(find(lead)));
    for (i, id) in co.iter().enumerate() {
        c.check(
            format!("co_direction_ids[{i}]"),
            check_assignable_direction(find(*id)),
        );
    }
    c.finish()?;
    Ok((lead, co))
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

/// Whether `kind` is one of the city's kinds of document (`known`: their codes); otherwise the
/// error for `field`.
pub fn known_document_kind(
    known: &[String],
    field: String,
    kind: &str,
) -> Result<(), crate::FieldError> {
    if known.iter().any(|k| k == kind) {
        Ok(())
    } else {
        Err(crate::Violation::new(
            "document_kind.unknown",
            format!("« {kind} » n'est pas un type de pièce (voir GET /api/v1/document-kinds)."),
        )
        .at(field))
    }
}

/// The district a search is narrowed to, if any: one of Paris's (errors name `district`).
pub fn district_filter(number: Option<i32>) -> Result<Option<DistrictNumber>, crate::FieldError> {
    match number {
        Some(n) if !DistrictNumber::PARIS.contains(&n) => Err(crate::Violation::new(
            "district.unknown",
            "Les arrondissements vont de 1 à 20.",
        )
        .at("district")),
        number => Ok(number.map(DistrictNumber)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_dispatch_names_every_unknown_or_inactive_direction() {
        let direction = |n: u128, code: &str, active: bool| Direction {
            id: DirectionId::from_uuid(Uuid::from_u128(n)),
            code: code.into(),
            name: code.into(),
            active,
        };
        let city = [direction(1, "DAC", true), direction(2, "DJS", false)];
        let id = |n| DirectionId::from_uuid(Uuid::from_u128(n));
        assert_eq!(
            check_dispatch(id(1), vec![], &city).unwrap(),
            (id(1), vec![])
        );
        match check_dispatch(id(9), vec![id(1), id(2)], &city) {
            Err(crate::DomainError::Invalid(errors)) => {
                let named: Vec<(&str, &str)> =
                    errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
                assert_eq!(
                    named,
                    vec![
                        ("lead_direction_id", "direction.unknown"),
                        ("co_direction_ids[1]", "direction.inactive")
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }

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
