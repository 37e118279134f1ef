//! Authentication: who is calling. Authorization (what they may do) is the domain's policy.

pub mod caller;
pub mod secrets;
pub mod tokens;

pub use caller::{Caller, Enrolling, bearer_token};
pub use tokens::TokenKeys;

use actix_web::HttpRequest;

/// The address a request comes from, for throttling. Behind a trusted proxy, the address the
/// proxy appended last to `X-Forwarded-For`: the entries before it are the client's say-so.
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| {
            req.headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
        })
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}
