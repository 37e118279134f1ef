//! The councils that vote subsidies and the references of their deliberations: what a
//! circuit's vote carries (see `circuit.rs`) and a deliberation is put to (`deliberation.rs`).

use crate::campaign::CircuitKind;
use crate::coded_enum;
use crate::french::capitalised;
use crate::ids::DistrictNumber;
use crate::{DomainError, FieldError, Violation};
use std::fmt;

/// A deliberation's reference as Paris writes it: `YYYY DIR NN` (`2021 DAC 123`), a joint
/// project's second direction after a dash (`2003 DPVI 20 - JS 282`), and before 2019 a `G`
/// when the Conseil sat as Conseil général (`2005 DASES 323 G`). French rules §4.8.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliberationReference(String);

fn direction_and_number(part: &str) -> Option<(&str, u32)> {
    let (direction, number) = part.split_once(' ')?;
    let direction_ok =
        (2..=6).contains(&direction.len()) && direction.chars().all(|c| c.is_ascii_uppercase());
    let number_ok = (1..=4).contains(&number.len()) && number.chars().all(|c| c.is_ascii_digit());
    (direction_ok && number_ok)
        .then(|| number.parse().ok())
        .flatten()
        .filter(|n| *n > 0)
        .map(|n| (direction, n))
}

