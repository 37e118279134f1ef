//! What several routes show the same way (a request, its summary, references to a campaign or
//! an association): route modules share these and never import each other.

pub mod accounts;
pub mod documents;
pub mod juries;
pub mod outbox;
pub mod request_fields;
pub mod request_lists;
pub mod requests;
