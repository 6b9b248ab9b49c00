//! The streaming thread: polls the screen at the pacer's rate, captures only when the platform
//! reports damage (or a key frame is due), encodes with the platform's damage and move hints,
//! and hands the frame to the socket writer. It looks at the screen only when the picture it
//! takes can go out at once: the writer has room, and (with a pacing relay) fewer than
//! `FRAMES_IN_FLIGHT` frames are unconsumed by the viewers — so a slow link or a slow page makes
//! the agent capture less often instead of queueing stale pictures. Cursor moves, display lists
//! and stats go out beside.

use super::pacing::Pacer;
use crate::capture::{Capturer, CursorState, DisplayInfo};
use crate::wire;
use bytes::Bytes;
use guruconnect_codec::{Encoder, EncoderConfig};
use guruconnect_proto::{self as proto, envelope::Payload};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{OwnedPermit, Sender};

/// What the session tells the streamer.
#[derive(Debug)]
pub enum Control {
    KeyFrame,
    SelectDisplay(String),
    MaxFps(u32),
    /// How many viewers watch, whether the relay acknowledges frames (`Acked`), and what the
    /// viewers decode beyond the basic encoding (`proto::CodecFeature` bits).
    Viewers {
        count: u32,
        paced: bool,
        codec_features: u32,
    },
    /// The viewers have consumed every frame up to this sequence.
    Acked(u64),
    /// A viewer's key or pointer event was just injected: the screen is about to answer it.
    Input,
    Stop,
}

/// Frames sent and not yet consumed by a viewer, at most, when the relay paces the stream. Two
/// lets the next picture be captured and encoded while the page paints the last one.
pub const FRAMES_IN_FLIGHT: u64 = 2;

/// How often the display list is re-read (monitors plugged, resolution changed).
const DISPLAY_REFRESH: Duration = Duration::from_secs(2);
const STATS_EVERY: Duration = Duration::from_secs(1);
/// How often the inventory (GC-14) is sent again after the first time, on connect.
const INVENTORY_EVERY: Duration = Duration::from_secs(15 * 60);

/// Shared between the streamer and the socket writer.
#[derive(Debug, Default)]
pub struct Shared {
    pub displays: Mutex<Vec<DisplayInfo>>,
    /// Microseconds the writer spent sending frames, summed, and how many it sent: the stats
    /// report the average over each interval.
    pub send_us_total: AtomicU64,
    pub frames_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    /// A `Control::Input` is on its way and not yet handled (see `session::signal_input`).
    pub input_signalled: AtomicBool,
}

pub struct Streamer {
    pub capturer: Box<dyn Capturer + Send>,
    pub controls: Receiver<Control>,
    /// Frames: capacity 1, so a reserved slot waits for the writer.
    pub frames: Sender<Bytes>,
    /// Everything else (display list, cursor, stats); dropped when full.
    pub events: Sender<Bytes>,
    pub shared: Arc<Shared>,
    pub runtime: tokio::runtime::Handle,
    pub labels: crate::inventory::Labels,
}

/// What one stats interval has seen so far.
#[derive(Default)]
struct Tally {
    frames: u32,
    skipped: u32,
    capture_us: u64,
    encode_us: u64,
    /// The writer's totals when the interval began.
    send_us_before: u64,
    sent_before: u64,
}

/// The loop's state between ticks.
struct State {
    displays: Vec<DisplayInfo>,
    selected: String,
    viewers: u32,
    need_key: bool,
    sequence: u64,
    /// The newest sequence the viewers have consumed, and whether the relay says so at all.
    acked: u64,
    paced: bool,
    /// `proto::CodecFeature` bits the relay's viewers decode.
    codec_features: u32,
    /// When the last poll began: the next one is due an interval after it (a deadline, so
    /// capture and encode time does not stretch the frame interval).
    last_poll: Option<Instant>,
    pacer: Pacer,
    cursor: Option<CursorState>,
    tally: Tally,
    last_refresh: Instant,
    last_stats: Instant,
    /// The last stats sent said nothing was sent or skipped: the viewer shows 0 fps already.
    reported_still: bool,
    last_inventory: Instant,
}

impl State {
    /// Whether a picture taken now could go out without queueing behind unconsumed ones. A key
    /// frame always may: it is what a viewer that holds nothing waits for.
    fn room_in_flight(&self) -> bool {
        !self.paced || self.need_key || self.sequence - self.acked < FRAMES_IN_FLIGHT
    }

    /// When the next poll is due.
    fn next_poll(&self, now: Instant) -> Instant {
        self.last_poll
            .map_or(now, |last| last + self.pacer.interval(now))
    }

    /// How long the loop may sleep before something is due.
    fn sleep(&self, now: Instant) -> Duration {
        if self.viewers == 0 {
            DISPLAY_REFRESH
        } else if !self.room_in_flight() {
            // The acknowledgement wakes the loop; until then only the stats are due.
            STATS_EVERY
        } else {
            self.next_poll(now).saturating_duration_since(now)
        }
    }

