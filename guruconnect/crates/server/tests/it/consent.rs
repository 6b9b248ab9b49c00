//! Attended consent at the relay (NRC-5): nothing streams and no input passes before the end
//! user accepts; Decline or silence ends the session; each step is audited.

use crate::helpers::*;
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason};
use serde_json::{json, Value};

/// A support code, a viewer already watching the attended session, and the agent whose
/// first messages are its hello and the consent request.
async fn attended(app: &TestApp) -> (Ws, TestViewer, String, proto::ConsentRequest) {
    let created = app
        .post_json(
            "/api/codes",
            &app.admin_token,
            json!({"technician_name": "Dana Tech", "note": "printer queue"}),
        )
        .await;
    let code = created["code"].as_str().expect("code").to_owned();
    let mut ws = open_ws(&app.ws_url("/ws/agent"), None)
        .await
        .expect("upgrade");
    send(&mut ws, hello_with_code("uid-consent", &code)).await;
    let session_id = match recv(&mut ws).await {
        Some(Payload::ServerHello(h)) => h.session_id,
        other => panic!("expected the hello, got {other:?}"),
    };
    let request = match recv(&mut ws).await {
        Some(Payload::ConsentRequest(r)) => r,
        other => panic!("expected the consent request next, got {other:?}"),
    };
    let token = app.viewer_token(&session_id, &app.admin_token).await;
    let viewer = TestViewer::join(app, &session_id, &token)
        .await
        .expect("viewer");
    (ws, viewer, session_id, request)
}

async fn event_types(app: &TestApp, session_id: &str) -> Vec<String> {
    let events: Value = app
        .get_json(
            &format!("/api/sessions/{session_id}/events"),
            &app.admin_token,
        )
        .await;
    events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_type"].as_str().map(str::to_owned))
        .collect()
}

fn answer(session_id: &str, accepted: bool) -> Payload {
    Payload::ConsentResponse(proto::ConsentResponse {
        session_id: session_id.into(),
        accepted,
        timed_out: false,
    })
}

#[tokio::test]
async fn nothing_streams_before_accept_and_everything_does_after() {
    let app = TestApp::spawn().await;
    let (mut agent, mut viewer, session_id, request) = attended(&app).await;
    assert_eq!(request.technician_name, "Dana Tech");
    assert_eq!(request.reason, "printer queue");
    assert_eq!(request.session_id, session_id);

    // Before the answer: a frame from the agent reaches no viewer, viewer input reaches no
    // agent, and the agent is never told to stream.
    send(&mut agent, frame(1, true, 32)).await;
    send(
        &mut viewer.ws,
        Payload::KeyEvent(proto::KeyEvent {
            down: true,
            code: "KeyA".into(),
            ..Default::default()
        }),
    )
    .await;
    // The accept, then the first thing the agent hears must be the stream order, not the key.
    send(&mut agent, answer(&session_id, true)).await;
    match recv_until(&mut agent, |p| match p {
        Payload::StreamControl(c) => Some(Payload::StreamControl(c)),
        Payload::KeyEvent(k) => Some(Payload::KeyEvent(k)),
        _ => None,
    })
    .await
    {
        Payload::StreamControl(c) => assert_eq!(c.viewers, 1),
        other => panic!("input crossed before consent: {other:?}"),
    }
    send(&mut agent, frame(2, true, 32)).await;
    assert_eq!(
        viewer.next_frame().await.sequence,
        2,
        "frame 1 (before accept) never arrived"
    );
    let types = event_types(&app, &session_id).await;
    assert!(types.contains(&"consent_requested".to_owned()), "{types:?}");
    assert!(types.contains(&"consent_accepted".to_owned()), "{types:?}");
}

#[tokio::test]
async fn a_decline_ends_the_session_for_everyone() {
    let app = TestApp::spawn().await;
    let (mut agent, mut viewer, session_id, _) = attended(&app).await;
    send(&mut agent, answer(&session_id, false)).await;
    assert_eq!(
        disconnect_reason(&mut agent).await,
        Some(DisconnectReason::ConsentDeclined)
    );
    assert_eq!(
        disconnect_reason(&mut viewer.ws).await,
        Some(DisconnectReason::ConsentDeclined)
    );
    let session = app
        .get_json(&format!("/api/sessions/{session_id}"), &app.admin_token)
        .await;
    assert_eq!(session["status"], "ended");
    assert_eq!(session["end_reason"], "consent_declined");
    assert!(event_types(&app, &session_id)
        .await
        .contains(&"consent_declined".to_owned()));
}

