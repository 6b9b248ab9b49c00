//! The relay over real sockets: register, supersede, fan-out, input, slow-viewer isolation,
//! malformed and oversized input, auth timeout, restart and reconcile, support codes.

use crate::helpers::*;
use futures_util::SinkExt;
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_second_registration_of_the_same_machine_supersedes_the_first() {
    let app = TestApp::spawn().await;
    let (key, _) = app.mint_key("pc-1").await;
    let mut first = TestAgent::connect(&app, hello_with_key("pc-1", "uid-pc-1", &key)).await;
    let second = TestAgent::connect(&app, hello_with_key("pc-1", "uid-pc-1", &key)).await;
    assert_eq!(
        disconnect_reason(&mut first.ws).await,
        Some(DisconnectReason::Superseded)
    );
    assert_eq!(
        first.session_id, second.session_id,
        "the session carries over"
    );
    let list: Value = app.get_json("/api/machines", &app.admin_token).await;
    assert_eq!(list["total"], 1, "no ghost machine");
    let sessions: Value = app
        .get_json("/api/sessions?status=live", &app.admin_token)
        .await;
    assert_eq!(sessions["total"], 1, "no ghost session");
    // The superseded connection's departure did not take the machine offline.
    let m: Value = app.get_json("/api/machines/pc-1", &app.admin_token).await;
    assert_eq!(m["online"], true);
}

#[tokio::test]
async fn frames_fan_out_to_every_viewer_and_input_reaches_the_agent() {
    let app = TestApp::spawn().await;
    let (mut agent, _) = online_agent(&app, "fan").await;
    let mut viewers = Vec::new();
    for _ in 0..3 {
        let token = app.viewer_token(&agent.session_id, &app.admin_token).await;
        viewers.push(
            TestViewer::join(&app, &agent.session_id, &token)
                .await
                .expect("join"),
        );
    }
    // The agent is told how many watch, and asked for a key frame.
    recv_until(&mut agent.ws, |p| {
        matches!(p, Payload::StreamControl(s) if s.viewers == 3).then_some(())
    })
    .await;
    // Four frames unacknowledged: as many as a viewer may hold (the real agent keeps two).
    agent.send_frame(1, true, 1000).await;
    for seq in 2..=4 {
        agent.send_frame(seq, false, 1000).await;
    }
    for viewer in &mut viewers {
        for expected in 1..=4 {
            assert_eq!(viewer.next_frame().await.sequence, expected);
        }
    }
    send(
        &mut viewers[1].ws,
        Payload::KeyEvent(proto::KeyEvent {
            down: true,
            code: "KeyA".into(),
            ..Default::default()
        }),
    )
    .await;
    let key = recv_until(&mut agent.ws, |p| match p {
        Payload::KeyEvent(k) => Some(k),
        _ => None,
    })
    .await;
    assert_eq!(key.code, "KeyA");
    // A viewer may not send what only the agent or server may.
    send(
        &mut viewers[0].ws,
        Payload::ConsentResponse(proto::ConsentResponse {
            accepted: true,
            ..Default::default()
        }),
    )
    .await;
    let err = recv_until(&mut viewers[0].ws, |p| match p {
        Payload::Error(e) => Some(e),
        _ => None,
    })
    .await;
    assert_eq!(err.code, proto::ErrorCode::UnsupportedMessage as i32);
}

#[tokio::test]
async fn a_new_viewer_starts_at_a_key_frame() {
    let app = TestApp::spawn().await;
    let (mut agent, _) = online_agent(&app, "key").await;
    let token = app.viewer_token(&agent.session_id, &app.admin_token).await;
    let mut viewer = TestViewer::join(&app, &agent.session_id, &token)
        .await
        .expect("join");
    recv_until(&mut agent.ws, |p| {
        matches!(p, Payload::KeyFrameRequest(_)).then_some(())
    })
    .await;
    agent.send_frame(10, false, 100).await; // a delta before any key frame: useless to a newcomer
    agent.send_frame(11, true, 100).await;
    let first = viewer.next_frame().await;
    assert_eq!((first.sequence, first.key_frame), (11, true));
}

