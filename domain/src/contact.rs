//! Contact values: e-mail addresses, phone numbers, websites, and bounded free text.

use crate::Violation;
use std::fmt;
use validator::{ValidateEmail, ValidateUrl};

/// An e-mail address. Two addresses that differ only by case are the same account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, Violation> {
        let value = raw.trim();
        if value.len() <= 254 && value.validate_email() {
            Ok(EmailAddress(value.to_owned()))
        } else {
            Err(Violation::new(
                "email.invalid",
                format!("« {value} » n'est pas une adresse e-mail valide."),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form under which uniqueness is checked (case-insensitive).
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number: French (`01 23 45 67 89`) or international (`+33 1 23 45 67 89`).
/// Stored without separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<PhoneNumber, Violation> {
        let value: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}'))
            .collect();
        let digits_after = |prefix: &str| {
            value
                .strip_prefix(prefix)
                .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
        };
        let ok = match (digits_after("+"), digits_after("0")) {
            (Some(d), _) => (8..=15).contains(&d.len()),
            (None, Some(d)) => d.len() == 9,
            _ => false,
        };
        if ok {
            Ok(PhoneNumber(value))
        } else {
            Err(Violation::new(
                "phone.invalid",
                format!(
                    "« {} » n'est pas un numéro de téléphone valide (ex. 01 23 45 67 89 ou +33 1 23 45 67 89).",
                    raw.trim()
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A website address, `http` or `https`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebsiteUrl(String);

impl WebsiteUrl {
    pub fn parse(raw: &str) -> Result<WebsiteUrl, Violation> {
        let value = raw.trim();
        let lower = value.to_ascii_lowercase();
        if value.len() <= 500
            && (lower.starts_with("https://") || lower.starts_with("http://"))
            && value.validate_url()
        {
            Ok(WebsiteUrl(value.to_owned()))
        } else {
            Err(Violation::new(
                "url.invalid",
                format!(
                    "« {value} » n'est pas une adresse web valide (ex. https://mon-association.fr)."
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether text holds control characters other than line breaks and tabs: nobody means to
/// type them, and PostgreSQL cannot even store NUL.
pub fn has_control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn control_characters() -> Violation {
    Violation::new(
        "text.control_character",
        "Ce texte contient des caractères de contrôle invisibles : retirez-les.",
    )
}

/// Free text, trimmed, between `min` and `max` characters, without control characters.
pub fn bounded_text(raw: &str, min: usize, max: usize) -> Result<String, Violation> {
    let value = raw.trim();
    let length = value.chars().count();
    if has_control_characters(value) {
        Err(control_characters())
    } else if length == 0 && min > 0 {
        Err(Violation::new("text.required", "Ce champ est obligatoire."))
    } else if length < min {
        Err(Violation::new(
            "text.too_short",
            format!("Ce texte fait {length} caractères ; {min} au moins sont attendus."),
        ))
    } else if length > max {
        Err(Violation::new(
            "text.too_long",
            format!("Ce texte fait {length} caractères ; {max} au plus sont permis."),
        ))
    } else {
        Ok(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_keyed_case_insensitively() {
        let email = EmailAddress::parse("  Tresoriere@Asso-Exemple.FR ").unwrap();
        assert_eq!(email.as_str(), "Tresoriere@Asso-Exemple.FR");
        assert_eq!(email.key(), "tresoriere@asso-exemple.fr");
        for bad in ["", "no-at-sign", "a@", "@b.fr", "a b@c.fr"] {
            assert_eq!(
                EmailAddress::parse(bad).unwrap_err().code,
                "email.invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn phone_numbers() {
        assert_eq!(
            PhoneNumber::parse("01 23 45 67 89").unwrap().as_str(),
            "0123456789"
        );
        assert_eq!(
            PhoneNumber::parse("01.23.45.67.89").unwrap().as_str(),
            "0123456789"
        );
        assert_eq!(
            PhoneNumber::parse("+33 (0)1 23 45 67 89").unwrap().as_str(),
            "+330123456789"
        );
        assert_eq!(
            PhoneNumber::parse("+33 1 23 45 67 89").unwrap().as_str(),
            "+33123456789"
        );
        for bad in [
            "",
            "0123",
            "1234567890",
            "01 23 45 67 8A",
            "+33",
            "++33123456789",
        ] {
            assert_eq!(
                PhoneNumber::parse(bad).unwrap_err().code,
                "phone.invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn websites_need_http_or_https() {
        assert!(WebsiteUrl::parse("https://www.paris.fr/associations").is_ok());
        assert!(WebsiteUrl::parse("http://exemple.org").is_ok());
        for bad in [
            "www.exemple.org",
            "ftp://exemple.org",
            "javascript:alert(1)",
            "https://",
        ] {
            assert_eq!(
                WebsiteUrl::parse(bad).unwrap_err().code,
                "url.invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn bounded_text_counts_characters_not_bytes() {
        assert_eq!(bounded_text("  Été  ", 1, 3).unwrap(), "Été");
        assert_eq!(
            bounded_text("   ", 1, 10).unwrap_err().code,
            "text.required"
        );
        assert_eq!(
            bounded_text("abcd", 1, 3).unwrap_err().code,
            "text.too_long"
        );
        assert_eq!(bounded_text("", 0, 3).unwrap(), "");
        assert_eq!(bounded_text("ab", 3, 9).unwrap_err().code, "text.too_short");
        assert_eq!(
            bounded_text("nul\0byte", 1, 20).unwrap_err().code,
            "text.control_character"
        );
        assert_eq!(
            bounded_text("bell\u{7}", 1, 20).unwrap_err().code,
            "text.control_character"
        );
        assert_eq!(
            bounded_text("deux\nlignes\tet tab", 1, 40).unwrap(),
            "deux\nlignes\tet tab"
        );
    }
}
