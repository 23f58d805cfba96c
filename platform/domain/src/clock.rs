//! The platform's "now": the system clock in production, a clock that tests set to a chosen
//! instant (a run "on" 24 December or on the days the clocks change) and move on by hand.
//!
//! Everything that decides by the date or the time (free slots, deadlines, the cash office's day,
//! validity of documents, expiry of holds, links and sessions) asks this clock, in Rust through
//! [`Clock::now`] and in SQL through `app_now()`, which reads the same instant from the
//! transaction (the database handle sets it when the clock is fixed). Timestamps checked against
//! another party's clock (webhook signatures, OpenID tokens) keep the real time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Date, Duration, OffsetDateTime};

/// The source of the current instant. Cheap to clone; clones of a fixed clock share its time.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock (production).
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock standing at `at` until it is set or advanced (tests, demos of a given day).
    pub fn fixed(at: OffsetDateTime) -> Self {
        Self(Some(Arc::new(AtomicI64::new(micros(at)))))
    }

    /// The current instant, in UTC.
    pub fn now(&self) -> OffsetDateTime {
        match &self.0 {
            None => OffsetDateTime::now_utc(),
            Some(t) => from_micros(t.load(Ordering::Acquire)),
        }
    }

    /// Today's date in German civil time.
    pub fn today(&self) -> Date {
        crate::civil::german(self.now()).date()
    }

    /// The fixed instant, or `None` for the system clock (what the database handle hands to SQL).
    pub fn fixed_at(&self) -> Option<OffsetDateTime> {
        self.0.as_ref().map(|t| from_micros(t.load(Ordering::Acquire)))
    }

    /// Sets a fixed clock to `at`; the system clock cannot be set (returns `false`).
    pub fn set(&self, at: OffsetDateTime) -> bool {
        self.0.as_ref().map(|t| t.store(micros(at), Ordering::Release)).is_some()
    }

    /// Moves a fixed clock on by `by`; the system clock cannot be moved (returns `false`).
    pub fn advance(&self, by: Duration) -> bool {
        let micros = i64::try_from(by.whole_microseconds()).unwrap_or(i64::MAX);
        self.0.as_ref().map(|t| t.fetch_add(micros, Ordering::AcqRel)).is_some()
    }
}

/// Microseconds since the epoch: PostgreSQL's resolution, so SQL and Rust see the same instant.
fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

fn from_micros(m: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(m) * 1_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_fixed_clock_stands_still_until_it_is_set_or_advanced_and_clones_share_it() {
        let clock = Clock::fixed(datetime!(2026-12-24 08:30 +01:00));
        let twin = clock.clone();
        assert_eq!(clock.now(), datetime!(2026-12-24 07:30 UTC));
        assert!(twin.advance(Duration::hours(16)));
        assert_eq!(clock.now(), datetime!(2026-12-24 23:30 UTC));
        assert_eq!(clock.today(), date!(2026 - 12 - 25), "00:30 in Germany is the next day");
        assert!(clock.set(datetime!(2026-10-25 00:30 UTC)));
        assert_eq!(twin.fixed_at(), Some(datetime!(2026-10-25 00:30 UTC)));
    }

    #[test]
    fn the_system_clock_cannot_be_set_and_follows_the_time() {
        let clock = Clock::system();
        assert!(!clock.set(datetime!(2000-01-01 0:00 UTC)));
        assert!(!clock.advance(Duration::days(1)));
        assert_eq!(clock.fixed_at(), None);
        let (before, seen, after) = (OffsetDateTime::now_utc(), clock.now(), OffsetDateTime::now_utc());
        assert!(before <= seen && seen <= after, "{before} <= {seen} <= {after}");
    }
}
