//! The agent socket: site-code registration, key authentication, presence tied to the socket
//! (also when it falls silent), supersede, timeouts and refusals, metrics /
//! network / watchdog storage.

use crate::helpers::*;
use futures_util::SinkExt;
use gururmm_protocol::{
    AgentMessage, DiskMetrics, Heartbeat, MemoryMetrics, MetricsReport, NetworkCounters,
    NetworkInterface, NetworkState, ServerMessage, WatchdogEvent,
};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_site_code_registers_the_device_once_and_then_matches_it() {
    let app = TestApp::spawn().await;
    let (client_id, site_id, code) = app.site("Main Office").await;
    let first = TestAgent::connect(&app, auth_payload(&code, "dev-1")).await;
    let agent = app.agent(&first.agent_id).await;
    assert_eq!(agent["site_id"], site_id.as_str());
    assert_eq!(agent["client_id"], client_id.as_str());
    assert_eq!(agent["hostname"], "host-dev-1");
    assert_eq!(agent["has_key"], true, "enrolment issued a key");
    let key = first.key();
    assert!(key.starts_with("grmm_"));
    drop(first);
    // The device comes back with its key: the same agent, not a duplicate.
    let again = TestAgent::connect(&app, auth_payload(&key, "dev-1")).await;
    assert!(again.issued_key.is_none(), "no new key for a key login");
    let stats = app.get_json("/api/agents/stats").await;
    assert_eq!(stats["total"], 1);
    assert_eq!(again.agent_id, agent["id"].as_str().expect("id"));
    drop(again);
    // Once the key has been used, the site code can no longer speak for this device.
    let by_code = TestAgent::try_connect(&app, auth_payload(&code.to_lowercase(), "dev-1")).await;
    assert_eq!(by_code.err().as_deref(), Some("authentication failed"));
}

