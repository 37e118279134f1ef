//! Bank details: IBAN (ISO 13616, checked with ISO 7064 MOD 97-10) and BIC (ISO 9362).
//!
//! French IBANs are also held to their exact shape, `FRkk BBBBB GGGGG CCCCCCCCCCC KK`, and to
//! the RIB key (french-rules.md §2.3).

use crate::Violation;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iban(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bic(String);

/// The value of a letter or digit in IBAN arithmetic: 0–9, then A = 10 … Z = 35.
fn iban_value(c: char) -> Option<u32> {
    c.to_digit(36)
}

/// ISO 7064 MOD 97-10 over the rearranged IBAN.
fn mod97(iban: &str) -> Option<u32> {
    let rearranged = iban.chars().skip(4).chain(iban.chars().take(4));
    let mut remainder = 0u32;
    for c in rearranged {
        let value = iban_value(c)?;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    Some(remainder)
}

/// The RIB key: 97 − ((89 × bank + 15 × branch + 3 × account) mod 97), letters of the account
/// number mapped to digits first.
fn rib_key_valid(bank: &str, branch: &str, account: &str, key: &str) -> bool {
    let letter = |c: char| match c {
        'A' | 'J' => Some(1),
        'B' | 'K' | 'S' => Some(2),
        'C' | 'L' | 'T' => Some(3),
        'D' | 'M' | 'U' => Some(4),
        'E' | 'N' | 'V' => Some(5),
        'F' | 'O' | 'W' => Some(6),
        'G' | 'P' | 'X' => Some(7),
        'H' | 'Q' | 'Y' => Some(8),
        'I' | 'R' | 'Z' => Some(9),
        c => c.to_digit(10),
    };
    let number = |s: &str| {
        s.chars()
            .try_fold(0u64, |n, c| letter(c).map(|d| (n * 10 + u64::from(d)) % 97))
    };
    match (
        number(bank),
        number(branch),
        number(account),
        key.parse::<u64>(),
    ) {
        (Some(b), Some(g), Some(c), Ok(k)) => 97 - ((89 * b + 15 * g + 3 * c) % 97) == k,
        _ => false,
    }
}

impl Iban {
    pub fn parse(raw: &str) -> Result<Iban, Violation> {
        let value: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_uppercase();
        let shape_ok = (15..=34).contains(&value.len())
            && value.chars().take(2).all(|c| c.is_ascii_uppercase())
            && value.chars().skip(2).take(2).all(|c| c.is_ascii_digit())
            && value.chars().all(|c| c.is_ascii_alphanumeric());
        if !shape_ok {
            return Err(Violation::new(
                "iban.invalid_format",
                format!(
                    "« {} » n'a pas la forme d'un IBAN (ex. FR76 3000 6000 0112 3456 7890 189).",
                    raw.trim()
                ),
            ));
        }
        if value.starts_with("FR") {
            let french = value.len() == 27
                && value[4..14].chars().all(|c| c.is_ascii_digit())
                && value[25..].chars().all(|c| c.is_ascii_digit());
            if !french {
                return Err(Violation::new(
                    "iban.invalid_format",
                    "Un IBAN français compte 27 caractères : FR, 2 chiffres de contrôle, 10 chiffres (banque et guichet), 11 caractères de compte et 2 chiffres de clé RIB.",
                ));
            }
        }
        if mod97(&value) != Some(1) {
            return Err(Violation::new(
                "iban.invalid_checksum",
                format!(
                    "L'IBAN « {value} » n'est pas valide (clé de contrôle incorrecte) : recopiez-le depuis votre RIB."
                ),
            ));
        }
        if value.starts_with("FR")
            && !rib_key_valid(&value[4..9], &value[9..14], &value[14..25], &value[25..27])
        {
            return Err(Violation::new(
                "iban.invalid_rib_key",
                format!(
                    "La clé RIB de l'IBAN « {value} » est incorrecte : recopiez-le depuis votre RIB."
                ),
            ));
        }
        Ok(Iban(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Bic {
    pub fn parse(raw: &str) -> Result<Bic, Violation> {
        let value: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let ok = value.is_ascii()
            && matches!(value.len(), 8 | 11)
            && value[..6].chars().all(|c| c.is_ascii_uppercase())
            && value[6..].chars().all(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(Bic(value))
        } else {
            Err(Violation::new(
                "bic.invalid_format",
                format!(
                    "« {} » n'est pas un BIC valide : 8 ou 11 caractères, comme BNPAFRPP ou BNPAFRPPXXX.",
                    raw.trim()
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the account holder named on a RIB is the association (Paris asks for a RIB in the
/// association's exact declared name): equal once accents, case and spacing are set aside.
pub fn holder_matches(holder: &str, association_name: &str) -> bool {
    crate::search::fold(holder) == crate::search::fold(association_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_ibans() {
        // The example of french-rules.md, verified there.
        assert_eq!(
            Iban::parse("FR76 3000 6000 0112 3456 7890 189")
                .unwrap()
                .as_str(),
            "FR7630006000011234567890189"
        );
        assert_eq!(
            Iban::parse("fr7630006000011234567890189").unwrap().as_str(),
            "FR7630006000011234567890189"
        );
        assert_eq!(
            Iban::parse("FR7630006000011234567890188").unwrap_err().code,
            "iban.invalid_checksum"
        );
        assert_eq!(
            Iban::parse("FR763000600001123456789018").unwrap_err().code,
            "iban.invalid_format"
        );
        assert_eq!(
            Iban::parse("FR76 3000").unwrap_err().code,
            "iban.invalid_format"
        );
        assert_eq!(
            Iban::parse("IBAN?").unwrap_err().code,
            "iban.invalid_format"
        );
    }

    #[test]
    fn the_rib_key_of_french_rules() {
        // Bank 30006, branch 00001, account 12345678901 give key 89 (french-rules.md §2.3).
        assert!(rib_key_valid("30006", "00001", "12345678901", "89"));
        assert!(!rib_key_valid("30006", "00001", "12345678901", "88"));
        // Letters in the account number count as digits A,J→1 … I,R,Z→9.
        assert_eq!(
            rib_key_valid("30006", "00001", "1234567890A", "89"),
            rib_key_valid("30006", "00001", "12345678901", "89")
        );
    }

    #[test]
    fn other_countries_by_mod_97() {
        assert!(Iban::parse("DE89 3704 0044 0532 0130 00").is_ok());
        assert!(Iban::parse("GB82 WEST 1234 5698 7654 32").is_ok());
        assert_eq!(
            Iban::parse("DE89 3704 0044 0532 0130 01").unwrap_err().code,
            "iban.invalid_checksum"
        );
    }

    #[test]
    fn bics() {
        assert_eq!(Bic::parse("bnpa fr pp").unwrap().as_str(), "BNPAFRPP");
        assert!(Bic::parse("BNPAFRPPXXX").is_ok());
        for bad in [
            "BNPAFRP",
            "BNPAFRPPXX",
            "BNP1FRPP",
            "BNPA-FRPP",
            "AA€€",
            "AAAAAAé€",
        ] {
            assert_eq!(
                Bic::parse(bad).unwrap_err().code,
                "bic.invalid_format",
                "{bad}"
            );
        }
    }

    #[test]
    fn holders() {
        assert!(holder_matches("THEATRE DU FAUBOURG", "Théâtre du Faubourg"));
        assert!(!holder_matches("M. Dupont", "Théâtre du Faubourg"));
    }
}
