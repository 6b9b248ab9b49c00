//! The audit trail: issuing a credential, sending a command and signing in
//! each leave a row naming actor, action and target; no row holds a secret; `GET /api/audit`
//! is admin-only, filtered and paginated.

use crate::helpers::*;
use serde_json::{json, Value};

/// Every row matching `query` (all pages), newest first.
async fn audit_rows(app: &TestApp, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    for page in 1.. {
        let body = app
            .get_json(&format!("/api/audit?per_page=200&page={page}{query}"))
            .await;
        let items = body["items"].as_array().expect("items").clone();
        if items.is_empty() {
            break;
        }
        rows.extend(items);
    }
    rows
}

/// The actors of the rows with this action and target.
async fn actors(app: &TestApp, action: &str, target: &str) -> Vec<String> {
    audit_rows(app, &format!("&action={action}&target={target}"))
        .await
        .iter()
        .map(|r| {
            assert_eq!(r["action"], action);
            assert_eq!(r["target"], target);
            r["actor"].as_str().expect("actor").to_owned()
        })
        .collect()
}

/// A technician with a known password (the admin's is printed once at bootstrap).
async fn technician(app: &TestApp, email: &str, password: &str) -> String {
    app.technician(email, password).await.id.to_string()
}

fn created_json(value: &Value, field: &str) -> String {
    value[field].as_str().expect(field).to_owned()
}

