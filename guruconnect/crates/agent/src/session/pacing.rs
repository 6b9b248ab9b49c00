//! Frame pacing: about 30 frames a second while the screen changes, about 5 polls a second once
//! it has been still for a while, and a viewer-chosen cap in between. Right after a viewer's
//! input the screen is watched closely for its answer (an echo appears a few milliseconds after
//! the key, and waiting a whole frame interval for it would add that much to every keystroke).

use std::time::{Duration, Instant};

/// How long the screen must be still before polling slows down.
const IDLE_AFTER: Duration = Duration::from_secs(1);
pub const ACTIVE_FPS: u32 = 30;
pub const IDLE_FPS: u32 = 5;
/// How long after input the screen is watched closely, and how often meanwhile. Polls that find
/// no damage cost next to nothing, and the watch ends with the first change found.
const INPUT_WATCH: Duration = Duration::from_millis(60);
const INPUT_POLL: Duration = Duration::from_millis(3);

#[derive(Debug)]
pub struct Pacer {
    max_fps: u32,
    last_change: Option<Instant>,
    /// Watching closely for the answer to input, until then.
    watch_until: Option<Instant>,
}

impl Default for Pacer {
    fn default() -> Self {
        Self {
            max_fps: ACTIVE_FPS,
            last_change: None,
            watch_until: None,
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
            self.watch_until = None;
        }
    }

    /// Input was just injected: watch closely for the answer, then poll at the active rate as
    /// if the screen had changed.
    pub fn expect_change(&mut self, now: Instant) {
        self.last_change = Some(now);
        self.watch_until = Some(now + INPUT_WATCH);
    }

    /// How long to wait before the next poll.
    pub fn interval(&self, now: Instant) -> Duration {
        if self.watch_until.is_some_and(|until| now < until) {
            return INPUT_POLL;
        }
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
        assert_eq!(pacer.interval(later), INPUT_POLL, "watching for the echo");
        let after_watch = later + INPUT_WATCH;
        assert_eq!(pacer.interval(after_watch), Duration::from_secs(1) / 30);
    }

    #[test]
    fn the_close_watch_ends_with_the_first_change_found() {
        let start = Instant::now();
        let mut pacer = Pacer::default();
        pacer.expect_change(start);
        let soon = start + Duration::from_millis(9);
        pacer.record(false, soon);
        assert_eq!(pacer.interval(soon), INPUT_POLL, "nothing drawn yet");
        pacer.record(true, soon);
        assert_eq!(
            pacer.interval(soon),
            Duration::from_secs(1) / 30,
            "answered: back to the frame rate"
        );
    }
}
