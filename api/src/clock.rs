//! The clock, injected so that tests can fix time.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

pub trait Clock: Send + Sync {
    /// Now, to the microsecond: what both databases store, so values read back compare equal.
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.duration_trunc(TimeDelta::microseconds(1))
            .unwrap_or(now)
    }
}
