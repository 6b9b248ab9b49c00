//! Security property 16: no secret reaches the logs. Every log line of a realistic session —
//! logins (good and bad), enrolment by site code and registration token, key logins, legacy
//! polling, commands, a key rotated over the agent's socket — is captured at the levels
//! operators run with plus debug for the server, and searched for every credential that
//! passed through.

#[path = "support/gc_standin.rs"]
mod gc_standin;
#[path = "it/helpers.rs"]
mod helpers;

use helpers::*;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Mutex;

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_credential_appears_in_any_log_line() {
    tracing_subscriber::fmt()
        .with_env_filter("info,gururmm_server=debug,sqlx=warn")
        .with_writer(|| Capture)
        .with_ansi(false)
        .init();
    // Remote control talks to a GuruConnect stand-in, so its secrets pass through too.
    let integration_key = "integration-key-do-not-log-0123456789abcdef";
    let standin = gc_standin::StandIn::start(integration_key).await;
    standin.publish(
        "linux-x86_64",
        json!({"version": "1.2.3", "platform": "linux-x86_64", "sha256": "ab".repeat(32),
            "signature": "c2ln", "download_url": "http://gc.test/d"}),
    );
    let gc_base = standin.base.clone();
    let app = TestApp::spawn_with(|c| {
        c.connect.url = Some(gc_base);
        c.connect.integration_key =
            Some(gururmm_server::config::SecretString::new(integration_key));
    })
    .await;
    let password = "correct horse battery staple";
    let hash = gururmm_server::auth::password::hash(password).expect("hash");
    gururmm_server::db::users::USERS
        .create(
            &app.state().db,
            "tech@example.com",
            "T",
            &hash,
            gururmm_server::db::users::Role::Technician,
        )
        .await
        .expect("user");
    let jwt = app.login("tech@example.com", password).await;
    let wrong = "wrong-password-do-not-log";
    let _ = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": "tech@example.com", "password": wrong}))
        .send()
        .await;
    let (_, site_id, code) = app.site("S").await;
    let enrolled = TestAgent::connect(&app, auth_payload(&code, "log-dev")).await;
    let issued = enrolled.key();
    drop(enrolled);
    let mut again = TestAgent::connect(&app, auth_payload(&issued, "log-dev")).await;
    app.send_command(&again.agent_id, "shell", "echo hi").await;
    let cmd = again.next_command().await;
    again.reply(&cmd, 0, "hi").await;
    let token = app.registration_token(&site_id).await;
    let token = token["token"].as_str().expect("token").to_owned();
    let _ = TestAgent::try_connect(&app, auth_payload(&token, "log-dev-2")).await;
    let _ =
        TestAgent::try_connect(&app, auth_payload("grmm_wrong-key-do-not-log", "log-dev-3")).await;
    let legacy: Value = app
        .client
        .post(app.url("/api/agent/register-legacy"))
        .json(&json!({"site_code": code, "device_id": "log-legacy", "hostname": "h", "os_type": "windows", "agent_version": "1"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let legacy_key = legacy["api_key"].as_str().expect("key").to_owned();
    let _ = app
        .client
        .post(app.url("/api/agent/heartbeat?key=query-secret-do-not-log"))
        .header("x-agent-key", &legacy_key)
        .json(&json!({}))
        .send()
        .await;
    let me = app.get("/api/auth/me", &jwt).await;
    assert_eq!(me.status(), 200);
    command_status(&app, &cmd.id.to_string(), "completed").await;
    for mode in ["unattended", "attended"] {
        let res = app
            .post(
                &format!("/api/agents/{}/remote-control", again.agent_id),
                &app.admin_token,
                json!({"mode": mode}),
            )
            .await;
        assert_eq!(res.status(), 201, "{mode}");
        let launch = again.next_command().await;
        again.reply(&launch, 0, "started").await;
    }
    // A key rotated while the agent is connected travels over its socket.
    let rotated: Value = app
        .post(
            &format!("/api/agents/{}/rotate-key", again.agent_id),
            &app.admin_token,
            json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rotated["sent_to_agent"], true);
    let rotated_key = rotated["api_key"].as_str().expect("key").to_owned();
    match again.recv().await {
        Some(gururmm_protocol::ServerMessage::KeyRotated(k)) => {
            assert_eq!(k.agent_key, rotated_key)
        }
        other => panic!("expected key_rotated, got {other:?}"),
    }
    let back = TestAgent::connect(&app, auth_payload(&rotated_key, "log-dev")).await;
    drop(back);
    let gc_secrets: Vec<String> = [standin.minted(), standin.codes(), standin.tokens()].concat();
    assert_eq!(
        gc_secrets.len(),
        4,
        "a key, a support code, two viewer tokens"
    );

    let logs = String::from_utf8(CAPTURED.lock().expect("lock").clone()).expect("utf8");
    assert!(logs.contains("request finished"), "the capture works");
    assert!(
        logs.contains("agent authentication refused"),
        "refusals are logged"
    );
    for (what, secret) in [
        ("password", password),
        ("wrong password", wrong),
        ("access token", jwt.as_str()),
        ("admin token", app.admin_token.as_str()),
        ("site code", code.as_str()),
        ("issued agent key", issued.as_str()),
        ("rotated agent key", rotated_key.as_str()),
        ("registration token", token.as_str()),
        ("wrong agent key", "grmm_wrong-key-do-not-log"),
        ("legacy agent key", legacy_key.as_str()),
        ("query string", "query-secret-do-not-log"),
        ("GuruConnect integration key", integration_key),
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
    assert!(
        logs.contains("remote control started"),
        "the capture covers it"
    );
    for secret in &gc_secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a GuruConnect key, support code or viewer token appears in the logs"
        );
    }
}
