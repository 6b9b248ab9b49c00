//! Registration tokens (RMM-10): enrol like a site code, within a use limit, until revoked or
//! expired; enrolled agents keep their own keys either way.

use crate::helpers::*;
use serde_json::{json, Value};

async fn mint(app: &TestApp, site_id: &str, body: Value) -> (String, String) {
    let res = app
        .post(
            &format!("/api/sites/{site_id}/registration-tokens"),
            &app.admin_token,
            body,
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    (
        created["id"].as_str().expect("id").to_owned(),
        created["token"].as_str().expect("token").to_owned(),
    )
}

#[tokio::test]
async fn a_token_enrols_up_to_its_limit_and_stops_when_revoked() {
    let app = TestApp::spawn().await;
    let (_, site_id, _) = app.site("S").await;
    let (token_id, token) = mint(
        &app,
        &site_id,
        json!({"description": "rollout", "max_uses": 2}),
    )
    .await;
    assert!(token.starts_with("grmt_"));
    let one = TestAgent::connect(&app, auth_payload(&token, "tok-1")).await;
    let two = TestAgent::connect(&app, auth_payload(&token, "tok-2")).await;
    assert_eq!(app.agent(&one.agent_id).await["site_id"], site_id.as_str());
    let third = TestAgent::try_connect(&app, auth_payload(&token, "tok-3")).await;
    assert_eq!(
        third.err().as_deref(),
        Some("authentication failed"),
        "used up"
    );
    let listed = app.get_json("/api/registration-tokens").await;
    assert_eq!(listed[0]["uses"], 2);
    assert!(listed[0].get("token").is_none(), "shown once only");

    assert_eq!(
        app.delete(
            &format!("/api/registration-tokens/{token_id}"),
            &app.admin_token
        )
        .await
        .status(),
        204
    );
    let (_, other) = mint(&app, &site_id, json!({})).await;
    let key = one.key();
    drop(one);
    // Revoking one token leaves agents it enrolled (they have keys) and other tokens working.
    TestAgent::connect(&app, auth_payload(&key, "tok-1")).await;
    TestAgent::connect(&app, auth_payload(&other, "tok-4")).await;
    let _ = two;
}

#[tokio::test]
async fn expired_tokens_enrol_nothing() {
    let app = TestApp::spawn().await;
    let (_, site_id, _) = app.site("S").await;
    let token = "grmt_expired-token-for-the-test";
    let db = &app.state().db;
    gururmm_server::db::registration_tokens::insert(
        db,
        &gururmm_server::db::registration_tokens::NewToken {
            site_id: &site_id.as_str().into(),
            description: "old",
            max_uses: None,
            expires_at: Some(gururmm_server::db::now_ms() - 1000),
            created_by: &"test".into(),
            token_hash: &gururmm_server::auth::secrets::sha256_hex(token),
        },
    )
    .await
    .expect("insert");
    assert!(TestAgent::try_connect(&app, auth_payload(token, "late"))
        .await
        .is_err());
}

#[tokio::test]
async fn tokens_work_for_legacy_registration_and_only_admins_mint_them() {
    let app = TestApp::spawn_with(|c| c.allow_registration = true).await;
    let (_, site_id, _) = app.site("S").await;
    let (_, token) = mint(&app, &site_id, json!({"max_uses": 1})).await;
    let res = app
        .client
        .post(app.url("/api/agent/register-legacy"))
        .json(
            &json!({"site_code": token, "device_id": "legacy-tok", "hostname": "h",
                      "os_type": "windows", "agent_version": "1"}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    let path = format!("/api/sites/{site_id}/registration-tokens");
    assert_eq!(
        app.post(&path, &app.admin_token, json!({"max_uses": 0}))
            .await
            .status(),
        422
    );
    assert_eq!(
        app.post(&path, &app.admin_token, json!({"expires_in_hours": 0}))
            .await
            .status(),
        422
    );
    assert_eq!(
        app.post(
            "/api/sites/nope/registration-tokens",
            &app.admin_token,
            json!({})
        )
        .await
        .status(),
        404
    );
    let body = json!({"email": "tech@example.com", "password": "a long enough password"});
    app.client
        .post(app.url("/api/auth/register"))
        .json(&body)
        .send()
        .await
        .expect("register");
    let tech = app
        .login("tech@example.com", "a long enough password")
        .await;
    assert_eq!(app.post(&path, &tech, json!({})).await.status(), 403);
}

#[tokio::test]
async fn an_admin_replaces_every_enrolment_credential_of_a_site_in_one_call() {
    let app = TestApp::spawn_with(|c| c.allow_registration = true).await;
    let (_, site_id, code) = app.site("S").await;
    let (_, other_site, _) = app.site("T").await;
    let (_, first) = mint(&app, &site_id, json!({})).await;
    let (_, second) = mint(&app, &site_id, json!({})).await;
    let (_, elsewhere) = mint(&app, &other_site, json!({})).await;
    let enrolled = TestAgent::connect(&app, auth_payload(&code, "site-old")).await;
    let key = enrolled.key();
    drop(enrolled);
    let path = format!("/api/sites/{site_id}/regenerate-key?revoke_registration_tokens=true");
    // Revoking tokens is an admin's act: a technician is refused and nothing changes.
    let tech = app.technician_token("tech@example.com").await;
    assert_eq!(app.post(&path, &tech, json!({})).await.status(), 403);
    TestAgent::connect(&app, auth_payload(&first, "site-tok")).await;

    let res = app.post(&path, &app.admin_token, json!({})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["registration_tokens_revoked"], 2);
    let new_code = body["site_code"].as_str().expect("code").to_owned();
    for old in [code.as_str(), first.as_str(), second.as_str()] {
        let refused = TestAgent::try_connect(&app, auth_payload(old, "site-new")).await;
        assert_eq!(refused.err().as_deref(), Some("authentication failed"));
    }
    // The new code enrols, another site's token still works, and enrolled agents keep their
    // own keys.
    TestAgent::connect(&app, auth_payload(&new_code, "site-new")).await;
    TestAgent::connect(&app, auth_payload(&elsewhere, "site-else")).await;
    TestAgent::connect(&app, auth_payload(&key, "site-old")).await;
    // Without the flag only the code changes (as before); a technician may not do that either.
    let (_, third) = mint(&app, &site_id, json!({})).await;
    let plain_path = format!("/api/sites/{site_id}/regenerate-key");
    assert_eq!(app.post(&plain_path, &tech, json!({})).await.status(), 403);
    let plain = app.post(&plain_path, &app.admin_token, json!({})).await;
    assert_eq!(plain.status(), 200);
    let plain: Value = plain.json().await.expect("json");
    assert_eq!(plain["registration_tokens_revoked"], 0);
    TestAgent::connect(&app, auth_payload(&third, "site-third")).await;
}