    /// Whether to poll the screen now.
    fn poll_due(&self, now: Instant) -> bool {
        self.viewers > 0 && self.room_in_flight() && self.next_poll(now) <= now
    }
}

/// Whether the loop goes on.
enum Flow {
    Continue,
    Stop,
}

impl Streamer {
    /// Runs until told to stop or the session's channels close.
    pub fn run(mut self) -> anyhow::Result<()> {
        self.publish_inventory();
        let displays = self.capturer.displays()?;
        let now = Instant::now();
        let mut state = State {
            selected: displays.first().map(|d| d.id.clone()).unwrap_or_default(),
            displays,
            viewers: 0,
            need_key: false,
            sequence: 0,
            acked: 0,
            paced: false,
            codec_features: 0,
            last_poll: None,
            pacer: Pacer::default(),
            cursor: None,
            tally: Tally::default(),
            last_refresh: now,
            last_stats: now,
            reported_still: false,
            last_inventory: now,
        };
        self.publish_displays(&state.displays, &state.selected);
        // Fills and the pixel stream only once the relay says its viewers decode them.
        let mut encoder = Encoder::new(EncoderConfig {
            fills: false,
            stream: false,
            ..EncoderConfig::default()
        })?;
        // Nothing is sent before a viewer exists; the relay asks for a key frame when one joins.
        // Damage from before that moment is moot: the key frame covers it.
        for display in &state.displays {
            self.capturer.damage(display)?;
        }
        loop {
            if let Flow::Stop = self.wait_for_tick(&mut state) {
                return Ok(());
            }
            self.housekeeping(&mut state)?;
            let now = Instant::now();
            if !state.poll_due(now) {
                continue;
            }
            state.last_poll = Some(now);
            if let Flow::Stop = self.tick(&mut state, &mut encoder)? {
                return Ok(());
            }
        }
    }

