//! What one peer received during a case, and the arithmetic that turns receipts into rates.

use std::time::{Duration, Instant};

/// One receiving peer's tally: bytes and messages, and when the last one arrived.
#[derive(Debug, Clone, Copy, Default)]
pub struct Receipt {
    pub bytes: u64,
    pub messages: u64,
    pub last: Option<Instant>,
}

impl Receipt {
    pub fn record(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
        self.messages += 1;
        self.last = Some(Instant::now());
    }

    /// Goodput in MB/s (10^6 bytes) from `start` to the last message received.
    pub fn megabytes_per_sec(&self, start: Instant) -> f64 {
        match self.last {
            Some(last) if last > start => self.bytes as f64 / 1e6 / (last - start).as_secs_f64(),
            _ => 0.0,
        }
    }
}

/// The median of `values` (0 for none); NaN-free inputs assumed.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

pub fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

/// How long a receiver waits, once the sender has finished, before it counts as drained.
pub const DRAIN_IDLE: Duration = Duration::from_millis(300);

/// A hard bound on any one receiver, whatever happens.
pub const RECEIVER_LIMIT: Duration = Duration::from_secs(30);
