//! What keeps the callback cheap to attack: each started flow finishes once (a replayed
//! pending cookie with its state is refused before any request to the provider), and an
//! address whose sign-ins keep failing waits (so junk answers cannot fill the audit log or
//! make this server hammer the provider's token endpoint).

use crate::throttle::{source_of, SlidingWindow};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed single sign-ons one address may make per window before it waits.
pub const FAILURES_PER_ADDRESS: u32 = 20;
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Finished flows remembered at once; past it the oldest is forgotten (memory stays bounded,
/// and only a flow that old could be replayed, to no more than a refused code).
const MOST_REMEMBERED_FLOWS: usize = 4096;

#[derive(Debug)]
pub(super) struct Guard {
    finished: Mutex<HashMap<String, Instant>>,
    failures: SlidingWindow<IpAddr>,
}

impl Default for Guard {
    fn default() -> Self {
        Self {
            finished: Mutex::new(HashMap::new()),
            failures: SlidingWindow::new(FAILURE_WINDOW, FAILURES_PER_ADDRESS),
        }
    }
}

impl Guard {
    /// True the first time a flow (its state's hash) finishes; false for a replay.
    pub fn first_finish(&self, flow: String, lives: Duration) -> bool {
        let mut finished = self
            .finished
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        finished.retain(|_, until| *until > now);
        if finished.contains_key(&flow) {
            return false;
        }
        if finished.len() >= MOST_REMEMBERED_FLOWS {
            if let Some(oldest) = finished
                .iter()
                .min_by_key(|(_, until)| **until)
                .map(|(k, _)| k.clone())
            {
                finished.remove(&oldest);
            }
        }
        finished.insert(flow, now + lives);
        true
    }

    /// How long `ip` must wait before another try, if its failures are spent.
    pub fn wait(&self, ip: Option<IpAddr>) -> Option<Duration> {
        self.failures.blocked(&source_of(ip?))
    }

    pub fn failed(&self, ip: Option<IpAddr>) {
        if let Some(ip) = ip {
            self.failures.record(source_of(ip));
        }
    }
}
