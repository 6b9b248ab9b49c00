//! The parts of a streaming session and how they start and stop: the capture thread (screen →
//! frames), the input thread (viewer events → desktop) and the task that writes to the relay.

use super::input_thread::{self, InputThread};
use super::streamer::{Control, Shared, Streamer};
use super::{SessionConfig, WsStream};
use crate::platform::Platform;
use bytes::Bytes;
use futures_util::SinkExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// How long the writer may take to send the last messages and close the socket.
const WRITER_DRAIN: Duration = Duration::from_secs(2);

type Sink = futures_util::stream::SplitSink<WsStream, Message>;

/// A session's running parts.
pub(super) struct Pipeline {
    /// Orders to the capture thread.
    pub control: std::sync::mpsc::Sender<Control>,
    /// Small messages to the relay (pongs, consent answers, the goodbye), ahead of frames.
    pub events: mpsc::Sender<Bytes>,
    pub input: InputThread,
    pub shared: Arc<Shared>,
    /// Why capture failed for good, if it did: the session cannot go on.
    pub died: oneshot::Receiver<String>,
    streamer: std::thread::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
}

impl Pipeline {
    pub fn start(sink: Sink, platform: &Platform, config: &SessionConfig) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared::default());
        let (frames_tx, frames_rx) = mpsc::channel::<Bytes>(1);
        let (events_tx, events_rx) = mpsc::channel::<Bytes>(64);
        let (control_tx, control_rx) = std::sync::mpsc::channel();
        let streamer = Streamer {
            capturer: platform.capturer()?,
            controls: control_rx,
            frames: frames_tx,
            events: events_tx.clone(),
            shared: shared.clone(),
            runtime: tokio::runtime::Handle::current(),
            labels: config.labels.clone(),
        };
        let (died_tx, died) = oneshot::channel::<String>();
        let streamer = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || {
                if let Err(e) = streamer.run() {
                    let _ = died_tx.send(format!("{e:#}"));
                }
            })?;
        let input = input_thread::spawn(platform.injector()?, shared.clone())?;
        let writer = tokio::spawn(write(sink, frames_rx, events_rx, shared.clone()));
        Ok(Self {
            control: control_tx,
            events: events_tx,
            input,
            shared,
            died,
            streamer,
            writer,
        })
    }

    /// Stops capture and input, sends `last` (the goodbye) if given, and lets the writer send
    /// what is queued and close the socket. A consent prompt still open may hold a sender of
    /// its own, so the writer's wait is bounded.
    pub async fn finish(self, last: Option<Bytes>) {
        let _ = self.control.send(Control::Stop);
        self.input.stop();
        if let Some(last) = last {
            let _ = self.events.try_send(last);
        }
        drop(self.events);
        let streamer = self.streamer;
        let _ = tokio::task::spawn_blocking(move || streamer.join()).await;
        let mut writer = self.writer;
        if tokio::time::timeout(WRITER_DRAIN, &mut writer)
            .await
            .is_err()
        {
            writer.abort();
        }
    }

    /// Tells the capture thread input arrived, once until it has taken notice: the control
    /// channel is unbounded and the thread may be waiting on a slow link, so a flood of
    /// pointer moves must not queue a message each.
    pub fn signal_input(&self) {
        if !self.shared.input_signalled.swap(true, Ordering::AcqRel) {
            drop(self.control.send(Control::Input));
        }
    }
}

/// Writes frames and events to the relay; records how long frames take.
async fn write(
    mut sink: Sink,
    mut frames: mpsc::Receiver<Bytes>,
    mut events: mpsc::Receiver<Bytes>,
    shared: Arc<Shared>,
) {
    loop {
        let (body, is_frame) = tokio::select! {
            Some(body) = events.recv() => (body, false),
            Some(body) = frames.recv() => (body, true),
            else => break,
        };
        let len = body.len() as u64;
        let started = Instant::now();
        if sink.send(Message::Binary(body)).await.is_err() {
            return;
        }
        if is_frame {
            let send_us = started.elapsed().as_micros() as u64;
            shared.send_us_total.fetch_add(send_us, Ordering::Relaxed);
            shared.frames_sent.fetch_add(1, Ordering::Relaxed);
        }
        shared.bytes_sent.fetch_add(len, Ordering::Relaxed);
    }
    // Every sender is gone: the session is over on this side. A close frame, not a dropped
    // connection, is what the relay should see.
    let _ = sink.close().await;
}
