//! Auto-update offers (RMM-7): an agent on an older version is offered the newest release for
//! its OS/arch on connect, and the update record closes when it comes back on that version —
//! or fails, with the agent's reason, when it refuses it (`update_result`), after which that
//! release is not offered to it again until the retry interval passes or a newer one exists.
//! An agent can close only its own open offers.

use crate::helpers::*;
use gururmm_protocol::{AgentMessage, ServerMessage, UpdatePayload, UpdateResult};
use serde_json::json;

fn release(version: &str, arch: &str) -> serde_json::Value {
    json!({"version": version, "os_type": "linux", "arch": arch,
           "download_url": format!("https://dl.example/gururmm-agent-{version}"),
           "sha256": "ab".repeat(32), "signature": "c2lnbmF0dXJl"})
}

#[tokio::test]
async fn an_outdated_agent_is_offered_the_newest_release_and_the_update_is_tracked() {
    let app = TestApp::spawn().await;
    for (v, arch) in [
        ("0.2.0", "x86_64"),
        ("0.10.0", "x86_64"),
        ("9.0.0", "aarch64"),
    ] {
        let res = app
            .post("/api/releases", &app.admin_token, release(v, arch))
            .await;
        assert_eq!(res.status(), 201);
    }
    let dup = app
        .post(
            "/api/releases",
            &app.admin_token,
            release("0.2.0", "x86_64"),
        )
        .await;
    assert_eq!(dup.status(), 409);
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-u")).await;
    let offer = loop {
        if let Some(ServerMessage::Update(u)) = agent.recv().await {
            break u;
        }
    };
    assert_eq!(
        offer.version, "0.10.0",
        "numeric comparison, right architecture"
    );
    assert_eq!(offer.sha256, "ab".repeat(32));
    let updates = app
        .get_json(&format!("/api/agents/{}/updates", agent.agent_id))
        .await;
    assert_eq!(updates[0]["status"], "offered");
    let key = agent.key();
    drop(agent);

    let mut auth = auth_payload(&key, "dev-u");
    auth.agent_version = "0.10.0".into();
    auth.previous_version = Some("0.1.0".into());
    let back = TestAgent::connect(&app, auth).await;
    let path = format!("/api/agents/{}/updates", back.agent_id);
    eventually("update completed", || async {
        app.get_json(&path).await[0]["status"] == "completed"
    })
    .await;
    assert_eq!(app.agent(&back.agent_id).await["agent_version"], "0.10.0");
}

#[tokio::test]
async fn releases_are_admin_only_and_validated() {
    let app = TestApp::spawn().await;
    let mut bad = release("1.0.0", "x86_64");
    bad["sha256"] = json!("not-hex");
    assert_eq!(
        app.post("/api/releases", &app.admin_token, bad)
            .await
            .status(),
        422
    );
    assert_eq!(app.get("/api/releases", "").await.status(), 401);
}

