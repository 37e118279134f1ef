//! Authentication: who is calling. Authorization (what they may do) is the domain's policy.

pub mod caller;
pub mod passwords;
pub mod secrets;
pub mod tokens;

pub use caller::Caller;
pub use tokens::TokenKeys;
