//! Sliding-window counters: failed logins and code redemptions, per-user action rates. Windows
//! slide, so a block always lifts on its own (throttling, never a permanent lockout). They read
//! the time from a [`Clock`], so tests slide a window without waiting.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the windows read the time: [`SystemClock`] in the server, a [`ManualClock`] in tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Instant;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Events per key within the last `window`, at most `max` before the key is blocked.
#[derive(Debug)]
pub struct SlidingWindow<K> {
    window: Duration,
    max: u32,
    clock: Arc<dyn Clock>,
    events: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Eq + Hash + Clone> SlidingWindow<K> {
    pub fn new(window: Duration, max: u32) -> Self {
        Self::with_clock(window, max, Arc::new(SystemClock))
    }

    pub fn with_clock(window: Duration, max: u32, clock: Arc<dyn Clock>) -> Self {
        Self {
            window,
            max,
            clock,
            events: Mutex::new(HashMap::new()),
        }
    }

    fn with_queue<T>(&self, key: &K, f: impl FnOnce(&mut VecDeque<Instant>, Instant) -> T) -> T {
        let now = self.clock.now();
        // A poisoned lock only means another thread panicked mid-update; counters stay usable.
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let queue = map.entry(key.clone()).or_default();
        while queue
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            queue.pop_front();
        }
        f(queue, now)
    }

    /// How long until `key` may act again, when it is at its limit.
    pub fn blocked(&self, key: &K) -> Option<Duration> {
        self.with_queue(key, |queue, now| {
            if queue.len() < self.max as usize {
                return None;
            }
            let oldest = *queue.front()?;
            Some(self.window.saturating_sub(now.duration_since(oldest)))
        })
    }

    /// Events for `key` still inside the window.
    pub fn count(&self, key: &K) -> usize {
        self.with_queue(key, |queue, _| queue.len())
    }

    pub fn record(&self, key: K) {
        let max = self.max as usize;
        self.with_queue(&key, |queue, now| {
            queue.push_back(now);
            while queue.len() > max + 1 {
                queue.pop_front();
            }
        })
    }

    /// Records an event unless `key` is at its limit; returns the wait when it is.
    pub fn try_acquire(&self, key: K) -> Result<(), Duration> {
        match self.blocked(&key) {
            Some(wait) => Err(wait),
            None => {
                self.record(key);
                Ok(())
            }
        }
    }

    pub fn clear(&self, key: &K) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// Failed sign-ins, counted per client address (stuffing from one place), per account
/// (stuffing one account) and across the server. Once the server-wide budget is spent, only
/// addresses that already failed wait (spraying from many places): an address without a
/// failure still gets through, so nobody legitimate is locked out, and every window slides.
#[derive(Debug)]
pub struct LoginThrottle {
    by_ip: SlidingWindow<IpAddr>,
    by_account: SlidingWindow<String>,
    global: SlidingWindow<()>,
}

/// The budgets of a [`LoginThrottle`]: failures per `window`.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub window: Duration,
    pub per_ip: u32,
    pub per_account: u32,
    pub global: u32,
}

impl LoginThrottle {
    pub fn new(limits: LoginLimits, clock: Arc<dyn Clock>) -> Self {
        let window = limits.window;
        Self {
            by_ip: SlidingWindow::with_clock(window, limits.per_ip, clock.clone()),
            by_account: SlidingWindow::with_clock(window, limits.per_account, clock.clone()),
            global: SlidingWindow::with_clock(window, limits.global, clock),
        }
    }

    /// How long a sign-in from `ip` to `account` (its lower-cased key) must wait, if at all.
    pub fn wait(&self, ip: Option<IpAddr>, account: &str) -> Option<Duration> {
        let failed_before = ip.is_some_and(|ip| self.by_ip.count(&ip) > 0);
        ip.and_then(|ip| self.by_ip.blocked(&ip))
            .or_else(|| self.by_account.blocked(&account.to_owned()))
            .or_else(|| self.global.blocked(&()).filter(|_| failed_before))
    }

    pub fn record_failure(&self, ip: Option<IpAddr>, account: &str) {
        if let Some(ip) = ip {
            self.by_ip.record(ip);
        }
        self.by_account.record(account.to_owned());
        self.global.record(());
    }

    /// A successful sign-in clears the account's failures (its address's stay counted).
    pub fn record_success(&self, account: &str) {
        self.by_account.clear(&account.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_at_the_limit_per_key() {
        let w = SlidingWindow::new(Duration::from_secs(60), 2);
        assert!(w.try_acquire("a").is_ok());
        assert!(w.try_acquire("a").is_ok());
        assert!(w.try_acquire("a").is_err());
        assert!(w.try_acquire("b").is_ok(), "keys are independent");
        w.clear(&"a");
        assert!(w.blocked(&"a").is_none());
    }

    #[test]
    fn the_window_slides() {
        let clock = Arc::new(ManualClock::new());
        let w = SlidingWindow::with_clock(Duration::from_secs(60), 1, clock.clone());
        w.record("a");
        clock.advance(Duration::from_secs(59));
        assert_eq!(
            w.blocked(&"a"),
            Some(Duration::from_secs(1)),
            "the wait left"
        );
        clock.advance(Duration::from_secs(1));
        assert!(w.blocked(&"a").is_none());
    }

    #[test]
    fn a_spent_global_budget_stops_only_addresses_that_failed() {
        let clock = Arc::new(ManualClock::new());
        let limits = LoginLimits {
            window: Duration::from_secs(60),
            per_ip: 100,
            per_account: 100,
            global: 3,
        };
        let t = LoginThrottle::new(limits, clock.clone());
        let ip = |n: u8| Some(IpAddr::from([10, 0, 0, n]));
        for n in 1..=3 {
            assert_eq!(t.wait(ip(n), "a"), None);
            t.record_failure(ip(n), &format!("user{n}"));
        }
        assert!(t.wait(ip(1), "other").is_some(), "a sprayer waits");
        assert_eq!(t.wait(ip(9), "other"), None, "a fresh address does not");
        clock.advance(Duration::from_secs(60));
        assert_eq!(t.wait(ip(1), "other"), None, "the window slid");
    }

    #[test]
    fn an_account_is_held_across_addresses_until_a_success_clears_it() {
        let limits = LoginLimits {
            window: Duration::from_secs(60),
            per_ip: 100,
            per_account: 2,
            global: 100,
        };
        let t = LoginThrottle::new(limits, Arc::new(SystemClock));
        t.record_failure(Some(IpAddr::from([10, 0, 0, 1])), "a");
        t.record_failure(None, "a");
        assert!(t.wait(Some(IpAddr::from([10, 0, 0, 2])), "a").is_some());
        assert_eq!(t.wait(None, "b"), None, "accounts are independent");
        t.record_success("a");
        assert_eq!(t.wait(None, "a"), None);
    }

    #[test]
    fn an_address_is_held_across_accounts() {
        let limits = LoginLimits {
            window: Duration::from_secs(60),
            per_ip: 2,
            per_account: 100,
            global: 100,
        };
        let t = LoginThrottle::new(limits, Arc::new(SystemClock));
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        t.record_failure(ip, "a");
        t.record_failure(ip, "b");
        assert!(t.wait(ip, "c").is_some());
        assert_eq!(t.wait(Some(IpAddr::from([10, 0, 0, 2])), "c"), None);
    }
}
