//! Delivering what the outbox holds (e-mails, webhook calls): at least once, retried with an
//! exponential backoff while the receiver is down, and given up after a day.

use crate::coded_enum;
use chrono::{DateTime, Duration, Utc};

coded_enum! {
    /// How a message travels.
    pub enum Channel {
        Email = ("email", "Courriel"),
        Webhook = ("webhook", "Appel d'un point de réception (webhook)"),
    }
}

coded_enum! {
    /// Where a message stands.
    pub enum MessageStatus {
        Pending = ("pending", "À envoyer"),
        Sent = ("sent", "Envoyé"),
        Failed = ("failed", "Abandonné"),
    }
}

/// How long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first retry waits this long; each next one twice as long.
    pub first: Duration,
    /// No wait is longer: a receiver back up is served within this time.
    pub longest: Duration,
    /// After this, an undelivered message is given up and shown to admins as failed.
    pub give_up_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::seconds(30),
            longest: Duration::minutes(15),
            give_up_after: Duration::hours(24),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    GiveUp,
}

/// Decides after the `attempts`-th failure of a message queued at `queued_at`. A permanent
/// failure (an address refused, an endpoint gone) is not retried.
pub fn after_failure(
    backoff: &Backoff,
    attempts: u32,
    queued_at: DateTime<Utc>,
    now: DateTime<Utc>,
    permanent: bool,
) -> AfterFailure {
    let doubling = attempts.saturating_sub(1).min(20);
    let wait = backoff
        .first
        .checked_mul(1 << doubling)
        .unwrap_or(backoff.longest)
        .min(backoff.longest);
    let next = now + wait;
    if permanent || next > queued_at + backoff.give_up_after {
        AfterFailure::GiveUp
    } else {
        AfterFailure::RetryAt(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn waits_double_up_to_a_quarter_of_an_hour_and_give_up_after_a_day() {
        let queued = Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
        let waits: Vec<i64> = (1..=7)
            .map(
                |n| match after_failure(&Backoff::default(), n, queued, queued, false) {
                    AfterFailure::RetryAt(at) => (at - queued).num_seconds(),
                    AfterFailure::GiveUp => -1,
                },
            )
            .collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900]);
        // An hour down loses nothing: still retried.
        let hour_later = queued + Duration::hours(1);
        assert!(matches!(
            after_failure(&Backoff::default(), 12, queued, hour_later, false),
            AfterFailure::RetryAt(_)
        ));
        assert_eq!(
            after_failure(
                &Backoff::default(),
                90,
                queued,
                queued + Duration::hours(24),
                false
            ),
            AfterFailure::GiveUp
        );
        assert_eq!(
            after_failure(&Backoff::default(), 1, queued, queued, true),
            AfterFailure::GiveUp
        );
        assert!(matches!(
            after_failure(&Backoff::default(), u32::MAX, queued, queued, false),
            AfterFailure::RetryAt(_)
        ));
    }
}
