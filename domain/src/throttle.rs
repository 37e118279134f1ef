//! Slowing down guessing without locking the rightful owner out.
//!
//! - A person's failed sign-ins count per account **and address**: five wrong passwords on an
//!   account from one address, and further attempts on it from that address wait until the
//!   oldest leaves the window. Someone guessing from elsewhere cannot lock the owner out of
//!   their account from their usual address.
//! - They also count per account over every address, with a higher limit: guesses spread
//!   over many addresses stop there too, but for the addresses the account signed in from
//!   before (its owner's usual ones).
//! - Every address counts its failures across accounts and clients: past a fifth of its
//!   limit, each further attempt from it waits twice as long after the latest failure (1 s,
//!   2 s, 4 s… up to a minute); at the limit, until the oldest failure leaves the window.
//! - An API client is throttled by its address only: client ids are not secret, so counting
//!   failures per client would let anyone cut off a direction's integration.
//! - Registrations count per address, whether they created an account or not.
//!
//! An IPv6 address counts with its /64 network: one subscriber holds the whole of it.

use crate::DomainError;
use chrono::{DateTime, Duration, Utc};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failed sign-ins on one account from one address within the window.
    pub max_failures_per_account_from_address: u32,
    /// Failed sign-ins on one account from every address together within the window.
    pub max_failures_per_account: u32,
    /// Failed sign-ins from one address within the window, all accounts and clients.
    pub max_failures_per_address: u32,
    pub window: Duration,
    /// Registrations from one address within the window.
    pub max_registrations_per_address: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            max_failures_per_account_from_address: 5,
            max_failures_per_account: 50,
            max_failures_per_address: 50,
            window: Duration::minutes(15),
            max_registrations_per_address: 10,
        }
    }
}

/// The longest wait of an address's backoff, before its limit.
const LONGEST_BACKOFF: Duration = Duration::minutes(1);

/// How long an address an account signed in from counts as its owner's.
pub const KNOWN_ADDRESS_DAYS: i64 = 90;

/// What a person's sign-in is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInFailures {
    pub account_from_address: RecentFailures,
    pub account: RecentFailures,
    pub address: RecentFailures,
    /// Whether the account signed in from this address within `KNOWN_ADDRESS_DAYS`.
    pub known_address: bool,
}

/// The address as throttling counts it: an IPv4 address, or an IPv6 address's /64.
/// An IPv4 address that reaches a dual-stack listener as IPv6 (`::ffff:a.b.c.d`) counts as
/// itself, not as the /64 every such address shares.
pub fn counted_address(address: &str) -> String {
    match address.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Err(_) => address.to_owned(),
    }
}

/// Whether `address` is one of the `known` addresses, as throttling counts addresses (an
/// IPv6 address whose interface part changes, as privacy addresses do, is still known).
pub fn is_known_address(known: &[String], address: &str) -> bool {
    let counted = counted_address(address);
    known.iter().any(|k| counted_address(k) == counted)
}

/// Since when a sign-in makes its address known (see [`KNOWN_ADDRESS_DAYS`]).
pub fn known_address_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::days(KNOWN_ADDRESS_DAYS)
}

/// Attempts recorded for one key (an account and address, an address) within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentFailures {
    pub count: u32,
    pub oldest: Option<DateTime<Utc>>,
    pub latest: Option<DateTime<Utc>>,
}

impl RecentFailures {
    pub const NONE: RecentFailures = RecentFailures {
        count: 0,
        oldest: None,
        latest: None,
    };
}

impl ThrottlePolicy {
    /// Whether a sign-in needs to know if its address is the account's: only past the
    /// account's limit over every address.
    pub fn asks_known_address(&self, account: RecentFailures) -> bool {
        account.count >= self.max_failures_per_account
    }

    /// Refuses a person's sign-in while the account from this address, the account from
    /// anywhere (but its known addresses) or the address is over its limit.
    pub fn check_sign_in(
        &self,
        failures: SignInFailures,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let everywhere = self
            .full(failures.account, self.max_failures_per_account, now)
            .filter(|_| !failures.known_address);
        let wait = self
            .full(
                failures.account_from_address,
                self.max_failures_per_account_from_address,
                now,
            )
            .max(everywhere)
            .max(self.address_wait(failures.address, now));
        refuse_sign_in(wait)
    }

    /// Refuses an API client's sign-in while its address is over its limit.
    pub fn check_client(
        &self,
        address: RecentFailures,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        refuse_sign_in(self.address_wait(address, now))
    }

