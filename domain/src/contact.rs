//! Contact values: e-mail addresses, phone numbers, websites.

use crate::Violation;
use std::fmt;
use validator::{ValidateEmail, ValidateUrl};

/// An e-mail address. Two addresses that differ only by case are the same account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, Violation> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(Violation::new(
                "email.invalid",
                "Saisissez une adresse e-mail.",
            ));
        }
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
    fn an_empty_address_is_asked_for() {
        let empty = EmailAddress::parse("  ").unwrap_err();
        assert_eq!(empty.code, "email.invalid");
        assert_eq!(empty.message, "Saisissez une adresse e-mail.");
        let wrong = EmailAddress::parse("jules-at-exemple").unwrap_err();
        assert!(
            wrong.message.contains("« jules-at-exemple »"),
            "{}",
            wrong.message
        );
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
}
