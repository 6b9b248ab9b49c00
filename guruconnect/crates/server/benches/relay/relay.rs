//! One relay case: a test agent pushes `size`-byte video frames through the real server to N
//! viewers over loopback WebSockets for a fixed time; each viewer tallies what reached it. Some
//! viewers may be slow readers, to show they cost the others nothing.
//!
//! The agent keeps at most `WINDOW` frames in flight ahead of the slowest fast viewer, as a real
//! agent paces itself on what gets through: the case measures what the relay can carry, not how
//! fast a sender on the same two cores can produce frames for the relay to drop.

use crate::measure::{Receipt, DRAIN_IDLE, RECEIVER_LIMIT};
use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use guruconnect_proto as proto;
use guruconnect_testkit::{frame, online_agent, TestApp, TestViewer, Ws};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

/// Frames received so far by each fast viewer, so the agent can pace itself on the slowest.
#[derive(Debug)]
struct Progress {
    received: Vec<AtomicU64>,
    changed: Notify,
}

impl Progress {
    fn new(viewers: usize) -> Arc<Self> {
        Arc::new(Self {
            received: (0..viewers).map(|_| AtomicU64::new(0)).collect(),
            changed: Notify::new(),
        })
    }

    fn slowest(&self) -> u64 {
        let counts = self.received.iter().map(|c| c.load(Ordering::Acquire));
        counts.min().unwrap_or(u64::MAX)
    }

    fn advance(&self, viewer: usize) {
        self.received[viewer].fetch_add(1, Ordering::Release);
        self.changed.notify_one();
    }
}

/// Frames the agent may have in flight beyond what every fast viewer has received; below the
/// relay's per-viewer queue so a fast viewer never has frames dropped.
const WINDOW: u64 = 8;

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
    let live = app.state().relay.get(&session_id).expect("live session");
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (live, done, peak) = (live.clone(), done.clone(), peak.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(live.max_queued_bytes(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let start = Instant::now();
    let progress = Progress::new(case.fast_viewers);
    let mut receivers = Vec::new();
    let mut sinks = Vec::new();
    for (i, (viewer, slow)) in viewers.into_iter().enumerate() {
        let (sink, stream) = viewer.ws.split();
        sinks.push(sink); // kept open until the case ends
        let role = if slow {
            Role::Slow
        } else {
            Role::Fast(i, progress.clone())
        };
        let receiver = tokio::spawn(receive(stream, case.size, role, done.clone()));
        receivers.push((receiver, slow));
    }
    let sent = push_frames(agent.ws, case, start, &progress, &done).await;
    let _ = sampler.await;

    let mut outcome = Outcome {
        sent,
        peak_queued_bytes: peak.load(Ordering::Relaxed),
        dropped_frames: live.total_dropped_frames(),
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

/// Sends one pre-encoded key frame over and over for the case's duration, never more than
/// `WINDOW` ahead of the slowest fast viewer; returns how many. Every frame is a key frame so a
/// slow viewer that had frames dropped resumes on the next one.
async fn push_frames(
    ws: Ws,
    case: Case,
    start: Instant,
    progress: &Progress,
    done: &AtomicBool,
) -> u64 {
    let (mut sink, mut stream) = ws.split();
    // Drain what the server sends the agent (key-frame requests, pings) so it never backs up.
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    let body = proto::encode_payload(frame(1, true, case.size));
    let mut sent = 0;
    while start.elapsed() < case.duration {
        while sent >= progress.slowest().saturating_add(WINDOW) {
            let wait = tokio::time::timeout(DRAIN_IDLE, progress.changed.notified());
            if wait.await.is_err() && start.elapsed() >= case.duration {
                break;
            }
        }
        sink.send(Message::Binary(body.clone()))
            .await
            .expect("agent send");
        sent += 1;
    }
    done.store(true, Ordering::Relaxed);
    // Keep the agent connected until the viewers have drained, then hang up.
    tokio::time::sleep(DRAIN_IDLE * 2).await;
    let _ = sink.close().await;
    drain.abort();
    sent
}

/// A fast viewer reads as fast as it can and reports progress; a slow one dawdles.
enum Role {
    Fast(usize, Arc<Progress>),
    Slow,
}

/// Tallies the frames reaching one viewer until the agent is done and the stream goes idle.
async fn receive(
    mut stream: SplitStream<Ws>,
    size: usize,
    role: Role,
    done: Arc<AtomicBool>,
) -> Receipt {
    let mut receipt = Receipt::default();
    let limit = Instant::now() + RECEIVER_LIMIT;
    while Instant::now() < limit {
        if let Role::Slow = role {
            tokio::time::sleep(SLOW_READ_INTERVAL).await;
        }
        match tokio::time::timeout(DRAIN_IDLE, stream.next()).await {
            // Frames are the only messages this large; control messages are not counted.
            Ok(Some(Ok(Message::Binary(body)))) if body.len() >= size => {
                receipt.record(body.len());
                if let Role::Fast(i, progress) = &role {
                    progress.advance(*i);
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
