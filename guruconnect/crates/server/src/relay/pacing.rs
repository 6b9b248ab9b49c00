//! Viewer-paced streaming, one viewer's side: which frames it is sent, which it has consumed
//! (its `FrameAck`s), and when it needs a key frame. A viewer that falls behind is sent nothing
//! until it has consumed what it holds; then the next key frame brings it the current picture.
//! So no stale deltas pile up for it, and it never holds back a faster viewer of the session.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Frames a viewer may hold unconsumed before it counts as behind. The agent keeps fewer than
/// this in flight (its own window), so a lone viewer that acknowledges never reaches it.
pub const VIEWER_WINDOW: usize = 4;

/// A viewer that has consumed nothing for this long while another viewer keeps up is set aside
/// as behind, so its stall does not hold the agent back for the others.
pub const STALL: Duration = Duration::from_secs(1);

/// Where a viewer stands in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Gets every frame.
    Live,
    /// Missed frames: gets none until it has consumed the ones it holds.
    Behind,
    /// Holds nothing and has a gap: the next key frame makes it live again.
    Ready,
}

/// What to do with one frame for one viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Queue it; `recovering` when this key frame ends a gap (the cached display state goes
    /// first).
    Queue {
        recovering: bool,
    },
    Drop,
}

#[derive(Debug)]
pub struct ViewerPace {
    standing: Standing,
    /// Frames queued and not yet acknowledged, oldest first, with when they were queued.
    in_flight: VecDeque<(u64, Instant)>,
    acked: u64,
    /// The newest frame queued: acknowledgements beyond it (a page still acknowledging what an
    /// earlier connection sent) are clamped to it.
    newest_queued: u64,
    last_ack: Instant,
    /// When it last became ready (the key frame it needs is asked for from then on).
    ready_at: Instant,
}

impl ViewerPace {
    /// A new viewer holds nothing and waits for a key frame.
    pub fn new(now: Instant) -> Self {
        Self {
            standing: Standing::Ready,
            in_flight: VecDeque::new(),
            acked: 0,
            newest_queued: 0,
            last_ack: now,
            ready_at: now,
        }
    }

    #[cfg(test)]
    pub fn standing(&self) -> Standing {
        self.standing
    }

    /// Whether the next frame goes to this viewer. A live viewer at its window falls behind
    /// here (this frame is its first miss).
    pub fn admit(&mut self, key: bool) -> Admit {
        match self.standing {
            Standing::Live if self.in_flight.len() < VIEWER_WINDOW => {
                Admit::Queue { recovering: false }
            }
            Standing::Live => {
                self.fall_behind();
                Admit::Drop
            }
            Standing::Ready if key => Admit::Queue { recovering: true },
            Standing::Ready | Standing::Behind => Admit::Drop,
        }
    }

    /// Frame `sequence` was queued for the viewer.
    pub fn queued(&mut self, sequence: u64, now: Instant) {
        self.standing = Standing::Live;
        self.in_flight.push_back((sequence, now));
        self.newest_queued = sequence;
    }

    /// Something the viewer needed could not be queued (its queue is full): its picture now
    /// has a gap.
    pub fn missed(&mut self) {
        if self.standing == Standing::Live {
            self.fall_behind();
        }
    }

    /// The viewer asked for a key frame (it joined a display, or could not decode): deltas are
    /// useless to it until then.
    pub fn wants_key(&mut self) {
        self.fall_behind();
    }

    /// The viewer acknowledged every frame up to `sequence`.
    pub fn consumed(&mut self, sequence: u64, now: Instant) {
        let sequence = sequence.min(self.newest_queued);
        if sequence <= self.acked {
            return;
        }
        self.acked = sequence;
        self.last_ack = now;
        while self.in_flight.front().is_some_and(|(s, _)| *s <= sequence) {
            self.in_flight.pop_front();
        }
        if self.standing == Standing::Behind && self.in_flight.is_empty() {
            self.become_ready(now);
        }
    }

    /// The newest sequence this viewer has consumed, when it is live (only live viewers pace
    /// the agent).
    pub fn live_ack(&self) -> Option<u64> {
        (self.standing == Standing::Live).then_some(self.acked)
    }

