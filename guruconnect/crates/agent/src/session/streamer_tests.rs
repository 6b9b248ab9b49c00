//! The streamer against a scripted screen, a socket that stalls and viewers that acknowledge
//! slowly: it never queues a stale picture, skips to the newest one once the link drains or a
//! frame is consumed, and counts what it skipped.

use super::*;
use crate::capture::CaptureError;
use guruconnect_codec::{Decoder, Frame, Rect};
use std::sync::atomic::AtomicU32;
use tokio::sync::mpsc::Receiver as AsyncReceiver;

const WIDTH: u32 = 256;
const HEIGHT: u32 = 128;

/// A screen whose whole picture is one colour, named by a number the test sets.
#[derive(Clone, Default)]
struct Screen {
    state: Arc<AtomicU32>,
    captures: Arc<AtomicU32>,
}

impl Screen {
    fn set(&self, state: u32) {
        self.state.store(state, Ordering::SeqCst);
    }
    fn captures(&self) -> u32 {
        self.captures.load(Ordering::SeqCst)
    }
}

struct ScriptedCapturer {
    screen: Screen,
    last_captured: Option<u32>,
}

impl Capturer for ScriptedCapturer {
    fn displays(&mut self) -> Result<Vec<DisplayInfo>, CaptureError> {
        Ok(vec![DisplayInfo {
            id: "0".into(),
            name: "scripted".into(),
            x: 0,
            y: 0,
            width: WIDTH,
            height: HEIGHT,
            primary: true,
        }])
    }

    fn damage(&mut self, _: &DisplayInfo) -> Result<Option<Vec<Rect>>, CaptureError> {
        let now = self.screen.state.load(Ordering::SeqCst);
        Ok(Some(if self.last_captured == Some(now) {
            Vec::new()
        } else {
            vec![Rect::new(0, 0, WIDTH, HEIGHT)]
        }))
    }

    fn capture(&mut self, _: &DisplayInfo) -> Result<Frame, CaptureError> {
        let state = self.screen.state.load(Ordering::SeqCst);
        self.last_captured = Some(state);
        self.screen.captures.fetch_add(1, Ordering::SeqCst);
        let pixel = [state as u8, (state >> 8) as u8, 0x40, 0xff];
        let pixels = pixel.repeat((WIDTH * HEIGHT) as usize);
        Frame::from_bgra(WIDTH, HEIGHT, pixels).map_err(|e| CaptureError::Failed(e.to_string()))
    }

    fn cursor(&mut self) -> Result<Option<CursorState>, CaptureError> {
        Ok(None)
    }
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    screen: Screen,
    controls: std::sync::mpsc::Sender<Control>,
    frames: AsyncReceiver<Bytes>,
    events: AsyncReceiver<Bytes>,
    decoder: Decoder,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Harness {
    fn start() -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let screen = Screen::default();
        let (controls, controls_rx) = std::sync::mpsc::channel();
        let (frames_tx, frames) = tokio::sync::mpsc::channel(1);
        let (events_tx, events) = tokio::sync::mpsc::channel(256);
        let streamer = Streamer {
            capturer: Box::new(ScriptedCapturer {
                screen: screen.clone(),
                last_captured: None,
            }),
            controls: controls_rx,
            frames: frames_tx,
            events: events_tx,
            shared: Arc::new(Shared::default()),
            runtime: runtime.handle().clone(),
            labels: crate::inventory::Labels::default(),
        };
        let thread = std::thread::spawn(move || streamer.run());
        Self {
            runtime,
            screen,
            controls,
            frames,
            events,
            decoder: Decoder::new().expect("decoder"),
            thread: Some(thread),
        }
    }

    /// The next frame sent, decoded: the screen state it shows.
    fn next_state(&mut self) -> u32 {
        let frame = self.next_frame();
        let encoded = wire::encoded_frame(&frame).expect("our encoding");
        self.decoder.apply(&encoded).expect("decodes");
        let pixel = self.decoder.picture().expect("picture").pixel(0, 0);
        u32::from(pixel[0]) | (u32::from(pixel[1]) << 8)
    }

