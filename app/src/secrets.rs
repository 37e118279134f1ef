//! Random secrets handed to people and programs (invitation tokens, refresh tokens, client
//! secrets): only their hashes are stored (`simpa_domain::digest::sha256_hex`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