#[tokio::test]
async fn silence_counts_as_a_decline() {
    let app = TestApp::spawn_with(|c| c.limits.consent_timeout_secs = 1).await;
    let (mut agent, _viewer, session_id, request) = attended(&app).await;
    assert_eq!(request.timeout_seconds, 1);
    assert_eq!(
        disconnect_reason(&mut agent).await,
        Some(DisconnectReason::ConsentDeclined)
    );
    assert!(event_types(&app, &session_id)
        .await
        .contains(&"consent_timed_out".to_owned()));
}

#[tokio::test]
async fn unattended_sessions_and_disabled_consent_ask_nobody() {
    let app = TestApp::spawn_with(|c| c.attended_consent = false).await;
    let created = app
        .post_json("/api/codes", &app.admin_token, json!({"note": "x"}))
        .await;
    let mut ws = open_ws(&app.ws_url("/ws/agent"), None)
        .await
        .expect("upgrade");
    send(
        &mut ws,
        hello_with_code("uid-noconsent", created["code"].as_str().expect("code")),
    )
    .await;
    assert!(matches!(recv(&mut ws).await, Some(Payload::ServerHello(_))));
    assert!(
        matches!(recv(&mut ws).await, Some(Payload::StreamControl(_))),
        "with consent off the stream order follows the hello directly"
    );
}

fn two_monitors() -> Payload {
    let display = |id: &str, x: i32| proto::Display {
        id: id.into(),
        name: format!("monitor {id}"),
        x,
        y: 0,
        width: 800,
        height: 600,
        primary: x == 0,
    };
    Payload::DisplayList(proto::DisplayList {
        displays: vec![display("left", 0), display("right", 800)],
        selected_display_id: "left".into(),
    })
}

/// The real agent announces its monitors once, right after its hello — while the user is
/// still being asked. Viewers must not see the list before Accept, and must get it after:
/// without it the viewer's monitor list stays empty and no other monitor can be chosen.
#[tokio::test]
async fn the_monitor_list_sent_while_asking_reaches_viewers_after_accept_only() {
    let app = TestApp::spawn().await;
    let (mut agent, mut viewer, session_id, _) = attended(&app).await;
    send(&mut agent, two_monitors()).await;
    send(&mut agent, answer(&session_id, true)).await;
    recv_until(&mut agent, |p| match p {
        Payload::StreamControl(c) => Some(c),
        _ => None,
    })
    .await;
    send(&mut agent, frame(1, true, 32)).await;
    // What the viewer already watching hears first after the accept: the list, then the frame.
    let first = recv_until(&mut viewer.ws, |p| match p {
        Payload::DisplayList(list) => Some(Ok(list)),
        Payload::VideoFrame(f) => Some(Err(f.sequence)),
        _ => None,
    })
    .await;
    let list = first.expect("the monitor list before the first frame");
    assert_eq!(list.displays.len(), 2);

    // A viewer joining later gets the list at once, as on an unattended session.
    let token = app.viewer_token(&session_id, &app.admin_token).await;
    let mut late = TestViewer::join(&app, &session_id, &token)
        .await
        .expect("viewer");
    let list = recv_until(&mut late.ws, |p| match p {
        Payload::DisplayList(list) => Some(list),
        _ => None,
    })
    .await;
    assert_eq!(list.selected_display_id, "left");
}

#[tokio::test]
async fn a_viewer_joining_while_the_user_is_asked_gets_no_monitor_list() {
    let app = TestApp::spawn().await;
    let (mut agent, _viewer, session_id, _) = attended(&app).await;
    send(&mut agent, two_monitors()).await;
    // The relay handles an agent's messages in order: its pong means the list was taken in.
    send(
        &mut agent,
        Payload::Ping(proto::Ping {
            nonce: 1,
            ..Default::default()
        }),
    )
    .await;
    recv_until(&mut agent, |p| match p {
        Payload::Pong(_) => Some(()),
        _ => None,
    })
    .await;
    let token = app.viewer_token(&session_id, &app.admin_token).await;
    let mut newcomer = TestViewer::join(&app, &session_id, &token)
        .await
        .expect("viewer");
    let heard = tokio::time::timeout(std::time::Duration::from_millis(500), async {
        recv_until(&mut newcomer.ws, |p| match p {
            Payload::DisplayList(_) => Some(()),
            _ => None,
        })
        .await
    })
    .await;
    assert!(
        heard.is_err(),
        "the monitor list left before the user accepted"
    );
}
