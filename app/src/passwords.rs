//! Password hashing with argon2id.
//!
//! OWASP's password storage cheat sheet lists five argon2id settings of equal strength, from
//! 46 MiB and one pass to 7 MiB and five passes. Simpa takes the last: the same work for an
//! attacker, in the least memory (argon2's default, 19 MiB and two passes, made each sign-in
//! the largest thing the server held). A hash records its own parameters, so the hashes made
//! with other ones still verify.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

/// Memory of one hash, in KiB (7 MiB).
pub const MEMORY_KIB: u32 = 7 * 1024;
/// Passes over that memory.
pub const PASSES: u32 = 5;

fn hasher() -> Result<Argon2<'static>, argon2::password_hash::Error> {
    let params = Params::new(MEMORY_KIB, PASSES, 1, None)
        .map_err(|_| argon2::password_hash::Error::ParamsInvalid)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The argon2id hash of a password, as stored (PHC string). Fails only if argon2 refuses
/// its parameters or the input (a bug, not a person's mistake).
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    hasher()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
}

/// Whether `password` matches `stored`, under the parameters `stored` records. A stored value
/// that is not a valid hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of one verification without an account, so that answering "no such
/// e-mail" takes as long as "wrong password" and does not reveal which e-mails exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("a password that matches no one").unwrap_or_default());
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("wrong horse battery", &stored));
        assert!(!verify("correct horse battery", "not a hash"));
    }

    #[test]
    fn hashes_use_owasp_s_least_memory_setting_and_older_hashes_still_verify() {
        let stored = hash("correct horse battery").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
            "{stored}"
        );
        // A hash made with argon2's defaults (19 MiB, two passes), as Simpa made them before.
        let older = Argon2::default()
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        assert!(
            older.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{older}"
        );
        assert!(verify("correct horse battery", &older));
        assert!(!verify("wrong horse battery", &older));
    }
}
