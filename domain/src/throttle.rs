//! Slowing down password guessing: too many failed sign-ins on one account, or from one
//! address, within a sliding window, and further attempts are refused until the oldest
//! failure leaves the window.

use crate::DomainError;
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures_per_account: u32,
    pub max_failures_per_address: u32,
    pub window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            max_failures_per_account: 5,
            max_failures_per_address: 50,
            window: Duration::minutes(15),
        }
    }
}

/// Failures recorded for one key (an account or an address) within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentFailures {
    pub count: u32,
    pub oldest: Option<DateTime<Utc>>,
}

impl ThrottlePolicy {
    /// Refuses a new attempt while either key has reached its limit.
    pub fn check(
        &self,
        account: RecentFailures,
        address: RecentFailures,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let wait = |failures: RecentFailures, limit: u32| {
            (failures.count >= limit).then(|| {
                let until = failures
                    .oldest
                    .map_or(now + self.window, |oldest| oldest + self.window);
                (until - now).num_seconds().max(1)
            })
        };
        match wait(account, self.max_failures_per_account)
            .max(wait(address, self.max_failures_per_address))
        {
            Some(retry_after_seconds) => Err(DomainError::TooManyAttempts {
                retry_after_seconds,
            }),
            None => Ok(()),
        }
    }

    /// Failures older than this no longer count.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn refuses_at_the_limit_until_the_oldest_failure_leaves_the_window() {
        let policy = ThrottlePolicy::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let none = RecentFailures {
            count: 0,
            oldest: None,
        };
        let four = RecentFailures {
            count: 4,
            oldest: Some(now - Duration::minutes(10)),
        };
        let five = RecentFailures {
            count: 5,
            oldest: Some(now - Duration::minutes(10)),
        };
        assert_eq!(policy.check(four, none, now), Ok(()));
        assert_eq!(
            policy.check(five, none, now),
            Err(DomainError::TooManyAttempts {
                retry_after_seconds: 300
            })
        );
        let many = RecentFailures {
            count: 50,
            oldest: Some(now - Duration::minutes(1)),
        };
        assert_eq!(
            policy.check(none, many, now),
            Err(DomainError::TooManyAttempts {
                retry_after_seconds: 840
            })
        );
        // The longer wait wins when both are over.
        assert_eq!(
            policy.check(five, many, now),
            Err(DomainError::TooManyAttempts {
                retry_after_seconds: 840
            })
        );
        assert_eq!(policy.window_start(now), now - Duration::minutes(15));
    }
}
