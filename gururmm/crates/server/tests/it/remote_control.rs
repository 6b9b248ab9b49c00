//! The remote-control broker (NRC-8) against a GuruConnect STAND-IN (`support/gc_standin.rs`,
//! not GuruConnect): what it asks GuruConnect, what it sends the RMM agent, what it answers the
//! dashboard, what it stores, and every refusal of a start. What follows a start (GuruConnect's
//! errors, a refused launch, the end, status updates, new tabs) is in `remote_control_after.rs`,
//! which shares this file's rig.

use super::gc_standin::StandIn;
use super::helpers::*;
use gururmm_protocol::RemoteControlMode;
use serde_json::{json, Value};

pub(crate) const KEY: &str = "integration-key-0123456789abcdef0123";

pub(crate) struct Rig {
    pub(crate) app: TestApp,
    pub(crate) standin: StandIn,
    pub(crate) agent: TestAgent,
    pub(crate) device: String,
}

pub(crate) fn release(platform: &str) -> Value {
    json!({"version": "1.2.3", "platform": platform, "sha256": "ab".repeat(32),
        "signature": "c2lnbmF0dXJl", "size": 4096,
        "download_url": format!("http://gc.test/api/releases/{platform}/1.2.3/download")})
}

pub(crate) async fn rig_with(tweak: impl FnOnce(&mut gururmm_server::Config, &str)) -> Rig {
    let standin = StandIn::start(KEY).await;
    standin.publish("linux-x86_64", release("linux-x86_64"));
    standin.publish("windows-x86_64", release("windows-x86_64"));
    let base = standin.base.clone();
    let app = TestApp::spawn_with(|c| {
        c.connect.url = Some(base.clone());
        c.connect.integration_key = Some(gururmm_server::config::SecretString::new(KEY));
        c.connect.public_url = Some("https://connect.example.com".into());
        c.public_url = Some("https://rmm.example.com".into());
        tweak(c, &base);
    })
    .await;
    let (_, _, code) = app.site("RC").await;
    let device = format!("dev-{}", uuid::Uuid::new_v4().simple());
    let mut agent = TestAgent::connect(&app, auth_payload(&code, &device)).await;
    agent.settled(&app).await;
    Rig {
        app,
        standin,
        agent,
        device,
    }
}

pub(crate) async fn rig() -> Rig {
    rig_with(|_, _| {}).await
}

impl Rig {
    pub(crate) async fn start(&self, mode: &str) -> reqwest::Response {
        self.app
            .post(
                &format!("/api/agents/{}/remote-control", self.agent.agent_id),
                &self.app.admin_token,
                json!({"mode": mode}),
            )
            .await
    }

    pub(crate) async fn start_ok(&self, mode: &str) -> Value {
        let res = self.start(mode).await;
        let status = res.status();
        let body: Value = res.json().await.expect("json");
        assert_eq!(status, 201, "{body}");
        body
    }
}

pub(crate) async fn refusal(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.expect("envelope");
    assert_eq!(body["error_code"], code, "{body}");
    body
}

