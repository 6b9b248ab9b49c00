//! The machines list: what a row tells a technician about the machine's live session.

use crate::helpers::*;
use serde_json::Value;

/// An attended visit shows its live session on the machine's row, for whoever may join it.
#[tokio::test]
async fn an_attended_machine_names_its_live_session_to_those_who_may_join_it() {
    let app = TestApp::spawn().await;
    let tech = app.user("code-maker", "technician").await;
    let other = app.user("bystander", "technician").await;
    let created = app
        .post_json("/api/codes", &tech, serde_json::json!({"note": "visit"}))
        .await;
    let code = created["code"].as_str().expect("code");
    let agent = TestAgent::connect(&app, hello_with_code("uid-visit", code)).await;
    let path = format!("/api/machines/{}", agent.agent_id);
    let seen_by = |token: String| {
        let app = &app;
        let path = path.clone();
        async move { app.get_json(&path, &token).await["session_id"].clone() }
    };
    assert_eq!(seen_by(tech.clone()).await, agent.session_id.as_str());
    assert_eq!(
        seen_by(app.admin_token.clone()).await,
        agent.session_id.as_str()
    );
    assert_eq!(seen_by(other).await, Value::Null, "not theirs to join");
    let listed: Value = app.get_json("/api/machines", &tech).await;
    assert_eq!(listed["items"][0]["session_id"], agent.session_id.as_str());
    assert_eq!(listed["items"][0]["is_persistent"], false);
}
