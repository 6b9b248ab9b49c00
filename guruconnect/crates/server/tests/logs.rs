//! No secret reaches the server's logs: every flow that handles one (passwords, access and
//! refresh tokens, agent keys, support codes, viewer tokens, the master key, a refused credential)
//! runs with every log level on, and the captured output is searched for each secret.
//! A test binary of its own so it can own the process-wide log subscriber.

use guruconnect_testkit::*;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything logged in this process, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

#[tokio::test]
async fn no_secret_appears_in_any_log_line() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter(
            "trace,hyper_util=debug,reqwest=info,tokio_tungstenite=info,tungstenite=info",
        )
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let app = TestApp::spawn().await;
    let secrets = exercise_every_secret(&app).await;

    let text = logs.text();
    // The capture really holds the server's request and relay logs, so the search means something.
    assert!(text.contains("request"), "request logs were captured");
    assert!(text.contains("agent"), "relay logs were captured");
    for (what, secret) in &secrets {
        assert!(secret.len() >= 8, "{what} is long enough to search for");
        assert!(
            !text.contains(secret.as_str()),
            "{what} appeared in the logs"
        );
    }
}

/// Runs each flow that touches a secret and returns the secrets, named.
async fn exercise_every_secret(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut secrets = Vec::new();
    let password = "Zebra-Umbrella-Secret-4242";
    let created = app
        .post(
            "/api/users",
            &app.admin_token,
            json!({"username": "logcheck", "password": password, "role": "technician"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    secrets.push(("a user's password", password.to_owned()));
    secrets.push(("the admin's access token", app.admin_token.clone()));

    let (login, refresh) = login(app, "logcheck", password).await;
    let access = login["access_token"].as_str().expect("access").to_owned();
    let rotated = app
        .client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", format!("gc_refresh={refresh}"))
        .json(&json!({}))
        .send()
        .await
        .expect("refresh");
    assert_eq!(rotated.status(), 200);
    let rotated_refresh = refresh_cookie(&rotated);
    let wrong = login_status(app, "logcheck", "Wrong-Guess-Password-77").await;
    assert_eq!(wrong, 401);
    secrets.push(("an access token", access.clone()));
    secrets.push(("a refresh token", refresh));
    secrets.push(("a rotated refresh token", rotated_refresh));
    secrets.push(("a wrong password", "Wrong-Guess-Password-77".to_owned()));

    let (key, _) = app.mint_key("log-agent").await;
    let agent = TestAgent::connect(app, hello_with_key("log-agent", "uid-log", &key)).await;
    let token = app.viewer_token(&agent.session_id, &access).await;
    TestViewer::join(app, &agent.session_id, &token)
        .await
        .expect("viewer joins");
    secrets.push(("an agent key", key));
    secrets.push(("a viewer token", token));

    let forged = "gcak_ForgedKeyThatShouldNeverBeLogged0001";
    let refused = TestAgent::try_connect(app, hello_with_key("log-agent", "uid-log", forged)).await;
    assert!(refused.is_err(), "a forged key is refused");
    secrets.push(("a refused agent key", forged.to_owned()));

    let code = app.post_json("/api/codes", &access, json!({})).await;
    let code = code["code"].as_str().expect("code").to_owned();
    TestAgent::connect(app, hello_with_code("uid-attended", &code)).await;
    secrets.push(("a support code", code));

    let master = std::fs::read_to_string(app.config.data_dir.join("master.key")).expect("key");
    secrets.push(("the master key", master.trim().to_owned()));
    app.post("/api/auth/logout", &access, json!({})).await;
    secrets
}

/// The login's body and the refresh token from its `gc_refresh` cookie.
async fn login(app: &TestApp, username: &str, password: &str) -> (Value, String) {
    let res = app
        .post(
            "/api/auth/login",
            "",
            json!({"username": username, "password": password}),
        )
        .await;
    let refresh = refresh_cookie(&res);
    (res.json().await.expect("json"), refresh)
}

fn refresh_cookie(res: &reqwest::Response) -> String {
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gc_refresh="))
        .expect("the refresh cookie");
    let pair = set.split(';').next().expect("pair");
    pair.trim_start_matches("gc_refresh=").to_owned()
}

async fn login_status(app: &TestApp, username: &str, password: &str) -> u16 {
    app.client
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login")
        .status()
        .as_u16()
}