    /// Refuses a code of a second factor typed for a signed-in person's change (new recovery
    /// codes, turning it off) after as many wrong ones within the window as a sign-in allows
    /// from one address: codes are six digits.
    pub fn check_second_factor(
        &self,
        account: RecentFailures,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.refuse_when_full(
            account,
            self.max_failures_per_account_from_address,
            now,
            "two_factor.too_many_attempts",
            "Trop de codes erronés",
        )
    }

    /// Refuses a "forgot password" while the address asked too many within the window (as
    /// many as it may register accounts).
    pub fn check_password_reset(
        &self,
        address: RecentFailures,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.refuse_when_full(
            address,
            self.max_registrations_per_address,
            now,
            "auth.too_many_password_resets",
            "Trop de demandes de nouveau mot de passe depuis cette adresse",
        )
    }

    /// Refuses what was done `limit` times already within the window, saying what and when
    /// to try again.
    fn refuse_when_full(
        &self,
        recent: RecentFailures,
        limit: u32,
        now: DateTime<Utc>,
        code: &'static str,
        what: &str,
    ) -> Result<(), DomainError> {
        match self.full(recent, limit, now) {
            Some(retry_after_seconds) => Err(DomainError::TooManyAttempts {
                code,
                message: format!("{what} : réessayez dans {}.", in_words(retry_after_seconds)),
                retry_after_seconds,
            }),
            None => Ok(()),
        }
    }

    /// Refuses a registration while the address registered too many within the window.
    pub fn check_registration(
        &self,
        address: RecentFailures,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.refuse_when_full(
            address,
            self.max_registrations_per_address,
            now,
            "account.too_many_registrations",
            "Trop de comptes créés depuis cette adresse",
        )
    }

    /// Failures older than this no longer count.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window
    }

    /// Past `limit` attempts, the seconds until the oldest leaves the window.
    fn full(&self, failures: RecentFailures, limit: u32, now: DateTime<Utc>) -> Option<i64> {
        (failures.count >= limit).then(|| {
            let until = failures
                .oldest
                .map_or(now + self.window, |oldest| oldest + self.window);
            (until - now).num_seconds().max(1)
        })
    }

    /// An address's wait: full at its limit; before that, past a fifth of it, a wait after
    /// its latest failure that doubles with each further failure (1 s, 2 s, 4 s…, at most
    /// a minute).
    fn address_wait(&self, address: RecentFailures, now: DateTime<Utc>) -> Option<i64> {
        let full = self.full(address, self.max_failures_per_address, now);
        let free = (self.max_failures_per_address / 5).max(1);
        let backoff = address
            .latest
            .filter(|_| address.count >= free)
            .and_then(|latest| {
                let doublings = (address.count - free).min(30);
                let delay = Duration::seconds(1_i64 << doublings).min(LONGEST_BACKOFF);
                let remaining = latest + delay - now;
                // In whole seconds, rounded up: waiting less would be refused again.
                (remaining > Duration::zero()).then(|| (remaining.num_milliseconds() + 999) / 1000)
            });
        full.max(backoff)
    }
}

/// A wait as people read it: "40 secondes", "1 minute", "14 minutes" (rounded up).
fn in_words(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n > 1 { "s" } else { "" });
    if seconds < 60 {
        plural(seconds.max(1), "seconde")
    } else {
        plural((seconds + 59) / 60, "minute")
    }
}