/// An agent that ignores `FrameAck` (an older build, or a hostile one) floods the relay: the
/// stalled viewer's memory stays capped and the reading viewer still gets the newest picture.
#[tokio::test]
async fn a_flooding_agent_cannot_grow_a_stalled_viewers_queue_past_its_cap() {
    let app = TestApp::spawn_with(|c| {
        c.limits.viewer_queue_messages = 8;
        c.limits.viewer_queue_bytes = 512 * 1024;
    })
    .await;
    let (mut agent, _) = online_agent(&app, "slow").await;
    let fast_token = app.viewer_token(&agent.session_id, &app.admin_token).await;
    let slow_token = app.viewer_token(&agent.session_id, &app.admin_token).await;
    let mut fast = TestViewer::join(&app, &agent.session_id, &fast_token)
        .await
        .expect("join");
    let _slow = TestViewer::join(&app, &agent.session_id, &slow_token)
        .await
        .expect("join"); // never read
    const FRAMES: u64 = 200;
    const SIZE: usize = 64 * 1024; // 12.5 MiB in all: far beyond the slow viewer's socket buffers
    let reader = tokio::spawn(async move {
        let mut seen = 0;
        while seen <= FRAMES {
            let f = fast.next_frame().await;
            seen = f.sequence;
        }
        seen
    });
    for seq in 1..=FRAMES {
        agent.send_frame(seq, seq == 1 || seq % 50 == 0, SIZE).await;
    }
    // The reading viewer may have been set behind by the flood; having consumed what it got,
    // it takes the next key frame.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    agent.send_frame(FRAMES + 1, true, SIZE).await;
    let seen = tokio::time::timeout(WAIT, reader)
        .await
        .expect("the reading viewer got the newest picture")
        .expect("task");
    assert_eq!(seen, FRAMES + 1);
    let live = app
        .state()
        .relay
        .get(&agent.session_id.as_str().into())
        .expect("live");
    assert_eq!(live.viewer_count(), 2);
    // Memory: the stalled viewer's queue never exceeded its cap; the relay dropped instead.
    let queued = viewer_queued_bytes(&app, &agent.session_id);
    assert!(
        queued <= 512 * 1024 + SIZE,
        "queued {queued} bytes for the stalled viewer"
    );
    assert!(
        live.total_dropped_frames() > 0,
        "the stalled viewer's frames were dropped, not queued"
    );
}

fn viewer_queued_bytes(app: &TestApp, session_id: &str) -> usize {
    app.state()
        .relay
        .get(&session_id.into())
        .map(|s| s.max_queued_bytes())
        .unwrap_or(0)
}

#[tokio::test]
async fn malformed_oversized_and_silent_sockets_are_closed() {
    let app = TestApp::spawn().await;
    // Malformed protobuf after authentication.
    let (mut agent, _) = online_agent(&app, "mal").await;
    agent
        .ws
        .send(Message::Binary(vec![0xff, 0xff, 0xff, 0xff, 0x0f].into()))
        .await
        .expect("send");
    assert_eq!(
        disconnect_reason(&mut agent.ws).await,
        Some(DisconnectReason::ProtocolError)
    );
    // Text frames are a protocol error.
    let (mut agent, _) = online_agent(&app, "txt").await;
    agent
        .ws
        .send(Message::Text("hello".into()))
        .await
        .expect("send");
    assert_eq!(
        disconnect_reason(&mut agent.ws).await,
        Some(DisconnectReason::ProtocolError)
    );
    // Oversized viewer message.
    let (agent, _) = online_agent(&app, "big").await;
    let token = app.viewer_token(&agent.session_id, &app.admin_token).await;
    let mut viewer = TestViewer::join(&app, &agent.session_id, &token)
        .await
        .expect("join");
    let _ = viewer
        .ws
        .send(Message::Binary(
            vec![0u8; proto::MAX_VIEWER_MESSAGE_BYTES + 10].into(),
        ))
        .await;
    assert!(
        recv_all_until_closed(&mut viewer.ws).await,
        "oversized message closes the socket"
    );
    // An unauthenticated socket times out (auth timeout is 2 s in tests).
    let mut silent = open_ws(&app.ws_url("/ws/agent"), None)
        .await
        .expect("upgrade");
    assert_eq!(
        disconnect_reason(&mut silent).await,
        Some(DisconnectReason::AuthTimeout)
    );
    // A hello of another protocol version is refused with a clear error.
    let mut old = open_ws(&app.ws_url("/ws/agent"), None)
        .await
        .expect("upgrade");
    let mut hello = hello_with_key("x", "uid-x", "k");
    if let Payload::AgentHello(h) = &mut hello {
        h.protocol_version = 99;
    }
    send(&mut old, hello).await;
    let err = recv_until(&mut old, |p| match p {
        Payload::Error(e) => Some(e),
        _ => None,
    })
    .await;
    assert_eq!(err.code, proto::ErrorCode::ProtocolVersion as i32);
}

