//! Sliding-window counters: failed logins and code redemptions, per-user action rates. Windows
//! slide, so a block always lifts on its own (throttling, never a permanent lockout). They read
//! the time from a [`Clock`], so tests slide a window without waiting.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
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
}
