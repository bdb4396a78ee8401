//! What one connection, one peer and all of them together may cost a device, and the small
//! state machines that enforce it (no IO here: the connection code asks them).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Bounds on what peers may cost this device. [`Limits::default`] is what a device runs with;
/// tests shorten the times.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Limits {
    /// Connections accepted from one endpoint at once; one more is refused
    /// ([`super::close::TOO_MANY_CONNECTIONS`]). A member's devices share its key, so this is
    /// a member's devices plus a reconnect or two. (Connections this device dials are its own
    /// and not counted.)
    pub connections_per_peer: usize,
    /// Connections accepted in all at once.
    pub connections: usize,
    /// A connection on which nothing arrives for this long is closed
    /// ([`super::close::TIMEOUT`]). Honest peers send a keepalive well before.
    pub idle_timeout: Duration,
    /// A side that has sent nothing for this long sends an empty frame.
    pub keepalive: Duration,
    /// A frame that makes no progress for this long, in either direction, closes the
    /// connection ([`super::close::TIMEOUT`]): a peer that stopped reading, or sent half a frame.
    pub stall_timeout: Duration,
    /// Items a connection may have checked per second, on average.
    pub items_per_second: u32,
    /// Items a connection may have checked at once, before the average applies (a catch-up).
    pub item_burst: u32,
    /// Refused items a peer may send within [`Limits::refusal_window`]; one more disconnects
    /// it ([`super::close::ABUSE`]) and refuses its connections until the window has passed.
    /// Items refused only because what they follow has not arrived (not parked) do not count.
    pub refusals_per_window: u32,
    /// See [`Limits::refusals_per_window`].
    pub refusal_window: Duration,
    /// Refusals remembered for diagnostics (the latest ones).
    pub refusals_kept: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections_per_peer: 4,
            connections: 256,
            idle_timeout: Duration::from_secs(60),
            keepalive: Duration::from_secs(15),
            stall_timeout: Duration::from_secs(30),
            items_per_second: 10_000,
            item_burst: 50_000,
            refusals_per_window: 1_000,
            refusal_window: Duration::from_secs(60),
            refusals_kept: 1_024,
        }
    }
}

/// A token bucket of items: `burst` at once, `rate` per second on average.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(rate: u32, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate: f64::from(rate.max(1)),
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes `n` items; returns how long to wait before they may be checked (zero if the
    /// bucket held them). A frame larger than the bucket is taken on credit and paid by waiting.
    pub(crate) fn take(&mut self, n: usize, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        // Counts are bounded by the frame decoder (a million); f64 holds them exactly.
        self.tokens -= n as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// Why a connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SlotRefused {
    /// That endpoint already holds as many as it may.
    #[error("too many connections from this endpoint")]
    PerPeer,
    /// The device holds as many as it takes.
    #[error("too many connections")]
    Total,
}

/// Connections held, per endpoint and in all.
#[derive(Debug)]
pub(crate) struct Slots<K> {
    per_peer: HashMap<K, usize>,
    total: usize,
}

impl<K> Default for Slots<K> {
    fn default() -> Self {
        Slots {
            per_peer: HashMap::new(),
            total: 0,
        }
    }
}

impl<K: Hash + Eq + Copy> Slots<K> {
    /// Takes a slot for `peer`, or says why not.
    pub(crate) fn take(&mut self, peer: K, limits: &Limits) -> Result<(), SlotRefused> {
        if self.total >= limits.connections {
            return Err(SlotRefused::Total);
        }
        let n = self.per_peer.entry(peer).or_insert(0);
        if *n >= limits.connections_per_peer {
            return Err(SlotRefused::PerPeer);
        }
        *n += 1;
        self.total += 1;
        Ok(())
    }

    /// Gives back a slot [`Slots::take`] gave.
    pub(crate) fn give_back(&mut self, peer: K) {
        if let Some(n) = self.per_peer.get_mut(&peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_peer.remove(&peer);
            }
            self.total = self.total.saturating_sub(1);
        }
    }
}

/// Refused items per peer, in fixed windows.
#[derive(Debug)]
pub(crate) struct Strikes<K> {
    per_peer: HashMap<K, (Instant, u32)>,
}

impl<K> Default for Strikes<K> {
    fn default() -> Self {
        Strikes {
            per_peer: HashMap::new(),
        }
    }
}

/// How many peers' windows are kept before the expired ones are dropped. Only members
/// connect, so this is reached only by a large roster.
const STRIKES_KEPT: usize = 1024;