/// Drains a socket; true once it closed.
async fn recv_all_until_closed(ws: &mut Ws) -> bool {
    while recv(ws).await.is_some() {}
    true
}

#[tokio::test]
async fn support_codes_are_single_use_and_start_attended_sessions() {
    let app = TestApp::spawn().await;
    let created: Value = app
        .post_json("/api/codes", &app.admin_token, json!({"note": "printer"}))
        .await;
    let code = created["code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 8);
    let expires = created["expires_at"].as_str().expect("expiry");
    assert!(!expires.is_empty());
    let agent = TestAgent::connect(
        &app,
        hello_with_code("uid-end-user", &format!("{}-{}", &code[..4], &code[4..])),
    )
    .await;
    let session: Value = app
        .get_json(
            &format!("/api/sessions/{}", agent.session_id),
            &app.admin_token,
        )
        .await;
    assert_eq!(session["mode"], "attended");
    assert_eq!(session["source"], "support_code");
    let reuse = TestAgent::try_connect(&app, hello_with_code("uid-other", &code)).await;
    assert!(
        matches!(reuse, Err(Some(DisconnectReason::AuthFailed))),
        "a code works once"
    );
    let codes: Value = app.get_json("/api/codes", &app.admin_token).await;
    assert_eq!(codes[0]["status"], "used");
    assert_eq!(codes[0]["session_id"], agent.session_id.as_str());
    // Cancelled codes do not redeem.
    let cancelled: Value = app
        .post_json("/api/codes", &app.admin_token, json!({}))
        .await;
    let id = cancelled["id"].as_str().expect("id");
    assert_eq!(
        app.delete(&format!("/api/codes/{id}"), &app.admin_token)
            .await
            .status(),
        204
    );
    let refused = TestAgent::try_connect(
        &app,
        hello_with_code("uid-3", cancelled["code"].as_str().expect("code")),
    )
    .await;
    assert!(refused.is_err());
    // The attended session ends when its agent leaves.
    drop(agent);
    let path = format!("/api/sessions/{}", session["id"].as_str().expect("id"));
    eventually("attended session ends with its agent", || async {
        let s: Value = app.get_json(&path, &app.admin_token).await;
        s["status"] == "ended"
    })
    .await;
}

#[tokio::test]
async fn expired_support_codes_do_not_redeem() {
    let app = TestApp::spawn_with(|c| c.limits.support_code_ttl_secs = 1).await;
    let created: Value = app
        .post_json("/api/codes", &app.admin_token, json!({}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let refused = TestAgent::try_connect(
        &app,
        hello_with_code("uid-late", created["code"].as_str().expect("code")),
    )
    .await;
    assert!(matches!(refused, Err(Some(DisconnectReason::AuthFailed))));
}

#[tokio::test]
async fn a_restart_mid_session_is_reconciled_from_the_database() {
    let mut app = TestApp::spawn().await;
    let (key, _) = app.mint_key("survivor").await;
    let mut agent =
        TestAgent::connect(&app, hello_with_key("survivor", "uid-survivor", &key)).await;
    let token = app.viewer_token(&agent.session_id, &app.admin_token).await;
    let mut viewer = TestViewer::join(&app, &agent.session_id, &token)
        .await
        .expect("join");
    let session_id = agent.session_id.clone();

    app.stop().await;
    assert_eq!(
        disconnect_reason(&mut agent.ws).await,
        Some(DisconnectReason::ServerShutdown),
        "agent told why"
    );
    assert_eq!(
        disconnect_reason(&mut viewer.ws).await,
        Some(DisconnectReason::ServerShutdown),
        "viewer told why"
    );

    app.restart().await;
    let s: Value = app
        .get_json(&format!("/api/sessions/{session_id}"), &app.admin_token)
        .await;
    assert_eq!(
        s["status"], "agent_offline",
        "restored, waiting for the agent"
    );
    let m: Value = app
        .get_json("/api/machines/survivor", &app.admin_token)
        .await;
    assert_eq!(m["online"], false, "no socket survives a restart");

    let mut agent =
        TestAgent::connect(&app, hello_with_key("survivor", "uid-survivor", &key)).await;
    assert_eq!(
        agent.session_id, session_id,
        "the agent rebinds to the same session"
    );
    let mut viewer = TestViewer::join(&app, &session_id, &token)
        .await
        .expect("the viewer's token still opens it");
    agent.send_frame(1, true, 10).await;
    assert_eq!(viewer.next_frame().await.sequence, 1);
    let s: Value = app
        .get_json(&format!("/api/sessions/{session_id}"), &app.admin_token)
        .await;
    assert_eq!(s["status"], "active");
}

#[tokio::test]
async fn a_crash_leaves_no_orphan_and_stale_sessions_are_reaped() {
    let mut app = TestApp::spawn_with(|c| c.limits.agent_rebind_grace_secs = 1).await;
    let (agent, _) = online_agent(&app, "crashy").await;
    let session_id = agent.session_id.clone();
    app.kill().await;
    drop(agent);
    app.restart().await;
    let path = format!("/api/sessions/{session_id}");
    eventually(
        "the session whose agent never returned is reaped",
        || async {
            let s: Value = app.get_json(&path, &app.admin_token).await;
            s["status"] == "ended" && s["end_reason"] == "agent_timeout"
        },
    )
    .await;
}

#[tokio::test]
async fn technicians_start_sessions_on_unattended_machines_that_agents_bind_to() {
    let app = TestApp::spawn().await;
    let tech = app.user("starter", "technician").await;
    let (key, _) = app.mint_key("later").await;
    // First contact registers the machine; then it goes away.
    let first = TestAgent::connect(&app, hello_with_key("later", "uid-later", &key)).await;
    let started: Value = app
        .post_json("/api/sessions", &tech, json!({"agent_id": "later"}))
        .await;
    assert_eq!(
        started["id"],
        first.session_id.as_str(),
        "an online machine's live session is reused"
    );
    assert_eq!(
        app.post("/api/sessions", &tech, json!({"agent_id": "unknown"}))
            .await
            .status(),
        404
    );
}

/// A viewer already waits (pre-created session, or the agent went away); when the agent comes,
/// its hello must come first and the stream order right after it — an agent that drops what
/// precedes its hello would otherwise never start streaming.
#[tokio::test]
async fn an_agent_joining_a_watched_session_gets_its_hello_then_the_order_to_stream() {
    let app = TestApp::spawn().await;
    let (key, _) = app.mint_key("late").await;
    let hello = hello_with_key("late", "uid-late", &key);
    let first = TestAgent::connect(&app, hello.clone()).await;
    let session_id = first.session_id.clone();
    drop(first);
    eventually("the agent to be offline", || async {
        app.get_json("/api/machines/late", &app.admin_token).await["online"] == false
    })
    .await;
    let token = app.viewer_token(&session_id, &app.admin_token).await;
    let _viewer = TestViewer::join(&app, &session_id, &token)
        .await
        .expect("viewer joins the session while its agent is away");

    let mut ws = open_ws(&app.ws_url("/ws/agent"), None)
        .await
        .expect("upgrade");
    send(&mut ws, hello).await;
    match recv(&mut ws).await {
        Some(Payload::ServerHello(h)) => assert_eq!(h.session_id, session_id),
        other => panic!("the first message must be the hello, got {other:?}"),
    }
    let order = recv_until(&mut ws, |p| match p {
        Payload::StreamControl(c) => Some(c.viewers),
        _ => None,
    })
    .await;
    assert_eq!(order, 1);
}

/// A graceful shutdown lets the sockets it closes write their last records (the agent's
/// departure) before the database pool closes.
#[tokio::test]
async fn a_graceful_shutdown_records_the_departures_of_the_agents_it_closes() {
    let mut app = TestApp::spawn().await;
    let (agent, _) = online_agent(&app, "leaving").await;
    let session_id = agent.session_id.clone();
    app.stop().await;
    drop(agent);
    app.restart().await;
    let events = app
        .get_json(
            &format!("/api/sessions/{session_id}/events"),
            &app.admin_token,
        )
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert!(kinds.contains(&"agent_disconnected"), "{kinds:?}");
}
