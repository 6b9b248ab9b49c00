//! Agent key rotation and revocation (a revoked key is dropped from an
//! already-open socket): the open socket closes at once, the old key is refused afterwards on
//! the socket and the legacy endpoints, a rotated key works, a revoked device cannot enrol
//! again, both are admin-only, audited and documented. A rotated key is sent to the agent's
//! own open socket (protocol 2) before it closes, and to no other; revocation sends nothing.

use crate::helpers::*;
use gururmm_protocol::ServerMessage;
use serde_json::json;

async fn rotate(app: &TestApp, agent_id: &str) -> String {
    let body = app.rotate_key(agent_id).await;
    assert_eq!(body["agent_id"], agent_id);
    body["api_key"].as_str().expect("key").to_owned()
}

async fn revoke(app: &TestApp, agent_id: &str) {
    let res = app
        .post(
            &format!("/api/agents/{agent_id}/revoke-key"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 204, "revoke");
}

/// (actor, action) of the agent's audit rows, oldest first.
async fn audit_of(app: &TestApp, agent_id: &str) -> Vec<(String, String)> {
    let target = format!("agent:{agent_id}");
    gururmm_server::db::audit::list_for_target(&app.state().db, &target)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| (r.actor, r.event_type))
        .collect()
}

async fn legacy_heartbeat(app: &TestApp, key: &str) -> u16 {
    app.client
        .post(app.url("/api/agent/heartbeat"))
        .header("x-agent-key", key)
        .json(&json!({}))
        .send()
        .await
        .expect("heartbeat")
        .status()
        .as_u16()
}

#[tokio::test]
async fn rotating_a_key_closes_the_open_socket_refuses_the_old_key_and_accepts_the_new() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-rot")).await;
    let old = agent.key();
    drop(agent);
    agent = TestAgent::connect(&app, auth_payload(&old, "dev-rot")).await;
    let id = agent.agent_id.clone();
    let new = rotate(&app, &id).await;
    assert!(new.starts_with("grmm_") && new != old);
    assert!(agent.closed_by_server().await, "the open socket is closed");
    eventually("offline once its socket closed", || async {
        app.agent(&id).await["status"] == "offline"
    })
    .await;
    let refused = TestAgent::try_connect(&app, auth_payload(&old, "dev-rot")).await;
    assert_eq!(refused.err().as_deref(), Some("authentication failed"));
    assert_eq!(legacy_heartbeat(&app, &old).await, 401);
    // The new key speaks for the same device, and only for it.
    let back = TestAgent::connect(&app, auth_payload(&new, "dev-rot")).await;
    assert_eq!(back.agent_id, id);
    assert!(
        TestAgent::try_connect(&app, auth_payload(&new, "other-device"))
            .await
            .is_err()
    );
    // The device had used its key: the site code still cannot speak for it.
    drop(back);
    let by_code = TestAgent::try_connect(&app, auth_payload(&code, "dev-rot")).await;
    assert!(by_code.is_err(), "site code re-enrolled a keyed device");
    let (hash,): (String,) = sqlx::query_as("SELECT api_key_hash FROM agents WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state().db.pool)
        .await
        .expect("row");
    assert_eq!(hash, gururmm_server::auth::secrets::sha256_hex(&new));
    let me = app.get_json("/api/auth/me").await;
    let admin = format!("user:{}", me["id"].as_str().expect("id"));
    assert!(audit_of(&app, &id)
        .await
        .contains(&(admin, "agent_key_rotated".to_owned())));
}