    /// The next frame sent, as it goes on the wire.
    fn next_frame(&mut self) -> proto::VideoFrame {
        let body = self
            .runtime
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(10), self.frames.recv()).await
            })
            .expect("a frame within 10 s")
            .expect("the streamer is running");
        let Ok(Payload::VideoFrame(frame)) = proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES)
        else {
            panic!("the frame channel carries video frames only");
        };
        frame
    }

    /// Waits (bounded) until the streamer has filled the one frame slot.
    fn wait_until_a_frame_is_queued(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.frames.is_empty() {
            assert!(Instant::now() < deadline, "no frame was queued within 10 s");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// FrameStats seen within `within`.
    fn stats(&mut self, within: Duration) -> Vec<proto::FrameStats> {
        let deadline = Instant::now() + within;
        let mut stats = Vec::new();
        while Instant::now() < deadline {
            let next = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_millis(100), self.events.recv()).await
            });
            let Ok(Some(body)) = next else { continue };
            if let Ok(Payload::FrameStats(s)) = proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES)
            {
                stats.push(s);
            }
        }
        stats
    }
}

impl Harness {
    /// A streamer whose one viewer (`paced` or not) has had its key frame of screen state 0.
    fn streaming(paced: bool) -> Self {
        let mut h = Self::start();
        h.watch(paced);
        h.controls.send(Control::KeyFrame).expect("send");
        assert_eq!(h.next_state(), 0, "the key frame shows the screen");
        h
    }

    /// One viewer watches, through a relay that acknowledges frames (`paced`) or not.
    fn watch(&self, paced: bool) {
        self.watch_decoding(paced, 0);
    }

    /// One viewer watches, decoding the `proto::CodecFeature` bits given.
    fn watch_decoding(&self, paced: bool, codec_features: u32) {
        let viewers = Control::Viewers {
            count: 1,
            paced,
            codec_features,
        };
        self.controls.send(viewers).expect("send");
    }

