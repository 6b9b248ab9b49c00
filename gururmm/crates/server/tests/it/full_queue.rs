//! A full per-agent outbound queue (`limits.agent_queue`): commands beyond it are not claimed
//! (not even for a moment: room is reserved before the claim),
//! so they stay `pending` instead of being lost or left `running` on a socket that never got
//! them; the reaper's re-delivery sweep sends them, oldest first, on the first pass after the
//! queue has room again, and no command is ever queued twice.

use crate::helpers::*;
use gururmm_protocol::{decode_server, ServerMessage, PROTOCOL_VERSION};
use gururmm_server::db;
use gururmm_server::ws::{LiveAgent, Outbound};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Commands the test's "writer" takes off the queue now (what a socket would write).
fn take(rx: &mut mpsc::Receiver<Outbound>) -> Vec<String> {
    let mut ids = Vec::new();
    while let Ok(out) = rx.try_recv() {
        match decode_server(&out.text).expect("valid") {
            ServerMessage::Command(c) => {
                assert_eq!(
                    out.command_id.as_ref().map(|id| id.as_str()),
                    Some(c.id.to_string().as_str())
                );
                ids.push(c.id.to_string());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    ids
}

async fn statuses(app: &TestApp, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        out.push(
            app.command(id).await["status"]
                .as_str()
                .expect("status")
                .to_owned(),
        );
    }
    out
}

#[tokio::test]
async fn commands_beyond_a_full_queue_stay_pending_and_the_next_sweep_delivers_each_once() {
    let interval = Duration::from_millis(100);
    let app = TestApp::spawn_with(|c| {
        c.limits.reaper_interval_ms = 100;
        c.limits.agent_queue = 2;
        c.limits.commands_per_minute = 1000;
    })
    .await;
    let state = app.state().clone();
    let (agent_id, _) = app.agent_with_key(None).await;
    // A connected agent whose socket has room for two messages and whose writer the test
    // plays, so "full" lasts exactly as long as the test wants.
    let (tx, mut rx) = mpsc::channel(state.config.limits.agent_queue);
    let live = LiveAgent {
        connection_id: "conn-full".into(),
        protocol_version: PROTOCOL_VERSION,
        tx,
        close: CancellationToken::new(),
    };
    let agent_id = gururmm_server::model::AgentId::from(agent_id);
    db::agents::set_online(&state.db, &agent_id, &live.connection_id)
        .await
        .expect("online");
    state.registry.insert(&agent_id, live);

    let mut sent = Vec::new();
    for i in 0..5 {
        let command = app
            .send_command(agent_id.as_str(), "shell", &format!("echo {i}"))
            .await;
        sent.push(command["id"].as_str().expect("id").to_owned());
    }
    let expected = ["running", "running", "pending", "pending", "pending"];
    assert_eq!(statuses(&app, &sent).await, expected);
    // Sweeps while the queue is full claim nothing: the three wait, none is half-sent.
    tokio::time::sleep(interval * 4).await;
    assert_eq!(statuses(&app, &sent).await, expected);
    let mut received = take(&mut rx);
    assert_eq!(received, sent[..2], "the queue held the oldest two");

    // Room again: the following passes send the other three, oldest first, each once.
    let deadline = tokio::time::Instant::now() + WAIT;
    while received.len() < sent.len() {
        assert!(tokio::time::Instant::now() < deadline, "no sweep delivered");
        tokio::time::sleep(interval / 4).await;
        received.extend(take(&mut rx));
        assert!(received.len() <= sent.len(), "a command was queued twice");
        assert_eq!(received, sent[..received.len()], "oldest first, each once");
    }
    // Later passes send nothing again, and every command is running on this socket.
    tokio::time::sleep(interval * 4).await;
    assert!(take(&mut rx).is_empty(), "a command was queued twice");
    assert_eq!(statuses(&app, &sent).await, ["running"; 5]);
}
