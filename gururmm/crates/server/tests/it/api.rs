//! The REST surface: envelope, headers, CORS (never a wildcard: known_issues.rs, CRITICAL 4),
//! OpenAPI, registration switch, clients / sites / agents management.

use crate::helpers::*;
use serde_json::{json, Value};

#[tokio::test]
async fn errors_use_the_envelope_and_carry_the_request_id() {
    let app = TestApp::spawn().await;
    let res = app
        .get("/api/agents/does-not-exist", &app.admin_token)
        .await;
    assert_eq!(res.status(), 404);
    let id = res.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_owned();
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error_code"], "not_found");
    assert_eq!(body["status_code"], 404);
    assert_eq!(body["correlation_id"], id.as_str());
    assert!(body["detail"].is_string());
    let unknown = app.get("/api/nope", "").await;
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.expect("json");
    assert_eq!(body["error_code"], "no_route");
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/api/docs", "/api/agents"] {
        let res = app.get(path, "").await;
        let h = res.headers();
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("frame-ancestors 'none'"));
    }
}

#[tokio::test]
async fn cors_answers_only_configured_origins_and_never_a_wildcard() {
    let closed = TestApp::spawn().await;
    let res = closed
        .client
        .get(closed.url("/api/version"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("request");
    assert!(
        !res.headers().contains_key("access-control-allow-origin"),
        "no CORS unless configured"
    );

    let app =
        TestApp::spawn_with(|c| c.cors_allowed_origins = vec!["https://rmm.example".into()]).await;
    for (origin, allowed) in [
        ("https://rmm.example", true),
        ("https://evil.example", false),
    ] {
        let res = app
            .client
            .request(reqwest::Method::OPTIONS, app.url("/api/agents"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .expect("preflight");
        let acao = res
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        assert_eq!(acao.is_some(), allowed, "{origin}");
        assert_ne!(acao.as_deref(), Some("*"));
        assert!(!res
            .headers()
            .contains_key("access-control-allow-credentials"));
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_seeds_routes_and_the_docs_page_is_served() {
    let app = TestApp::spawn().await;
    let spec = app.get_json("/api/openapi.json").await;
    let paths = spec["paths"].as_object().expect("paths");
    for path in [
        "/api/auth/login",
        "/api/auth/register",
        "/api/auth/me",
        "/api/clients",
        "/api/clients/{id}",
        "/api/clients/{id}/sites",
        "/api/sites",
        "/api/sites/{id}",
        "/api/sites/{id}/regenerate-key",
        "/api/agents",
        "/api/agents/stats",
        "/api/agents/unassigned",
        "/api/agents/{id}",
        "/api/agents/{id}/move",
        "/api/agents/{id}/state",
        "/api/agents/{id}/command",
        "/api/commands",
        "/api/commands/{id}",
        "/api/agents/{id}/metrics",
        "/api/metrics/summary",
        "/api/agent/register-legacy",
        "/api/agent/heartbeat",
        "/api/agent/command-result",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    let docs = app.get("/api/docs", "").await;
    assert_eq!(docs.status(), 200);
    assert!(docs
        .text()
        .await
        .expect("html")
        .contains("/api/docs/docs.js"));
}

#[tokio::test]
async fn registration_is_refused_unless_enabled() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "new@example.com", "password": "a long enough password"});
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&body)
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 403);
    let open = TestApp::spawn_with(|c| c.allow_registration = true).await;
    let res = open
        .client
        .post(open.url("/api/auth/register"))
        .json(&body)
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.expect("json");
    assert_eq!(
        user["role"], "technician",
        "self-registration never makes an admin"
    );
    let token = open
        .login("NEW@example.com", "a long enough password")
        .await;
    let me: Value = open
        .get("/api/auth/me", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "new@example.com");
}

#[tokio::test]
async fn clients_and_sites_crud_and_site_codes() {
    let app = TestApp::spawn().await;
    let t = &app.admin_token;
    let (client_id, site_id, code) = app.site("Main").await;
    let parts: Vec<&str> = code.split('-').collect();
    assert_eq!(parts.len(), 3, "WORD-WORD-NUMBER: {code}");
    assert!(parts[2].chars().all(|c| c.is_ascii_digit()));
    let dup = app
        .post("/api/clients", t, json!({"name": "main inc"}))
        .await;
    assert_eq!(
        dup.status(),
        409,
        "client names are unique case-insensitively"
    );
    let res = app
        .put(
            &format!("/api/clients/{client_id}"),
            t,
            json!({"name": "Renamed", "notes": "n"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let sites = app
        .get_json(&format!("/api/clients/{client_id}/sites"))
        .await;
    assert_eq!(sites[0]["id"], site_id.as_str());
    assert!(
        sites[0].get("site_code").is_none(),
        "codes are shown once, not listed"
    );
    let res = app
        .put(&format!("/api/sites/{site_id}"), t, json!({"name": "HQ"}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.get_json(&format!("/api/sites/{site_id}")).await["name"],
        "HQ"
    );

    // Regenerating replaces the code: the old one no longer enrols, the new one does.
    let res = app
        .post(
            &format!("/api/sites/{site_id}/regenerate-key"),
            t,
            json!({}),
        )
        .await;
    let new_code = res.json::<Value>().await.expect("json")["site_code"]
        .as_str()
        .expect("code")
        .to_owned();
    assert_ne!(new_code, code);
    assert!(TestAgent::try_connect(&app, auth_payload(&code, "d1"))
        .await
        .is_err());
    TestAgent::connect(&app, auth_payload(&new_code, "d1")).await;

    // Deleting the client deletes its sites; the agent survives, unassigned.
    assert_eq!(
        app.delete(&format!("/api/clients/{client_id}"), t)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get(&format!("/api/sites/{site_id}"), t).await.status(),
        404
    );
    let unassigned = app.get_json("/api/agents/unassigned").await;
    assert_eq!(unassigned["total"], 1);
}

#[tokio::test]
async fn agents_list_searches_paginates_moves_and_counts() {
    let app = TestApp::spawn().await;
    let (client_id, site_id, code) = app.site("S").await;
    let mut live = Vec::new();
    for i in 0..5 {
        let mut auth = auth_payload(&code, &format!("dev-{i}"));
        auth.hostname = format!("{}-{i}", if i % 2 == 0 { "web" } else { "db" });
        live.push(TestAgent::connect(&app, auth).await);
    }
    let (loose_id, _) = app.agent_with_key(None).await;
    let all = app.get_json("/api/agents?per_page=2&page=2").await;
    assert_eq!(all["total"], 6);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));
    let web = app.get_json("/api/agents?q=WEB%20debian").await;
    assert_eq!(web["total"], 3, "terms AND together, case-insensitively");
    let percent = app.get_json("/api/agents?q=%25").await;
    assert_eq!(
        percent["total"], 0,
        "LIKE wildcards in the query are literal"
    );
    let by_client = app
        .get_json(&format!("/api/agents?client_id={client_id}&status=online"))
        .await;
    assert_eq!(by_client["total"], 5);
    assert_eq!(
        app.get("/api/agents?status=sideways", &app.admin_token)
            .await
            .status(),
        422
    );
    let stats = app.get_json("/api/agents/stats").await;
    assert_eq!(
        stats,
        json!({"total": 6, "online": 5, "offline": 1, "unassigned": 1})
    );

    let res = app
        .post(
            &format!("/api/agents/{loose_id}/move"),
            &app.admin_token,
            json!({"site_id": site_id}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_json("/api/agents/unassigned").await["total"], 0);
    let res = app
        .post(
            &format!("/api/agents/{loose_id}/move"),
            &app.admin_token,
            json!({"site_id": "nope"}),
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_version_is_public_and_names_the_agent_protocol() {
    let app = TestApp::spawn().await;
    let (status, version) = app.get_checked("/api/version", "").await;
    assert_eq!(status, 200, "no token needed");
    assert_eq!(version["name"], "gururmm-server");
    assert_eq!(version["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        version["protocol_version"],
        gururmm_protocol::PROTOCOL_VERSION
    );
}
