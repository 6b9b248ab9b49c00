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
