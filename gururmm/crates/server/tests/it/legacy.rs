//! Legacy polling mode (RMM-8; known_issues.rs, CRITICAL 2 and 3): registration by site code, heartbeat
//! that returns pending commands (once each), results that are stored.

use crate::helpers::*;
use serde_json::{json, Value};

async fn register(app: &TestApp, code: &str, device: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/agent/register-legacy"))
        .json(&json!({"site_code": code, "device_id": device, "hostname": "old-box",
                      "os_type": "windows", "os_version": "Server 2008 R2", "agent_version": "0.5.1"}))
        .send()
        .await
        .expect("request")
}

async fn agent_post(app: &TestApp, path: &str, key: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("x-agent-key", key)
        .json(&body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn legacy_round_trip_heartbeat_returns_commands_once_and_results_are_stored() {
    let app = TestApp::spawn().await;
    let (_, site_id, code) = app.site("Legacy").await;
    let res = register(&app, &code, "legacy-1").await;
    assert_eq!(res.status(), 201);
    let reg: Value = res.json().await.expect("json");
    let agent_id = reg["agent_id"].as_str().expect("id").to_owned();
    let key = reg["api_key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("grmm_"));
    assert_eq!(app.agent(&agent_id).await["site_id"], site_id.as_str());

    let sent = app.send_command(&agent_id, "shell", "ver").await;
    let hb: Value = agent_post(&app, "/api/agent/heartbeat", &key, json!({}))
        .await
        .json()
        .await
        .expect("json");
    let pending = hb["pending_commands"].as_array().expect("array");
    assert_eq!(pending.len(), 1, "the seed returned an empty list here");
    assert_eq!(pending[0]["id"], sent["id"]);
    assert_eq!(pending[0]["command_type"], "shell");
    assert_eq!(
        app.command(sent["id"].as_str().expect("id")).await["status"],
        "running"
    );

    let again: Value = agent_post(&app, "/api/agent/heartbeat", &key, json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        again["pending_commands"].as_array().map(Vec::len),
        Some(0),
        "delivered once"
    );

    let res = agent_post(
        &app,
        "/api/agent/command-result",
        &key,
        json!({"id": sent["id"], "exit_code": 0, "stdout": "Microsoft Windows", "stderr": "", "duration_ms": 40}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let stored = app.command(sent["id"].as_str().expect("id")).await;
    assert_eq!(stored["status"], "completed", "the seed never stored this");
    assert_eq!(stored["stdout"], "Microsoft Windows");
}

#[tokio::test]
async fn legacy_endpoints_need_the_agents_own_key() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("L").await;
    let a: Value = register(&app, &code, "legacy-a")
        .await
        .json()
        .await
        .expect("json");
    let b: Value = register(&app, &code, "legacy-b")
        .await
        .json()
        .await
        .expect("json");
    let a_id = a["agent_id"].as_str().expect("id");
    let b_key = b["api_key"].as_str().expect("key");
    let sent = app.send_command(a_id, "shell", "hostname").await;
    // B cannot take A's command or answer it.
    let hb: Value = agent_post(&app, "/api/agent/heartbeat", b_key, json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(hb["pending_commands"].as_array().map(Vec::len), Some(0));
    let res = agent_post(
        &app,
        "/api/agent/command-result",
        b_key,
        json!({"id": sent["id"], "exit_code": 0, "duration_ms": 1}),
    )
    .await;
    assert_eq!(res.status(), 409);
    // No key, a wrong key, or a technician JWT: 401.
    for key in ["", "grmm_wrong", app.admin_token.as_str()] {
        let res = agent_post(&app, "/api/agent/heartbeat", key, json!({})).await;
        assert_eq!(res.status(), 401, "key {key:?}");
    }
    let bearer = app.post("/api/agent/heartbeat", b_key, json!({})).await;
    assert_eq!(bearer.status(), 401, "an agent key is not a bearer token");
}

#[tokio::test]
async fn legacy_registration_refuses_bad_codes_and_throttles_guessing() {
    let app = TestApp::spawn_with(|c| c.limits.site_code_failures_per_ip = 3).await;
    let (_, _, code) = app.site("L").await;
    let first: Value = register(&app, &code, "dup")
        .await
        .json()
        .await
        .expect("json");
    let key = first["api_key"].as_str().expect("key");
    // Until its key is used the device may register again (a lost response must not lock it out).
    let second: Value = register(&app, &code, "dup")
        .await
        .json()
        .await
        .expect("json");
    let key2 = second["api_key"].as_str().expect("key");
    assert_ne!(key, key2);
    assert_eq!(
        agent_post(&app, "/api/agent/heartbeat", key, json!({}))
            .await
            .status(),
        401,
        "rotated away"
    );
    assert_eq!(
        agent_post(&app, "/api/agent/heartbeat", key2, json!({}))
            .await
            .status(),
        200
    );
    assert_eq!(
        register(&app, &code, "dup").await.status(),
        409,
        "its key is in use now"
    );
    for _ in 0..3 {
        assert_eq!(register(&app, "WRONG-CODE-1111", "x").await.status(), 401);
    }
    // At the limit even the right code is refused until the window slides.
    assert_eq!(register(&app, &code, "new-device").await.status(), 429);
}

#[tokio::test]
async fn legacy_heartbeat_can_carry_metrics() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("L").await;
    let reg: Value = register(&app, &code, "legacy-m")
        .await
        .json()
        .await
        .expect("json");
    let key = reg["api_key"].as_str().expect("key");
    let res = agent_post(
        &app,
        "/api/agent/heartbeat",
        key,
        json!({"metrics": {"timestamp_ms": 1, "cpu_percent": 42.0}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let id = reg["agent_id"].as_str().expect("id");
    let history = app
        .get_json(&format!("/api/agents/{id}/metrics?hours=1"))
        .await;
    assert_eq!(history[0]["cpu_percent"], 42.0);
}

#[tokio::test]
async fn a_polling_agent_is_online_while_its_heartbeats_come_and_offline_after() {
    let app = TestApp::spawn_with(|c| {
        c.limits.polling_presence_secs = 1;
        c.alerts.offline_after_secs = 0;
    })
    .await;
    let (_, _, code) = app.site("Legacy").await;
    let reg: Value = register(&app, &code, "legacy-presence")
        .await
        .json()
        .await
        .expect("json");
    let id = reg["agent_id"].as_str().expect("id").to_owned();
    let key = reg["api_key"].as_str().expect("key").to_owned();
    assert_eq!(
        app.agent(&id).await["status"],
        "offline",
        "registered, not yet polled"
    );

    let beat = agent_post(&app, "/api/agent/heartbeat", &key, json!({})).await;
    assert_eq!(beat.status(), 200);
    assert_eq!(
        app.agent(&id).await["status"],
        "online",
        "the seed showed it offline"
    );
    assert_eq!(app.get_json("/api/agents/stats").await["online"], 1);

    // Silence past the presence window: offline, and the offline alert opens.
    eventually("offline after silence", || async {
        app.agent(&id).await["status"] == "offline"
    })
    .await;
    eventually("offline alert", || async {
        let open = app.get_json("/api/alerts?status=open").await;
        open.as_array()
            .is_some_and(|a| a.iter().any(|x| x["kind"] == "agent_offline"))
    })
    .await;

    // The next heartbeat brings it back and resolves the alert.
    agent_post(&app, "/api/agent/heartbeat", &key, json!({})).await;
    assert_eq!(app.agent(&id).await["status"], "online");
    let open = app.get_json("/api/alerts?status=open").await;
    assert_eq!(open.as_array().map(Vec::len), Some(0), "{open}");
}

#[tokio::test]
async fn a_heartbeat_does_not_take_presence_from_a_live_socket() {
    let app = TestApp::spawn_with(|c| c.limits.polling_presence_secs = 1).await;
    let (_, _, code) = app.site("Both").await;
    let agent = TestAgent::connect(&app, auth_payload(&code, "dev-both")).await;
    let id = agent.agent_id.clone();
    let key = agent.key();
    let beat = agent_post(&app, "/api/agent/heartbeat", &key, json!({})).await;
    assert_eq!(beat.status(), 200);
    // Past the polling window the socket still owns the agent: still online.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.agent(&id).await["status"], "online");
    // And the socket's end still takes it offline.
    drop(agent);
    eventually("offline when the socket ends", || async {
        app.agent(&id).await["status"] == "offline"
    })
    .await;
}
