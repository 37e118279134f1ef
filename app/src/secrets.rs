//! Random secrets handed to people and programs (invitation tokens, refresh tokens, client
//! secrets, recovery codes): only their hashes are stored (`simpa_domain::digest::sha256_hex`);
//! and the secrets of authenticator apps.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The secret of a new authenticator app (160 random bits).
pub fn random_totp_secret() -> simpa_domain::two_factor::TotpSecret {
    let mut bytes = [0u8; simpa_domain::two_factor::SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    simpa_domain::two_factor::TotpSecret::from_bytes(bytes)
}

/// A new recovery code, as stored: `RECOVERY_LENGTH` letters of `RECOVERY_ALPHABET`
/// (5 random bits each).
pub fn random_recovery_code() -> String {
    use simpa_domain::two_factor::{RECOVERY_ALPHABET, RECOVERY_LENGTH};
    let mut rng = rand::rng();
    (0..RECOVERY_LENGTH)
        .map(|_| {
            let index = (rng.next_u32() as usize) % RECOVERY_ALPHABET.len();
            char::from(RECOVERY_ALPHABET[index])
        })
        .collect()
}
