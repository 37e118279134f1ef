//! Simpa's application layer: what a person or a program does, whichever front door they came
//! through (the JSON API today, the portal next). No HTTP in it. Acting on a request
//! (`instruction`), reading one as someone may (`requests`), grants' shared steps, the daily
//! jobs, and what use cases share: the clock, an association's document vault, and telling
//! people (e-mails and webhook calls queued in the outbox, in the transaction of what causes
//! them). The other use cases move here from `api/src/routes` area by area (issue 20).

pub mod access;
pub mod accounts;
pub mod admin;
pub mod agreements;
pub mod associations;
pub mod audit;
pub mod campaigns;
pub mod clock;
pub mod conversation;
pub mod cursor;
pub mod deliberations;
pub mod directory;
pub mod documents;
pub mod final_reports;
pub mod follow_up;
pub mod grants;
pub mod indicators;
pub mod instruction;
pub mod jobs;
pub mod juries;
pub mod jury_lists;
pub mod jury_sheets;
pub mod members;
pub mod notify;
pub mod oidc;
pub mod open_data;
pub mod passwords;
pub mod reference;
pub mod request_content;
pub mod requests;
pub mod runtime;
pub mod saved_filters;
pub mod secrets;
pub mod service_accounts;
pub mod sign_in;
pub mod spreadsheet;
pub mod sso;
pub mod throttle;
pub mod tracking;
pub mod two_factor;
pub mod vault;
pub mod webhooks;
