//! Reconnect delays: capped exponential backoff with full jitter (a random delay between zero
//! and the exponential bound), so thousands of agents coming back after a server restart spread
//! out instead of arriving together.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The upper bound for the next delay.
    pub fn bound(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The next delay: uniform in [0, bound], `random` in [0, 1).
    pub fn next_delay(&mut self, random: f64) -> Duration {
        let delay = self.bound().mul_f64(random.clamp(0.0, 1.0));
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    /// After a connection that stayed up, start again from the base.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_double_up_to_the_cap_and_delays_stay_inside() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let bounds: Vec<u64> = (0..9)
            .map(|_| {
                let bound = b.bound();
                assert!(b.next_delay(0.999) <= bound);
                bound.as_secs()
            })
            .collect();
        assert_eq!(bounds, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(
            b.next_delay(0.0),
            Duration::ZERO,
            "full jitter reaches zero"
        );
        b.reset();
        assert_eq!(b.bound(), Duration::from_secs(1));
    }
}
