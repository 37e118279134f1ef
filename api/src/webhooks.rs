//! Calling directions' systems: each delivery is a POST of a small JSON body, signed with
//! HMAC-SHA256 over the time and the body, so that receivers know it comes from Simpa and is
//! recent.

use crate::mail::SendFailure;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use simpa_persistence::outbox::Message;
use simpa_persistence::webhooks::Endpoint;
use std::time::Duration;

/// The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
const SIGNATURE_HEADER: &str = "Simpa-Signature";

/// The signature of `body` sent at `at` with `secret`.
pub fn signature(secret: &str, at: DateTime<Utc>, body: &str) -> String {
    let timestamp = at.timestamp();
    // HMAC accepts keys of any length.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let digest = simpa_domain::digest::hex(&mac.finalize().into_bytes());
    format!("t={timestamp},v1={digest}")
}

/// The HTTP client of webhook deliveries.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Simpa-Webhooks/1")
        .build()
        .map_err(|e| e.to_string())
}

/// Delivers one message to its endpoint: any 2xx is received; 410 Gone is final; anything
/// else is tried again later.
pub async fn deliver(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<(), SendFailure> {
    if !endpoint.active {
        return Err(SendFailure {
            permanent: true,
            reason: "the endpoint was removed".into(),
        });
    }
    let response = client
        .post(&endpoint.url)
        .header("Content-Type", "application/json")
        .header("Simpa-Event", &message.subject)
        .header("Simpa-Delivery", message.id.to_string())
        .header(
            SIGNATURE_HEADER,
            signature(&endpoint.secret, now, &message.body),
        )
        .body(message.body.clone())
        .send()
        .await
        .map_err(|e| SendFailure {
            permanent: false,
            reason: format!("no answer: {e}"),
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(SendFailure {
            permanent: status == reqwest::StatusCode::GONE,
            reason: format!("HTTP {}", status.as_u16()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn signatures_cover_the_time_and_the_body() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        let signed = signature("secret", at, r#"{"type":"dispatch"}"#);
        // Computed independently: printf '1795856400.{"type":"dispatch"}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            signed,
            "t=1795856400,v1=6ed76d233bcc3d8afed3e794089b92805c3072093f23042127c9b3e318d883cc"
        );
        assert_ne!(signed, signature("secret", at, r#"{"type":"withdraw"}"#));
        assert_ne!(signed, signature("other", at, r#"{"type":"dispatch"}"#));
    }
}
