//! Accounts: the rules for passwords, names and refresh-token rotation.

use crate::Violation;
use crate::text;
use chrono::{DateTime, Utc};

/// Minimum and maximum password lengths, in characters (NIST SP 800-63B asks for at least 8;
/// we ask 10 and cap the length so hashing stays bounded).
pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A password that meets the length rules. Never logged, never stored in clear.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Password, Violation> {
        let length = raw.chars().count();
        if length < PASSWORD_MIN_CHARS {
            Err(Violation::new(
                "password.too_short",
                format!("Le mot de passe doit comporter au moins {PASSWORD_MIN_CHARS} caractères."),
            ))
        } else if length > PASSWORD_MAX_CHARS {
            Err(Violation::new(
                "password.too_long",
                format!("Le mot de passe doit comporter au plus {PASSWORD_MAX_CHARS} caractères."),
            ))
        } else {
            Ok(Password(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A person's name as shown to others.
pub fn parse_display_name(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 120)
}

/// What is known of a refresh token presented for rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenState {
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What to do with a presented refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Mark it used and issue the next token of the same family.
    Rotate,
    /// Refuse it: revoked (logout or earlier reuse) or expired.
    Refuse,
    /// It was already used: someone replayed it, so the whole family is revoked.
    RevokeFamily,
}

/// Rotation with reuse detection (OAuth 2.0 Security BCP, RFC 9700 §2.2.2): a refresh token
/// is good once; presenting a used one means it leaked, and every token of its family dies.
pub fn decide_refresh(token: &RefreshTokenState, now: DateTime<Utc>) -> RefreshDecision {
    if token.revoked_at.is_some() {
        RefreshDecision::Refuse
    } else if token.used_at.is_some() {
        RefreshDecision::RevokeFamily
    } else if token.expires_at <= now {
        RefreshDecision::Refuse
    } else {
        RefreshDecision::Rotate
    }
}

/// An API client's id, from a random one: `simpa-` and 32 hexadecimal digits.
pub fn client_id_of(random: uuid::Uuid) -> String {
    format!("simpa-{}", random.simple())
}

/// Whether a client id given has the shape of ours (only such a one is written to the audit
/// trail, not whatever a caller typed: a secret, a megabyte).
pub fn is_client_id(client_id: &str) -> bool {
    client_id
        .strip_prefix("simpa-")
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn client_ids_have_one_shape() {
        let id = client_id_of(uuid::Uuid::from_u128(0xabc));
        assert_eq!(id, "simpa-00000000000000000000000000000abc");
        assert!(is_client_id(&id));
        for other in [
            "simpa-",
            "simpa-00000000000000000000000000000abg",
            "x-00000000000000000000000000000abc",
            &format!("{id}0"),
        ] {
            assert!(!is_client_id(other), "{other}");
        }
    }

    #[test]
    fn password_length_rules() {
        assert!(Password::parse("correct horse").is_ok());
        assert_eq!(
            Password::parse("short").unwrap_err().code,
            "password.too_short"
        );
        assert_eq!(
            Password::parse(&"x".repeat(129)).unwrap_err().code,
            "password.too_long"
        );
        // Characters, not bytes.
        assert!(Password::parse("ééééééééé").is_err());
        assert!(Password::parse("éééééééééé").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn refresh_rotation_and_reuse() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let fresh = RefreshTokenState {
            expires_at: now + chrono::Duration::days(1),
            used_at: None,
            revoked_at: None,
        };
        assert_eq!(decide_refresh(&fresh, now), RefreshDecision::Rotate);
        let used = RefreshTokenState {
            used_at: Some(now),
            ..fresh.clone()
        };
        assert_eq!(decide_refresh(&used, now), RefreshDecision::RevokeFamily);
        let revoked = RefreshTokenState {
            used_at: Some(now),
            revoked_at: Some(now),
            ..fresh.clone()
        };
        assert_eq!(decide_refresh(&revoked, now), RefreshDecision::Refuse);
        let expired = RefreshTokenState {
            expires_at: now,
            ..fresh
        };
        assert_eq!(decide_refresh(&expired, now), RefreshDecision::Refuse);
    }
}
