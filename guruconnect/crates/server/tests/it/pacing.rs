//! Viewer-paced streaming through the real relay: the agent hears how far the fastest viewer
//! got, a slow or stalled viewer never holds back a fast one, and a viewer that fell behind is
//! brought back with a fresh key frame that is asked for until it comes.

use guruconnect_proto::{self as proto, envelope::Payload};
use guruconnect_testkit::{ack, online_agent, recv, TestAgent, TestApp, TestViewer, WAIT};
use std::time::Duration;

/// Frames a paced agent keeps unconsumed, as the real agent does (`FRAMES_IN_FLIGHT`).
const IN_FLIGHT: u64 = 2;
const SIZE: usize = 16 * 1024;

/// A test agent that paces itself as the real one does: at most `IN_FLIGHT` frames beyond the
/// relay's last `FrameAck`, and a key frame when asked for one.
struct PacedAgent {
    agent: TestAgent,
    released: u64,
    sent: u64,
    key_asked: bool,
}

impl PacedAgent {
    fn new(agent: TestAgent) -> Self {
        Self {
            agent,
            released: 0,
            sent: 0,
            key_asked: false,
        }
    }

    /// Reads one message from the relay; false when it is gone.
    async fn hear(&mut self) -> bool {
        match recv(&mut self.agent.ws).await {
            Some(Payload::FrameAck(a)) => self.released = self.released.max(a.sequence),
            Some(Payload::KeyFrameRequest(_)) => self.key_asked = true,
            Some(_) => {}
            None => return false,
        }
        true
    }

    /// Sends the next frame once the window has room: a key frame when one was asked for.
    async fn send_next(&mut self) {
        while self.sent - self.released >= IN_FLIGHT && !self.key_asked {
            assert!(self.hear().await, "the relay went away");
        }
        self.sent += 1;
        let key = std::mem::take(&mut self.key_asked);
        self.agent.send_frame(self.sent, key, SIZE).await;
    }

    /// Waits until the relay asks for a key frame.
    async fn until_a_key_frame_is_asked(&mut self) {
        while !self.key_asked {
            assert!(self.hear().await, "the relay went away");
        }
    }
}

async fn viewer(app: &TestApp, session_id: &str) -> TestViewer {
    let token = app.viewer_token(session_id, &app.admin_token).await;
    TestViewer::join(app, session_id, &token)
        .await
        .expect("join")
}

#[tokio::test]
async fn a_viewer_that_stops_consuming_stops_the_agent_and_resumes_it_where_the_screen_is() {
    let app = TestApp::spawn().await;
    let (agent, _) = online_agent(&app, "paced-one").await;
    let mut viewer = viewer(&app, &agent.session_id).await;
    let mut agent = PacedAgent::new(agent);
    agent.until_a_key_frame_is_asked().await;
    agent.send_next().await;
    assert_eq!(viewer.next_frame().await.sequence, 1, "the key frame");
    agent.send_next().await;
    agent.send_next().await;
    // The page stops painting: frames 2 and 3 arrive but are not acknowledged.
    assert_eq!(viewer.next_frame_unacked().await.sequence, 2);
    assert_eq!(viewer.next_frame_unacked().await.sequence, 3);
    let held = tokio::time::timeout(Duration::from_millis(600), agent.send_next()).await;
    assert!(
        held.is_err(),
        "with two frames unconsumed the agent hears nothing that lets it send a third"
    );
    ack(&mut viewer.ws, 3).await;
    tokio::time::timeout(WAIT, agent.send_next())
        .await
        .expect("the acknowledgement reaches the agent");
    assert_eq!(
        viewer.next_frame().await.sequence,
        4,
        "the next picture goes out as soon as the page took the last ones"
    );
}

#[tokio::test]
async fn a_key_frame_a_viewer_waits_for_is_asked_again_until_it_comes() {
    let app = TestApp::spawn().await;
    let (agent, _) = online_agent(&app, "paced-retry").await;
    let mut viewer = viewer(&app, &agent.session_id).await;
    let mut agent = PacedAgent::new(agent);
    agent.until_a_key_frame_is_asked().await;
    // The request is lost (an agent busy reconnecting its capture, a full queue): nobody sends
    // a key frame and the viewer does nothing. The relay must not leave it frozen.
    agent.key_asked = false;
    tokio::time::timeout(WAIT, agent.until_a_key_frame_is_asked())
        .await
        .expect("the relay asked again on its own");
    agent.send_next().await;
    let frame = viewer.next_frame().await;
    assert!(frame.key_frame);
}