    /// Since when it has been ready, when it is.
    pub fn ready_since(&self) -> Option<Instant> {
        (self.standing == Standing::Ready).then_some(self.ready_at)
    }

    /// Live, holding a frame it has not consumed for `STALL`.
    pub fn stalled(&self, now: Instant) -> bool {
        self.standing == Standing::Live
            && self
                .in_flight
                .front()
                .is_some_and(|(_, queued)| now.duration_since(*queued) >= STALL)
    }

    /// Consumed something within `STALL`.
    pub fn keeping_up(&self, now: Instant) -> bool {
        now.duration_since(self.last_ack) < STALL
    }

    /// A stalled viewer set aside for the others' sake.
    pub fn set_aside(&mut self) {
        self.fall_behind();
    }

    fn fall_behind(&mut self) {
        if self.in_flight.is_empty() {
            if self.standing != Standing::Ready {
                self.become_ready(Instant::now());
            }
        } else {
            self.standing = Standing::Behind;
        }
    }

    fn become_ready(&mut self, now: Instant) {
        self.standing = Standing::Ready;
        self.ready_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(now: Instant) -> ViewerPace {
        let mut pace = ViewerPace::new(now);
        assert_eq!(pace.admit(true), Admit::Queue { recovering: true });
        pace.queued(1, now);
        pace.consumed(1, now);
        pace
    }

    #[test]
    fn a_new_viewer_takes_only_a_key_frame() {
        let now = Instant::now();
        let mut pace = ViewerPace::new(now);
        assert_eq!(pace.admit(false), Admit::Drop);
        assert_eq!(pace.admit(true), Admit::Queue { recovering: true });
        pace.queued(7, now);
        assert_eq!(pace.standing(), Standing::Live);
        assert_eq!(pace.admit(false), Admit::Queue { recovering: false });
    }

    #[test]
    fn a_viewer_at_its_window_falls_behind_then_is_ready_once_it_consumed_what_it_holds() {
        let now = Instant::now();
        let mut pace = live(now);
        for seq in 2..2 + VIEWER_WINDOW as u64 {
            assert_eq!(pace.admit(false), Admit::Queue { recovering: false });
            pace.queued(seq, now);
        }
        assert_eq!(pace.admit(false), Admit::Drop, "window full");
        assert_eq!(pace.standing(), Standing::Behind);
        assert_eq!(
            pace.admit(true),
            Admit::Drop,
            "not even a key frame while behind"
        );
        pace.consumed(3, now);
        assert_eq!(pace.standing(), Standing::Behind, "still holds 4 and 5");
        pace.consumed(1 + VIEWER_WINDOW as u64, now);
        assert_eq!(pace.standing(), Standing::Ready);
        assert_eq!(pace.admit(false), Admit::Drop);
        assert_eq!(pace.admit(true), Admit::Queue { recovering: true });
    }

    #[test]
    fn only_live_viewers_report_their_acknowledgement() {
        let now = Instant::now();
        let mut pace = live(now);
        assert_eq!(pace.live_ack(), Some(1));
        pace.wants_key();
        assert_eq!(pace.standing(), Standing::Ready, "held nothing");
        assert_eq!(pace.live_ack(), None);
    }

    #[test]
    fn a_viewer_holding_an_old_frame_is_stalled() {
        let now = Instant::now();
        let mut pace = live(now);
        pace.queued(2, now);
        assert!(!pace.stalled(now + STALL / 2));
        assert!(pace.stalled(now + STALL));
        assert!(!pace.keeping_up(now + STALL));
        pace.consumed(2, now + STALL);
        assert!(!pace.stalled(now + STALL));
        assert!(pace.keeping_up(now + STALL));
    }

    #[test]
    fn old_and_repeated_acknowledgements_change_nothing() {
        let now = Instant::now();
        let mut pace = live(now);
        pace.queued(2, now);
        pace.queued(3, now);
        pace.consumed(3, now);
        pace.queued(4, now);
        pace.consumed(2, now);
        assert_eq!(pace.live_ack(), Some(3));
        assert!(pace.stalled(now + STALL), "frame 4 is still held");
        pace.consumed(900, now);
        assert_eq!(pace.live_ack(), Some(4), "nothing beyond what it was sent");
    }
}