fn refuse_sign_in(wait: Option<i64>) -> Result<(), DomainError> {
    match wait {
        Some(retry_after_seconds) => Err(DomainError::TooManyAttempts {
            code: "auth.too_many_attempts",
            message: format!(
                "Trop de tentatives de connexion échouées : réessayez dans {}.",
                in_words(retry_after_seconds)
            ),
            retry_after_seconds,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn failures(count: u32, oldest_minutes_ago: i64, latest_seconds_ago: i64) -> RecentFailures {
        RecentFailures {
            count,
            oldest: Some(now() - Duration::minutes(oldest_minutes_ago)),
            latest: Some(now() - Duration::seconds(latest_seconds_ago)),
        }
    }

    fn wait(result: Result<(), DomainError>) -> Option<i64> {
        match result {
            Ok(()) => None,
            Err(DomainError::TooManyAttempts {
                retry_after_seconds,
                ..
            }) => Some(retry_after_seconds),
            Err(other) => panic!("{other:?}"),
        }
    }

    fn sign_in(
        account_from_address: RecentFailures,
        account: RecentFailures,
        address: RecentFailures,
        known_address: bool,
    ) -> Option<i64> {
        let failures = SignInFailures {
            account_from_address,
            account,
            address,
            known_address,
        };
        wait(ThrottlePolicy::default().check_sign_in(failures, now()))
    }

    #[test]
    fn an_account_from_one_address_waits_at_the_limit_until_the_oldest_failure_leaves() {
        let none = RecentFailures::NONE;
        assert_eq!(sign_in(failures(4, 10, 60), none, none, false), None);
        assert_eq!(sign_in(failures(5, 10, 60), none, none, false), Some(300));
        assert_eq!(sign_in(failures(5, 10, 60), none, none, true), Some(300));
        let policy = ThrottlePolicy::default();
        assert_eq!(policy.window_start(now()), now() - Duration::minutes(15));
    }

    #[test]
    fn guesses_spread_over_addresses_stop_at_the_account_but_for_its_known_addresses() {
        let none = RecentFailures::NONE;
        let policy = ThrottlePolicy::default();
        assert!(!policy.asks_known_address(failures(49, 10, 0)));
        assert!(policy.asks_known_address(failures(50, 10, 0)));
        assert_eq!(sign_in(none, failures(49, 10, 0), none, false), None);
        assert_eq!(sign_in(none, failures(50, 10, 0), none, false), Some(300));
        assert_eq!(
            sign_in(none, failures(50, 10, 0), none, true),
            None,
            "its owner"
        );
    }

    #[test]
    fn an_address_backs_off_then_waits_for_the_window() {
        let none = RecentFailures::NONE;
        let check = |address| sign_in(none, none, address, false);
        // The first ten failures of an address cost nothing.
        assert_eq!(check(failures(9, 5, 0)), None);
        // Then 1 s after the latest, 2 s, 4 s…
        assert_eq!(check(failures(10, 5, 0)), Some(1));
        assert_eq!(check(failures(13, 5, 0)), Some(8));
        assert_eq!(check(failures(13, 5, 8)), None, "waited long enough");
        let just_after = RecentFailures {
            latest: Some(now() - Duration::milliseconds(5)),
            ..failures(10, 5, 0)
        };
        assert_eq!(check(just_after), Some(1), "rounded up");
        assert_eq!(check(failures(30, 5, 0)), Some(60), "at most a minute");
        assert_eq!(check(failures(49, 5, 61)), None);
        // At the limit, until the oldest failure leaves the window.
        assert_eq!(check(failures(50, 1, 3_000)), Some(840));
        assert_eq!(check(failures(50, 1, 0)), Some(840));
    }

    #[test]
    fn an_ipv6_address_counts_with_its_network() {
        assert_eq!(counted_address("203.0.113.7"), "203.0.113.7");
        assert_eq!(
            counted_address("2001:db8:aa:bb:1:2:3:4"),
            counted_address("2001:db8:aa:bb:ffff::9")
        );
        assert_eq!(counted_address("2001:db8:aa:bb::1"), "2001:db8:aa:bb::/64");
        assert_eq!(counted_address("unknown"), "unknown");
        // IPv4 peers of a dual-stack listener: each counts alone.
        assert_eq!(counted_address("::ffff:203.0.113.7"), "203.0.113.7");
        assert_ne!(
            counted_address("::ffff:203.0.113.7"),
            counted_address("::ffff:198.51.100.1")
        );
        let known = [
            "2001:db8:aa:bb:1:2:3:4".to_owned(),
            "203.0.113.7".to_owned(),
        ];
        assert!(is_known_address(&known, "2001:db8:aa:bb:9:9:9:9"));
        assert!(is_known_address(&known, "::ffff:203.0.113.7"));
        assert!(!is_known_address(&known, "2001:db8:aa:cc::1"));
        assert!(!is_known_address(&known, "203.0.113.8"));
    }

    #[test]
    fn an_api_client_is_throttled_by_its_address_only() {
        let policy = ThrottlePolicy::default();
        assert_eq!(wait(policy.check_client(failures(9, 5, 0), now())), None);
        assert_eq!(
            wait(policy.check_client(failures(11, 5, 0), now())),
            Some(2)
        );
    }

    #[test]
    fn waits_are_told_in_words() {
        assert_eq!(in_words(1), "1 seconde");
        assert_eq!(in_words(40), "40 secondes");
        assert_eq!(in_words(60), "1 minute");
        assert_eq!(in_words(61), "2 minutes");
    }

    #[test]
    fn registrations_count_per_address() {
        let policy = ThrottlePolicy::default();
        assert_eq!(
            wait(policy.check_registration(failures(9, 5, 0), now())),
            None
        );
        let refused = policy.check_registration(failures(10, 5, 0), now());
        assert_eq!(wait(refused.clone()), Some(600));
        match refused {
            Err(DomainError::TooManyAttempts { code, message, .. }) => {
                assert_eq!(code, "account.too_many_registrations");
                assert!(message.contains("10 minutes"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