impl DeliberationReference {
    pub fn parse(raw: &str) -> Result<DeliberationReference, Violation> {
        let invalid = || {
            Violation::new(
                "deliberation.reference_invalid",
                format!(
                    "« {} » n'est pas une référence de délibération (AAAA DIR NN, ex. 2027 DAC 123).",
                    raw.trim()
                ),
            )
        };
        let normalised = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let normalised = normalised.to_uppercase();
        let without_g = normalised.strip_suffix(" G").unwrap_or(&normalised);
        let (main, joint) = match without_g.split_once(" - ") {
            Some((main, joint)) => (main, Some(joint)),
            None => (without_g, None),
        };
        let (year, rest) = main.split_once(' ').ok_or_else(invalid)?;
        let year_ok = year.len() == 4
            && year.chars().all(|c| c.is_ascii_digit())
            && year
                .parse::<i32>()
                .is_ok_and(|y| (1990..=2100).contains(&y));
        if !year_ok
            || direction_and_number(rest).is_none()
            || joint.is_some_and(|j| direction_and_number(j).is_none())
        {
            return Err(invalid());
        }
        Ok(DeliberationReference(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn year(&self) -> i32 {
        self.0[..4].parse().unwrap_or_default()
    }

    /// The code of the direction that reports it (`DAC`).
    pub fn direction(&self) -> &str {
        self.0[5..].split(' ').next().unwrap_or_default()
    }
}

impl fmt::Display for DeliberationReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

coded_enum! {
    /// Which council votes.
    pub enum CouncilKind {
        ConseilDeParis = ("conseil_de_paris", "Conseil de Paris"),
        /// A district council: its decision or opinion on local-interest requests (CGCT
        /// L2511-14).
        District = ("conseil_arrondissement", "Conseil d'arrondissement"),
    }
}

/// The council a deliberation is put to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Council {
    pub kind: CouncilKind,
    pub district: Option<DistrictNumber>,
}

impl Council {
    /// A district council names its district; the Conseil de Paris none.
    pub fn new(kind: CouncilKind, district: Option<DistrictNumber>) -> Result<Council, FieldError> {
        match (kind, district) {
            (CouncilKind::District, Some(n)) if !DistrictNumber::PARIS.contains(&n.0) => {
                Err(Violation::new(
                    "council.district_unknown",
                    format!(
                        "L'arrondissement {} n'existe pas : Paris en compte vingt (1 à 20).",
                        n.0
                    ),
                )
                .at("district_number"))
            }
            (CouncilKind::ConseilDeParis, None) | (CouncilKind::District, Some(_)) => {
                Ok(Council { kind, district })
            }
            (CouncilKind::ConseilDeParis, Some(_)) => Err(Violation::new(
                "council.district_not_allowed",
                "Le Conseil de Paris ne se limite pas à un arrondissement.",
            )
            .at("district_number")),
            (CouncilKind::District, None) => Err(Violation::new(
                "council.district_required",
                "Précisez l'arrondissement du conseil.",
            )
            .at("district_number")),
        }
    }

    /// Whether a request may be on this council's agenda: the Conseil de Paris votes every
    /// subsidy; a district council decides only the local-interest requests of its district.
    pub fn admits(
        self,
        circuit: CircuitKind,
        local_district: Option<DistrictNumber>,
    ) -> Result<(), DomainError> {
        match self.district {
            None => Ok(()),
            Some(district) if circuit == CircuitKind::Local && local_district == Some(district) => {
                Ok(())
            }
            Some(_) => Err(DomainError::conflict(
                "deliberation.outside_council",
                Some("request_id"),
                format!(
                    "{} ne décide que des demandes d'intérêt local de son arrondissement.",
                    capitalised(&self.name())
                ),
            )),
        }
    }

    /// "le Conseil de Paris", "le conseil du 11e arrondissement".
    pub fn name(self) -> String {
        match self.district {
            Some(d) => crate::french::district_council(d),
            None => "le Conseil de Paris".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_written_as_paris_writes_them() {
        for (raw, normalised, year, direction) in [
            ("2021 DAC 123", "2021 DAC 123", 2021, "DAC"),
            (" 2020  dfpe 36 ", "2020 DFPE 36", 2020, "DFPE"),
            (
                "2003 DPVI 20 - JS 282",
                "2003 DPVI 20 - JS 282",
                2003,
                "DPVI",
            ),
            ("2005 DASES 323 G", "2005 DASES 323 G", 2005, "DASES"),
        ] {
            let reference = DeliberationReference::parse(raw).unwrap();
            assert_eq!(reference.as_str(), normalised);
            assert_eq!(reference.year(), year);
            assert_eq!(reference.direction(), direction);
        }
        for bad in [
            "",
            "DAC 123",
            "21 DAC 123",
            "2021 DAC",
            "2021 D 12",
            "2021 DAC 12345",
            "2021 DAC 0",
            "2021 DAC 12 -",
            "2021 DAC 12 - JS",
            "2021 DAC 12 X",
        ] {
            assert_eq!(
                DeliberationReference::parse(bad).unwrap_err().code,
                "deliberation.reference_invalid",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_district_council_names_its_district() {
        let eleventh = Council::new(CouncilKind::District, Some(DistrictNumber(11))).unwrap();
        assert_eq!(eleventh.name(), "le conseil du 11e arrondissement");
        assert_eq!(
            Council::new(CouncilKind::ConseilDeParis, None)
                .unwrap()
                .name(),
            "le Conseil de Paris"
        );
        assert_eq!(
            Council::new(CouncilKind::District, None).unwrap_err().code,
            "council.district_required"
        );
        assert_eq!(
            Council::new(CouncilKind::ConseilDeParis, Some(DistrictNumber(1)))
                .unwrap_err()
                .code,
            "council.district_not_allowed"
        );
    }

    #[test]
    fn a_district_council_decides_only_the_local_requests_of_its_district() {
        use crate::campaign::CircuitKind::{Central, Local};
        let d11 = Some(DistrictNumber(11));
        let district = Council::new(CouncilKind::District, d11).unwrap();
        let paris = Council::new(CouncilKind::ConseilDeParis, None).unwrap();
        assert!(district.admits(Local, d11).is_ok());
        assert!(paris.admits(Local, d11).is_ok());
        assert!(paris.admits(Central, None).is_ok());
        for (circuit, local) in [(Local, Some(DistrictNumber(5))), (Central, None)] {
            match district.admits(circuit, local) {
                Err(DomainError::Conflict { code, message, .. }) => {
                    assert_eq!(code, "deliberation.outside_council");
                    assert!(message.starts_with("Le conseil du 11e"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
