//! The streaming thread: polls the screen at the pacer's rate, captures only when the platform
//! reports damage (or a key frame is due), encodes with the platform's damage and move hints,
//! and hands the frame to the socket writer — but only after the writer has room, so a slow
//! link makes the agent capture less often instead of queueing stale pictures. Cursor moves,
//! display lists and stats go out beside.

use super::pacing::Pacer;
use crate::capture::{Capturer, CursorState, DisplayInfo};
use crate::wire;
use bytes::Bytes;
use guruconnect_codec::{Encoder, EncoderConfig};
use guruconnect_proto::{self as proto, envelope::Payload};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::Sender;

/// What the session tells the streamer.
#[derive(Debug)]
pub enum Control {
    KeyFrame,
    SelectDisplay(String),
    MaxFps(u32),
    Viewers(u32),
    Stop,
}

/// How often the display list is re-read (monitors plugged, resolution changed).
const DISPLAY_REFRESH: Duration = Duration::from_secs(2);
const STATS_EVERY: Duration = Duration::from_secs(1);
/// How often the inventory (GC-14) is sent again after the first time, on connect.
const INVENTORY_EVERY: Duration = Duration::from_secs(15 * 60);

/// Shared between the streamer and the socket writer.
#[derive(Debug, Default)]
pub struct Shared {
    pub displays: Mutex<Vec<DisplayInfo>>,
    /// Microseconds the writer spent on the last frame.
    pub last_send_us: AtomicU64,
    pub bytes_sent: AtomicU64,
}

pub struct Streamer {
    pub capturer: Box<dyn Capturer + Send>,
    pub controls: Receiver<Control>,
    /// Frames: capacity 1, so `reserve` waits for the writer.
    pub frames: Sender<Bytes>,
    /// Everything else (display list, cursor, stats); dropped when full.
    pub events: Sender<Bytes>,
    pub shared: Arc<Shared>,
    pub runtime: tokio::runtime::Handle,
    pub labels: crate::inventory::Labels,
}

#[derive(Default)]
struct Tally {
    frames: u32,
    skipped: u32,
    capture_us: u64,
    encode_us: u64,
}

impl Streamer {
    /// Runs until told to stop or the session's channels close.
    pub fn run(mut self) -> anyhow::Result<()> {
        self.publish_inventory();
        let mut last_inventory = Instant::now();
        let mut displays = self.capturer.displays()?;
        let mut selected = displays.first().map(|d| d.id.clone()).unwrap_or_default();
        self.publish_displays(&displays, &selected);
        let mut encoder = Encoder::new(EncoderConfig::default())?;
        let mut pacer = Pacer::default();
        // Nothing is sent before a viewer exists; the relay asks for a key frame when one joins.
        // Damage from before that moment is moot: the key frame covers it.
        let (mut viewers, mut need_key, mut sequence) = (0u32, false, 0u64);
        for display in &displays {
            self.capturer.damage(display)?;
        }
        let (mut last_refresh, mut last_stats) = (Instant::now(), Instant::now());
        let mut cursor: Option<CursorState> = None;
        let mut tally = Tally::default();
        let frames = self.frames.clone(); // a permit borrows it across the loop body
        loop {
            let wait = if viewers == 0 {
                DISPLAY_REFRESH
            } else {
                pacer.interval(Instant::now())
            };
            let mut control = match self.controls.recv_timeout(wait) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            };
            while let Some(c) = control.take().or_else(|| self.controls.try_recv().ok()) {
                match c {
                    Control::Stop => return Ok(()),
                    Control::KeyFrame => need_key = true,
                    Control::MaxFps(fps) => pacer.set_max_fps(fps),
                    // The relay asks for a key frame itself whenever a viewer joins.
                    Control::Viewers(n) => viewers = n,
                    Control::SelectDisplay(id) if displays.iter().any(|d| d.id == id) => {
                        selected = id;
                        need_key = true;
                        self.publish_displays(&displays, &selected);
                    }
                    Control::SelectDisplay(_) => {}
                }
            }
            if last_refresh.elapsed() >= DISPLAY_REFRESH {
                last_refresh = Instant::now();
                let fresh = self.capturer.displays()?;
                if fresh != displays {
                    displays = fresh;
                    if !displays.iter().any(|d| d.id == selected) {
                        selected = displays.first().map(|d| d.id.clone()).unwrap_or_default();
                    }
                    need_key = true;
                    self.publish_displays(&displays, &selected);
                }
            }
            if last_inventory.elapsed() >= INVENTORY_EVERY {
                self.publish_inventory();
                last_inventory = Instant::now();
            }
            if viewers == 0 {
                continue;
            }
            let Some(display) = displays.iter().find(|d| d.id == selected).cloned() else {
                continue;
            };
            // Wait for room on the socket before looking at the screen: the picture sent is
            // then always the newest one.
            let permit = match frames.try_reserve() {
                Ok(permit) => permit,
                Err(tokio::sync::mpsc::error::TrySendError::Closed(())) => return Ok(()),
                Err(tokio::sync::mpsc::error::TrySendError::Full(())) => {
                    tally.skipped += 1; // the link is behind: this tick's picture is skipped
                    let Ok(permit) = self.runtime.block_on(frames.reserve()) else {
                        return Ok(());
                    };
                    permit
                }
            };
            let started = Instant::now();
            let captured = if need_key {
                self.capturer.damage(&display)?; // what it says is moot: all of it goes
                encoder.request_key_frame();
                Some((self.capturer.capture(&display)?, None, Vec::new()))
            } else {
                self.capturer
                    .capture_changes(&display)?
                    .map(|c| (c.frame, c.damage, c.moves))
            };
            let capture_us = started.elapsed().as_micros() as u64;
            let Some((frame, damage, moves)) = captured else {
                pacer.record(false, Instant::now());
                drop(permit);
                self.cursor(&mut cursor, &display);
                continue;
            };
            let started = Instant::now();
            let encoded = encoder.encode(frame, damage.as_deref(), &moves)?;
            let encode_us = started.elapsed().as_micros() as u64;
            need_key = false;
            pacer.record(encoded.is_some(), Instant::now());
            if let Some(encoded) = encoded {
                sequence += 1;
                let frame = wire::video_frame(encoded, &display.id, sequence, now_us());
                permit.send(proto::encode_payload(Payload::VideoFrame(frame)));
                tally.frames += 1;
                tally.capture_us += capture_us;
                tally.encode_us += encode_us;
            }
            self.cursor(&mut cursor, &display);
            if last_stats.elapsed() >= STATS_EVERY {
                self.publish_stats(&tally, last_stats.elapsed());
                tally = Tally::default();
                last_stats = Instant::now();
            }
        }
    }

    fn publish_inventory(&mut self) {
        let status = crate::inventory::collect(&self.labels, self.capturer.idle_seconds());
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

    fn publish_stats(&self, tally: &Tally, elapsed: Duration) {
        let frames = tally.frames.max(1);
        let stats = proto::FrameStats {
            fps: (f64::from(tally.frames) / elapsed.as_secs_f64()).round() as u32,
            capture_us: (tally.capture_us / u64::from(frames)) as u32,
            encode_us: (tally.encode_us / u64::from(frames)) as u32,
            send_us: self.shared.last_send_us.load(Ordering::Relaxed) as u32,
            bytes_sent: self.shared.bytes_sent.load(Ordering::Relaxed),
            skipped_frames: tally.skipped,
        };
        let _ = self
            .events
            .try_send(proto::encode_payload(Payload::FrameStats(stats)));
    }
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}
