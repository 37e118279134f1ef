//! Numéro RNA (Répertoire National des Associations): `W` followed by 9 digits.
//!
//! Source: associations.gouv.fr; the SCDL "subventions" schema uses `^W\d{9}$`. Input is
//! normalised to upper case and spaces are ignored (french-rules.md §2.1).

use crate::Violation;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rna(String);

impl Rna {
    pub fn parse(raw: &str) -> Result<Rna, Violation> {
        let value: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let digits = value.strip_prefix('W').unwrap_or("");
        if digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Rna(value))
        } else {
            Err(Violation::new(
                "rna.invalid_format",
                format!(
                    "Le numéro RNA « {} » doit être la lettre W suivie de 9 chiffres (ex. W751000001).",
                    raw.trim()
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Rna {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_w_and_nine_digits_and_normalises_case_and_spaces() {
        assert_eq!(Rna::parse("W751085568").unwrap().as_str(), "W751085568");
        assert_eq!(Rna::parse(" w751 085 568 ").unwrap().as_str(), "W751085568");
    }

    #[test]
    fn refuses_other_shapes_with_the_format_code() {
        for bad in [
            "",
            "W",
            "W12455",
            "W3222",
            "W1234567",
            "W12345678",
            "W1234567890",
            "X123456789",
            "751P00085568",
            "W12345678A",
            "WW23456789",
        ] {
            let err = Rna::parse(bad).unwrap_err();
            assert_eq!(err.code, "rna.invalid_format", "{bad}");
            assert!(err.message.contains("W suivie de 9 chiffres"), "{bad}");
        }
    }

    #[test]
    fn official_scdl_examples() {
        for (file, expected_valid) in [
            (
                include_str!("../testdata/example-valid.csv"),
                vec!["W322216459", "W333216789"],
            ),
            (
                include_str!("../testdata/example-invalid-cells.csv"),
                vec!["W322216459", "W333216789", "W123456789"],
            ),
        ] {
            let header: Vec<&str> = file.lines().next().unwrap().split(',').collect();
            let column = header.iter().position(|h| *h == "rnaBeneficiaire").unwrap();
            for line in file.lines().skip(1) {
                // The RNA column comes before any quoted free text, so a plain split is exact here.
                let cell = line.split(',').nth(column).unwrap_or("");
                if cell.is_empty() {
                    continue;
                }
                assert_eq!(
                    Rna::parse(cell).is_ok(),
                    expected_valid.contains(&cell),
                    "{cell}"
                );
            }
        }
    }
}
