//! French postal codes (5 digits). Which codes belong to which district is data (the
//! `district_postal_codes` table), not code: Paris 750NN is the NNth arrondissement and 75116
//! the north of the 16th, but CEDEX codes such as 75700 are in no district.

use crate::Violation;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(raw: &str) -> Result<PostalCode, Violation> {
        let value = raw.trim();
        if value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit()) && !value.starts_with("00")
        {
            Ok(PostalCode(value.to_owned()))
        } else {
            Err(Violation::new(
                "postal_code.invalid_format",
                format!("Le code postal « {value} » doit comporter 5 chiffres (ex. 75011)."),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_digits() {
        for ok in [
            "75001", "75116", "75020", "75700", "13001", "97400", " 69003 ",
        ] {
            assert_eq!(PostalCode::parse(ok).unwrap().as_str(), ok.trim());
        }
        for bad in ["", "7501", "750011", "75O11", "00100", "75 011", "2A004"] {
            assert_eq!(
                PostalCode::parse(bad).unwrap_err().code,
                "postal_code.invalid_format",
                "{bad}"
            );
        }
    }
}
