//! What a stranger's socket may cost before it authenticates: a message announced at almost
//! the 2 MiB limit and never finished is cut at the pre-authentication budget, not held until
//! the auth timeout; and only so many sockets from one address may wait at once.

use crate::helpers::*;
use api_harness::raw_socket;

#[tokio::test]
async fn an_unfinished_large_message_before_authenticating_ends_the_socket() {
    // The auth timeout is far beyond the wait: an end within the wait is the budget's doing.
    let app = TestApp::spawn_with(|c| c.limits.auth_timeout_secs = 600).await;
    let mut stalled =
        raw_socket::stalled_message(app.addr(), "/ws", &[], (2 << 20) - 4096, 1 << 20)
            .await
            .expect("upgrade");
    assert!(
        raw_socket::ended_by_server(&mut stalled, WAIT).await,
        "the server kept reading an unauthenticated 2 MiB message"
    );
    assert!(app.state().unauthenticated.is_empty(), "its place is free");
    // An agent that authenticates first may still send large messages.
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "big-output")).await;
    let sent = app
        .send_command(&agent.agent_id, "shell", "yes | head")
        .await;
    let command = agent.next_command().await;
    agent.reply(&command, 0, &"y\n".repeat(512 * 1024)).await;
    let done = command_status(&app, sent["id"].as_str().expect("id"), "completed").await;
    assert_eq!(done["stdout"].as_str().map(str::len), Some(1 << 20));
}

#[tokio::test]
async fn sockets_waiting_to_authenticate_are_bounded_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.limits.auth_timeout_secs = 600;
        c.limits.unauthenticated_sockets_per_address = 2;
    })
    .await;
    let first = open_ws(&app.ws_url(), None).await.expect("first waits");
    let _second = open_ws(&app.ws_url(), None).await.expect("second waits");
    assert_eq!(open_ws(&app.ws_url(), None).await.err(), Some(429));

    drop(first);
    eventually("a closed socket's place is freed", || async {
        app.state().unauthenticated.len() == 1
    })
    .await;
    // An agent that authenticates takes a place only until it has.
    let (_, _, code) = app.site("S").await;
    let _agent = TestAgent::connect(&app, auth_payload(&code, "after-the-crowd")).await;
    let _third = open_ws(&app.ws_url(), None)
        .await
        .expect("room after authenticating");
}