#[tokio::test]
async fn a_lost_auth_response_does_not_lock_the_device_out() {
    // The key is issued but never used (the response was lost): the code may enrol again.
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let first = TestAgent::connect(&app, auth_payload(&code, "dev-lost")).await;
    let lost_key = first.key();
    drop(first);
    let second = TestAgent::connect(&app, auth_payload(&code, "dev-lost")).await;
    assert_eq!(
        second.agent_id,
        app.get_json("/api/agents").await["items"][0]["id"]
            .as_str()
            .expect("id")
    );
    assert_ne!(second.key(), lost_key, "the key was rotated");
    drop(second);
    assert!(
        TestAgent::try_connect(&app, auth_payload(&lost_key, "dev-lost"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_device_of_one_site_cannot_be_claimed_with_another_sites_code() {
    let app = TestApp::spawn().await;
    let (_, _, code_a) = app.site("A").await;
    let (_, _, code_b) = app.site("B").await;
    TestAgent::connect(&app, auth_payload(&code_a, "dev-x")).await;
    let refused = TestAgent::try_connect(&app, auth_payload(&code_b, "dev-x")).await;
    assert_eq!(refused.err().as_deref(), Some("authentication failed"));
}

#[tokio::test]
async fn an_agent_key_binds_to_its_first_device_and_cannot_act_as_another() {
    // A key for machine X cannot act as machine Y.
    let app = TestApp::spawn().await;
    let (agent_id, key) = app.agent_with_key(None).await;
    let agent = TestAgent::connect(&app, auth_payload(&key, "device-x")).await;
    assert_eq!(agent.agent_id, agent_id);
    assert_eq!(app.agent(&agent_id).await["device_id"], "device-x");
    let copied = TestAgent::try_connect(&app, auth_payload(&key, "device-y")).await;
    assert!(copied.is_err(), "the key was used from another device");
    let (_, other_key) = app.agent_with_key(None).await;
    let stolen_device = TestAgent::try_connect(&app, auth_payload(&other_key, "device-x")).await;
    assert!(
        stolen_device.is_err(),
        "a second key cannot take over device-x"
    );
}

#[tokio::test]
async fn unknown_credentials_and_jwts_are_refused_with_the_same_message() {
    let app = TestApp::spawn().await;
    app.site("S").await;
    for key in [
        "grmm_not-a-real-key".to_owned(),
        "FAKE-CODE-1234".to_owned(),
        app.admin_token.clone(),
        String::new(),
    ] {
        let refused = TestAgent::try_connect(&app, auth_payload(&key, "d")).await;
        assert_eq!(refused.err().as_deref(), Some("authentication failed"));
    }
}

#[tokio::test]
async fn the_agent_is_online_exactly_while_its_socket_is_open() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let agent = TestAgent::connect(&app, auth_payload(&code, "dev-p")).await;
    let id = agent.agent_id.clone();
    assert_eq!(app.agent(&id).await["status"], "online");
    drop(agent);
    eventually("offline after the socket closed", || async {
        app.agent(&id).await["status"] == "offline"
    })
    .await;
}

#[tokio::test]
async fn a_silent_half_open_agent_goes_offline_and_a_later_command_waits_for_it() {
    // "Online but sends fail" (known_issues.rs, MAJOR 3): an agent whose link died without a
    // close (no FIN, no RST) must not stay "online" with commands handed to a socket nobody
    // reads.
    let app = TestApp::spawn_with(|c| c.limits.idle_timeout_secs = 1).await;
    let (_, _, code) = app.site("S").await;
    let agent = TestAgent::connect(&app, auth_payload(&code, "dev-silent")).await;
    let id = agent.agent_id.clone();
    let key = agent.key();
    assert_eq!(app.agent(&id).await["status"], "online");
    // From here the agent neither sends, nor reads, nor closes: `agent` stays alive, so its TCP
    // connection stays open, as a half-open one does.
    eventually("offline after the idle timeout", || async {
        app.agent(&id).await["status"] == "offline"
    })
    .await;
    assert!(
        app.state().registry.get(&id.as_str().into()).is_none(),
        "no live socket left to send to"
    );
    let sent = app.send_command(&id, "shell", "echo later").await;
    assert_eq!(sent["status"], "pending", "not handed to the dead socket");
    // It is delivered once the agent really comes back.
    let mut back = TestAgent::connect(&app, auth_payload(&key, "dev-silent")).await;
    assert_eq!(
        back.next_command().await.id.to_string(),
        sent["id"].as_str().expect("id")
    );
    drop(agent);
}

#[tokio::test]
async fn a_new_connection_supersedes_the_old_one_and_presence_follows_the_new() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut old = TestAgent::connect(&app, auth_payload(&code, "dev-s")).await;
    let new = TestAgent::connect(&app, auth_payload(&old.key(), "dev-s")).await;
    assert_eq!(old.agent_id, new.agent_id);
    assert!(old.closed_by_server().await, "the old socket is closed");
    // The old socket's end must not mark the agent offline: the new one is live.
    let id = new.agent_id.clone();
    let state = app.state().clone();
    eventually("one live connection", || async {
        state.registry.len() == 1
    })
    .await;
    assert_eq!(app.agent(&id).await["status"], "online");
    let stats = app.get_json("/api/agents/stats").await;
    assert_eq!(
        (stats["total"].clone(), stats["online"].clone()),
        (1.into(), 1.into())
    );
}

#[tokio::test]
async fn an_unauthenticated_socket_is_closed_after_the_auth_timeout() {
    // Unauthenticated sockets time out (auth_timeout_secs = 2 in tests).
    let app = TestApp::spawn().await;
    let ws = open_ws(&app.ws_url(), None).await.expect("upgrade");
    let mut agent = TestAgent {
        ws,
        agent_id: String::new(),
        settings: None,
        issued_key: None,
    };
    assert!(agent.closed_by_server().await);
}

/// Reads until the server closes the socket: true when it did within the wait, with the
/// message of the refusal it sent first, if any.
async fn refused_and_closed(ws: &mut Ws) -> (bool, Option<String>) {
    use futures_util::StreamExt;
    let mut refusal = None;
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Err(_) => return (false, refusal),
            Ok(Some(Ok(Message::Text(text)))) => {
                if let Ok(ServerMessage::AuthResponse(r)) =
                    gururmm_protocol::decode_server(text.as_str())
                {
                    assert!(!r.success, "accepted without credentials");
                    refusal = Some(r.message);
                }
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                return (true, refusal)
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

#[tokio::test]
async fn garbage_malformed_and_oversized_first_messages_close_the_socket_at_once() {
    // Bad input before authentication closes the socket. The auth timeout is far beyond the wait, so a
    // close within the wait is the server's answer to the message, not the timeout.
    let app = TestApp::spawn_with(|c| c.limits.auth_timeout_secs = 600).await;
    let heartbeat = gururmm_protocol::encode(&AgentMessage::Heartbeat(Heartbeat::default()));
    let oversized = format!(
        "{{\"type\":\"auth\",\"payload\":{{\"api_key\":\"{}\"}}}}",
        "a".repeat(3 * 1024 * 1024)
    );
    let malformed = Some("malformed message");
    let cases: Vec<(Message, Option<&str>)> = vec![
        (Message::Text("garbage".into()), malformed),
        (Message::Text("{\"type\":\"auth\"".into()), malformed),
        (
            Message::Text(r#"{"type":"auth","payload":{"api_key":5}}"#.into()),
            malformed,
        ),
        (
            Message::Text(r#"{"type":"no_such_type","payload":{}}"#.into()),
            malformed,
        ),
        (
            Message::Text(heartbeat.into()),
            Some("auth must be the first message"),
        ),
        (
            Message::Binary(vec![0u8, 159, 146, 150].into()),
            Some("binary frames are not part of the protocol"),
        ),
        // Refused by the frame limit while reading: the socket just goes.
        (Message::Text(oversized.into()), None),
    ];
    for (bad, expected) in cases {
        let mut ws = open_ws(&app.ws_url(), None).await.expect("upgrade");
        let _ = ws.send(bad).await;
        let (closed, refusal) = refused_and_closed(&mut ws).await;
        assert!(closed, "socket left open (expected {expected:?})");
        if expected.is_some() {
            assert_eq!(refusal.as_deref(), expected);
        }
    }
    assert_eq!(app.get_json("/api/agents/stats").await["total"], 0);
    // The server is unharmed: a real agent still gets in.
    let (_, _, code) = app.site("S").await;
    TestAgent::connect(&app, auth_payload(&code, "dev-after-garbage")).await;
}

#[tokio::test]
async fn malformed_binary_and_oversized_messages_close_the_socket() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let key = TestAgent::connect(&app, auth_payload(&code, "dev-m"))
        .await
        .key();
    for bad in [
        Message::Text("{not json".into()),
        Message::Binary(vec![1u8, 2, 3].into()),
        Message::Text(
            format!(
                "{{\"type\":\"heartbeat\",\"payload\":{{\"x\":\"{}\"}}}}",
                "a".repeat(3 * 1024 * 1024)
            )
            .into(),
        ),
    ] {
        let mut agent = TestAgent::connect(&app, auth_payload(&key, "dev-m")).await;
        let _ = agent.ws.send(bad).await;
        assert!(agent.closed_by_server().await);
    }
    // The server is still fine afterwards.
    TestAgent::connect(&app, auth_payload(&key, "dev-m")).await;
}

#[tokio::test]
async fn a_flooding_agent_is_disconnected_and_can_come_back() {
    // Floods close the socket instead of saturating storage.
    let app = TestApp::spawn_with(|c| {
        c.limits.agent_messages_per_sec = 20;
        c.limits.agent_message_burst = 20;
    })
    .await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-flood")).await;
    let key = agent.key();
    for _ in 0..500 {
        if agent
            .ws
            .send(Message::Text(
                gururmm_protocol::encode(&AgentMessage::Heartbeat(Heartbeat::default())).into(),
            ))
            .await
            .is_err()
        {
            break;
        }
    }
    assert!(agent.closed_by_server().await);
    TestAgent::connect(&app, auth_payload(&key, "dev-flood")).await;
}

#[tokio::test]
async fn a_browser_origin_is_refused_before_the_upgrade() {
    let app = TestApp::spawn().await;
    let status = open_ws(&app.ws_url(), Some("https://evil.example"))
        .await
        .err();
    assert_eq!(status, Some(403));
}

#[tokio::test]
async fn metrics_network_state_and_watchdog_events_are_stored() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-metrics")).await;
    let id = agent.agent_id.clone();
    for cpu in [10.0f32, 30.0] {
        agent
            .send(AgentMessage::MetricsReport(MetricsReport {
                timestamp_ms: 1,
                cpu_percent: Some(cpu),
                memory: Some(MemoryMetrics {
                    used_bytes: 50,
                    total_bytes: 100,
                }),
                disks: vec![DiskMetrics {
                    mount: "/".into(),
                    used_bytes: 25,
                    total_bytes: 100,
                }],
                network: Some(NetworkCounters {
                    rx_bytes: 7,
                    tx_bytes: 8,
                }),
                uptime_seconds: 99,
            }))
            .await;
    }
    let network = NetworkState {
        hash: "h1".into(),
        interfaces: vec![NetworkInterface {
            name: "eth0".into(),
            mac: "aa".into(),
            addresses: vec!["10.0.0.5/24".into()],
        }],
    };
    agent.send(AgentMessage::NetworkState(network)).await;
    agent
        .send(AgentMessage::WatchdogEvent(WatchdogEvent {
            service: "nginx".into(),
            event: "restarted".into(),
            message: "was stopped".into(),
            timestamp_ms: 5,
        }))
        .await;
    agent
        .send(AgentMessage::Heartbeat(Heartbeat {
            uptime_seconds: 100,
        }))
        .await;
    let path = format!("/api/agents/{id}/metrics?hours=1");
    eventually("two samples", || async {
        app.get_json(&path).await.as_array().map(Vec::len) == Some(2)
    })
    .await;
    let history = app.get_json(&path).await;
    assert_eq!(history[1]["cpu_percent"], 30.0);
    assert_eq!(history[0]["disk_total_bytes"], 100);
    let summary = app.get_json("/api/metrics/summary?hours=1").await;
    assert_eq!(summary["samples"], 2);
    assert_eq!(summary["avg_cpu_percent"], 20.0);
    assert_eq!(summary["avg_memory_percent"], 50.0);
    assert_eq!(summary["avg_disk_percent"], 25.0);
    let events_path = format!("/api/agents/{id}/watchdog-events");
    eventually("watchdog event stored", || async {
        app.get_json(&events_path).await.as_array().map(Vec::len) == Some(1)
    })
    .await;
    let state_path = format!("/api/agents/{id}/state");
    eventually("network state stored", || async {
        app.get_json(&state_path).await["network_hash"] == "h1"
    })
    .await;
    let state: Value = app.get_json(&state_path).await;
    assert_eq!(state["network"][0]["addresses"][0], "10.0.0.5/24");
    assert_eq!(state["metrics"]["cpu_percent"], 30.0);
    assert_eq!(state["uptime_seconds"], 99);
}

#[tokio::test]
async fn deleting_an_agent_closes_its_socket() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-del")).await;
    let res = app
        .delete(&format!("/api/agents/{}", agent.agent_id), &app.admin_token)
        .await;
    assert_eq!(res.status(), 204);
    assert!(agent.closed_by_server().await);
    assert_eq!(
        app.get(&format!("/api/agents/{}", agent.agent_id), &app.admin_token)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn after_a_restart_nobody_is_online_until_they_reconnect() {
    let mut app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let agent = TestAgent::connect(&app, auth_payload(&code, "dev-r")).await;
    let id = agent.agent_id.clone();
    app.restart().await;
    assert_eq!(app.agent(&id).await["status"], "offline");
    let key = agent.key();
    drop(agent);
    let back = TestAgent::connect(&app, auth_payload(&key, "dev-r")).await;
    assert_eq!(back.agent_id, id);
    assert_eq!(app.agent(&id).await["status"], "online");
    let _ = ServerMessage::Ping;
}
