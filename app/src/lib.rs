//! Simpa's application layer: what a person or a program does, whichever front door they came
//! through (the JSON API today, the portal next). No HTTP in it. It holds, for now, what the
//! use cases share: the clock, an association's document vault, and telling people (e-mails
//! and webhook calls queued in the outbox, in the transaction of what causes them). The use
//! cases themselves move here from `api/src/routes` area by area (issue 20).

pub mod clock;
pub mod grants;
pub mod instruction;
pub mod notify;
pub mod requests;
pub mod vault;
