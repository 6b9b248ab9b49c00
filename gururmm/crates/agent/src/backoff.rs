//! Reconnect delays: capped exponential backoff with full jitter (AWS's "full jitter"): the
//! delay is uniform in [0, min(cap, base * 2^attempt)], so thousands of agents reconnecting
//! after a server restart spread over the whole window instead of arriving together.

use rand::Rng;
use std::time::Duration;

/// The ceiling of the delay before reconnect attempt `attempt` (0-based).
pub fn ceiling(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(30));
    base.saturating_mul(factor).min(cap)
}

/// A random delay in `[0, ceiling]`.
pub fn full_jitter(base: Duration, cap: Duration, attempt: u32, rng: &mut impl Rng) -> Duration {
    let ceiling = ceiling(base, cap, attempt);
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.gen_range(0..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_ceiling_doubles_up_to_the_cap() {
        let (base, cap) = (Duration::from_secs(1), Duration::from_secs(60));
        let ceilings: Vec<u64> = (0..9).map(|a| ceiling(base, cap, a).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(ceiling(base, cap, u32::MAX), cap, "no overflow");
    }

    #[test]
    fn delays_spread_over_the_whole_window() {
        // 10,000 agents after a restart do not come back in one burst.
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let (base, cap) = (Duration::from_secs(1), Duration::from_secs(60));
        let delays: Vec<Duration> = (0..10_000)
            .map(|_| full_jitter(base, cap, 10, &mut rng))
            .collect();
        assert!(delays.iter().all(|d| *d <= cap));
        // Ten equal buckets over [0, 60 s] each hold roughly a tenth (uniform).
        let mut buckets = [0usize; 10];
        for d in &delays {
            let i = (d.as_millis() * 10 / 60_001) as usize;
            buckets[i] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (800..=1200).contains(&n)),
            "{buckets:?}"
        );
    }
}
