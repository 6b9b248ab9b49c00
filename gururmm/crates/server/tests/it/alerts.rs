//! Alerts (RMM-10): agent offline past the threshold (resolved on reconnect), metric
//! thresholds — CPU, disk, memory — (one open alert per kind, resolved when the value drops),
//! acknowledge/resolve.

use crate::helpers::*;
use gururmm_protocol::{AgentMessage, DiskMetrics, MemoryMetrics, MetricsReport};
use serde_json::{json, Value};

fn sample(cpu: f32, disk_used: u64) -> AgentMessage {
    sample_with_memory(cpu, disk_used, 10)
}

fn sample_with_memory(cpu: f32, disk_used: u64, memory_used: u64) -> AgentMessage {
    AgentMessage::MetricsReport(MetricsReport {
        timestamp_ms: 1,
        cpu_percent: Some(cpu),
        memory: Some(MemoryMetrics {
            used_bytes: memory_used,
            total_bytes: 100,
        }),
        disks: vec![DiskMetrics {
            mount: "/".into(),
            used_bytes: disk_used,
            total_bytes: 100,
        }],
        network: None,
        uptime_seconds: 1,
    })
}

async fn alerts(app: &TestApp, query: &str) -> Vec<Value> {
    app.get_json(&format!("/api/alerts{query}"))
        .await
        .as_array()
        .expect("array")
        .clone()
}

#[tokio::test]
async fn an_agent_offline_past_the_threshold_raises_one_alert_resolved_on_reconnect() {
    let app = TestApp::spawn_with(|c| c.alerts.offline_after_secs = 0).await;
    let (_, _, code) = app.site("S").await;
    let agent = TestAgent::connect(&app, auth_payload(&code, "dev-off")).await;
    let id = agent.agent_id.clone();
    let key = agent.key();
    assert!(alerts(&app, "").await.is_empty(), "online: no alert");
    drop(agent);
    eventually("offline alert", || async {
        alerts(&app, "")
            .await
            .iter()
            .any(|a| a["kind"] == "agent_offline" && a["agent_id"] == id.as_str())
    })
    .await;
    let open = alerts(&app, "?status=open").await;
    assert_eq!(open.len(), 1, "one alert, however many reaper passes");
    assert_eq!(open[0]["severity"], "critical");
    // The alert names the machine, so a list of them needs no lookup per row.
    assert_eq!(open[0]["agent_hostname"], "host-dev-off");
    let _back = TestAgent::connect(&app, auth_payload(&key, "dev-off")).await;
    eventually("resolved on reconnect", || async {
        alerts(&app, "").await.is_empty()
    })
    .await;
    let resolved = alerts(&app, &format!("?status=resolved&agent_id={id}")).await;
    assert_eq!(resolved.len(), 1);
    assert!(resolved[0]["resolved_at"].is_string());
}

#[tokio::test]
async fn metric_thresholds_open_and_resolve_alerts() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-hot")).await;
    agent.send(sample(99.0, 95)).await;
    agent.send(sample(98.0, 96)).await;
    eventually("cpu and disk alerts", || async {
        alerts(&app, "").await.len() == 2
    })
    .await;
    let kinds: Vec<String> = alerts(&app, "")
        .await
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        kinds.contains(&"cpu_high".to_owned()) && kinds.contains(&"disk_high".to_owned()),
        "{kinds:?}"
    );
    agent.send(sample(5.0, 96)).await;
    eventually("cpu alert resolved", || async {
        let open = alerts(&app, "").await;
        open.len() == 1 && open[0]["kind"] == "disk_high"
    })
    .await;

    let disk = alerts(&app, "").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = app
        .post(
            &format!("/api/alerts/{disk}/acknowledge"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let acknowledged: Value = res.json().await.expect("json");
    assert_eq!(acknowledged["agent_hostname"], "host-dev-hot");
    assert_eq!(alerts(&app, "?status=acknowledged").await.len(), 1);
    let res = app
        .post(
            &format!("/api/alerts/{disk}/resolve"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let again = app
        .post(
            &format!("/api/alerts/{disk}/resolve"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        app.get("/api/alerts?status=bogus", &app.admin_token)
            .await
            .status(),
        422
    );
}

#[tokio::test]
async fn memory_at_its_threshold_opens_one_alert_resolved_when_it_drops() {
    let app = TestApp::spawn_with(|c| c.alerts.memory_percent = 90.0).await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-mem")).await;
    let id = agent.agent_id.clone();
    // Just below, then at and above the threshold; CPU and disk stay low throughout.
    agent.send(sample_with_memory(5.0, 10, 89)).await;
    agent.send(sample_with_memory(5.0, 10, 90)).await;
    agent.send(sample_with_memory(5.0, 10, 97)).await;
    eventually("memory alert", || async {
        !alerts(&app, "").await.is_empty()
    })
    .await;
    // An agent's messages are handled in order: once the third sample is stored, the first
    // two have been judged (89% opened nothing, 90% opened the alert named below).
    let path = format!("/api/agents/{id}/metrics?hours=1");
    eventually("three samples", || async {
        app.get_json(&path).await.as_array().map(Vec::len) == Some(3)
    })
    .await;
    let open = alerts(&app, "").await;
    assert_eq!(open.len(), 1, "one alert while memory stays high: {open:?}");
    assert_eq!(open[0]["kind"], "memory_high");
    assert_eq!(open[0]["agent_id"], id.as_str());
    assert_eq!(open[0]["severity"], "warning");
    assert_eq!(open[0]["message"], "memory at 90% (threshold 90%)");
    agent.send(sample_with_memory(5.0, 10, 40)).await;
    eventually("memory alert resolved", || async {
        alerts(&app, "").await.is_empty()
    })
    .await;
    let resolved = alerts(&app, &format!("?status=resolved&agent_id={id}")).await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["kind"], "memory_high");
}
