//! SIREN (9 digits) and SIRET (14 digits = SIREN + NIC), both Luhn-checked.
//!
//! Sources: INSEE; french-rules.md §2.2. La Poste (SIREN 356000000) is the one known
//! exception: its establishments' SIRETs do not satisfy Luhn, and are valid when the sum of
//! their 14 digits is a multiple of 5 (the rule python-stdnum and Validata apply).

use crate::Violation;
use std::fmt;

const LA_POSTE_SIREN: &str = "356000000";

/// A SIRET: the identifier of an establishment of a company or association.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siret(String);

/// A SIREN: the identifier of the legal person, the first 9 digits of its SIRETs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siren(String);

impl Siret {
    pub fn parse(raw: &str) -> Result<Siret, Violation> {
        let value: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if value.len() != 14 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Violation::new(
                "siret.invalid_format",
                format!(
                    "Le numéro SIRET « {} » doit comporter exactement 14 chiffres.",
                    raw.trim()
                ),
            ));
        }
        if luhn_valid(&value)
            || (value.starts_with(LA_POSTE_SIREN) && digit_sum(&value).is_multiple_of(5))
        {
            Ok(Siret(value))
        } else {
            Err(Violation::new(
                "siret.invalid_checksum",
                format!(
                    "Le numéro SIRET « {value} » n'est pas valide (clé de contrôle incorrecte) : vérifiez-le sur votre avis de situation SIRENE."
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SIREN of the legal person this establishment belongs to.
    pub fn siren(&self) -> Siren {
        Siren(self.0[..9].to_owned())
    }
}

impl Siren {
    pub fn parse(raw: &str) -> Result<Siren, Violation> {
        let value: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if value.len() != 9 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Violation::new(
                "siren.invalid_format",
                format!(
                    "Le numéro SIREN « {} » doit comporter exactement 9 chiffres.",
                    raw.trim()
                ),
            ));
        }
        if luhn_valid(&value) || value == LA_POSTE_SIREN {
            Ok(Siren(value))
        } else {
            Err(Violation::new(
                "siren.invalid_checksum",
                format!(
                    "Le numéro SIREN « {value} » n'est pas valide (clé de contrôle incorrecte)."
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Luhn over ASCII digits: from the right, every second digit is doubled (minus 9 above 9).
pub fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn digit_sum(digits: &str) -> u32 {
    digits.bytes().map(|b| u32::from(b - b'0')).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(file: &str, name: &str) -> Vec<String> {
        let header: Vec<&str> = file.lines().next().unwrap().split(',').collect();
        let index = header.iter().position(|h| *h == name).unwrap();
        // Identifier columns come before any quoted free text, so a plain split is exact here.
        file.lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(index))
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_siret_of_the_official_valid_example_is_accepted() {
        let file = include_str!("../testdata/example-valid.csv");
        let ids: Vec<String> = column(file, "idAttribuant")
            .into_iter()
            .chain(column(file, "idBeneficiaire"))
            .collect();
        assert!(ids.len() >= 30);
        for id in ids {
            let siret = Siret::parse(&id).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            assert_eq!(siret.siren().as_str(), &id[..9]);
        }
    }

    #[test]
    fn the_official_invalid_example_cells_are_told_apart() {
        let file = include_str!("../testdata/example-invalid-cells.csv");
        let valid = [
            "38033590100027",
            "50443571000000",
            "52499120500013",
            "53507938800000",
            "81223113200026",
        ];
        let ids: Vec<String> = column(file, "idAttribuant")
            .into_iter()
            .chain(column(file, "idBeneficiaire"))
            .collect();
        let mut refused = 0;
        for id in &ids {
            match Siret::parse(id) {
                Ok(_) => assert!(valid.contains(&id.as_str()), "{id} should be refused"),
                Err(e) => {
                    assert!(!valid.contains(&id.as_str()), "{id} should be accepted");
                    refused += 1;
                    let expected = if id.len() == 14 && id.bytes().all(|b| b.is_ascii_digit()) {
                        "siret.invalid_checksum"
                    } else {
                        "siret.invalid_format"
                    };
                    assert_eq!(e.code, expected, "{id}");
                }
            }
        }
        assert!(refused >= 20, "{refused}");
    }

    #[test]
    fn format_errors() {
        for bad in [
            "",
            "218601946",
            "32402138500000.0",
            "2186019460000A",
            "218601946000001",
        ] {
            assert_eq!(
                Siret::parse(bad).unwrap_err().code,
                "siret.invalid_format",
                "{bad}"
            );
        }
    }

    #[test]
    fn spaces_are_ignored() {
        assert_eq!(
            Siret::parse("217 500 016 00019").unwrap().as_str(),
            "21750001600019"
        );
    }

    #[test]
    fn ville_de_paris_is_luhn_valid() {
        assert!(Siret::parse("21750001600019").is_ok());
    }

    #[test]
    fn la_poste_exception() {
        // Luhn fails, digit sum is a multiple of 5: valid.
        assert!(!luhn_valid("35600000049837"));
        assert!(Siret::parse("35600000049837").is_ok());
        // The head office is Luhn-valid anyway.
        assert!(Siret::parse("35600000000048").is_ok());
        // Neither Luhn nor a multiple of 5.
        assert_eq!(
            Siret::parse("35600000049838").unwrap_err().code,
            "siret.invalid_checksum"
        );
        // The exception belongs to La Poste only.
        assert_eq!(
            Siret::parse("12345678900005").unwrap_err().code,
            "siret.invalid_checksum"
        );
    }

    #[test]
    fn siren() {
        assert!(Siren::parse("217500016").is_ok());
        assert!(Siren::parse("356000000").is_ok());
        assert_eq!(
            Siren::parse("217500017").unwrap_err().code,
            "siren.invalid_checksum"
        );
        assert_eq!(
            Siren::parse("21750001").unwrap_err().code,
            "siren.invalid_format"
        );
    }
}