/// Runs the real `gururmm-server` binary; returns (success, stdout, stderr).
fn server_cli(args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gururmm-server"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run gururmm-server");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_release_tooling_signs_a_build_the_api_accepts_and_the_key_verifies() {
    use base64::Engine;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    use sha2::Digest;
    let b64 = base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("signing.key");
    let key_arg = key_file.to_string_lossy().into_owned();
    let (ok, out, err) = server_cli(&["release", "keygen", "--out", &key_arg]);
    assert!(ok, "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the secret is private");
    }
    let public = out
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .expect("public key printed")
        .to_owned();
    let (again, _, err) = server_cli(&["release", "keygen", "--out", &key_arg]);
    assert!(!again, "an existing key is never overwritten");
    assert!(err.contains("signing.key"), "{err}");

    let build = dir.path().join("gururmm-agent");
    std::fs::write(&build, b"agent build 0.3.0").expect("write");
    let (ok, out, err) = server_cli(&[
        "release",
        "sign",
        "--signing-key",
        &key_arg,
        "--version",
        "0.3.0",
        "--os-type",
        "linux",
        "--arch",
        "x86_64",
        "--download-url",
        "https://dl.example/gururmm-agent-0.3.0",
        &build.to_string_lossy(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains(&public), "names the key to pin: {err}");
    let body: serde_json::Value = serde_json::from_str(&out).expect("JSON body");
    let digest = sha2::Sha256::digest(b"agent build 0.3.0");
    assert_eq!(body["sha256"], hex::encode(digest));
    let key: [u8; 32] = b64.decode(&public).expect("b64").try_into().expect("32");
    let signature: [u8; 64] = b64
        .decode(body["signature"].as_str().expect("signature"))
        .expect("b64")
        .try_into()
        .expect("64");
    VerifyingKey::from_bytes(&key)
        .expect("key")
        .verify(&digest, &Signature::from_bytes(&signature))
        .expect("the signature verifies under the printed key");

    let app = TestApp::spawn().await;
    let res = app.post("/api/releases", &app.admin_token, body).await;
    assert_eq!(res.status(), 201, "the API takes the printed body as is");
}

/// Publishes `version` for linux/x86_64 (what `auth_payload` reports).
async fn publish(app: &TestApp, version: &str) {
    let res = app
        .post(
            "/api/releases",
            &app.admin_token,
            release(version, "x86_64"),
        )
        .await;
    assert_eq!(res.status(), 201, "publish {version}");
}

/// The next update offer on this socket (other messages skipped).
async fn next_offer(agent: &mut TestAgent) -> UpdatePayload {
    loop {
        match agent.recv().await.expect("socket open") {
            ServerMessage::Update(u) => return u,
            _ => continue,
        }
    }
}

/// Connects and returns the first message after `auth_response`. On connect the server sends
/// its update offer, if any, before the agent's queued commands: with a command queued, that
/// command coming first means no update was offered.
async fn first_after_reconnect(
    app: &TestApp,
    key: &str,
    device: &str,
) -> (TestAgent, ServerMessage) {
    let mut agent = TestAgent::connect(app, auth_payload(key, device)).await;
    let first = agent.recv().await.expect("a message");
    (agent, first)
}

#[tokio::test]
async fn a_refused_update_is_marked_failed_with_its_reason_and_not_offered_again() {
    let app = TestApp::spawn().await;
    publish(&app, "0.2.0").await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-refuse")).await;
    let id = agent.agent_id.clone();
    let key = agent.key();
    let offer = next_offer(&mut agent).await;
    let update_id = offer
        .update_id
        .expect("protocol 2 offers carry their record's id");
    let path = format!("/api/agents/{id}/updates");
    assert_eq!(app.get_json(&path).await[0]["id"], update_id.to_string());
    agent
        .send(AgentMessage::UpdateResult(UpdateResult::refused(
            update_id,
            &offer.version,
            UpdateResult::HASH_MISMATCH,
            "SHA-256 mismatch: the download is not the offered binary",
        )))
        .await;
    eventually("the offer failed", || async {
        app.get_json(&path).await[0]["status"] == "failed"
    })
    .await;
    let updates = app.get_json(&path).await;
    let row = &updates[0];
    assert_eq!(row["failure_reason"], "hash_mismatch", "{row}");
    assert_eq!(
        row["failure_message"],
        "SHA-256 mismatch: the download is not the offered binary"
    );
    assert!(
        row["failed_at"].is_string() && row["completed_at"].is_null(),
        "{row}"
    );
    // Audited right after the row changes: wait for it too.
    let audit_path = format!("/api/audit?action=agent_update_failed&target=agent:{id}");
    eventually("the refusal audited", || async {
        app.get_json(&audit_path).await["total"] == 1
    })
    .await;
    let audit = app.get_json(&audit_path).await;
    let entry = &audit["items"][0];
    assert_eq!(entry["actor"], format!("agent:{id}"));
    assert_eq!(entry["detail"]["reason"], "hash_mismatch");
    assert_eq!(entry["detail"]["version"], "0.2.0");
    assert_eq!(entry["detail"]["update_id"], update_id.to_string());

    // Reconnecting (as an agent does after every drop) brings no new offer of that release.
    drop(agent);
    eventually("offline", || async {
        app.agent(&id).await["status"] == "offline"
    })
    .await;
    let queued = app.send_command(&id, "shell", "echo marker").await;
    let (mut agent, first) = first_after_reconnect(&app, &key, "dev-refuse").await;
    let ServerMessage::Command(command) = first else {
        panic!("the refused release was offered again: {first:?}")
    };
    assert_eq!(command.id.to_string(), queued["id"].as_str().expect("id"));
    agent.reply(&command, 0, "marker").await;
    assert_eq!(app.get_json(&path).await.as_array().expect("list").len(), 1);

    // A newer release is offered at once, as a new record.
    publish(&app, "0.3.0").await;
    drop(agent);
    let mut agent = TestAgent::connect(&app, auth_payload(&key, "dev-refuse")).await;
    let newer = next_offer(&mut agent).await;
    assert_eq!(newer.version, "0.3.0");
    assert_ne!(newer.update_id, Some(update_id));
    let updates = app.get_json(&path).await;
    assert_eq!(
        (&updates[0]["status"], &updates[0]["to_version"]),
        (&json!("offered"), &json!("0.3.0")),
        "{updates}"
    );
    assert_eq!(updates[1]["status"], "failed");
}

#[tokio::test]
async fn a_refused_release_is_offered_again_once_the_retry_interval_has_passed() {
    let app = TestApp::spawn_with(|c| c.limits.update_retry_secs = 1).await;
    publish(&app, "0.2.0").await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-retry")).await;
    let (id, key) = (agent.agent_id.clone(), agent.key());
    let offer = next_offer(&mut agent).await;
    let first_id = offer.update_id.expect("id");
    agent
        .send(AgentMessage::UpdateResult(UpdateResult::refused(
            first_id,
            "0.2.0",
            UpdateResult::DOWNLOAD_FAILED,
            "download failed: error sending request",
        )))
        .await;
    let path = format!("/api/agents/{id}/updates");
    eventually("the offer failed", || async {
        app.get_json(&path).await[0]["status"] == "failed"
    })
    .await;
    drop(agent);
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let mut agent = TestAgent::connect(&app, auth_payload(&key, "dev-retry")).await;
    let again = next_offer(&mut agent).await;
    assert_eq!(again.version, "0.2.0");
    assert_ne!(again.update_id, Some(first_id), "a new record");
    let updates = app.get_json(&path).await;
    assert_eq!(updates.as_array().expect("list").len(), 2, "{updates}");
    assert_eq!(updates[0]["status"], "offered");
    assert_eq!(updates[1]["failure_reason"], "download_failed");
}

#[tokio::test]
async fn an_update_result_for_an_unknown_or_another_agents_offer_changes_nothing() {
    let app = TestApp::spawn().await;
    publish(&app, "0.2.0").await;
    let (_, _, code) = app.site("S").await;
    let mut a = TestAgent::connect(&app, auth_payload(&code, "dev-a")).await;
    let mut b = TestAgent::connect(&app, auth_payload(&code, "dev-b")).await;
    let a_offer = next_offer(&mut a).await.update_id.expect("id");
    let b_offer = next_offer(&mut b).await.update_id.expect("id");
    let refusal = |update_id| {
        AgentMessage::UpdateResult(UpdateResult::refused(
            update_id,
            "0.2.0",
            UpdateResult::BAD_SIGNATURE,
            "forged",
        ))
    };
    // Agent A names B's offer, then an offer that does not exist, then claims success for its
    // own: none of it closes anything.
    a.send(refusal(b_offer)).await;
    a.send(refusal(uuid::Uuid::new_v4())).await;
    let mut ok = UpdateResult::refused(a_offer, "0.2.0", "", "");
    ok.ok = true;
    a.send(AgentMessage::UpdateResult(ok)).await;
    // A's socket is still served (the forged results did not close it), and the server reads
    // a socket in order: once the result sent after them is stored, they were handled.
    let sent = app.send_command(&a.agent_id, "shell", "echo after").await;
    let command = a.next_command().await;
    assert_eq!(command.id.to_string(), sent["id"].as_str().expect("id"));
    a.reply(&command, 0, "after").await;
    command_status(&app, &command.id.to_string(), "completed").await;
    for agent in [&a.agent_id, &b.agent_id] {
        let updates = app.get_json(&format!("/api/agents/{agent}/updates")).await;
        assert_eq!(updates.as_array().expect("list").len(), 1);
        assert_eq!(updates[0]["status"], "offered", "{agent}: {updates}");
    }
    let audit = app.get_json("/api/audit?action=agent_update_failed").await;
    assert_eq!(audit["total"], 0, "{audit}");

    // What an agent says is data: a made-up code is stored as unknown, the text as short
    // printable ASCII.
    a.send(AgentMessage::UpdateResult(UpdateResult {
        update_id: a_offer,
        version: "0.2.0".into(),
        ok: false,
        reason: "<script>alert(1)</script>".into(),
        message: format!("caf\u{e9}\u{1b}[31m\n{}", "x".repeat(1000)),
    }))
    .await;
    let path = format!("/api/agents/{}/updates", a.agent_id);
    eventually("A's offer failed", || async {
        app.get_json(&path).await[0]["status"] == "failed"
    })
    .await;
    let row = app.get_json(&path).await[0].clone();
    assert_eq!(row["failure_reason"], "unknown");
    let message = row["failure_message"].as_str().expect("message");
    assert!(message.starts_with("caf??[31m x"), "{message}");
    assert!(message.len() <= UpdateResult::MAX_MESSAGE_CHARS);
    let b_updates = app
        .get_json(&format!("/api/agents/{}/updates", b.agent_id))
        .await;
    assert_eq!(b_updates[0]["status"], "offered", "B's offer untouched");
}