#[tokio::test]
async fn issuing_credentials_sending_commands_and_signing_in_are_audited_without_secrets() {
    let app = TestApp::spawn().await;
    let me = app.get_json("/api/auth/me").await;
    let admin = format!("user:{}", created_json(&me, "id"));
    let password = "correct horse battery staple";
    let tech_id = technician(&app, "tech@example.com", password).await;
    let tech_token = app.login("tech@example.com", password).await;
    let wrong = "wrong password, never stored";
    let failed = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": "tech@example.com", "password": wrong}))
        .send()
        .await
        .expect("login");
    assert_eq!(failed.status(), 401);

    let (_, site_id, first_code) = app.site("S").await;
    let site = format!("site:{site_id}");
    let regenerate = format!("/api/sites/{site_id}/regenerate-key");
    let refused = app.post(&regenerate, &tech_token, json!({})).await;
    assert_eq!(
        refused.status(),
        403,
        "replacing a site code is an admin's act"
    );
    let regenerated: Value = app
        .post(&regenerate, &app.admin_token, json!({}))
        .await
        .json()
        .await
        .expect("json");
    let code = created_json(&regenerated, "site_code");
    let token = app.registration_token(&site_id).await;
    let token = created_json(&token, "token");
    let (minted_id, minted_key) = app.agent_with_key(Some(&site_id)).await;
    let enrolled = TestAgent::connect(&app, auth_payload(&code, "dev-audit")).await;
    let enrolled_id = enrolled.agent_id.clone();
    let issued_key = enrolled.key();
    let rotated: Value = app
        .post(
            &format!("/api/agents/{enrolled_id}/rotate-key"),
            &app.admin_token,
            json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    let rotated_key = created_json(&rotated, "api_key");
    assert_eq!(
        rotated["sent_to_agent"], true,
        "the enrolled agent was connected"
    );
    let revoked = app
        .post(
            &format!("/api/agents/{minted_id}/revoke-key"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status(), 204);
    let command = app.send_command(&minted_id, "shell", "uptime").await;

    let tech = format!("user:{tech_id}");
    let enrolled_target = format!("agent:{enrolled_id}");
    let minted_target = format!("agent:{minted_id}");
    assert_eq!(actors(&app, "login", &tech).await, [tech.as_str()]);
    assert_eq!(
        actors(&app, "login", &admin).await,
        [admin.as_str()],
        "the harness's own sign-in"
    );
    let failure = audit_rows(&app, "&action=login_failed").await;
    assert_eq!(failure.len(), 1);
    assert_eq!(
        (&failure[0]["actor"], &failure[0]["target"]),
        (&json!("system"), &json!("email:tech@example.com"))
    );
    assert_eq!(
        actors(&app, "site_code_regenerated", &site).await,
        [admin.as_str()]
    );
    assert_eq!(
        actors(&app, "registration_token_issued", &site).await,
        [admin.as_str()]
    );
    assert_eq!(
        actors(&app, "agent_key_issued", &minted_target).await,
        [admin.as_str()]
    );
    assert_eq!(
        actors(&app, "agent_key_issued", &enrolled_target).await,
        ["system"],
        "enrolment issues the key"
    );
    assert_eq!(
        actors(&app, "agent_key_rotated", &enrolled_target).await,
        [admin.as_str()]
    );
    assert_eq!(
        actors(&app, "agent_key_revoked", &minted_target).await,
        [admin.as_str()]
    );
    let sent = audit_rows(
        &app,
        &format!("&action=command_sent&target={minted_target}"),
    )
    .await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["actor"], admin.as_str());
    assert_eq!(sent[0]["detail"]["command_id"], command["id"]);
    // Verbatim, as the README says: whatever a technician types into a command (a password
    // included) is in the audit log, as it is in the command's own row.
    assert_eq!(sent[0]["detail"]["command"], "uptime");

    let everything = serde_json::to_string(&audit_rows(&app, "").await).expect("json");
    for (what, secret) in [
        ("password", password),
        ("wrong password", wrong),
        ("admin token", app.admin_token.as_str()),
        ("technician token", tech_token.as_str()),
        ("first site code", first_code.as_str()),
        ("regenerated site code", code.as_str()),
        ("registration token", token.as_str()),
        ("minted agent key", minted_key.as_str()),
        ("issued agent key", issued_key.as_str()),
        ("rotated agent key", rotated_key.as_str()),
    ] {
        assert!(
            !everything.contains(secret),
            "the {what} is in an audit row"
        );
    }
}

#[tokio::test]
async fn the_audit_log_is_admin_only_filtered_and_paginated() {
    let app = TestApp::spawn().await;
    for name in ["A", "B", "C", "D", "E"] {
        app.site(name).await;
    }
    let password = "a long enough password";
    technician(&app, "tech@example.com", password).await;
    let tech = app.login("tech@example.com", password).await;
    assert_eq!(app.get("/api/audit", &tech).await.status(), 403);
    assert_eq!(app.get("/api/audit", "").await.status(), 401);

    let mut seen = Vec::new();
    let parse = |row: &Value| {
        let text = row["occurred_at"].as_str().expect("time");
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339")
    };
    let mut last_time = None;
    for page in 1..=3 {
        let body = app
            .get_json(&format!(
                "/api/audit?action=site_created&per_page=2&page={page}"
            ))
            .await;
        assert_eq!(body["total"], 5);
        assert_eq!(
            (body["page"].clone(), body["per_page"].clone()),
            (json!(page), json!(2))
        );
        for row in body["items"].as_array().expect("items") {
            assert_eq!(row["action"], "site_created");
            let time = parse(row);
            assert!(last_time.is_none_or(|last| time <= last), "newest first");
            last_time = Some(time);
            seen.push(row["id"].as_str().expect("id").to_owned());
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (seen.len(), unique.len()),
        (5, 5),
        "pages neither overlap nor skip"
    );

    let one = audit_rows(&app, "&action=site_created").await[0].clone();
    let target = one["target"].as_str().expect("target");
    let by_target = audit_rows(&app, &format!("&target={target}")).await;
    assert!(!by_target.is_empty());
    assert!(by_target.iter().all(|r| r["target"] == target));
    let spec = app.get_json("/api/openapi.json").await;
    assert_eq!(
        spec["paths"]["/api/audit"]["get"]["security"][0]["bearer"],
        json!(["admin"])
    );
}
