//! Security property 16: no secret reaches the logs. Every log line of a realistic session —
//! logins (good and bad), enrolment by site code and registration token, key logins, legacy
//! polling, commands — is captured at the levels operators run with plus debug for the server,
//! and searched for every credential that passed through.

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
    let app = TestApp::spawn().await;
    let password = "correct horse battery staple";
    let hash = gururmm_server::auth::password::hash(password).expect("hash");
    gururmm_server::db::users::create(
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
    let token: Value = app
        .post(
            &format!("/api/sites/{site_id}/registration-tokens"),
            &app.admin_token,
            json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
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
        ("registration token", token.as_str()),
        ("wrong agent key", "grmm_wrong-key-do-not-log"),
        ("legacy agent key", legacy_key.as_str()),
        ("query string", "query-secret-do-not-log"),
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
}
