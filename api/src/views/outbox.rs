//! A message of the outbox (an e-mail, a webhook call), as the outbox and a webhook's
//! deliveries show it.

use crate::codes::{ChannelCode, MessageStatusCode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use simpa_persistence::outbox::Message;
use utoipa::ToSchema;
use uuid::Uuid;

/// A message of the outbox.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessageView {
    pub id: Uuid,
    pub channel: ChannelCode,
    pub recipient: String,
    pub subject: String,
    pub status: MessageStatusCode,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub request_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When it is due (again), while pending.
    pub available_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<Message> for OutboxMessageView {
    fn from(m: Message) -> Self {
        OutboxMessageView {
            id: m.id,
            channel: ChannelCode(m.channel),
            recipient: m.recipient,
            subject: m.subject,
            status: MessageStatusCode(m.status),
            attempts: m.attempts,
            last_error: m.last_error,
            request_id: m.request.map(|r| r.uuid()),
            created_at: m.created_at,
            available_at: m.available_at,
            sent_at: m.sent_at,
        }
    }
}