impl<K: Hash + Eq + Copy> Strikes<K> {
    /// Counts one refused item from `peer`; `true` if that makes more than the limit in the
    /// current window.
    pub(crate) fn strike(&mut self, peer: K, now: Instant, limits: &Limits) -> bool {
        if self.per_peer.len() >= STRIKES_KEPT {
            self.per_peer.retain(|_, (start, _)| {
                now.saturating_duration_since(*start) < limits.refusal_window
            });
        }
        let e = self.per_peer.entry(peer).or_insert((now, 0));
        if now.saturating_duration_since(e.0) >= limits.refusal_window {
            *e = (now, 0);
        }
        e.1 = e.1.saturating_add(1);
        e.1 > limits.refusals_per_window
    }

    /// Whether `peer` is over the limit in the current window (its connections are refused).
    pub(crate) fn over(&self, peer: &K, now: Instant, limits: &Limits) -> bool {
        self.per_peer.get(peer).is_some_and(|(start, n)| {
            now.saturating_duration_since(*start) < limits.refusal_window
                && *n > limits.refusals_per_window
        })
    }
}

/// The latest refusals, oldest first, and how many there were in all.
#[derive(Debug)]
pub(crate) struct RefusalLog<T> {
    kept: VecDeque<T>,
    total: u64,
}

impl<T> Default for RefusalLog<T> {
    fn default() -> Self {
        RefusalLog {
            kept: VecDeque::new(),
            total: 0,
        }
    }
}

impl<T: Clone> RefusalLog<T> {
    /// Remembers `r`, forgetting the oldest beyond `keep`.
    pub(crate) fn push(&mut self, r: T, keep: usize) {
        self.total = self.total.saturating_add(1);
        if keep == 0 {
            return;
        }
        while self.kept.len() >= keep {
            self.kept.pop_front();
        }
        self.kept.push_back(r);
    }

    /// The refusals kept, oldest first.
    pub(crate) fn latest(&self) -> Vec<T> {
        self.kept.iter().cloned().collect()
    }

    /// Refusals in all, kept or not.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_lets_a_burst_through_then_paces_to_its_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(100, 50, t0);
        assert_eq!(b.take(50, t0), Duration::ZERO);
        // 50 more at once: half a second of debt at 100 per second.
        let wait = b.take(50, t0);
        assert!(wait >= Duration::from_millis(499) && wait <= Duration::from_millis(501));
        // Paid off after waiting, and the bucket refills to its burst only.
        let later = t0 + Duration::from_secs(100);
        assert_eq!(b.take(50, later), Duration::ZERO);
        assert!(b.take(1, later) > Duration::ZERO);
    }

    #[test]
    fn slots_refuse_a_fifth_connection_from_one_endpoint_and_any_past_the_total() {
        let limits = Limits {
            connections: 6,
            ..Limits::default()
        };
        let mut s = Slots::default();
        for _ in 0..4 {
            assert_eq!(s.take(1u8, &limits), Ok(()));
        }
        assert_eq!(s.take(1u8, &limits), Err(SlotRefused::PerPeer));
        assert_eq!(s.take(2u8, &limits), Ok(()));
        assert_eq!(s.take(3u8, &limits), Ok(()));
        assert_eq!(s.take(4u8, &limits), Err(SlotRefused::Total));
        s.give_back(1);
        assert_eq!(s.take(4u8, &limits), Ok(()));
        // Giving back what was never taken changes nothing.
        s.give_back(9);
        assert_eq!(s.take(5u8, &limits), Err(SlotRefused::Total));
    }

    #[test]
    fn strikes_disconnect_past_the_limit_and_forgive_after_the_window() {
        let limits = Limits {
            refusals_per_window: 3,
            refusal_window: Duration::from_secs(10),
            ..Limits::default()
        };
        let t0 = Instant::now();
        let mut s = Strikes::default();
        for _ in 0..3 {
            assert!(!s.strike(7u8, t0, &limits));
        }
        assert!(!s.over(&7, t0, &limits));
        assert!(s.strike(7u8, t0, &limits));
        assert!(s.over(&7, t0, &limits));
        assert!(!s.over(&8, t0, &limits));
        let later = t0 + Duration::from_secs(10);
        assert!(!s.over(&7, later, &limits));
        assert!(!s.strike(7u8, later, &limits));
    }

    #[test]
    fn the_refusal_log_keeps_the_latest_and_counts_all() {
        let mut log = RefusalLog::default();
        for i in 0..10u32 {
            log.push(i, 4);
        }
        assert_eq!(log.latest(), vec![6, 7, 8, 9]);
        assert_eq!(log.total(), 10);
    }
}
