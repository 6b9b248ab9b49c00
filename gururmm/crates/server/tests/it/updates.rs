//! Auto-update offers (RMM-7): an agent on an older version is offered the newest release for
//! its OS/arch on connect, and the update record closes when it comes back on that version.

use crate::helpers::*;
use gururmm_protocol::ServerMessage;
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