#[tokio::test]
async fn unattended_mints_one_key_creates_the_session_and_sends_a_verified_launch() {
    let mut rig = rig().await;
    let body = rig.start_ok("unattended").await;
    let session_id = body["session_id"].as_str().expect("session").to_owned();
    let token = rig.standin.tokens()[0].clone();
    assert_eq!(body["mode"], "unattended");
    assert_eq!(
        body["viewer_embed_url"],
        format!("https://connect.example.com/viewer?embed=1&parent=https%3A%2F%2Frmm.example.com#session={session_id}&token={token}")
    );
    assert_eq!(
        body["viewer_native_url"],
        format!("guruconnect://session?server=https%3A%2F%2Fconnect.example.com&session={session_id}&token={token}")
    );
    assert_eq!(body["viewer_origin"], "https://connect.example.com");
    assert_eq!(body["capabilities"]["contract_version"], "1.1.0");

    // GuruConnect was asked for the machine's key with its device id, and for the session.
    let minted = rig.standin.minted();
    assert_eq!(minted.len(), 1);
    assert_eq!(
        rig.standin
            .calls_to(&format!("/agents/{}/keys", rig.device))
            .len(),
        1
    );
    let create = &rig.standin.calls_to("/api/integration/v1/sessions")[0];
    assert_eq!(create.body["agent_id"], rig.device.as_str());
    assert_eq!(create.body["mode"], "unattended");
    assert_eq!(create.body["technician_name"], "admin@localhost");

    // The RMM agent got the launch with everything it needs.
    let cmd = rig.agent.next_command().await;
    assert_eq!(cmd.id.to_string(), body["command_id"].as_str().expect("id"));
    let launch = launch_of(cmd.clone());
    assert_eq!(launch.mode, RemoteControlMode::Unattended);
    assert_eq!(launch.session_id, session_id);
    assert_eq!(launch.agent_id, rig.device);
    assert_eq!(launch.server_url, "wss://connect.example.com");
    assert_eq!(launch.agent_key.as_deref(), Some(minted[0].as_str()));
    assert_eq!(launch.support_code, None);
    assert_eq!(launch.release.version, "1.2.3");
    assert_eq!(launch.release.platform, "linux-x86_64");
    assert_eq!(launch.release.sha256, "ab".repeat(32));
    assert_eq!(launch.release.signature, "c2lnbmF0dXJl");
    assert!(launch.release.download_url.ends_with("/1.2.3/download"));

    // A second start reuses the stored key: GuruConnect mints nothing more.
    rig.start_ok("unattended").await;
    let again = rig.agent.next_command().await;
    assert_eq!(rig.standin.minted().len(), 1);
    assert_eq!(
        launch_of(again).agent_key.as_deref(),
        Some(minted[0].as_str())
    );

    // Audit rows, newest first, with the launch command's state.
    rig.agent.reply(&cmd, 0, "launched").await;
    let id = rig.agent.agent_id.clone();
    eventually("launch completed on the audit row", || async {
        let rows = rig
            .app
            .get_json(&format!("/api/agents/{id}/remote-control/sessions"))
            .await;
        rows.as_array().is_some_and(|r| {
            r.len() == 2 && r.iter().any(|row| row["launch_status"] == "completed")
        })
    })
    .await;
    let rows = rig
        .app
        .get_json(&format!("/api/agents/{id}/remote-control/sessions"))
        .await;
    let row = &rows[1];
    assert_eq!(row["connect_session_id"], session_id.as_str());
    assert_eq!(row["mode"], "unattended");
    assert_eq!(row["technician_email"], "admin@localhost");
    assert_eq!(row["status"], "started");
}

#[tokio::test]
async fn the_machine_key_and_launch_secret_are_not_stored_or_listed_in_clear() {
    let mut rig = rig().await;
    rig.start_ok("unattended").await;
    let _ = rig.agent.next_command().await;
    let key = rig.standin.minted()[0].clone();
    let db = &rig.app.state().db;
    let stored: Vec<(String,)> = sqlx::query_as("SELECT key_sealed FROM connect_agent_keys")
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].0.contains(&key));
    let commands: Vec<(String,)> = sqlx::query_as("SELECT command FROM commands")
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    assert!(commands.iter().all(|(c,)| !c.contains(&key)));
    let listed = rig
        .app
        .get(
            &format!("/api/commands?agent_id={}", rig.agent.agent_id),
            &rig.app.admin_token,
        )
        .await
        .text()
        .await
        .expect("text");
    assert!(!listed.contains(&key), "{listed}");
    let audit: Vec<(String,)> = sqlx::query_as("SELECT detail_json FROM audit_events")
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    assert!(audit.iter().all(|(d,)| !d.contains(&key)));
}