    /// The frame channel stays empty for `within`.
    fn nothing_sent_within(&mut self, within: Duration) -> bool {
        std::thread::sleep(within);
        self.frames.is_empty()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.controls.send(Control::Stop);
        // A streamer blocked on a full frame slot wakes when the receiver goes.
        self.frames.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_stalled_link_skips_to_the_newest_picture_and_counts_the_skips() {
    let mut h = Harness::start();
    h.watch(false);
    h.controls.send(Control::KeyFrame).expect("send");
    assert_eq!(h.next_state(), 0, "the key frame shows the screen");

    h.screen.set(1);
    h.wait_until_a_frame_is_queued();
    // The writer is not reading: the slot stays full while the screen moves on. Each state
    // lasts two active ticks, so a streamer that captured before waiting for room would hold
    // one of these pictures back for the socket.
    for state in 2..=5 {
        h.screen.set(state);
        std::thread::sleep(Duration::from_millis(70));
    }
    assert_eq!(h.next_state(), 1, "the frame already queued goes first");
    assert_eq!(
        h.next_state(),
        5,
        "once the link drains the newest picture goes, none of the ones in between"
    );
    assert_eq!(
        h.screen.captures(),
        3,
        "the screen was read three times: key frame, state 1, state 5"
    );

    let stats = h.stats(Duration::from_millis(2500));
    assert!(
        stats.iter().any(|s| s.skipped_frames > 0),
        "the stalled ticks are reported as skipped: {stats:?}"
    );
    assert!(
        stats.iter().any(|s| s.fps > 0),
        "frames were counted: {stats:?}"
    );
}

#[test]
fn a_still_screen_is_not_read_again_and_reports_its_stillness_once() {
    let mut h = Harness::streaming(false);
    let stats = h.stats(Duration::from_millis(4500));
    assert_eq!(h.screen.captures(), 1, "nothing changed, nothing was read");
    assert!(h.frames.is_empty(), "and nothing was sent");
    let still = stats.iter().filter(|s| s.fps == 0).count();
    assert_eq!(
        still, 1,
        "0 fps is reported once (the viewer's figure must not freeze on the busy second), \
         then nothing more travels: {stats:?}"
    );
}

#[test]
fn a_paced_stream_keeps_two_frames_in_flight_and_sends_the_newest_picture_once_one_is_consumed() {
    let mut h = Harness::start();
    h.watch(true);
    h.controls.send(Control::KeyFrame).expect("send");
    assert_eq!(h.next_state(), 0, "key frame, sequence 1");
    h.screen.set(1);
    assert_eq!(h.next_state(), 1, "sequence 2: two in flight now");
    for state in 2..=4 {
        h.screen.set(state);
        std::thread::sleep(Duration::from_millis(70));
    }
    assert!(
        h.frames.is_empty(),
        "nothing more goes out while two frames are unconsumed, though the screen changed"
    );
    let captures = h.screen.captures();
    assert_eq!(captures, 2, "and the screen was not even read");
    h.controls.send(Control::Acked(1)).expect("send");
    assert_eq!(
        h.next_state(),
        4,
        "one consumed: the current picture goes, none of the ones in between"
    );
    h.screen.set(5);
    assert!(
        h.nothing_sent_within(Duration::from_millis(200)),
        "two in flight again (sequences 2 and 3)"
    );
    h.controls.send(Control::Acked(3)).expect("send");
    assert_eq!(h.next_state(), 5);
}

#[test]
fn a_key_frame_goes_out_even_with_the_window_full() {
    let mut h = Harness::streaming(true);
    h.screen.set(1);
    assert_eq!(h.next_state(), 1);
    h.screen.set(2);
    assert!(
        h.nothing_sent_within(Duration::from_millis(200)),
        "window full"
    );
    // A viewer that holds nothing (it just caught up, or joined) waits for exactly this.
    h.controls.send(Control::KeyFrame).expect("send");
    assert_eq!(h.next_state(), 2);
}

#[test]
fn when_the_last_viewer_leaves_nothing_stays_in_flight() {
    let mut h = Harness::streaming(true);
    h.screen.set(1);
    assert_eq!(h.next_state(), 1);
    let gone = Control::Viewers {
        count: 0,
        paced: true,
        codec_features: 0,
    };
    h.controls.send(gone).expect("send");
    h.watch(true);
    h.screen.set(2);
    assert_eq!(
        h.next_state(),
        2,
        "the frames the last viewer never consumed do not hold back the next one"
    );
}

#[test]
fn without_a_pacing_relay_acknowledgements_are_not_awaited() {
    let mut h = Harness::streaming(false);
    for state in 1..=3 {
        h.screen.set(state);
        assert_eq!(h.next_state(), state, "an older relay sends no FrameAck");
    }
}

#[test]
fn fills_and_the_pixel_stream_are_used_only_when_the_relay_says_its_viewers_decode_them() {
    let is_fill = |frame: &proto::VideoFrame| frame.rects.iter().all(|r| r.is_fill);
    let mut h = Harness::start();
    h.watch(false);
    h.controls.send(Control::KeyFrame).expect("send");
    let key = h.next_frame();
    assert!(!is_fill(&key), "an older relay: zstd rows only");
    h.screen.set(1);
    assert!(!is_fill(&h.next_frame()));

    h.watch_decoding(false, proto::CodecFeature::Fill as u32);
    h.screen.set(2);
    let next = h.next_frame();
    assert!(
        next.key_frame,
        "a change of features starts from a key frame"
    );
    assert!(
        is_fill(&next),
        "the scripted screen is one colour: {next:?}"
    );
}