#[tokio::test]
async fn revoking_a_key_closes_the_open_socket_and_the_device_cannot_enrol_again() {
    let app = TestApp::spawn().await;
    let (_, site_id, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-rev")).await;
    let key = agent.key();
    let id = agent.agent_id.clone();
    revoke(&app, &id).await;
    assert!(agent.closed_by_server().await, "the open socket is closed");
    let refused = TestAgent::try_connect(&app, auth_payload(&key, "dev-rev")).await;
    assert_eq!(refused.err().as_deref(), Some("authentication failed"));
    assert_eq!(legacy_heartbeat(&app, &key).await, 401);
    assert_eq!(app.agent(&id).await["has_key"], false);
    // Its agent.toml may still hold an enrolment credential: neither gets it back in.
    let token = app.registration_token(&site_id).await;
    let token = token["token"].as_str().expect("token");
    for credential in [code.as_str(), token] {
        let again = TestAgent::try_connect(&app, auth_payload(credential, "dev-rev")).await;
        assert_eq!(again.err().as_deref(), Some("authentication failed"));
    }
    let legacy = app
        .client
        .post(app.url("/api/agent/register-legacy"))
        .json(
            &json!({"site_code": code, "device_id": "dev-rev", "hostname": "h",
                      "os_type": "linux", "agent_version": "1"}),
        )
        .send()
        .await
        .expect("register");
    assert_eq!(legacy.status(), 409, "legacy enrolment refused too");
    // Rotating a key in lifts the revocation.
    let new = rotate(&app, &id).await;
    TestAgent::connect(&app, auth_payload(&new, "dev-rev")).await;
    let me = app.get_json("/api/auth/me").await;
    let admin = format!("user:{}", me["id"].as_str().expect("id"));
    let rows = audit_of(&app, &id).await;
    assert!(rows.contains(&(admin.clone(), "agent_key_revoked".to_owned())));
    assert!(rows.contains(&(admin, "agent_key_rotated".to_owned())));
}

#[tokio::test]
async fn only_admins_rotate_or_revoke_keys_and_both_are_documented() {
    let app = TestApp::spawn_with(|c| c.allow_registration = true).await;
    let (id, key) = app.agent_with_key(None).await;
    let password = "a long enough password";
    app.client
        .post(app.url("/api/auth/register"))
        .json(&json!({"email": "tech@example.com", "password": password}))
        .send()
        .await
        .expect("register");
    let tech = app.login("tech@example.com", password).await;
    for action in ["rotate-key", "revoke-key"] {
        let path = format!("/api/agents/{id}/{action}");
        assert_eq!(app.post(&path, &tech, json!({})).await.status(), 403);
        assert_eq!(app.post(&path, "", json!({})).await.status(), 401);
        let missing = format!("/api/agents/no-such-agent/{action}");
        assert_eq!(
            app.post(&missing, &app.admin_token, json!({}))
                .await
                .status(),
            404
        );
    }
    // The technician's attempts changed nothing.
    TestAgent::connect(&app, auth_payload(&key, "dev-tech")).await;
    let spec = app.get_json("/api/openapi.json").await;
    for path in ["/api/agents/{id}/rotate-key", "/api/agents/{id}/revoke-key"] {
        let op = &spec["paths"][path]["post"];
        assert!(op.is_object(), "{path} missing from the OpenAPI document");
        assert_eq!(op["security"][0]["bearer"], json!(["admin"]), "{path}");
    }
}

#[tokio::test]
async fn a_connected_agent_is_sent_its_rotated_key_on_its_own_socket_and_no_other() {
    let app = TestApp::spawn().await;
    let (_, site_id, _) = app.site("S").await;
    let (a_id, a_key) = app.agent_with_key(Some(&site_id)).await;
    let (b_id, b_key) = app.agent_with_key(Some(&site_id)).await;
    let mut a = TestAgent::connect(&app, auth_payload(&a_key, "dev-a")).await;
    let mut b = TestAgent::connect(&app, auth_payload(&b_key, "dev-b")).await;

    let rotated = app.rotate_key(&a_id).await;
    let new = rotated["api_key"].as_str().expect("key").to_owned();
    assert_eq!(rotated["sent_to_agent"], true, "{rotated:?}");
    // A hears its new key as the socket's last message, then the server closes it.
    match a.recv().await {
        Some(ServerMessage::KeyRotated(k)) => assert_eq!(k.agent_key, new),
        other => panic!("expected key_rotated, got {other:?}"),
    }
    assert!(a.recv().await.is_none(), "closed right after the key");
    // B heard nothing: the next thing on its socket is a command sent after the rotation.
    let sent = app.send_command(&b_id, "shell", "echo b").await;
    match b.recv().await {
        Some(ServerMessage::Command(c)) => {
            assert_eq!(c.id.to_string(), sent["id"].as_str().expect("id"))
        }
        other => panic!("B was sent {other:?}"),
    }
    // A comes back with the key it was sent; the old one stays refused; B's is untouched.
    let refused = TestAgent::try_connect(&app, auth_payload(&a_key, "dev-a")).await;
    assert_eq!(refused.err().as_deref(), Some("authentication failed"));
    let back = TestAgent::connect(&app, auth_payload(&new, "dev-a")).await;
    assert_eq!(back.agent_id, a_id);
    let target = format!("agent:{a_id}");
    let rows = gururmm_server::db::audit::list_for_target(&app.state().db, &target)
        .await
        .expect("audit");
    let row = rows
        .iter()
        .find(|r| r.event_type == "agent_key_rotated")
        .expect("audited");
    assert_eq!(row.detail_json, r#"{"sent_to_agent":true}"#);
    drop(b);
    TestAgent::connect(&app, auth_payload(&b_key, "dev-b")).await;
}

#[tokio::test]
async fn a_rotated_key_is_not_sent_to_an_offline_or_protocol_1_agent() {
    let app = TestApp::spawn().await;
    let (id, key) = app.agent_with_key(None).await;
    // Offline: nothing to send it to; the admin installs the key.
    let rotated = app.rotate_key(&id).await;
    assert_eq!(rotated["sent_to_agent"], false);
    let key2 = rotated["api_key"].as_str().expect("key").to_owned();
    assert!(TestAgent::try_connect(&app, auth_payload(&key, "dev-old"))
        .await
        .is_err());
    // An agent older than protocol 2 would not store it: its socket is closed as before, with
    // no key on it.
    let mut auth = auth_payload(&key2, "dev-old");
    auth.protocol_version = 1;
    let mut old = TestAgent::connect(&app, auth).await;
    let rotated = app.rotate_key(&id).await;
    assert_eq!(rotated["sent_to_agent"], false);
    assert!(old.recv().await.is_none(), "closed without a key");
}

#[tokio::test]
async fn revoking_sends_no_key_before_it_closes_the_socket() {
    let app = TestApp::spawn().await;
    let (id, key) = app.agent_with_key(None).await;
    let mut agent = TestAgent::connect(&app, auth_payload(&key, "dev-cut")).await;
    revoke(&app, &id).await;
    assert!(agent.recv().await.is_none(), "a hard cut: nothing is sent");
}
