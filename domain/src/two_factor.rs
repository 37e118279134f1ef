//! The second factor of a person's sign-in: a one-time code from an authenticator app (TOTP,
//! RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), or one of their recovery codes when the
//! device is lost. Who must have one: every staff role but jurors, when the city requires it.

use crate::digest::same_secret;
use crate::error::{DomainError, Violation};
use crate::roles::StaffRole;
use chrono::{DateTime, Utc};
use totp_rs::{Algorithm, TOTP};

/// The length of a secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// How long one code lasts.
pub const STEP_SECONDS: i64 = 30;
/// How many steps a code may be early or late, for clocks that drift (RFC 6238 §5.2).
pub const WINDOW_STEPS: i64 = 1;
/// How many recovery codes a person is given, each good once.
pub const RECOVERY_CODES: usize = 10;
/// The letters of a recovery code (RFC 4648's base32, lower case: no 0/O or 1/l to confuse).
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
/// The letters of a recovery code, grouped by four when shown (60 bits).
pub const RECOVERY_LENGTH: usize = 12;
/// The name authenticator apps show beside the person's address.
const ISSUER: &str = "Simpa";

/// Whether a person with these staff roles must sign in with a second factor: every staff
/// role but jurors (often outside experts, who see only their juries' requests), when the
/// city requires it.
pub fn second_factor_required(staff: &[StaffRole], required_for_staff: bool) -> bool {
    required_for_staff && staff.iter().any(|r| !matches!(r, StaffRole::Juror))
}

/// The secret an authenticator app shares with Simpa.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    /// A secret from random bytes (`SECRET_BYTES` of them).
    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> TotpSecret {
        TotpSecret(bytes.to_vec())
    }

    /// A secret as stored and as people type it into their app: base32 without padding.
    pub fn from_base32(encoded: &str) -> Option<TotpSecret> {
        let bytes = totp_rs::Secret::Encoded(encoded.to_owned())
            .to_bytes()
            .ok()?;
        (bytes.len() == SECRET_BYTES).then_some(TotpSecret(bytes))
    }

    pub fn base32(&self) -> String {
        self.totp(String::new()).get_secret_base32()
    }

    /// The `otpauth://` address an app reads (from a QR code) to add the account.
    pub fn provisioning_uri(&self, account_label: &str) -> String {
        // A colon would end the label early: the app would show a wrong name.
        self.totp(account_label.replace(':', " ")).get_url()
    }

    /// The code of the step that holds `at` (what the app shows then).
    pub fn code_at(&self, at: DateTime<Utc>) -> String {
        self.code_of_step(step_of(at))
    }

    fn code_of_step(&self, step: i64) -> String {
        let time = u64::try_from(step.max(0) * STEP_SECONDS).unwrap_or_default();
        self.totp(String::new()).generate(time)
    }

    fn totp(&self, account_name: String) -> TOTP {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            6,
            WINDOW_STEPS as u8,
            STEP_SECONDS as u64,
            self.0.clone(),
            Some(ISSUER.to_owned()),
            account_name,
        )
    }

    /// The step of a code typed at `now`, one step early or late allowed; refused when it is
    /// no code of the window, or of a step already used (`last_used_step`): a code works once.
    pub fn check(
        &self,
        code: &str,
        now: DateTime<Utc>,
        last_used_step: Option<i64>,
    ) -> Result<i64, DomainError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let current = step_of(now);
        let matched = (current - WINDOW_STEPS..=current + WINDOW_STEPS)
            .find(|step| same_secret(self.code_of_step(*step).as_bytes(), code.as_bytes()));
        match matched {
            None => Err(code_refused()),
            Some(step) if last_used_step.is_some_and(|used| step <= used) => Err(code_reused()),
            Some(step) => Ok(step),
        }
    }
}

/// The 30-second step that holds `at` (RFC 6238's T).
pub fn step_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECONDS)
}

/// A code of the app presented again: each works once.
pub fn code_reused() -> DomainError {
    DomainError::Unauthenticated {
        code: "two_factor.code_reused",
        message:
            "Ce code a déjà servi : attendez le suivant de votre application (30 secondes au plus)."
                .into(),
    }
}

/// A code refused: wrong, or not of the current window.
pub fn code_refused() -> DomainError {
    DomainError::Unauthenticated {
        code: "two_factor.code_invalid",
        message: "Code de vérification incorrect ou expiré : saisissez celui que votre application affiche maintenant, ou un code de secours.".into(),
    }
}

/// What a person typed as their second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactorCode {
    /// Six digits from the app.
    Totp(String),
    /// A recovery code, as stored (letters only, lower case).
    Recovery(String),
}