/// Every technician reads the command list, so a launch shows there as a remote-control
/// event: never its stored form, whose sealed secret, signature and URLs are for the agent.
#[tokio::test]
async fn technicians_see_launches_as_events_without_their_stored_form() {
    let mut rig = rig().await;
    let mut sessions = Vec::new();
    for mode in ["unattended", "attended"] {
        let body = rig.start_ok(mode).await;
        let _ = rig.agent.next_command().await;
        sessions.push((mode, body["command_id"].as_str().expect("id").to_owned()));
    }
    let db = &rig.app.state().db;
    let stored: Vec<(String,)> =
        sqlx::query_as("SELECT command FROM commands WHERE command_type = 'remote_control_launch'")
            .fetch_all(&db.pool)
            .await
            .expect("rows");
    // The row keeps what the agent needs; none of it may reach a technician.
    let mut hidden = vec![
        "sealed_secret".to_owned(),
        "c2lnbmF0dXJl".to_owned(),
        "/1.2.3/download".to_owned(),
        "wss://".to_owned(),
    ];
    for (text,) in &stored {
        let launch: Value = serde_json::from_str(text).expect("stored launch");
        hidden.push(launch["sealed_secret"].as_str().expect("sealed").to_owned());
    }

    let tech = rig.app.technician_token("viewer@example.com").await;
    let agent = &rig.agent.agent_id;
    let mut bodies = Vec::new();
    for path in [
        "/api/commands".to_owned(),
        format!("/api/commands?agent_id={agent}"),
    ] {
        let res = rig.app.get(&path, &tech).await;
        assert_eq!(res.status(), 200, "{path}");
        bodies.push(res.text().await.expect("text"));
    }
    for (mode, id) in &sessions {
        let res = rig.app.get(&format!("/api/commands/{id}"), &tech).await;
        assert_eq!(res.status(), 200);
        let detail: Value = res.json().await.expect("json");
        let session = detail["remote_control"]["connect_session_id"]
            .as_str()
            .expect("summary");
        assert_eq!(
            detail["command"],
            format!(
                "Remote control ({mode}) – GuruConnect 1.2.3 – session {}",
                &session[..8]
            )
        );
        assert_eq!(detail["command_type"], "remote_control_launch");
        assert_eq!(detail["remote_control"]["mode"], *mode);
        assert_eq!(detail["remote_control"]["version"], "1.2.3");
        assert_eq!(detail["remote_control"]["platform"], "linux-x86_64");
        bodies.push(detail.to_string());
    }
    // The audit trail (admins) names the launch without its material either.
    bodies.push(
        rig.app
            .get_json("/api/audit?per_page=200")
            .await
            .to_string(),
    );
    for body in &bodies {
        for secret in &hidden {
            assert!(!body.contains(secret.as_str()), "{secret} in {body}");
        }
    }
    let spec = rig.app.get_json("/api/openapi.json").await;
    let fields = &spec["components"]["schemas"]["CommandDto"]["properties"];
    assert!(fields["remote_control"].is_object(), "{fields}");
}

#[tokio::test]
async fn attended_sends_the_support_code_and_never_a_key() {
    let mut rig = rig().await;
    let res = rig
        .app
        .post(
            &format!("/api/agents/{}/remote-control", rig.agent.agent_id),
            &rig.app.admin_token,
            json!({"mode": "attended", "reason": "printer queue"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["mode"], "attended");
    let launch = launch_of(rig.agent.next_command().await);
    assert_eq!(launch.mode, RemoteControlMode::Attended);
    assert_eq!(
        launch.support_code.as_deref(),
        Some(rig.standin.codes()[0].as_str())
    );
    assert_eq!(launch.agent_key, None);
    assert!(rig.standin.minted().is_empty(), "attended mints no key");
    let create = &rig.standin.calls_to("/api/integration/v1/sessions")[0];
    assert_eq!(create.body["reason"], "printer queue");
}

#[tokio::test]
async fn capabilities_gate_the_modes() {
    let rig = rig().await;
    let status = rig.app.get_json("/api/remote-control/status").await;
    assert_eq!(status["available"], true, "{status}");
    assert_eq!(status["modes"], json!(["unattended", "attended"]));
    assert_eq!(status["viewer_origin"], "https://connect.example.com");

    // No consent prompt on GuruConnect: attended is not offered, unattended still is.
    rig.standin
        .set_capabilities(json!({"contract_version": "1.0.0", "features": {
        "embedded_viewer": true, "consent_prompt": false, "per_machine_keys": true,
        "programmatic_sessions": true}}));
    rig.app
        .state()
        .connect
        .as_ref()
        .expect("connect")
        .refresh()
        .await
        .expect("refresh");
    let status = rig.app.get_json("/api/remote-control/status").await;
    assert_eq!(status["modes"], json!(["unattended"]));
    let body = refusal(rig.start("attended").await, 422, "validation_failed").await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("consent_prompt")),
        "{body}"
    );
    assert!(rig
        .standin
        .calls_to("/api/integration/v1/sessions")
        .is_empty());

    // A newer major: everything off, with the versions named.
    rig.standin
        .set_capabilities(json!({"contract_version": "2.0.0", "features": {
        "embedded_viewer": true, "consent_prompt": true, "per_machine_keys": true,
        "programmatic_sessions": true}}));
    rig.app
        .state()
        .connect
        .as_ref()
        .expect("connect")
        .refresh()
        .await
        .expect("refresh");
    let status = rig.app.get_json("/api/remote-control/status").await;
    assert_eq!(status["available"], false);
    assert_eq!(status["modes"], json!([]));
    let body = refusal(
        rig.start("unattended").await,
        503,
        "remote_control_unavailable",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2.0.0") && d.contains("1.x")),
        "{body}"
    );

    // Sessions not offered.
    rig.standin
        .set_capabilities(json!({"contract_version": "1.0.0", "features": {}}));
    rig.app
        .state()
        .connect
        .as_ref()
        .expect("connect")
        .refresh()
        .await
        .expect("refresh");
    let body = refusal(
        rig.start("unattended").await,
        503,
        "remote_control_unavailable",
    )
    .await;
    assert!(body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("programmatic_sessions")));
    assert!(rig.standin.minted().is_empty());
}

