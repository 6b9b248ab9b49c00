//! The integration contract's surface (NRC-1..3) over real sockets: public capabilities driven
//! by configuration, the integration key as the only way in, per-machine keys, pre-created
//! sessions the agent binds to, integration viewer tokens, and attended codes bound to their
//! session.

use crate::helpers::*;
use guruconnect_proto::envelope::Payload;
use serde_json::{json, Value};

const KEY: &str = "integration-key-for-tests-0123456789abcdef";

async fn integrated() -> TestApp {
    TestApp::spawn_with(|c| {
        c.integration_key = Some(guruconnect_server::config::SecretString::new(KEY))
    })
    .await
}

#[tokio::test]
async fn capabilities_are_public_and_follow_the_configuration() {
    let plain = TestApp::spawn().await;
    for path in [
        "/api/integration/capabilities",
        "/api/integration/v1/capabilities",
    ] {
        let caps: Value = plain
            .client
            .get(plain.url(path))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(
            caps["contract_version"],
            guruconnect_server::api::integration::CONTRACT_VERSION,
            "{path}"
        );
        assert_eq!(
            caps["features"],
            json!({"embedded_viewer": false, "consent_prompt": true,
                   "per_machine_keys": false, "programmatic_sessions": false}),
            "{path}"
        );
    }
    let full = TestApp::spawn_with(|c| {
        c.integration_key = Some(guruconnect_server::config::SecretString::new(KEY));
        c.embed_allowed_origins = vec!["https://rmm.example.com".into()];
        c.web_dir = Some(std::env::temp_dir());
        c.attended_consent = false;
    })
    .await;
    let caps: Value = full
        .client
        .get(full.url("/api/integration/v1/capabilities"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        caps["features"],
        json!({"embedded_viewer": true, "consent_prompt": false,
               "per_machine_keys": true, "programmatic_sessions": true})
    );
}

#[tokio::test]
async fn only_the_integration_key_opens_the_v1_routes() {
    let app = integrated().await;
    let routes = [
        ("POST", "/api/integration/v1/agents/m1/keys", json!({})),
        (
            "POST",
            "/api/integration/v1/sessions",
            json!({"agent_id": "m1", "mode": "unattended"}),
        ),
        ("GET", "/api/integration/v1/sessions/x", Value::Null),
        (
            "POST",
            "/api/integration/v1/sessions/x/viewer-token",
            json!({}),
        ),
        ("POST", "/api/integration/v1/sessions/x/end", Value::Null),
        (
            "POST",
            "/api/integration/v1/support-codes",
            json!({"technician_name": "t"}),
        ),
    ];
    let almost = format!("{}x", &KEY[..KEY.len() - 1]);
    // A technician's own access token is not an integration key.
    for bad in [
        None,
        Some("wrong"),
        Some(almost.as_str()),
        Some(app.admin_token.as_str()),
    ] {
        for (method, path, body) in &routes {
            let mut req = app
                .client
                .request(method.parse().expect("method"), app.url(path));
            if let Some(token) = bad {
                req = req.bearer_auth(token);
            }
            if !body.is_null() {
                req = req.json(body);
            }
            let res = req.send().await.expect("send");
            assert_eq!(res.status(), 401, "{method} {path} with {bad:?}");
        }
    }
    let off = TestApp::spawn().await;
    let res = off
        .client
        .post(off.url("/api/integration/v1/sessions"))
        .bearer_auth(KEY)
        .json(&json!({"agent_id": "m1", "mode": "unattended"}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        res.status(),
        403,
        "no integration key configured: nobody gets in"
    );
}

async fn call(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let res = app.post(path, KEY, body).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_pre_created_session_is_the_one_the_agent_binds_to_and_the_viewer_opens() {
    let app = integrated().await;
    let (status, minted) = call(&app, "/api/integration/v1/agents/device-42/keys", json!({})).await;
    assert_eq!(status, 201, "{minted}");
    let key = minted["key"].as_str().expect("key").to_owned();

    let (status, created) = call(
        &app,
        "/api/integration/v1/sessions",
        json!({"agent_id": "device-42", "mode": "unattended"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "waiting");
    assert_eq!(created["is_managed"], true);
    assert_eq!(created["source"], "gururmm");
    let session_id = created["id"].as_str().expect("id").to_owned();

    // The viewer may come first: it waits for the agent.
    let (status, token) = call(
        &app,
        &format!("/api/integration/v1/sessions/{session_id}/viewer-token"),
        json!({"technician_name": "Dana from RMM", "technician_id": "u-7"}),
    )
    .await;
    assert_eq!(status, 201, "{token}");
    let mut viewer = TestViewer::join(&app, &session_id, token["token"].as_str().expect("token"))
        .await
        .expect("an integration viewer token opens the session");

    let mut agent = TestAgent::connect(&app, hello_with_key("device-42", "uid-42", &key)).await;
    assert_eq!(
        agent.session_id, session_id,
        "bound to the pre-created session"
    );
    recv_until(&mut agent.ws, |p| {
        matches!(p, Payload::StreamControl(c) if c.viewers == 1).then_some(())
    })
    .await;
    agent.send_frame(1, true, 64).await;
    assert_eq!(viewer.next_frame().await.sequence, 1);

    let (_, again) = call(
        &app,
        "/api/integration/v1/sessions",
        json!({"agent_id": "device-42", "mode": "unattended"}),
    )
    .await;
    assert_eq!(
        again["id"],
        session_id.as_str(),
        "one live session per machine"
    );
    let detail = app
        .client
        .get(app.url(&format!("/api/integration/v1/sessions/{session_id}")))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("get");
    assert_eq!(
        detail.json::<Value>().await.expect("json")["status"],
        "active"
    );

    let (status, _) = call(
        &app,
        &format!("/api/integration/v1/sessions/{session_id}/end"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 204);
    let events = app
        .get_json(
            &format!("/api/sessions/{session_id}/events"),
            &app.admin_token,
        )
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    for kind in [
        "session_created",
        "viewer_token_issued",
        "agent_connected",
        "session_ended",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
}

#[tokio::test]
async fn an_attended_code_from_the_integration_joins_its_own_session() {
    let app = integrated().await;
    let (status, created) = call(
        &app,
        "/api/integration/v1/sessions",
        json!({"agent_id": "device-7", "mode": "attended", "technician_name": "Dana", "reason": "printer"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["mode"], "attended");
    let code = created["support_code"].as_str().expect("code").to_owned();
    let session_id = created["id"].as_str().expect("id").to_owned();

    let agent = TestAgent::connect(&app, hello_with_code("uid-7", &code)).await;
    assert_eq!(agent.session_id, session_id);
    assert_eq!(
        agent.agent_id, "device-7",
        "registered as the machine the session was made for"
    );

    // A code whose session ended is refused rather than starting another session.
    let (_, other) = call(
        &app,
        "/api/integration/v1/sessions",
        json!({"agent_id": "device-8", "mode": "attended"}),
    )
    .await;
    let other_id = other["id"].as_str().expect("id");
    call(
        &app,
        &format!("/api/integration/v1/sessions/{other_id}/end"),
        Value::Null,
    )
    .await;
    let refused = TestAgent::try_connect(
        &app,
        hello_with_code("uid-8", other["support_code"].as_str().expect("code")),
    )
    .await;
    assert!(
        refused.is_err(),
        "the ended session's code must not open a new one"
    );
}

#[tokio::test]
async fn bad_requests_are_refused_with_the_field_named() {
    let app = integrated().await;
    let (status, body) = call(
        &app,
        "/api/integration/v1/sessions",
        json!({"agent_id": "m", "mode": "sideways"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["detail"].as_str().expect("detail").contains("mode"),
        "{body}"
    );
    let (status, _) = call(
        &app,
        "/api/integration/v1/sessions",
        json!({"agent_id": "bad id!", "mode": "attended"}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = call(
        &app,
        "/api/integration/v1/sessions",
        json!({"agent_id": "m", "mode": "attended", "extra": 1}),
    )
    .await;
    assert_eq!(status, 422, "unknown fields are errors, not ignored");
}
