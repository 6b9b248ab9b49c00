//! Policies (RMM-10): stored settings, merged narrowest-wins, sent at authentication and
//! pushed to connected agents when they change.

use crate::helpers::*;
use gururmm_protocol::{AgentSettings, ServerMessage};
use serde_json::{json, Value};

fn settings(heartbeat: Option<u64>, metrics: Option<u64>) -> Option<AgentSettings> {
    Some(AgentSettings {
        heartbeat_interval_secs: heartbeat,
        metrics_interval_secs: metrics,
    })
}

#[tokio::test]
async fn the_narrowest_policy_wins_field_by_field_at_authentication() {
    let app = TestApp::spawn().await;
    let (_, site_a, code_a) = app.site("A").await;
    let (_, _, code_b) = app.site("B").await;
    let t = &app.admin_token;
    let none = TestAgent::connect(&app, auth_payload(&code_a, "dev-0")).await;
    assert_eq!(none.settings, None, "no policy, nothing sent");
    let res = app
        .post(
            "/api/policies",
            t,
            json!({"name": "fleet", "scope": "global",
            "settings": {"heartbeat_interval_secs": 60, "metrics_interval_secs": 120}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post(
            "/api/policies",
            t,
            json!({"name": "site a", "scope": "site", "scope_id": site_a,
            "settings": {"heartbeat_interval_secs": 20}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let in_a = TestAgent::connect(&app, auth_payload(&code_a, "dev-a")).await;
    assert_eq!(in_a.settings, settings(Some(20), Some(120)));
    let in_b = TestAgent::connect(&app, auth_payload(&code_b, "dev-b")).await;
    assert_eq!(in_b.settings, settings(Some(60), Some(120)));
    let listed = app.get_json("/api/policies").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_policy_change_is_pushed_to_connected_agents() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-push")).await;
    let t = &app.admin_token;
    let created: Value = app
        .post(
            "/api/policies",
            t,
            json!({"name": "p", "scope": "agent", "scope_id": agent.agent_id,
            "settings": {"metrics_interval_secs": 30}}),
        )
        .await
        .json()
        .await
        .expect("json");
    let pushed = loop {
        if let Some(ServerMessage::Settings(s)) = agent.recv().await {
            break s;
        }
    };
    assert_eq!(Some(pushed), settings(None, Some(30)));
    let id = created["id"].as_str().expect("id");
    let res = app
        .put(
            &format!("/api/policies/{id}"),
            t,
            json!({"name": "p", "settings": {"metrics_interval_secs": 45}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let pushed = loop {
        if let Some(ServerMessage::Settings(s)) = agent.recv().await {
            break s;
        }
    };
    assert_eq!(pushed.metrics_interval_secs, Some(45));
    assert_eq!(
        app.delete(&format!("/api/policies/{id}"), t).await.status(),
        204
    );
    let pushed = loop {
        if let Some(ServerMessage::Settings(s)) = agent.recv().await {
            break s;
        }
    };
    assert_eq!(
        pushed,
        AgentSettings::default(),
        "back to the agent's own config"
    );
}

#[tokio::test]
async fn policies_are_validated_and_written_by_admins_only() {
    let app = TestApp::spawn_with(|c| c.allow_registration = true).await;
    let t = &app.admin_token;
    for body in [
        json!({"name": "x", "scope": "global", "settings": {"metrics_interval_secs": 5}}),
        json!({"name": "x", "scope": "global", "settings": {"heartbeat_interval_secs": 0}}),
        json!({"name": "x", "scope": "site", "settings": {}}),
        json!({"name": "x", "scope": "galaxy", "settings": {}}),
        json!({"name": "x", "scope": "global", "scope_id": "s", "settings": {}}),
        json!({"name": "", "scope": "global", "settings": {}}),
    ] {
        assert_eq!(
            app.post("/api/policies", t, body.clone()).await.status(),
            422,
            "{body}"
        );
    }
    let missing = app
        .post(
            "/api/policies",
            t,
            json!({"name": "x", "scope": "site", "scope_id": "nope", "settings": {}}),
        )
        .await;
    assert_eq!(missing.status(), 404);
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
    let res = app
        .post(
            "/api/policies",
            &tech,
            json!({"name": "x", "scope": "global", "settings": {}}),
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.get("/api/policies", &tech).await.status(), 200);
}
