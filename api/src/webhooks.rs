//! Calling directions' systems: each delivery is a POST of a small JSON body, signed with
//! HMAC-SHA256 over the time and the body, so that receivers know it comes from Simpa and is
//! recent. Only public addresses are called (`simpa_domain::reachable`), checked when an
//! endpoint is registered and again at each delivery, on the addresses actually connected to
//! (a name that resolved to a public address at registration may resolve to an internal one
//! later); hosts named in `SIMPA_WEBHOOK_ALLOWED_HOSTS` are called whatever they are.

use crate::mail::SendFailure;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;
use simpa_app::webhooks::{RESOLVE_TIMEOUT, check_reachable, public_addresses};
use simpa_domain::reachable::{AllowedHosts, bare_host};
use simpa_persistence::outbox::Message;
use simpa_persistence::webhooks::Endpoint;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The deliveries' resolver: the system's, keeping the answer only when every address is
/// public (or the host allowed), so that the connection goes to an address just checked.
struct PublicOnly(AllowedHosts);

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allowed = self.0.allows(&host);
        Box::pin(async move {
            let addresses = if allowed {
                tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host.as_str(), 0)))
                    .await
                    .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??
                    .collect::<Vec<_>>()
            } else {
                public_addresses(&host, 0).await.map_err(|v| {
                    Box::new(Refused(v.code)) as Box<dyn std::error::Error + Send + Sync>
                })?
            };
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// A delivery refused before connecting: the address is not one Simpa calls.
#[derive(Debug)]
struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused before connecting: {}", self.0)
    }
}

impl std::error::Error for Refused {}

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

/// The HTTP client of webhook deliveries: no redirect followed, no proxy, only public
/// addresses (or allowed hosts) connected to.
pub fn client(allowed: &AllowedHosts) -> Result<Webhooks, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PublicOnly(allowed.clone())))
        .user_agent("Simpa-Webhooks/1")
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Webhooks {
        client,
        allowed: allowed.clone(),
    })
}

/// What delivers webhooks.
pub struct Webhooks {
    client: reqwest::Client,
    allowed: AllowedHosts,
}

/// What the delivery log tells the endpoint's owner: no more than whether the receiver
/// answered (the details, which could map an internal network, go to Simpa's log only).
const REFUSED: &str = "refused";
const NO_ANSWER: &str = "no answer";

/// Delivers one message to its endpoint: any 2xx is received; 410 Gone is final; anything
/// else is tried again later.
pub async fn deliver(
    webhooks: &Webhooks,
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
    let refused = |detail: String| {
        tracing::info!(endpoint = %endpoint.id, %detail, "a webhook delivery is refused");
        SendFailure {
            permanent: false,
            reason: REFUSED.into(),
        }
    };
    // An address written as such is not resolved (the client's resolver checks names): it is
    // checked here, as at registration (which does not resolve it either).
    let literal = reqwest::Url::parse(&endpoint.url)
        .ok()
        .and_then(|u| u.host_str().map(bare_host))
        .filter(|host| host.parse::<IpAddr>().is_ok());
    if let Some(host) = literal
        && check_reachable(&endpoint.url, &webhooks.allowed)
            .await
            .is_err()
    {
        return Err(refused(format!("{host} is not a public address")));
    }
    let response = webhooks
        .client
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
        .map_err(|e| {
            if std::error::Error::source(&e).is_some_and(refused_before_connecting) {
                refused(e.to_string())
            } else {
                tracing::info!(endpoint = %endpoint.id, error = %e, "a webhook receiver did not answer");
                SendFailure {
                    permanent: false,
                    reason: NO_ANSWER.into(),
                }
            }
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        tracing::info!(endpoint = %endpoint.id, status = status.as_u16(), "a webhook receiver refused a delivery");
        Err(SendFailure {
            permanent: status == reqwest::StatusCode::GONE,
            reason: REFUSED.into(),
        })
    }
}

/// Whether an error (or one of its causes) is the resolver's refusal.
fn refused_before_connecting(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<Refused>() {
            return true;
        }
        cause = e.source();
    }
    false
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
