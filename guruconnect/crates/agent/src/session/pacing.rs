//! Frame pacing: about 30 frames a second while the screen changes, about 5 polls a second once
//! it has been still for a while, and a viewer-chosen cap in between.

use std::time::{Duration, Instant};

/// How long the screen must be still before polling slows down.
const IDLE_AFTER: Duration = Duration::from_secs(1);
pub const ACTIVE_FPS: u32 = 30;
pub const IDLE_FPS: u32 = 5;

#[derive(Debug)]
pub struct Pacer {
    max_fps: u32,
    last_change: Option<Instant>,
}

impl Default for Pacer {
    fn default() -> Self {
        Self {
            max_fps: ACTIVE_FPS,
            last_change: None,
        }
    }
}

impl Pacer {
    /// A viewer's cap; 0 restores the default.
    pub fn set_max_fps(&mut self, fps: u32) {
        self.max_fps = if fps == 0 {
            ACTIVE_FPS
        } else {
            fps.clamp(1, 60)
        };
    }

    /// Records whether the last poll found a change.
    pub fn record(&mut self, changed: bool, now: Instant) {
        if changed {
            self.last_change = Some(now);
        }
    }

    /// Input was just injected: poll at the active rate, as if the screen had changed.
    pub fn expect_change(&mut self, now: Instant) {
        self.last_change = Some(now);
    }

    /// How long to wait before the next poll.
    pub fn interval(&self, now: Instant) -> Duration {
        let active = self
            .last_change
            .is_some_and(|t| now.duration_since(t) < IDLE_AFTER);
        let fps = if active {
            self.max_fps
        } else {
            IDLE_FPS.min(self.max_fps)
        };
        Duration::from_secs(1) / fps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_while_changing_slow_when_still_and_capped_by_the_viewer() {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        assert_eq!(
            pacer.interval(start),
            Duration::from_millis(200),
            "idle at start"
        );
        pacer.record(true, start);
        assert_eq!(pacer.interval(start), Duration::from_secs(1) / 30);
        pacer.record(false, start + Duration::from_millis(500));
        assert_eq!(
            pacer.interval(start + Duration::from_millis(500)),
            Duration::from_secs(1) / 30
        );
        assert_eq!(
            pacer.interval(start + Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        pacer.set_max_fps(2);
        assert_eq!(
            pacer.interval(start),
            Duration::from_millis(500),
            "viewer cap wins"
        );
        pacer.set_max_fps(0);
        assert_eq!(pacer.interval(start), Duration::from_secs(1) / 30);
    }

    #[test]
    fn input_after_a_still_spell_brings_back_the_active_rate() {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        pacer.record(true, start);
        let later = start + Duration::from_secs(5);
        assert_eq!(pacer.interval(later), Duration::from_millis(200), "idle");
        pacer.expect_change(later);
        assert_eq!(pacer.interval(later), Duration::from_secs(1) / 30);
    }
}
