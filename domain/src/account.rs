//! Accounts: the rules for passwords, names, the links sent to a person's address (to verify
//! it, to reset a password) and refresh-token rotation.

use crate::coded_enum;
use crate::ids::AccountId;
use crate::text;
use crate::{DomainError, Violation};
use chrono::{DateTime, Duration, Utc};

/// Minimum and maximum password lengths, in characters (NIST SP 800-63B asks for at least 8;
/// we ask 12, as the ANSSI does for a password alone, and cap the length so hashing stays
/// bounded).
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// The least zxcvbn score a password needs (0 to 4): 3 is "safely unguessable", out of reach
/// of an offline attack on a slow hash. zxcvbn ships with Simpa the lists it checks against
/// (the 30,000 most common passwords, names, words, keyboard patterns, dates), no network.
pub const PASSWORD_MIN_SCORE: u8 = 3;

/// A password that meets the length rules. Never logged, never stored in clear.
pub struct Password(String);

impl Password {
    /// A password of the right length that is not common nor easy to guess; `personal` are
    /// what it must not be built on (the e-mail address, the name).
    pub fn parse(raw: &str, personal: &[&str]) -> Result<Password, Violation> {
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
        } else if guessable(raw, personal) {
            Err(Violation::new(
                "password.too_common",
                "Ce mot de passe est trop courant ou trop facile à deviner (mot du dictionnaire, suite de touches, date, votre nom ou votre adresse). Choisissez par exemple quatre mots sans rapport entre eux.",
            ))
        } else if built_on(raw, personal) {
            Err(Violation::new(
                "password.personal",
                "Ce mot de passe reprend surtout votre nom ou votre adresse e-mail : choisissez-en un qui ne vous désigne pas.",
            ))
        } else {
            Ok(Password(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The words of a person's own texts (name, address) of three letters or more, lowercased.
fn personal_words(personal: &[&str]) -> Vec<String> {
    personal
        .iter()
        .flat_map(|text| text.split(|c: char| !c.is_alphanumeric()))
        .filter(|word| word.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// Whether zxcvbn finds the password easy to guess, told the person's own texts and words.
fn guessable(raw: &str, personal: &[&str]) -> bool {
    let words = personal_words(personal);
    let inputs: Vec<&str> = personal
        .iter()
        .copied()
        .chain(words.iter().map(String::as_str))
        .collect();
    (zxcvbn::zxcvbn(raw, &inputs).score() as u8) < PASSWORD_MIN_SCORE
}

/// Whether the password is little more than the person's own words ("camillemartin2026"
/// for Camille Martin): fewer than eight letters and digits remain without them.
fn built_on(raw: &str, personal: &[&str]) -> bool {
    let words = personal_words(personal);
    if words.is_empty() {
        return false;
    }
    let mut rest = raw.to_lowercase();
    for word in &words {
        rest = rest.replace(word.as_str(), "");
    }
    rest.chars().filter(|c| c.is_alphanumeric()).count() < 8
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

coded_enum! {
    /// What a link sent to a person's address is for; each has its own lifetime.
    pub enum TokenPurpose {
        VerifyEmail = ("verify_email", "confirmer l'adresse e-mail"),
        ResetPassword = ("reset_password", "choisir un nouveau mot de passe"),
    }
}

impl TokenPurpose {
    /// How long a link stays good: 48 hours to verify an address, one hour to reset a
    /// password.
    pub fn lifetime(self) -> Duration {
        match self {
            TokenPurpose::VerifyEmail => Duration::hours(48),
            TokenPurpose::ResetPassword => Duration::hours(1),
        }
    }

    /// How many links of this purpose an account is sent within a day at most.
    pub const PER_DAY: i64 = 5;
}

/// What is known of a link's token when it is presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTokenState {
    pub purpose: TokenPurpose,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// A link is good once, for its purpose, until it expires. Whatever is wrong (unknown,
/// used, expired, for something else, tampered with), the caller is told the same.
pub fn check_token(
    state: Option<&AccountTokenState>,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    match state {
        Some(t) if t.purpose == purpose && t.used_at.is_none() && now < t.expires_at => Ok(()),
        _ => Err(link_refused(purpose)),
    }
}

/// What a link that is no good is told, whatever is wrong with it.
pub fn link_refused(purpose: TokenPurpose) -> DomainError {
    DomainError::invalid(
        "token",
        Violation::new(
            "token.invalid",
            format!(
                "Ce lien pour {} n'est pas (ou plus) valable : il a déjà servi, il a expiré ou il est incomplet. Demandez-en un nouveau.",
                purpose.label()
            ),
        ),
    )
}

/// Refuses one more link when the account was sent `TokenPurpose::PER_DAY` of them within
/// the last 24 hours.
pub fn check_links_sent(sent_in_a_day: i64) -> Result<(), DomainError> {
    if sent_in_a_day < TokenPurpose::PER_DAY {
        Ok(())
    } else {
        Err(DomainError::TooManyAttempts {
            code: "account.too_many_links",
            message: format!(
                "Vous avez demandé {} liens en 24 heures : utilisez le dernier reçu, ou réessayez demain.",
                TokenPurpose::PER_DAY
            ),
            retry_after_seconds: Duration::days(1).num_seconds(),
        })
    }
}

/// An admin does not deactivate their own account: another one does.
pub fn check_deactivation(admin: Option<AccountId>, account: AccountId) -> Result<(), DomainError> {
    if admin == Some(account) {
        Err(DomainError::conflict(
            "account.self_deactivation",
            None,
            "Vous ne pouvez pas désactiver votre propre compte : un autre administrateur le fera.",
        ))
    } else {
        Ok(())
    }
}
/// A deactivated account signs in no more, however it tries.
pub fn account_inactive() -> DomainError {
    DomainError::Unauthenticated {
        code: "auth.account_inactive",
        message: "Ce compte est désactivé : adressez-vous à l'administration de Simpa.".into(),
    }
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

/// A browser's session on the portal, as found by its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSessionState {
    /// Past this, it ends (twelve hours after signing in; minutes while a code is awaited).
    pub expires_at: DateTime<Utc>,
    /// When its sign-in was last used; `None` while the second factor's code is awaited.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Its sign-in was revoked (signed out, ended from another device, a new password).
    pub revoked: bool,
}

impl BrowserSessionState {
    /// How long a browser stays signed in: two hours without a page, twelve hours at most.
    pub fn idle_limit() -> Duration {
        Duration::hours(2)
    }

    pub fn lifetime() -> Duration {
        Duration::hours(12)
    }

    /// How long the step between the password and the second factor's code lasts.
    pub fn code_step_lifetime() -> Duration {
        Duration::minutes(10)
    }

    /// Whether the session still serves now.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        let idle = |last: DateTime<Utc>| now - last >= Self::idle_limit();
        !self.revoked && now < self.expires_at && !self.last_used_at.is_some_and(idle)
    }

    /// Whether its use now is worth writing down (a page a minute does not write each time).
    pub fn worth_touching(&self, now: DateTime<Utc>) -> bool {
        self.last_used_at
            .is_some_and(|last| now - last >= Duration::minutes(5))
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

/// Whether the hash of a presented client secret is the current one's, or the previous one's
/// while it still works (a rotated secret keeps working until `until`).
pub fn secret_admitted(
    presented: &str,
    current: &str,
    previous: Option<(&str, chrono::DateTime<chrono::Utc>)>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    current == presented || previous.is_some_and(|(hash, until)| hash == presented && now < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_secret_works_until_its_end() {
        let now = chrono::Utc::now();
        let until = now + chrono::Duration::hours(1);
        assert!(secret_admitted("new", "new", Some(("old", until)), now));
        assert!(secret_admitted("old", "new", Some(("old", until)), now));
        assert!(!secret_admitted("old", "new", Some(("old", until)), until));
        assert!(!secret_admitted("other", "new", Some(("old", until)), now));
        assert!(!secret_admitted("old", "new", None, now));
    }
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
        assert!(Password::parse("correct horse battery", &[]).is_ok());
        assert_eq!(
            Password::parse("short", &[]).unwrap_err().code,
            "password.too_short"
        );
        assert_eq!(
            Password::parse(&"x".repeat(129), &[]).unwrap_err().code,
            "password.too_long"
        );
        // Characters, not bytes: eleven accented letters are too short, whatever their bytes.
        assert_eq!(
            Password::parse("éèàùçéèàùçé", &[]).unwrap_err().code,
            "password.too_short"
        );
        assert!(Password::parse("Éole vanille métro 7 !", &[]).is_ok());
        assert_eq!(
            format!(
                "{:?}",
                Password::parse("correct horse battery", &[]).unwrap()
            ),
            "Password(***)"
        );
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        for common in [
            "password1234",
            "azertyuiop123",
            "123456789012",
            "qwertyuiopasdf",
            "motdepasse123",
            "aaaaaaaaaaaa",
        ] {
            assert_eq!(
                Password::parse(common, &[]).unwrap_err().code,
                "password.too_common",
                "{common}"
            );
        }
        // Built on the person's own name and address.
        let personal = ["camille.martin@exemple.org", "Camille Martin"];
        assert_eq!(
            Password::parse("camillemartin2026", &personal)
                .unwrap_err()
                .code,
            "password.personal"
        );
        assert!(Password::parse("camille et les girafes orageuses", &personal).is_ok());
    }

    #[test]
    fn a_link_is_good_once_for_its_purpose_until_it_expires() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let fresh = AccountTokenState {
            purpose: TokenPurpose::ResetPassword,
            expires_at: now + TokenPurpose::ResetPassword.lifetime(),
            used_at: None,
        };
        assert!(check_token(Some(&fresh), TokenPurpose::ResetPassword, now).is_ok());
        let refused =
            |state: Option<&AccountTokenState>, purpose, at| match check_token(state, purpose, at)
                .unwrap_err()
            {
                DomainError::Invalid(errors) => errors[0].code,
                other => panic!("{other:?}"),
            };
        let used = AccountTokenState {
            used_at: Some(now),
            ..fresh.clone()
        };
        for (state, purpose, at) in [
            (None, TokenPurpose::ResetPassword, now),
            (Some(&used), TokenPurpose::ResetPassword, now),
            (Some(&fresh), TokenPurpose::VerifyEmail, now),
            (
                Some(&fresh),
                TokenPurpose::ResetPassword,
                now + Duration::hours(1),
            ),
        ] {
            assert_eq!(refused(state, purpose, at), "token.invalid");
        }
        assert_eq!(TokenPurpose::VerifyEmail.lifetime(), Duration::hours(48));
    }

    #[test]
    fn five_links_a_day_and_no_admin_deactivates_themselves() {
        assert!(check_links_sent(4).is_ok());
        match check_links_sent(5) {
            Err(DomainError::TooManyAttempts {
                code,
                retry_after_seconds,
                ..
            }) => {
                assert_eq!(code, "account.too_many_links");
                assert_eq!(retry_after_seconds, 86_400);
            }
            other => panic!("{other:?}"),
        }
        let (admin, other) = (
            AccountId::from_uuid(uuid::Uuid::from_u128(1)),
            AccountId::from_uuid(uuid::Uuid::from_u128(2)),
        );
        assert!(check_deactivation(Some(admin), other).is_ok());
        assert!(check_deactivation(None, other).is_ok());
        assert!(matches!(
            check_deactivation(Some(admin), admin),
            Err(DomainError::Conflict {
                code: "account.self_deactivation",
                ..
            })
        ));
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

    #[test]
    fn a_browser_session_ends_when_idle_revoked_or_old() {
        let now = Utc::now();
        let live = BrowserSessionState {
            expires_at: now + Duration::hours(1),
            last_used_at: Some(now - Duration::minutes(119)),
            revoked: false,
        };
        assert!(live.is_live(now));
        assert!(live.worth_touching(now));
        let idle = BrowserSessionState {
            last_used_at: Some(now - Duration::hours(2)),
            ..live.clone()
        };
        assert!(!idle.is_live(now));
        let old = BrowserSessionState {
            expires_at: now,
            ..live.clone()
        };
        assert!(!old.is_live(now));
        let revoked = BrowserSessionState {
            revoked: true,
            ..live.clone()
        };
        assert!(!revoked.is_live(now));
        let fresh = BrowserSessionState {
            last_used_at: Some(now - Duration::minutes(4)),
            ..live
        };
        assert!(!fresh.worth_touching(now));
    }
}