#[tokio::test]
async fn a_slow_key_frame_is_asked_for_once() {
    let app = TestApp::spawn().await;
    let (agent, _) = online_agent(&app, "paced-once").await;
    let mut viewer = viewer(&app, &agent.session_id).await;
    let mut agent = PacedAgent::new(agent);
    agent.until_a_key_frame_is_asked().await;
    agent.key_asked = false;
    // A slow encoder takes most of a second over a big key frame.
    let asked_again = tokio::time::timeout(
        Duration::from_millis(700),
        agent.until_a_key_frame_is_asked(),
    )
    .await;
    assert!(asked_again.is_err(), "the key frame was asked for twice");
    agent.key_asked = true;
    agent.send_next().await;
    assert!(viewer.next_frame().await.key_frame);
}

#[tokio::test]
async fn a_viewer_asking_for_a_key_frame_gets_it_after_what_it_holds_not_behind_stale_deltas() {
    let app = TestApp::spawn().await;
    let (agent, _) = online_agent(&app, "paced-ask").await;
    let mut viewer = viewer(&app, &agent.session_id).await;
    let mut agent = PacedAgent::new(agent);
    agent.until_a_key_frame_is_asked().await;
    agent.send_next().await;
    viewer.next_frame().await;
    agent.send_next().await; // 2, in flight
    guruconnect_testkit::send(
        &mut viewer.ws,
        Payload::KeyFrameRequest(proto::KeyFrameRequest::default()),
    )
    .await;
    agent.send_next().await; // 3: a delta the viewer can no longer use
    assert_eq!(viewer.next_frame().await.sequence, 2);
    // Having consumed 2, the viewer holds nothing: the relay asks the agent for a key frame.
    tokio::time::timeout(WAIT, agent.until_a_key_frame_is_asked())
        .await
        .expect("key frame asked for");
    agent.send_next().await;
    let next = viewer.next_frame().await;
    assert_eq!(
        (next.sequence, next.key_frame),
        (4, true),
        "delta 3 was never queued for it"
    );
}

#[tokio::test]
async fn a_slow_viewer_never_holds_back_a_fast_one_and_only_ever_resumes_on_a_key_frame() {
    let app = TestApp::spawn().await;
    let (agent, _) = online_agent(&app, "paced-two").await;
    let mut fast = viewer(&app, &agent.session_id).await;
    let mut slow = viewer(&app, &agent.session_id).await;
    let mut stalled = viewer(&app, &agent.session_id).await;
    let mut agent = PacedAgent::new(agent);
    agent.until_a_key_frame_is_asked().await;
    const FRAMES: u64 = 120;
    let fast_reader = tokio::spawn(async move {
        let mut sequences = Vec::new();
        while sequences.last() != Some(&FRAMES) {
            sequences.push(fast.next_frame().await.sequence);
        }
        sequences
    });
    let slow_reader = tokio::spawn(async move {
        let mut frames = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(3), slow.next_frame()).await;
            let Ok(frame) = next else { break };
            frames.push((frame.sequence, frame.key_frame));
            // Paints one frame in 50 ms: the fast viewer's pace is set by a loopback link.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        frames
    });
    let live = app
        .state()
        .relay
        .get(&agent.agent.session_id.as_str().into())
        .expect("live");
    let peak_queued = {
        let live = live.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            for _ in 0..1000 {
                peak = peak.max(live.max_queued_bytes());
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            peak
        })
    };
    let sender = async {
        for _ in 0..FRAMES {
            agent.send_next().await;
            // About a real agent's pace, so the slow viewer falls behind and recovers a few
            // times within the run.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    // The stalled viewer takes its first frame and then never reads again.
    let stalled_first = stalled.next_frame_unacked();
    let (sent, _) = tokio::join!(tokio::time::timeout(WAIT * 2, sender), stalled_first);
    sent.expect("the agent was never held up by the slow or the stalled viewer");
    let fast = tokio::time::timeout(WAIT, fast_reader)
        .await
        .expect("fast viewer done")
        .expect("task");
    assert_eq!(
        fast,
        (1..=FRAMES).collect::<Vec<_>>(),
        "the fast viewer got every frame, in order"
    );
    let slow = slow_reader.await.expect("task");
    assert!(slow.len() >= 3, "the slow viewer painted some: {slow:?}");
    for pair in slow.windows(2) {
        let ((before, _), (after, key)) = (pair[0], pair[1]);
        assert!(
            after == before + 1 || key,
            "after a gap the slow viewer resumes on a key frame only: {slow:?}"
        );
    }
    assert!(
        slow.iter().filter(|(_, key)| *key).count() >= 2,
        "it was brought back with fresh key frames: {slow:?}"
    );
    assert!(live.total_dropped_frames() > 0);
    // No backlog: the relay never held more than the viewer window (4 frames) for anyone,
    // plus a few small control messages.
    let peak = peak_queued.await.expect("sampler");
    assert!(
        peak <= 4 * (SIZE + 200) + 4096,
        "at most four frames queued for a viewer, saw {peak} bytes"
    );
}
