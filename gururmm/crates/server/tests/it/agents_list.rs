//! What the dashboard's agents list and session need from the API: OS filter, sorting that
//! pages consistently, the newest metrics in a window, and token refresh.

use crate::helpers::{auth_payload, eventually, TestAgent, TestApp};
use gururmm_protocol::{AgentMessage, MetricsReport};
use serde_json::Value;

fn hostnames(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["hostname"].as_str().expect("hostname").to_owned())
        .collect()
}

#[tokio::test]
async fn agents_filter_by_os_and_sort_in_both_directions() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut agents = Vec::new();
    for (name, os) in [
        ("bravo", "windows"),
        ("alpha", "linux"),
        ("charlie", "windows"),
    ] {
        let mut auth = auth_payload(&code, name);
        auth.hostname = name.into();
        auth.os_type = os.into();
        agents.push(TestAgent::connect(&app, auth).await);
    }
    // One goes offline, so status sorting has two groups.
    drop(agents.remove(0));
    eventually("bravo offline", || async {
        app.get_json("/api/agents?status=offline").await["total"] == 1
    })
    .await;

    let windows = app.get_json("/api/agents?os_type=windows").await;
    assert_eq!(hostnames(&windows), ["bravo", "charlie"]);
    let desc = app.get_json("/api/agents?sort=hostname&order=desc").await;
    assert_eq!(hostnames(&desc), ["charlie", "bravo", "alpha"]);
    let by_status = app.get_json("/api/agents?sort=status&order=desc").await;
    assert_eq!(
        hostnames(&by_status),
        ["alpha", "charlie", "bravo"],
        "online first when descending, hostname breaks ties"
    );
    let by_os = app.get_json("/api/agents?sort=os").await;
    assert_eq!(hostnames(&by_os), ["alpha", "bravo", "charlie"]);
    // Pages of a sorted list neither overlap nor skip.
    let p1 = app
        .get_json("/api/agents?sort=os&order=desc&per_page=2&page=1")
        .await;
    let p2 = app
        .get_json("/api/agents?sort=os&order=desc&per_page=2&page=2")
        .await;
    let mut seen = hostnames(&p1);
    seen.extend(hostnames(&p2));
    assert_eq!(seen, ["bravo", "charlie", "alpha"]);
    // Empty filter values mean "any" (what an unset <select> sends).
    assert_eq!(
        app.get_json("/api/agents?os_type=&status=&client_id=")
            .await["total"],
        3
    );
    for bad in ["sort=hostname;drop", "sort=password_hash", "order=sideways"] {
        let res = app
            .get(&format!("/api/agents?{bad}"), &app.admin_token)
            .await;
        assert_eq!(res.status(), 422, "{bad}");
    }
}

#[tokio::test]
async fn metrics_history_returns_the_newest_samples_when_capped() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-m")).await;
    let id = agent.agent_id.clone();
    for cpu in 1..=5 {
        agent
            .send(AgentMessage::MetricsReport(MetricsReport {
                timestamp_ms: cpu,
                cpu_percent: Some(cpu as f32),
                ..MetricsReport::default()
            }))
            .await;
        // Distinct recorded_at values (milliseconds), so the order is defined.
        let want = cpu as usize;
        let path = format!("/api/agents/{id}/metrics?hours=1&limit=10");
        eventually("sample stored", || async {
            app.get_json(&path).await.as_array().map(Vec::len) == Some(want)
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let capped = app
        .get_json(&format!("/api/agents/{id}/metrics?hours=1&limit=2"))
        .await;
    let cpus: Vec<f64> = capped
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["cpu_percent"].as_f64().expect("cpu"))
        .collect();
    assert_eq!(cpus, [4.0, 5.0], "the newest two, oldest first");
}

#[tokio::test]
async fn a_valid_token_refreshes_and_anything_else_does_not() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/auth/refresh", &app.admin_token, serde_json::json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    let fresh = body["token"].as_str().expect("token").to_owned();
    assert_ne!(fresh, app.admin_token);
    assert_eq!(body["expires_in"], 86400);
    assert_eq!(app.get("/api/auth/me", &fresh).await.status(), 200);
    for bad in ["", "nonsense", "grmm_notajwt"] {
        let res = app
            .post("/api/auth/refresh", bad, serde_json::json!({}))
            .await;
        assert_eq!(res.status(), 401, "{bad:?}");
    }
}

#[tokio::test]
async fn the_commands_list_names_each_commands_machine() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut named = Vec::new();
    for device in ["alpha-box", "bravo-box"] {
        let mut auth = auth_payload(&code, device);
        auth.hostname = device.into();
        let agent = TestAgent::connect(&app, auth).await;
        app.send_command(&agent.agent_id, "shell", "uptime").await;
        named.push(agent);
    }
    let list = app.get_json("/api/commands").await;
    let mut hostnames: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["agent_hostname"].as_str().expect("hostname"))
        .collect();
    hostnames.sort_unstable();
    assert_eq!(hostnames, ["alpha-box", "bravo-box"]);
    assert_eq!(
        list[0]["command"], "uptime",
        "the command's own fields are still there"
    );
}
