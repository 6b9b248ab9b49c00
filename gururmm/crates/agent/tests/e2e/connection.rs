//! How the real agent connects: trusting the server's own certificate only when told, the
//! polling mode, and a key rotated while it is connected.

use super::*;

#[tokio::test]
async fn over_wss_the_agent_trusts_the_servers_own_certificate_only_when_told() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let dir = tempfile::tempdir().expect("dir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("write");
    std::fs::write(&key, certified.key_pair.serialize_pem()).expect("write");
    let h = Harness::start_with_tls(Some((&certified, cert.clone(), key))).await;
    let code = h.site_code().await;
    let url = format!("wss://localhost:{}/ws", h.config.bind.port());

    // Without the certificate pinned, the public roots do not vouch for it: no connection.
    let untrusting = h.agent_config_for(&url, "untrusting", &code, "");
    let binary = agent_binary(untrusting.parent().expect("dir"));
    let log = h.dir.path().join("untrusting.log");
    let mut agent = spawn_agent(&binary, &untrusting, &log);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("reconnecting")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed connect logged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.to_ascii_lowercase().contains("certificate"),
        "{logged}"
    );
    let listed = h.get("/api/agents?q=e2e-untrusting").await;
    assert_eq!(listed["total"], 0, "never authenticated: {listed}");
    agent.kill().await.expect("kill");

    // With server.ca_cert naming it, the agent connects and works.
    let extra = format!("ca_cert = \"{}\"", cert.display());
    let trusting = h.agent_config_for(&url, "trusting", &code, &extra);
    let log = h.dir.path().join("trusting.log");
    let mut agent = spawn_agent(&binary, &trusting, &log);
    let id = h.agent_id("e2e-trusting").await;
    h.wait_status(&id, "online").await;
    let cmd = h.command(&id, "shell", "echo over-tls", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "over-tls\n");
    agent.kill().await.expect("kill");
}

#[tokio::test]
async fn polling_mode_registers_runs_commands_and_stores_results() {
    let h = Harness::start().await;
    let code = h.site_code().await;
    let config = h.agent_config("poll", &code, "mode = \"polling\"");
    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("poll.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let id = h.agent_id("e2e-poll").await;
    let agent_row = h.get(&format!("/api/agents/{id}")).await;
    assert_eq!(agent_row["has_key"], true, "registration issued a key");
    assert!(
        config.parent().expect("dir").join("agent.key").exists(),
        "key stored for later polls"
    );
    let cmd = h.command(&id, "shell", "echo polled", 30).await;
    let done = h.finished(&cmd).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["stdout"], "polled\n");
    agent.kill().await.expect("kill");
}

#[tokio::test]
async fn a_polling_agent_uses_a_key_put_in_agent_key_by_hand_over_the_configured_one() {
    let h = Harness::start().await;
    let (status, created) = h
        .post("/api/agents", json!({"hostname": "poll-rekey"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["agent"]["id"].as_str().expect("id").to_owned();
    let configured = created["api_key"].as_str().expect("key").to_owned();
    // Rotated while the machine polls: never sent, so installed by hand in agent.key.
    let (status, rotated) = h
        .post(&format!("/api/agents/{id}/rotate-key"), json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["sent_to_agent"], false, "{rotated}");
    let config = h.agent_config("poll-rekey", &configured, "mode = \"polling\"");
    let key_file = config.with_file_name("agent.key");
    std::fs::write(&key_file, rotated["api_key"].as_str().expect("new key")).expect("write");

    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("poll-rekey.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let cmd = h.command(&id, "shell", "echo new-key", 30).await;
    let done = h.finished(&cmd).await;
    assert_eq!(
        done["stdout"],
        "new-key\n",
        "{done}; agent log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    agent.kill().await.expect("kill");
}

/// What the server answers an `auth` with `key` for `device` on a fresh socket.
async fn ws_auth(h: &Harness, key: &str, device: &str) -> gururmm_protocol::AuthResponse {
    use futures_util::{SinkExt, StreamExt};
    use gururmm_protocol::{decode_server, encode, AgentMessage, ServerMessage};
    use tokio_tungstenite::tungstenite::Message;
    let url = format!("ws://{}/ws", h.config.bind);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let auth = gururmm_agent::session::auth_payload(key, device, None);
    ws.send(Message::Text(encode(&AgentMessage::Auth(auth)).into()))
        .await
        .expect("send auth");
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("answer") {
            Some(Ok(Message::Text(text))) => {
                if let Ok(ServerMessage::AuthResponse(r)) = decode_server(text.as_str()) {
                    return r;
                }
            }
            Some(Ok(_)) => continue,
            other => panic!("closed without an answer: {other:?}"),
        }
    }
}

/// The id of the socket the agent is connected on, once it has one other than `not`.
async fn connection_of(h: &Harness, agent_id: &str, not: Option<&str>) -> String {
    let registry = &h.server.as_ref().expect("server").state.registry;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(live) = registry.get(&agent_id.into()) {
            if Some(live.connection_id.as_str()) != not {
                return live.connection_id;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "agent never (re)connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every file under `dir`, recursively, with its contents.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            found.push((path, text));
        }
    }
    found
}

#[tokio::test]
async fn a_key_rotated_while_the_agent_is_connected_reaches_it_and_it_comes_back_with_it() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::start().await;
    let code = h.site_code().await;
    let config = h.agent_config("rekey", &code, "");
    let dir = config.parent().expect("dir").to_owned();
    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("rekey.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let id = h.agent_id("e2e-rekey").await;
    h.wait_status(&id, "online").await;
    let key_file = dir.join("agent.key");
    let old = std::fs::read_to_string(&key_file)
        .expect("enrolment stored a key")
        .trim()
        .to_owned();
    let before = connection_of(&h, &id, None).await;

    let (status, rotated) = h
        .post(&format!("/api/agents/{id}/rotate-key"), json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["sent_to_agent"], true, "the agent was online");
    let new = rotated["api_key"].as_str().expect("key").to_owned();
    assert_ne!(new, old);

    // The agent stores the key it was sent and reconnects with it on a new socket.
    let deadline = tokio::time::Instant::now() + WAIT;
    while std::fs::read_to_string(&key_file)
        .unwrap_or_default()
        .trim()
        != new
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "new key never stored; agent log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mode = std::fs::metadata(&key_file)
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "owner-only");
    let after = connection_of(&h, &id, Some(&before)).await;
    assert_ne!(after, before);
    h.wait_status(&id, "online").await;
    let cmd = h.command(&id, "shell", "echo rekeyed", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "rekeyed\n");
    wait_for_log(&log, "new key stored").await;

    // The old key is refused; no file the agent keeps holds it, and only agent.key the new one.
    let refused = ws_auth(&h, &old, "e2e-rekey").await;
    assert!(
        !refused.success,
        "the old key still works: {}",
        refused.message
    );
    for (path, text) in files_under(&dir) {
        assert!(!text.contains(&old), "{} holds the old key", path.display());
        if path != key_file {
            assert!(!text.contains(&new), "{} holds the new key", path.display());
        }
    }
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        !logged.contains(&old) && !logged.contains(&new),
        "a key in the log"
    );

    // Restarted, it authenticates with the stored key.
    agent.kill().await.expect("kill");
    h.wait_status(&id, "offline").await;
    let relog = h.dir.path().join("rekey-again.log");
    let mut agent = spawn_agent(&binary, &config, &relog);
    h.wait_status(&id, "online").await;
    let cmd = h.command(&id, "shell", "echo restarted", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "restarted\n");
    agent.kill().await.expect("kill");
}