#[tokio::test]
async fn without_the_integration_nothing_is_offered() {
    let app = TestApp::spawn().await;
    let status = app.get_json("/api/remote-control/status").await;
    assert_eq!(status["configured"], false);
    assert_eq!(status["available"], false);
    assert!(status["reason"]
        .as_str()
        .is_some_and(|r| r.contains("GURURMM_CONNECT_URL")));
    let (_, _, code) = app.site("S").await;
    let agent = TestAgent::connect(&app, auth_payload(&code, "dev-nc")).await;
    let res = app
        .post(
            &format!("/api/agents/{}/remote-control", agent.agent_id),
            &app.admin_token,
            json!({"mode": "unattended"}),
        )
        .await;
    refusal(res, 503, "remote_control_unavailable").await;
}

#[tokio::test]
async fn offline_unknown_and_malformed_requests_are_refused() {
    let rig = rig().await;
    let res = rig
        .app
        .post(
            &format!("/api/agents/{}/remote-control", rig.agent.agent_id),
            &rig.app.admin_token,
            json!({"mode": "sideways"}),
        )
        .await;
    refusal(res, 422, "validation_failed").await;
    let res = rig
        .app
        .post(
            &format!("/api/agents/{}/remote-control", rig.agent.agent_id),
            &rig.app.admin_token,
            json!({"mode": "unattended", "agent_key": "mine"}),
        )
        .await;
    refusal(res, 422, "validation_failed").await;
    let res = rig
        .app
        .post(
            "/api/agents/nope/remote-control",
            &rig.app.admin_token,
            json!({"mode": "unattended"}),
        )
        .await;
    refusal(res, 404, "not_found").await;
    let res = rig
        .app
        .client
        .post(rig.app.url(&format!(
            "/api/agents/{}/remote-control",
            rig.agent.agent_id
        )))
        .json(&json!({"mode": "unattended"}))
        .send()
        .await
        .expect("request");
    refusal(res, 401, "unauthorized").await;

    let id = rig.agent.agent_id.clone();
    drop(rig.agent);
    eventually("agent offline", || async {
        rig.app.agent(&id).await["status"] == "offline"
    })
    .await;
    let res = rig
        .app
        .post(
            &format!("/api/agents/{id}/remote-control"),
            &rig.app.admin_token,
            json!({"mode": "unattended"}),
        )
        .await;
    let body = refusal(res, 409, "conflict").await;
    assert!(body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("offline")));
    assert!(
        rig.standin.minted().is_empty(),
        "nothing asked of GuruConnect"
    );
}
