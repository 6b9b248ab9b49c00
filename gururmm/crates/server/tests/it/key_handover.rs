//! Handing a rotated key to the socket that holds the agent. `sent_to_agent` (response and
//! audit) is true only when that socket's writer reports the `key_rotated` message written,
//! never because it was merely queued: a socket that fails or stalls between the lookup and
//! the write gets `false`, and is closed so the key cannot go out later. The socket handed the
//! key is retired: it finishes what it had but is given no new work (commands, another key),
//! while a revocation still cuts it at once.

use crate::helpers::*;
use futures_util::StreamExt;
use gururmm_protocol::{ServerMessage, PROTOCOL_VERSION};
use gururmm_server::ws::{writer::LAST_MESSAGE_GRACE, LiveAgent, Outbound};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

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
    app.state().registry.insert(&agent_id.into(), live);
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
    assert_eq!(app.rotate_key(&id).await["sent_to_agent"], false);
    writer.await.expect("writer");
    assert!(close.is_cancelled(), "the socket is closed");
    // The socket stalls: the message sits in its queue and is never written.
    let (id, _) = app.agent_with_key(None).await;
    let (_rx, close) = fake_socket(&app, &id);
    assert_eq!(app.rotate_key(&id).await["sent_to_agent"], false);
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
    assert_eq!(app.rotate_key(&id).await["sent_to_agent"], true);
    writer.await.expect("writer");
    assert_eq!(audited_sends(&app, &id).await, vec![json!(true)]);
}

#[tokio::test]
async fn a_stalled_socket_is_not_reported_as_sent_is_closed_and_loses_no_command() {
    let app = TestApp::spawn_with(|c| c.limits.commands_per_minute = 100_000).await;
    let (id, key) = app.agent_with_key(None).await;
    let ws = open_ws_small_buffer(&app.ws_url()).await;
    let mut agent = TestAgent::try_connect_on(ws, auth_payload(&key, "dev-stall"))
        .await
        .expect("accepted");
    // The agent stops reading. Large commands fill TCP until the server's writer is stuck:
    // messages wait in its queue and none is taken for a while.
    let live = app.state().registry.get(&id.as_str().into()).expect("live");
    let padding = "x".repeat(60 * 1024);
    let mut sent = Vec::new();
    loop {
        assert!(sent.len() < 1000, "the writer never stalled");
        let command = app.send_command(&id, "shell", &padding).await;
        sent.push(command["id"].as_str().expect("id").to_owned());
        let queued = live.tx.max_capacity() - live.tx.capacity();
        if queued >= 2 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if live.tx.max_capacity() - live.tx.capacity() >= queued {
                break;
            }
        }
    }
    let rotated = app.rotate_key(&id).await;
    assert_eq!(rotated["sent_to_agent"], false, "queued is not written");
    assert_eq!(audited_sends(&app, &id).await, vec![json!(false)]);
    // Closed although its peer never reads: offline, and what it never wrote is pending.
    eventually("offline once the server closed it", || async {
        app.agent(&id).await["status"] == "offline"
    })
    .await;
    let mut received = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, agent.ws.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) => {
                match gururmm_protocol::decode_server(text.as_str()).expect("valid") {
                    ServerMessage::Command(c) => received.push(c.id.to_string()),
                    ServerMessage::KeyRotated(_) => panic!("the key went out after all"),
                    _ => {}
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(None) | Ok(Some(Err(_))) => break,
            Err(_) => panic!("the socket was not closed"),
        }
    }
    // The key reaches the machine by hand; the new socket gets every command the stalled one
    // never wrote, and none it did.
    let new = rotated["api_key"].as_str().expect("key").to_owned();
    let mut back = TestAgent::connect(&app, auth_payload(&new, "dev-stall")).await;
    while !sent.iter().all(|c| received.contains(c)) {
        let command = back.next_command().await;
        assert!(
            !received.contains(&command.id.to_string()),
            "{} delivered twice",
            command.id
        );
        received.push(command.id.to_string());
    }
    assert_eq!(received.len(), sent.len(), "delivered twice");
}

#[tokio::test]
async fn the_socket_handed_the_new_key_takes_no_new_work_but_is_still_revocable() {
    let app = TestApp::spawn().await;
    let (id, _) = app.agent_with_key(None).await;
    let (mut rx, close) = fake_socket(&app, &id);
    // Between queueing the key and writing it, the socket is already out of reach of every
    // deliverer: a command waits for the agent's next socket, a second rotation is not handed
    // to it (nor does it close it).
    let writer = async {
        let mut out = rx.recv().await.expect("key_rotated queued");
        // What a socket still setting up checks when it finds its key changed: retired, so
        // it is left to close after the handover instead of being cut before it.
        let registry = &app.state().registry;
        assert!(registry.is_retiring(&id.as_str().into(), &format!("fake-{id}")));
        assert!(!registry.is_retiring(&id.as_str().into(), "another-connection"));
        let command = app.send_command(&id, "shell", "echo later").await;
        assert_eq!(
            command["status"], "pending",
            "claimed for the retiring socket"
        );
        let second = app.rotate_key(&id).await;
        assert_eq!(second["sent_to_agent"], false);
        assert!(rx.try_recv().is_err(), "more work queued behind the key");
        out.written.take().expect("ack").send(()).expect("waiting");
        (command, second)
    };
    let (first, (command, second)) = tokio::join!(app.rotate_key(&id), writer);
    assert_eq!(first["sent_to_agent"], true);
    assert!(!close.is_cancelled(), "the second rotation closed it");
    // One rotation audited as handed over, one not (which is which the answers above say;
    // rows written in the same millisecond have no order).
    let mut sends = audited_sends(&app, &id).await;
    sends.sort_by_key(|sent| sent.as_bool());
    assert_eq!(sends, vec![json!(false), json!(true)]);
    close.cancel();
    // The second key (installed by hand) gets the command, once.
    let key2 = second["api_key"].as_str().expect("key").to_owned();
    let mut back = TestAgent::connect(&app, auth_payload(&key2, "dev-retire")).await;
    let got = back.next_command().await;
    assert_eq!(got.id.to_string(), command["id"].as_str().expect("id"));
    back.reply(&got, 0, "").await;
    command_status(&app, &got.id.to_string(), "completed").await;

    // Revoking a retiring socket still closes it at once, not after the handover's grace.
    let third = app.rotate_key(&id).await;
    assert_eq!(third["sent_to_agent"], true);
    match back.recv().await {
        Some(ServerMessage::KeyRotated(k)) => assert_eq!(k.agent_key, third["api_key"]),
        other => panic!("expected key_rotated, got {other:?}"),
    }
    let revoked = app
        .post(
            &format!("/api/agents/{id}/revoke-key"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status(), 204);
    let cut = tokio::time::timeout(LAST_MESSAGE_GRACE - Duration::from_secs(1), async {
        while back.recv().await.is_some() {}
    })
    .await;
    assert!(
        cut.is_ok(),
        "the revoked socket waited for the grace period"
    );
}
