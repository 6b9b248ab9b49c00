//! Handing a rotated key to the socket that holds the agent. `sent_to_agent` (response and
//! audit) is true only when that socket's writer reports the `key_rotated` message written,
//! never because it was merely queued: a socket that fails or stalls between the lookup and
//! the write gets `false`, and is closed so the key cannot go out later.

use crate::helpers::*;
use gururmm_protocol::PROTOCOL_VERSION;
use gururmm_server::ws::{LiveAgent, Outbound};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn rotate(app: &TestApp, agent_id: &str) -> Value {
    let res = app
        .post(
            &format!("/api/agents/{agent_id}/rotate-key"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "rotate");
    res.json().await.expect("json")
}

/// The `sent_to_agent` of every `agent_key_rotated` audit row of the agent, oldest first.
async fn audited_sends(app: &TestApp, agent_id: &str) -> Vec<Value> {
    let target = format!("agent:{agent_id}");
    gururmm_server::db::audit::list_for_target(&app.state().db, &target)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.event_type == "agent_key_rotated")
        .map(|r| {
            let detail: Value = serde_json::from_str(&r.detail_json).expect("detail");
            detail["sent_to_agent"].clone()
        })
        .collect()
}

/// Registers a socket for `agent_id` whose writer the test plays: the returned receiver is
/// its outbound queue.
fn fake_socket(app: &TestApp, agent_id: &str) -> (mpsc::Receiver<Outbound>, CancellationToken) {
    let (tx, rx) = mpsc::channel(8);
    let close = CancellationToken::new();
    let live = LiveAgent {
        connection_id: format!("fake-{agent_id}"),
        protocol_version: PROTOCOL_VERSION,
        tx,
        close: close.clone(),
    };
    app.state().registry.insert(agent_id, live);
    (rx, close)
}

#[tokio::test]
async fn a_key_dropped_unwritten_or_never_written_is_not_reported_as_sent() {
    let app = TestApp::spawn().await;
    // The socket closes between the lookup and the write: its writer drops the message.
    let (id, _) = app.agent_with_key(None).await;
    let (mut rx, close) = fake_socket(&app, &id);
    let writer = tokio::spawn(async move {
        let out = rx.recv().await.expect("key_rotated queued");
        assert!(out.close_after && out.written.is_some());
        drop(out);
    });
    assert_eq!(rotate(&app, &id).await["sent_to_agent"], false);
    writer.await.expect("writer");
    assert!(close.is_cancelled(), "the socket is closed");
    // The socket stalls: the message sits in its queue and is never written.
    let (id, _) = app.agent_with_key(None).await;
    let (_rx, close) = fake_socket(&app, &id);
    assert_eq!(rotate(&app, &id).await["sent_to_agent"], false);
    assert!(
        close.is_cancelled(),
        "closed, so the key cannot go out later"
    );
    // Written and confirmed: true.
    let (id, _) = app.agent_with_key(None).await;
    let (mut rx, _close) = fake_socket(&app, &id);
    let writer = tokio::spawn(async move {
        let mut out = rx.recv().await.expect("key_rotated queued");
        out.written.take().expect("ack").send(()).expect("waiting");
    });
    assert_eq!(rotate(&app, &id).await["sent_to_agent"], true);
    writer.await.expect("writer");
    assert_eq!(audited_sends(&app, &id).await, vec![json!(true)]);
}