    /// Sleeps until the next poll is due or the session says something, and applies what it
    /// said.
    fn wait_for_tick(&mut self, state: &mut State) -> Flow {
        let wait = state.sleep(Instant::now());
        let mut control = match self.controls.recv_timeout(wait) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Flow::Stop,
        };
        while let Some(c) = control.take().or_else(|| self.controls.try_recv().ok()) {
            match c {
                Control::Stop => return Flow::Stop,
                Control::KeyFrame => state.need_key = true,
                Control::MaxFps(fps) => state.pacer.set_max_fps(fps),
                // The relay asks for a key frame itself whenever a viewer joins.
                Control::Viewers {
                    count,
                    paced,
                    codec_features,
                } => {
                    state.viewers = count;
                    state.paced = paced;
                    state.codec_features = codec_features;
                    if count == 0 {
                        // Nobody is left to consume what is in flight.
                        state.acked = state.sequence;
                    }
                }
                Control::Acked(sequence) => {
                    state.acked = state.acked.max(sequence.min(state.sequence));
                }
                // Without this a keystroke after a still second would wait for the idle poll
                // (up to 200 ms) before its echo is even looked for.
                Control::Input => {
                    self.shared.input_signalled.store(false, Ordering::Release);
                    state.pacer.expect_change(Instant::now());
                }
                Control::SelectDisplay(id) if state.displays.iter().any(|d| d.id == id) => {
                    state.selected = id;
                    state.need_key = true;
                    self.publish_displays(&state.displays, &state.selected);
                }
                Control::SelectDisplay(_) => {}
            }
        }
        Flow::Continue
    }

    /// The display list, the inventory and the stats, each when it is due.
    fn housekeeping(&mut self, state: &mut State) -> anyhow::Result<()> {
        if state.last_refresh.elapsed() >= DISPLAY_REFRESH {
            state.last_refresh = Instant::now();
            let fresh = self.capturer.displays()?;
            if fresh != state.displays {
                state.displays = fresh;
                if !state.displays.iter().any(|d| d.id == state.selected) {
                    state.selected = state
                        .displays
                        .first()
                        .map(|d| d.id.clone())
                        .unwrap_or_default();
                }
                state.need_key = true;
                self.publish_displays(&state.displays, &state.selected);
            }
        }
        if state.last_inventory.elapsed() >= INVENTORY_EVERY {
            self.publish_inventory();
            state.last_inventory = Instant::now();
        }
        // A still screen reports once (fps 0), so the viewer's stats do not freeze on the last
        // busy second, and then nothing more: a still screen costs no bytes.
        if state.viewers > 0 && state.last_stats.elapsed() >= STATS_EVERY {
            let still = state.tally.frames == 0 && state.tally.skipped == 0;
            if !(still && state.reported_still) {
                self.publish_stats(&mut state.tally, state.last_stats.elapsed());
            }
            state.reported_still = still;
            state.last_stats = Instant::now();
        }
        Ok(())
    }

    /// One poll of the selected display: reserve room on the socket, then capture what changed,
    /// encode it and send it.
    fn tick(&mut self, state: &mut State, encoder: &mut Encoder) -> anyhow::Result<Flow> {
        let Some(display) = state
            .displays
            .iter()
            .find(|d| d.id == state.selected)
            .cloned()
        else {
            return Ok(Flow::Continue);
        };
        // Wait for room on the socket before looking at the screen: the picture sent is then
        // always the newest one.
        let Some(permit) = self.reserve_frame_slot(&mut state.tally) else {
            return Ok(Flow::Stop);
        };
        let has = |feature: proto::CodecFeature| state.codec_features & feature as u32 != 0;
        encoder.set_features(
            has(proto::CodecFeature::Fill),
            has(proto::CodecFeature::Stream),
        );
        let started = Instant::now();
        let captured = if state.need_key {
            self.capturer.damage(&display)?; // what it says is moot: all of it goes
            encoder.request_key_frame();
            Some((self.capturer.capture(&display)?, None, Vec::new()))
        } else {
            self.capturer
                .capture_changes(&display)?
                .map(|c| (c.frame, c.damage, c.moves))
        };
        let capture_us = started.elapsed().as_micros() as u64;
        if let Some((frame, damage, moves)) = captured {
            let started = Instant::now();
            let encoded = encoder.encode(frame, damage.as_deref(), &moves)?;
            let encode_us = started.elapsed().as_micros() as u64;
            if let Some(spent) = encoder.take_spent() {
                self.capturer.recycle(spent);
            }
            state.need_key = false;
            state.pacer.record(encoded.is_some(), Instant::now());
            if let Some(encoded) = encoded {
                state.sequence += 1;
                let frame = wire::video_frame(encoded, &display.id, state.sequence, now_us());
                permit.send(proto::encode_payload(Payload::VideoFrame(frame)));
                state.tally.frames += 1;
                state.tally.capture_us += capture_us;
                state.tally.encode_us += encode_us;
            }
        } else {
            state.pacer.record(false, Instant::now());
        }
        self.cursor(&mut state.cursor, &display);
        Ok(Flow::Continue)
    }

    /// A slot on the frame channel, waiting for the writer when the link is behind (that tick's
    /// picture is then skipped, counted in the stats). `None` once the session is gone.
    fn reserve_frame_slot(&self, tally: &mut Tally) -> Option<OwnedPermit<Bytes>> {
        match self.frames.clone().try_reserve_owned() {
            Ok(permit) => Some(permit),
            Err(TrySendError::Closed(_)) => None,
            Err(TrySendError::Full(frames)) => {
                tally.skipped += 1;
                self.runtime.block_on(frames.reserve_owned()).ok()
            }
        }
    }

    fn publish_inventory(&mut self) {
        let user = crate::inventory::DesktopUser {
            name: self.capturer.session_user(),
            idle_seconds: self.capturer.idle_seconds(),
        };
        let status = crate::inventory::collect(&self.labels, &user);
        let body = proto::encode_payload(Payload::AgentStatus(status));
        let _ = self.runtime.block_on(self.events.send(body));
    }

    fn publish_displays(&self, displays: &[DisplayInfo], selected: &str) {
        if let Ok(mut shared) = self.shared.displays.lock() {
            *shared = displays.to_vec();
        }
        let list = wire::display_list(displays, selected);
        let _ = self.runtime.block_on(
            self.events
                .send(proto::encode_payload(Payload::DisplayList(list))),
        );
    }

    /// Sends the pointer's shape when it changed and its position when it moved.
    fn cursor(&mut self, last: &mut Option<CursorState>, display: &DisplayInfo) {
        let Ok(Some(now)) = self.capturer.cursor() else {
            return;
        };
        if last.as_ref().map(|c| c.serial) != Some(now.serial) {
            let shape = wire::cursor_shape(&now);
            let _ = self
                .events
                .try_send(proto::encode_payload(Payload::CursorShape(shape)));
        }
        if last.as_ref().map(|c| (c.x, c.y)) != Some((now.x, now.y)) {
            let position = wire::cursor_position(&now, display);
            let _ = self
                .events
                .try_send(proto::encode_payload(Payload::CursorPosition(position)));
        }
        *last = Some(now);
    }

    /// Sends the interval's averages and starts a new interval.
    fn publish_stats(&self, tally: &mut Tally, elapsed: Duration) {
        let frames = u64::from(tally.frames.max(1));
        let send_us_total = self.shared.send_us_total.load(Ordering::Relaxed);
        let sent = self.shared.frames_sent.load(Ordering::Relaxed);
        let sent_now = sent.saturating_sub(tally.sent_before).max(1);
        let stats = proto::FrameStats {
            fps: (f64::from(tally.frames) / elapsed.as_secs_f64()).round() as u32,
            capture_us: (tally.capture_us / frames) as u32,
            encode_us: (tally.encode_us / frames) as u32,
            send_us: (send_us_total.saturating_sub(tally.send_us_before) / sent_now) as u32,
            bytes_sent: self.shared.bytes_sent.load(Ordering::Relaxed),
            skipped_frames: tally.skipped,
        };
        let _ = self
            .events
            .try_send(proto::encode_payload(Payload::FrameStats(stats)));
        *tally = Tally {
            send_us_before: send_us_total,
            sent_before: sent,
            ..Tally::default()
        };
    }
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

#[cfg(test)]
#[path = "streamer_tests.rs"]
mod tests;
