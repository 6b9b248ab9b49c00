//! REST behaviour: public routes, the error envelope, headers, CORS, role matrix, machines,
//! support codes, audit trail, TLS.

use crate::helpers::*;
use serde_json::{json, Value};

#[tokio::test]
async fn public_routes_answer_without_auth() {
    let app = TestApp::spawn().await;
    let health = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    let version: Value = app
        .client
        .get(app.url("/api/version"))
        .send()
        .await
        .expect("v")
        .json()
        .await
        .expect("json");
    assert_eq!(version["protocol_version"], 1);
    let spec: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("spec")
        .json()
        .await
        .expect("json");
    assert!(spec["paths"]["/api/machines"].is_object());
    let docs = app
        .client
        .get(app.url("/api/docs"))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.expect("html");
    assert!(
        html.contains("/api/docs/docs.js")
            && !html.contains("http://")
            && !html.contains("https://"),
        "docs must be self-hosted"
    );
    let js = app
        .client
        .get(app.url("/api/docs/docs.js"))
        .send()
        .await
        .expect("js");
    assert_eq!(js.status(), 200);
}

#[tokio::test]
async fn errors_use_one_envelope_with_the_request_id() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/no-such-thing"))
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 404);
    let request_id = res.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_owned();
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status_code"], 404);
    assert_eq!(body["error_code"], "no_route");
    assert_eq!(body["correlation_id"], request_id.as_str());
    assert!(body["detail"].is_string());

    let bad_json = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("req");
    assert_eq!(bad_json.status(), 400);
    let body: Value = bad_json.json().await.expect("json");
    assert_eq!(body["error_code"], "bad_request");

    let wrong_method = app
        .client
        .delete(app.url("/api/version"))
        .send()
        .await
        .expect("req");
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(
        wrong_method.json::<Value>().await.expect("json")["error_code"],
        "method_not_allowed"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in [
        "/health",
        "/api/docs",
        "/api/machines",
        "/nope",
        "/ws/viewer",
    ] {
        let res = app.client.get(app.url(path)).send().await.expect("req");
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn cors_allows_only_configured_origins_and_never_a_wildcard() {
    let app =
        TestApp::spawn_with(|c| c.cors_allowed_origins = vec!["https://rmm.example.com".into()])
            .await;
    let allowed = app
        .client
        .get(app.url("/api/version"))
        .header("origin", "https://rmm.example.com")
        .send()
        .await
        .expect("req");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://rmm.example.com"
    );
    assert!(allowed
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let foreign = app
        .client
        .get(app.url("/api/version"))
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .expect("req");
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/machines"))
        .header("origin", "https://evil.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("req");
    assert!(preflight
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let no_cors = TestApp::spawn().await;
    let res = no_cors
        .client
        .get(no_cors.url("/api/version"))
        .header("origin", "https://rmm.example.com")
        .send()
        .await
        .expect("req");
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn technicians_cannot_use_admin_routes() {
    let app = TestApp::spawn().await;
    let tech = app.user("tech1", "technician").await;
    let forbidden = [
        ("GET", "/api/users", json!(null)),
        (
            "POST",
            "/api/users",
            json!({"username": "x-user", "password": "long password 1", "role": "admin"}),
        ),
        ("POST", "/api/agent-keys", json!({"agent_id": "m1"})),
        ("GET", "/api/agent-keys", json!(null)),
        ("DELETE", "/api/agent-keys/some-id", json!(null)),
        ("DELETE", "/api/machines/m1", json!(null)),
        (
            "POST",
            "/api/machines/bulk-delete",
            json!({"agent_ids": ["m1"]}),
        ),
        ("DELETE", "/api/users/some-id", json!(null)),
    ];
    for (method, path, body) in forbidden {
        let req = app
            .client
            .request(method.parse().expect("method"), app.url(path))
            .bearer_auth(&tech);
        let req = if body.is_null() { req } else { req.json(&body) };
        let res = req.send().await.expect("req");
        assert_eq!(res.status(), 403, "{method} {path}");
    }
    // Allowed to a technician.
    assert_eq!(app.get("/api/machines", &tech).await.status(), 200);
    assert_eq!(app.post("/api/codes", &tech, json!({})).await.status(), 201);
    // No admin was created by the attempt above.
    let users: Value = app.get_json("/api/users", &app.admin_token).await;
    assert_eq!(users.as_array().expect("list").len(), 2);
}

#[tokio::test]
async fn machines_register_and_are_searchable_by_inventory() {
    let app = TestApp::spawn().await;
    let (mut agent, _) = online_agent(&app, "pc-acme-01").await;
    send(
        &mut agent.ws,
        guruconnect_proto::envelope::Payload::AgentStatus(guruconnect_proto::AgentStatus {
            hostname: "ACME-FRONT-DESK".into(),
            os_name: "Windows 11 Pro".into(),
            logged_on_user: "alice".into(),
            organization: "Acme Corp".into(),
            site: "Phoenix".into(),
            tags: vec!["reception".into()],
            addresses: vec![guruconnect_proto::NetworkAddress {
                interface_name: "eth0".into(),
                ip: "10.1.2.3".into(),
                mac: "aa:bb:cc:dd:ee:ff".into(),
            }],
            ..Default::default()
        }),
    )
    .await;
    let (_other, _) = online_agent(&app, "pc-globex-02").await;
    eventually("inventory stored", || async {
        let m: Value = app
            .get_json("/api/machines/pc-acme-01", &app.admin_token)
            .await;
        m["logged_on_user"] == "alice"
    })
    .await;
    for (q, expected) in [
        ("acme", vec!["pc-acme-01"]),
        ("os:windows user:alice", vec!["pc-acme-01"]),
        ("ip:10.1.2", vec!["pc-acme-01"]),
        ("tag:reception company:acme", vec!["pc-acme-01"]),
        ("user:bob", vec![]),
        ("pc-", vec!["pc-acme-01", "pc-globex-02"]),
        ("100%", vec![]),
    ] {
        let res: Value = app
            .get(
                &format!("/api/machines?q={}", urlencode(q)),
                &app.admin_token,
            )
            .await
            .json()
            .await
            .expect("json");
        let ids: Vec<&str> = res["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|m| m["agent_id"].as_str().expect("id"))
            .collect();
        let mut ids = ids;
        ids.sort();
        assert_eq!(ids, expected, "q={q}");
        assert_eq!(res["total"], expected.len() as i64, "q={q}");
    }
    let page: Value = app
        .get_json("/api/machines?per_page=1&page=2", &app.admin_token)
        .await;
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    assert_eq!(page["total"], 2);
    let detail: Value = app
        .get_json("/api/machines/pc-acme-01", &app.admin_token)
        .await;
    assert_eq!(detail["online"], true);
    assert_eq!(detail["session_id"], agent.session_id.as_str());
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn removing_machines_ends_sessions_revokes_keys_and_closes_sockets() {
    let app = TestApp::spawn().await;
    let (mut one, _) = online_agent(&app, "gone-1").await;
    let (mut two, _) = online_agent(&app, "gone-2").await;
    let single = app.delete("/api/machines/gone-1", &app.admin_token).await;
    assert_eq!(single.status(), 204);
    assert_eq!(
        disconnect_reason(&mut one.ws).await,
        Some(guruconnect_proto::DisconnectReason::MachineRemoved)
    );
    let bulk: Value = app
        .post_json(
            "/api/machines/bulk-delete",
            &app.admin_token,
            json!({"agent_ids": ["gone-2", "never-was"]}),
        )
        .await;
    assert_eq!(bulk["removed"], json!(["gone-2"]));
    assert_eq!(bulk["not_found"], json!(["never-was"]));
    assert_eq!(
        disconnect_reason(&mut two.ws).await,
        Some(guruconnect_proto::DisconnectReason::MachineRemoved)
    );
    let list: Value = app.get_json("/api/machines", &app.admin_token).await;
    assert_eq!(list["total"], 0);
    let session: Value = app
        .get_json(
            &format!("/api/sessions/{}", one.session_id),
            &app.admin_token,
        )
        .await;
    assert_eq!(session["status"], "ended");
    let keys: Value = app
        .get_json("/api/agent-keys?agent_id=gone-1", &app.admin_token)
        .await;
    assert!(
        keys[0]["revoked_at"].is_string(),
        "removal revokes the machine's keys"
    );
}

#[tokio::test]
async fn audit_trail_records_the_session_lifecycle_without_secrets() {
    let app = TestApp::spawn().await;
    let (agent, key_id) = online_agent(&app, "audited").await;
    let token = app.viewer_token(&agent.session_id, &app.admin_token).await;
    let viewer = TestViewer::join(&app, &agent.session_id, &token)
        .await
        .expect("joins");
    drop(viewer);
    let end = app
        .post(
            &format!("/api/sessions/{}/end", agent.session_id),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(end.status(), 204);
    let path = format!("/api/sessions/{}/events", agent.session_id);
    eventually("viewer_left audited", || async {
        let events: Value = app.get_json(&path, &app.admin_token).await;
        events
            .as_array()
            .expect("list")
            .iter()
            .any(|e| e["event_type"] == "viewer_left")
    })
    .await;
    let events: Value = app.get_json(&path, &app.admin_token).await;
    let types: Vec<&str> = events
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["event_type"].as_str().expect("t"))
        .collect();
    for expected in [
        "session_created",
        "agent_connected",
        "viewer_token_issued",
        "viewer_joined",
        "session_ended",
    ] {
        assert!(
            types.contains(&expected),
            "{expected} missing from {types:?}"
        );
    }
    let ended = events
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["event_type"] == "session_ended")
        .expect("ended");
    assert_eq!(ended["actor_type"], "user");
    let text = events.to_string();
    assert!(
        !text.contains(&token),
        "the viewer token must not be in the audit trail"
    );
    let key_events = guruconnect_server::db::events::of_type(&app.state().db, "agent_key_minted")
        .await
        .expect("events");
    assert!(key_events.iter().any(|e| e.detail.contains(&key_id)));
    assert!(key_events
        .iter()
        .all(|e| !e.detail.contains("gck_") || e.detail.contains("key_prefix")));
}

#[tokio::test]
async fn a_database_dump_holds_no_usable_secret() {
    let app = TestApp::spawn().await;
    let (key, _) = app.mint_key("dump-check").await;
    let code: Value = app
        .post_json("/api/codes", &app.admin_token, json!({}))
        .await;
    let code = code["code"].as_str().expect("code").to_owned();
    let pool = &app.state().db.pool;
    let mut dump = String::new();
    for (table, columns) in [
        ("connect_agent_keys", "key_hash || ' ' || key_prefix"),
        ("connect_support_codes", "code_hash || ' ' || code_hint"),
        ("users", "password_hash"),
        ("connect_refresh_tokens", "token_hash"),
    ] {
        let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT {columns} FROM {table}"))
            .fetch_all(pool)
            .await
            .expect("dump");
        for (row,) in rows {
            dump.push_str(&row);
            dump.push('\n');
        }
    }
    assert!(!dump.contains(&key), "agent key stored in plaintext");
    assert!(!dump.contains(&code), "support code stored in plaintext");
    assert!(!dump.contains("a long enough password"));
    assert!(dump.contains("$argon2id$"));
}

#[tokio::test]
async fn tls_serves_https_when_a_certificate_is_configured() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = guruconnect_testkit::PrivateCa::create(dir.path());
    let app = TestApp::spawn_tls(&ca).await;
    assert!(app.url("/").starts_with("https://localhost:"));
    let res = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("https");
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("strict-transport-security"));
    let plain = app
        .client
        .get(format!("http://{}/health", app.addr()))
        .send()
        .await;
    assert!(
        plain.is_err() || plain.expect("resp").status() != 200,
        "plain HTTP must not be served on the TLS port"
    );
}

#[tokio::test]
async fn every_secured_route_admits_exactly_the_roles_its_document_names() {
    // With the integration on, so its routes answer past "not enabled".
    let app = TestApp::spawn_with(|c| {
        c.integration_key = Some(guruconnect_server::config::SecretString::new(
            "integration-key-for-tests-0123456789abcdef",
        ))
    })
    .await;
    let tech = app.user("tech1", "technician").await;
    // Signing out acts on the caller's own sign-in (its own tests cover it).
    let checked = app
        .check_role_matrix(&tech, &app.admin_token, &["/api/auth/logout"])
        .await;
    let admins_only = [
        "GET /api/users",
        "POST /api/users",
        "GET /api/agent-keys",
        "POST /api/agent-keys",
        "DELETE /api/machines/{agent_id}",
        "POST /api/machines/bulk-delete",
        "GET /api/audit",
    ];
    for operation in admins_only {
        assert!(
            checked.contains(&(operation.to_owned(), Admits::Admins)),
            "{operation} is not admins' alone: {checked:#?}"
        );
    }
    assert!(checked.len() > 20, "only {} operations", checked.len());
}
