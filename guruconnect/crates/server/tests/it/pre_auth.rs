//! What a stranger's socket may cost before it authenticates: a message announced at almost
//! the 8 MiB limit and never finished is cut at the pre-authentication budget, not held until
//! the auth timeout; and only so many sockets from one address may wait at once.

use crate::helpers::*;

#[tokio::test]
async fn an_unfinished_large_message_before_authenticating_ends_the_socket() {
    // The auth timeout is far beyond the wait: an end within the wait is the budget's doing.
    let app = TestApp::spawn_with(|c| c.limits.auth_timeout_secs = 600).await;
    let mut stalled = raw_socket::stalled_message(app.addr(), "/ws/agent", &[], 7 << 20, 1 << 20)
        .await
        .expect("upgrade");
    assert!(
        raw_socket::ended_by_server(&mut stalled, WAIT).await,
        "the server kept reading an unauthenticated 7 MiB message"
    );
    assert!(app.state().unauthenticated.is_empty(), "its place is free");
    // An agent that authenticates first may still send the largest messages.
    let (mut agent, _) = online_agent(&app, "big-frames").await;
    let token = app.viewer_token(&agent.session_id, &app.admin_token).await;
    let mut viewer = TestViewer::join(&app, &agent.session_id, &token)
        .await
        .expect("join");
    agent.send_frame(1, true, 6 << 20).await;
    let frame = viewer.next_frame().await;
    assert_eq!(frame.rects[0].data.len(), 6 << 20);
}

#[tokio::test]
async fn sockets_waiting_to_authenticate_are_bounded_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.limits.auth_timeout_secs = 600;
        c.limits.unauthenticated_sockets_per_address = 2;
    })
    .await;
    let agents = app.ws_url("/ws/agent");
    let first = open_ws(&agents, None).await.expect("first waits");
    let _second = open_ws(&agents, None).await.expect("second waits");
    assert_eq!(open_ws(&agents, None).await.err(), Some(429));
    let viewers = app.ws_url("/ws/viewer");
    let origin = app.viewer_origin();
    assert_eq!(
        open_ws(&viewers, Some(&origin)).await.err(),
        Some(429),
        "viewer sockets share the bound"
    );

    drop(first);
    let state = app.state().clone();
    eventually("a closed socket's place is freed", || {
        let waiting = state.unauthenticated.len();
        async move { waiting == 1 }
    })
    .await;
    // An agent that authenticates takes a place only until it has.
    let (_agent, _) = online_agent(&app, "after-the-crowd").await;
    let _third = open_ws(&agents, None)
        .await
        .expect("room after authenticating");
}
