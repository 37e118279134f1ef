//! Reference data a city maintains: its districts, its directions, the activity sectors.
//! These are data (tables), never enums: another city has other ones.

use crate::ids::{DirectionId, DistrictNumber};
use crate::{Violation, text};

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
            "Cette direction n'existe pas : choisissez-en une dans la liste des directions.",
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
            format!("L'arrondissement {number} n'existe pas : Paris en compte vingt (1 à 20)."),
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
            format!(
                "« {kind} » n'est pas un type de pièce : choisissez-en un dans la liste des pièces."
            ),
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

/// A direction's code as the city writes it: 2 to 10 capital letters or digits, starting
/// with a letter (`DAC`, `DDCT`); it never changes once created.
pub fn parse_direction_code(raw: &str) -> Result<String, Violation> {
    let code = raw.trim().to_uppercase();
    let well_made = (2..=10).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if well_made {
        Ok(code)
    } else {
        Err(Violation::new(
            "direction.code_invalid",
            "De 2 à 10 lettres capitales ou chiffres, en commençant par une lettre (par exemple DAC).",
        ))
    }
}

/// The code of a sector or of a kind of document: 2 to 60 small letters, digits or `_`,
/// starting with a letter (`culture_arts`, `rapport_activite`); it never changes once
/// created, since associations' profiles, campaigns and documents name it.
pub fn parse_code(raw: &str) -> Result<String, Violation> {
    let code = raw.trim();
    let well_made = (2..=60).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if well_made {
        Ok(code.to_owned())
    } else {
        Err(Violation::new(
            "reference.code_invalid",
            "De 2 à 60 lettres minuscules sans accent, chiffres ou « _ », en commençant par une lettre (par exemple culture_arts).",
        ))
    }
}

/// A name or a label of reference data: one line, 1 to 200 characters.
pub fn parse_label(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 200)
}

/// A code already given to another of its kind.
pub fn code_taken(code: &str) -> Violation {
    Violation::new(
        "reference.code_taken",
        format!("Le code {code} est déjà pris : choisissez-en un autre."),
    )
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
    fn codes_are_written_one_way() {
        assert_eq!(parse_direction_code(" dac ").as_deref(), Ok("DAC"));
        assert_eq!(parse_direction_code("DAE2").as_deref(), Ok("DAE2"));
        for wrong in ["D", "2DAC", "DA-C", "DIRECTIONDAC", "DAÉ"] {
            assert_eq!(
                parse_direction_code(wrong).unwrap_err().code,
                "direction.code_invalid",
                "{wrong}"
            );
        }
        assert_eq!(parse_code("culture_arts").as_deref(), Ok("culture_arts"));
        for wrong in ["c", "Culture", "_culture", "culture-arts", "écoles"] {
            assert_eq!(
                parse_code(wrong).unwrap_err().code,
                "reference.code_invalid",
                "{wrong}"
            );
        }
        assert!(parse_label(" ").is_err() && parse_label("Sport").is_ok());
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
