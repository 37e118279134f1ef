//! Authentication: who is calling. Authorization (what they may do) is the domain's policy.

pub mod caller;
pub mod secrets;
pub mod tokens;

pub use caller::{Caller, Enrolling, bearer_token};
pub use tokens::{TokenKeys, TokenResponse};

use actix_web::HttpRequest;

/// The address a request comes from, for throttling (see [`simpa_app::throttle::client_address`]).
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let peer = req.peer_addr().map(|a| a.ip());
    simpa_app::throttle::client_address(forwarded, peer, trust_forwarded_for)
}
