//! The admin audit log (`GET /api/audit`): security events newest first, filtered and paged,
//! with no secret in them; admins only (the role matrix in api.rs holds the 403).

use crate::helpers::*;
use serde_json::{json, Value};

#[tokio::test]
async fn admins_read_sign_ins_failures_and_keys_newest_first_without_secrets() {
    let app = TestApp::spawn().await;
    let failed = app
        .post(
            "/api/auth/login",
            "",
            json!({"username": "admin", "password": "not the password at all"}),
        )
        .await;
    assert_eq!(failed.status(), 401);
    let (key, _) = app.mint_key("audited-machine").await;

    let page: Value = app.get_json("/api/audit", &app.admin_token).await;
    let types: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["event_type"].as_str().expect("type"))
        .collect();
    let position = |t: &str| types.iter().position(|x| *x == t).expect(t);
    assert!(
        position("agent_key_minted") < position("login_failed")
            && position("login_failed") < position("login_succeeded"),
        "newest first: {types:?}"
    );
    let minted = &page["items"][position("agent_key_minted")];
    assert!(minted["actor"]
        .as_str()
        .expect("actor")
        .starts_with("user:"));
    assert_eq!(minted["agent_id"], "audited-machine");
    let whole = page.to_string();
    assert!(!whole.contains(&key), "the minted key is in the audit log");
    assert!(!whole.contains("not the password at all"));

    let only: Value = app
        .get_json("/api/audit?event_type=login_failed", &app.admin_token)
        .await;
    assert_eq!(only["total"], 1);
    assert_eq!(only["items"][0]["ip"], "127.0.0.1");

    let first: Value = app
        .get_json("/api/audit?per_page=1", &app.admin_token)
        .await;
    let second: Value = app
        .get_json("/api/audit?per_page=1&page=2", &app.admin_token)
        .await;
    assert_eq!(first["total"], page["total"]);
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    assert_eq!(first["items"][0]["id"], page["items"][0]["id"]);
}
