//! One relay case: a test agent pushes `size`-byte video frames through the real server to N
//! viewers over loopback WebSockets for a fixed time; each viewer tallies what reached it. Some
//! viewers may be slow readers, to show they cost the others nothing.
//!
//! Viewers acknowledge each frame as they receive it (`FrameAck`, as the web viewer does once it
//! paints) and the agent paces itself as the real one does: at most `IN_FLIGHT` frames beyond
//! the relay's last `FrameAck`, which tells how far the fastest viewer got. The case measures
//! what the paced relay carries, not how fast a sender on the same two cores can produce frames.

use crate::measure::{Receipt, DRAIN_IDLE, RECEIVER_LIMIT};
use futures_util::{SinkExt, StreamExt};
use guruconnect_proto::{self as proto, envelope::Payload};
use guruconnect_testkit::{frame, online_agent, TestApp, TestViewer, Ws};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

/// The newest sequence the relay has acknowledged to the agent.
#[derive(Debug, Default)]
struct Released {
    sequence: AtomicU64,
    changed: Notify,
}

/// Frames the real agent keeps unacknowledged (`FRAMES_IN_FLIGHT` in guruconnect-agent).
const IN_FLIGHT: u64 = 2;

/// How a slow viewer reads: one message per this interval.
const SLOW_READ_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub size: usize,
    pub fast_viewers: usize,
    pub slow_viewers: usize,
    pub duration: Duration,
}

/// What a case measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Goodput of each fast viewer, MB/s.
    pub fast: Vec<f64>,
    /// Goodput of each slow viewer, MB/s.
    pub slow: Vec<f64>,
    /// Frames the agent sent.
    pub sent: u64,
    /// Mean fraction of the sent frames each fast viewer received.
    pub fast_delivered: f64,
    /// The most bytes queued for any one viewer, sampled while the case ran.
    pub peak_queued_bytes: usize,
    pub dropped_frames: u64,
}

pub async fn run(app: &TestApp, name: &str, case: Case) -> Outcome {
    let (agent, _) = online_agent(app, name).await;
    let session_id = agent.session_id.clone();
    let mut viewers = Vec::new();
    for i in 0..case.fast_viewers + case.slow_viewers {
        let token = app.viewer_token(&session_id, &app.admin_token).await;
        let viewer = TestViewer::join(app, &session_id, &token)
            .await
            .expect("viewer joins");
        viewers.push((viewer, i >= case.fast_viewers));
    }
    let live = app
        .state()
        .relay
        .get(&session_id.as_str().into())
        .expect("live session");
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(0));
    // Sampled while the agent sends: a viewer's count goes with it when it disconnects, and a
    // viewer without a backlog may be gone before the case reads it.
    let dropped = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (live, done, peak, dropped) =
            (live.clone(), done.clone(), peak.clone(), dropped.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(live.max_queued_bytes(), Ordering::Relaxed);
                dropped.fetch_max(live.total_dropped_frames(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let start = Instant::now();
    let mut receivers = Vec::new();
    for (viewer, slow) in viewers {
        let receiver = tokio::spawn(receive(viewer.ws, case.size, slow, done.clone()));
        receivers.push((receiver, slow));
    }
    let sent = push_frames(agent.ws, case, start, &done).await;
    let _ = sampler.await;

    let mut outcome = Outcome {
        sent,
        peak_queued_bytes: peak.load(Ordering::Relaxed),
        dropped_frames: dropped
            .load(Ordering::Relaxed)
            .max(live.total_dropped_frames()),
        ..Outcome::default()
    };
    let mut delivered = Vec::new();
    for (receiver, slow) in receivers {
        let receipt = receiver.await.expect("receiver");
        let rate = receipt.megabytes_per_sec(start);
        if slow {
            outcome.slow.push(rate);
        } else {
            outcome.fast.push(rate);
            delivered.push(receipt.messages as f64 / sent.max(1) as f64);
        }
    }
    outcome.fast_delivered = delivered.iter().sum::<f64>() / delivered.len().max(1) as f64;
    outcome
}

/// Sends key frames for the case's duration, never more than `IN_FLIGHT` beyond the relay's
/// last `FrameAck`; returns how many. Every frame is a key frame so a slow viewer that had
/// frames dropped resumes on the next one.
async fn push_frames(ws: Ws, case: Case, start: Instant, done: &AtomicBool) -> u64 {
    let (mut sink, mut stream) = ws.split();
    let released = Arc::new(Released::default());
    // Hears the relay's acknowledgements, and drains the rest (pings, key-frame requests).
    let drain = {
        let released = released.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Binary(body) = message else {
                    continue;
                };
                if let Ok(Payload::FrameAck(a)) =
                    proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES)
                {
                    released.sequence.fetch_max(a.sequence, Ordering::Release);
                    released.changed.notify_one();
                }
            }
        })
    };
    let mut sent = 0;
    while start.elapsed() < case.duration {
        while sent >= released.sequence.load(Ordering::Acquire) + IN_FLIGHT {
            let wait = tokio::time::timeout(DRAIN_IDLE, released.changed.notified());
            if wait.await.is_err() && start.elapsed() >= case.duration {
                break;
            }
        }
        // Encoded per frame: each carries its own sequence, which the acknowledgements name.
        let body = proto::encode_payload(frame(sent + 1, true, case.size));
        sink.send(Message::Binary(body)).await.expect("agent send");
        sent += 1;
    }
    done.store(true, Ordering::Relaxed);
    // Keep the agent connected until the viewers have drained, then hang up.
    tokio::time::sleep(DRAIN_IDLE * 2).await;
    let _ = sink.close().await;
    drain.abort();
    sent
}

/// Tallies the frames reaching one viewer, acknowledging each, until the agent is done and the
/// stream goes idle. A fast viewer reads as fast as it can; a slow one dawdles.
async fn receive(mut ws: Ws, size: usize, slow: bool, done: Arc<AtomicBool>) -> Receipt {
    let mut receipt = Receipt::default();
    let limit = Instant::now() + RECEIVER_LIMIT;
    while Instant::now() < limit {
        if slow {
            tokio::time::sleep(SLOW_READ_INTERVAL).await;
        }
        match tokio::time::timeout(DRAIN_IDLE, ws.next()).await {
            // Frames are the only messages this large; control messages are not counted.
            Ok(Some(Ok(Message::Binary(body)))) if body.len() >= size => {
                receipt.record(body.len());
                let len = body.len();
                if let Ok(Payload::VideoFrame(f)) = proto::decode(body, len) {
                    let ack = Payload::FrameAck(proto::FrameAck {
                        sequence: f.sequence,
                    });
                    let _ = ws.send(Message::Binary(proto::encode_payload(ack))).await;
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(None | Some(Err(_))) => break,
            Err(_) if done.load(Ordering::Relaxed) => break,
            Err(_) => {}
        }
    }
    receipt
}
