//! In-memory sliding-window counters for failed logins and failed support-code redemptions.
//! Windows slide, so every block lifts by itself: throttling, never permanent lockout.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts events per key within a sliding window.
#[derive(Debug)]
pub struct SlidingWindow<K> {
    window: Duration,
    max: u32,
    events: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Eq + Hash + Clone> SlidingWindow<K> {
    pub fn new(window: Duration, max: u32) -> Self {
        Self {
            window,
            max,
            events: Mutex::new(HashMap::new()),
        }
    }

    fn prune(queue: &mut VecDeque<Instant>, now: Instant, window: Duration) {
        while queue
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            queue.pop_front();
        }
    }

    /// Events for `key` still inside the window.
    pub fn count(&self, key: &K) -> u32 {
        let now = Instant::now();
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(key) {
            Some(queue) => {
                Self::prune(queue, now, self.window);
                u32::try_from(queue.len()).unwrap_or(u32::MAX)
            }
            None => 0,
        }
    }

    /// True when `key` reached the limit; the answer is how long until a slot frees.
    pub fn blocked(&self, key: &K) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let queue = map.get_mut(key)?;
        Self::prune(queue, now, self.window);
        if u32::try_from(queue.len()).unwrap_or(u32::MAX) < self.max {
            return None;
        }
        let oldest = *queue.front()?;
        Some(self.window.saturating_sub(now.duration_since(oldest)))
    }

    pub fn record(&self, key: K) {
        let now = Instant::now();
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        // Bound memory under a flood of distinct keys: drop keys whose events all expired.
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, q| {
                Self::prune(q, now, window);
                !q.is_empty()
            });
        }
        let queue = map.entry(key).or_default();
        Self::prune(queue, now, self.window);
        queue.push_back(now);
        // A key never needs more history than the limit.
        while queue.len() > self.max as usize + 1 {
            queue.pop_front();
        }
    }

    pub fn clear(&self, key: &K) {
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_at_the_limit_and_releases_after_the_window() {
        let w = SlidingWindow::new(Duration::from_millis(100), 2);
        assert!(w.blocked(&"a").is_none());
        w.record("a");
        w.record("a");
        assert!(w.blocked(&"a").is_some());
        assert!(w.blocked(&"b").is_none(), "keys are independent");
        std::thread::sleep(Duration::from_millis(120));
        assert!(w.blocked(&"a").is_none(), "the window slid");
    }

    #[test]
    fn clear_forgets_a_key() {
        let w = SlidingWindow::new(Duration::from_secs(60), 1);
        w.record("a");
        w.clear(&"a");
        assert_eq!(w.count(&"a"), 0);
    }
}