impl SecondFactorCode {
    /// Reads six digits, or a recovery code with or without its dashes and spaces, in any case.
    pub fn parse(raw: &str) -> Result<SecondFactorCode, Violation> {
        let kept: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if kept.len() == 6 && kept.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(SecondFactorCode::Totp(kept));
        }
        let lower = kept.to_ascii_lowercase();
        if lower.len() == RECOVERY_LENGTH && lower.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
            return Ok(SecondFactorCode::Recovery(lower));
        }
        Err(Violation::new(
            "two_factor.code_format",
            "Saisissez les 6 chiffres affichés par votre application, ou un code de secours (12 lettres et chiffres, ex. abcd-efgh-ijkl).",
        ))
    }
}

/// A recovery code as shown to its owner: by groups of four (`abcd-efgh-ijkl`).
pub fn show_recovery_code(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Why an enrolment step cannot be done now.
pub fn already_enabled() -> DomainError {
    DomainError::Conflict {
        code: "two_factor.already_enabled",
        field: None,
        message: "La double authentification est déjà activée sur ce compte.".into(),
    }
}

/// Turning it off is refused to a person who must keep it.
pub fn check_disable(required: bool) -> Result<(), DomainError> {
    if required {
        return Err(DomainError::Conflict {
            code: "two_factor.required",
            field: None,
            message: "Votre rôle d'agent exige la double authentification : elle ne peut pas être désactivée. En cas de perte de votre appareil, utilisez un code de secours ou demandez à un administrateur de la réinitialiser.".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 6238's appendix B secret for SHA-1.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    #[test]
    fn codes_are_rfc_6238s() {
        // Appendix B gives 8 digits; ours are their last 6.
        let at = |s| Utc.timestamp_opt(s, 0).unwrap();
        assert_eq!(rfc_secret().code_at(at(59)), "287082");
        assert_eq!(rfc_secret().code_at(at(1_111_111_109)), "081804");
        assert_eq!(rfc_secret().code_at(at(2_000_000_000)), "279037");
    }

    #[test]
    fn a_code_works_one_step_either_side_and_once() {
        let secret = rfc_secret();
        let now = Utc.timestamp_opt(1_800_000_015, 0).unwrap();
        let step = step_of(now);
        let at_step = |s: i64| Utc.timestamp_opt(s * STEP_SECONDS, 0).unwrap();
        for offset in -1..=1 {
            let code = secret.code_at(at_step(step + offset));
            assert_eq!(secret.check(&code, now, None), Ok(step + offset));
        }
        for offset in [-2, 2] {
            let code = secret.code_at(at_step(step + offset));
            assert_eq!(
                secret.check(&code, now, None),
                Err(code_refused()),
                "{offset}"
            );
        }
        let code = secret.code_at(now);
        let reused = secret.check(&code, now, Some(step)).unwrap_err();
        assert!(matches!(
            reused,
            DomainError::Unauthenticated {
                code: "two_factor.code_reused",
                ..
            }
        ));
        // A later step's code still works after an earlier one was used.
        let next = secret.code_at(at_step(step + 1));
        assert_eq!(secret.check(&next, now, Some(step)), Ok(step + 1));
        // An earlier one does not, once a later one was used.
        let before = secret.code_at(at_step(step - 1));
        assert!(secret.check(&before, now, Some(step)).is_err());
        assert_eq!(
            secret.check(" 287 082 ", Utc.timestamp_opt(59, 0).unwrap(), None),
            Ok(1)
        );
    }

    #[test]
    fn secrets_read_back_and_make_an_app_address() {
        let secret = rfc_secret();
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            TotpSecret::from_base32(&secret.base32()),
            Some(secret.clone())
        );
        assert_eq!(TotpSecret::from_base32("GEZDGNBV"), None);
        assert_eq!(
            secret.provisioning_uri("marie@exemple.org"),
            "otpauth://totp/Simpa:marie%40exemple.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Simpa"
        );
    }

    #[test]
    fn codes_are_read_as_typed() {
        assert_eq!(
            SecondFactorCode::parse(" 123 456 "),
            Ok(SecondFactorCode::Totp("123456".into()))
        );
        assert_eq!(
            SecondFactorCode::parse("ABCD-efgh-2345"),
            Ok(SecondFactorCode::Recovery("abcdefgh2345".into()))
        );
        for bad in ["", "12345", "1234567", "abcd-efgh-ijk1", "abcd-efgh-ijklm"] {
            assert_eq!(
                SecondFactorCode::parse(bad).unwrap_err().code,
                "two_factor.code_format",
                "{bad}"
            );
        }
        assert_eq!(show_recovery_code("abcdefgh2345"), "abcd-efgh-2345");
    }

    #[test]
    fn staff_but_jurors_must_have_one_when_the_city_says_so() {
        assert!(second_factor_required(&[StaffRole::Bureau], true));
        assert!(second_factor_required(
            &[StaffRole::Juror, StaffRole::Finance],
            true
        ));
        assert!(!second_factor_required(&[StaffRole::Juror], true));
        assert!(!second_factor_required(&[], true));
        assert!(!second_factor_required(&[StaffRole::Admin], false));
        assert!(check_disable(true).is_err());
        assert!(check_disable(false).is_ok());
    }
}
