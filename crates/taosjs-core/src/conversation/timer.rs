//! Time as data (quinn-proto's `timer.rs` is the model): the session never reads a clock. The
//! driver passes [`Instant`]s in, asks [`super::Conversation::poll_timeout`] when to wake up next and
//! calls [`super::Conversation::handle_timeout`] then; tests drive the same conversations with a fake clock.
//!
//! Each [`Timer`] is armed at most once at a time. The table is ordered by deadline: per-call
//! deadlines, keepalive pings and reconnect backoff are variants, not mechanisms of their own.

use std::collections::{BTreeSet, HashMap};
use std::ops::Add;
use std::time::Duration;

use super::CallId;

/// A point on the driver's monotonic clock: the time since an origin the driver chose (any
/// origin works, as long as it never changes for one session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(Duration);

impl Instant {
    /// The driver's origin.
    pub const ZERO: Instant = Instant(Duration::ZERO);

    pub fn from_origin(elapsed: Duration) -> Instant {
        Instant(elapsed)
    }

    /// Time since the driver's origin.
    pub fn since_origin(self) -> Duration {
        self.0
    }

    /// `self - earlier`, or zero when `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d))
    }
}

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// The login (`version`, `conn`, `options_connection`) must be answered by then.
    Connect,
    /// After `close`, the goodbye (frees, statement closes, the WebSocket close) may take this
    /// long; then the session gives up on the peer.
    Goodbye,
    /// The deadline of one call ([`super::Conversation::set_deadline`]).
    Call(CallId),
    /// The keepalive tick: ping an idle connection, declare a silent one dead.
    Keepalive,
    /// The next reconnect attempt.
    Backoff,
}

/// Armed timers, ordered by deadline.
#[derive(Debug, Default)]
pub(crate) struct TimerTable {
    by_deadline: BTreeSet<(Instant, Timer)>,
    deadline_of: HashMap<Timer, Instant>,
}

impl TimerTable {
    /// Arms `timer` at `at`, replacing an earlier deadline of the same timer.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.stop(timer);
        self.by_deadline.insert((at, timer));
        self.deadline_of.insert(timer, at);
    }

    pub fn stop(&mut self, timer: Timer) {
        if let Some(at) = self.deadline_of.remove(&timer) {
            self.by_deadline.remove(&(at, timer));
        }
    }

    #[cfg(test)]
    pub fn is_armed(&self, timer: Timer) -> bool {
        self.deadline_of.contains_key(&timer)
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.by_deadline.first().map(|(at, _)| *at)
    }

    /// Disarms and returns the earliest timer due at `now`, if any.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let &(at, timer) = self.by_deadline.first()?;
        if at > now {
            return None;
        }
        self.stop(timer);
        Some(timer)
    }

    pub fn clear(&mut self) {
        self.by_deadline.clear();
        self.deadline_of.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_origin(Duration::from_millis(ms))
    }

    #[test]
    fn timers_fire_in_deadline_order_and_rearming_replaces() {
        let mut t = TimerTable::default();
        t.set(Timer::Goodbye, at(50));
        t.set(Timer::Connect, at(10));
        t.set(Timer::Call(CallId(3)), at(30));
        t.set(Timer::Connect, at(40)); // re-armed later
        assert_eq!(t.next(), Some(at(30)));
        assert_eq!(t.pop_expired(at(29)), None);
        assert_eq!(t.pop_expired(at(45)), Some(Timer::Call(CallId(3))));
        assert_eq!(t.pop_expired(at(45)), Some(Timer::Connect));
        assert_eq!(t.pop_expired(at(45)), None);
        t.stop(Timer::Goodbye);
        assert_eq!(t.next(), None);
    }
}
