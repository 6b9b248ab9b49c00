//! A start that fails halfway takes itself back: the GuruConnect session it created is ended,
//! a launch it stored is cancelled before it can reach the agent, its row is failed, and the
//! failure is audited with the step. Failures are real: the GuruConnect stand-in refusing a
//! call, and the database refusing a write.

use super::remote_control::{refusal, rig};
use serde_json::Value;

async fn launches(rig: &super::remote_control::Rig) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT id, status FROM commands WHERE command_type = 'remote_control_launch' \
         AND agent_id = $1",
    )
    .bind(&rig.agent.agent_id)
    .fetch_all(&rig.app.state().db.pool)
    .await
    .expect("commands")
}

async fn start_failures(rig: &super::remote_control::Rig) -> Vec<Value> {
    let audit = rig
        .app
        .get_json("/api/audit?action=remote_control_start_failed")
        .await;
    audit["items"].as_array().cloned().unwrap_or_default()
}

/// The one GuruConnect session the start created, checked to have been ended exactly once.
fn created_and_ended_session(rig: &super::remote_control::Rig) -> String {
    let created: Vec<_> = rig
        .standin
        .calls()
        .into_iter()
        .filter(|c| c.method == "POST" && c.path == "/api/integration/v1/sessions")
        .collect();
    assert_eq!(created.len(), 1, "one session was created");
    let session = {
        let sessions = rig.standin.state.sessions.lock().expect("lock");
        sessions.keys().next().expect("a session").clone()
    };
    let ended = rig.standin.calls_to(&format!("/sessions/{session}/end"));
    assert_eq!(ended.len(), 1, "the unused session was ended once");
    session
}

#[tokio::test]
async fn a_refused_viewer_token_ends_the_session_it_created_and_sends_nothing() {
    let rig = rig().await;
    rig.standin
        .fail_next("viewer_token", 503, "unavailable", "token service down");
    let body = refusal(rig.start("unattended").await, 502, "upstream_error").await;
    assert!(body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("token service down")));

    let session = created_and_ended_session(&rig);
    assert!(launches(&rig).await.is_empty(), "no launch was stored");
    let rows = rows(&rig).await;
    assert_eq!(rows.as_array().map(Vec::len), Some(0), "{rows}");

    let failures = start_failures(&rig).await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    let detail = &failures[0]["detail"];
    assert_eq!(detail["step"], "viewer_token");
    assert_eq!(detail["connect_session_id"], session.as_str());
    assert_eq!(detail["connect_session_ended"], true);
    assert!(detail["reason"]
        .as_str()
        .is_some_and(|r| r.contains("token service down")));
}

/// Makes the database refuse `event` on `table` (e.g. `INSERT`, `UPDATE OF status`) for rows
/// matching `when`, as a full disk or a lost connection would, on either backend.
async fn refuse(rig: &super::remote_control::Rig, event: &str, table: &str, when: &str) {
    let db = &rig.app.state().db;
    let statements = match db.backend {
        gururmm_server::db::Backend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_write BEFORE {event} ON {table} WHEN {when} \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
        gururmm_server::db::Backend::Postgres => vec![
            "CREATE FUNCTION refuse_write() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
                .to_owned(),
            format!(
                "CREATE TRIGGER refuse_write BEFORE {event} ON {table} \
                 FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION refuse_write()"
            ),
        ],
    };
    for statement in statements {
        sqlx::raw_sql(&statement)
            .execute(&db.pool)
            .await
            .expect("trigger");
    }
}

async fn rows(rig: &super::remote_control::Rig) -> Value {
    rig.app
        .get_json(&format!(
            "/api/agents/{}/remote-control/sessions",
            rig.agent.agent_id
        ))
        .await
}

#[tokio::test]
async fn a_launch_that_cannot_be_stored_fails_the_row_and_ends_the_session() {
    let rig = rig().await;
    refuse(&rig, "INSERT", "commands", "TRUE").await;
    let body = refusal(rig.start("unattended").await, 500, "internal_error").await;
    assert_eq!(body["detail"], "internal error", "nothing internal is told");

    assert!(launches(&rig).await.is_empty());
    let rows = rows(&rig).await;
    assert_eq!(rows[0]["status"], "failed", "{rows}");
    assert!(rows[0]["end_reason"]
        .as_str()
        .is_some_and(|r| r.contains("launch_stored")));
    created_and_ended_session(&rig);
    let failures = start_failures(&rig).await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    let detail = &failures[0]["detail"];
    assert_eq!(detail["step"], "launch_stored");
    assert_eq!(detail["remote_control_id"], rows[0]["id"]);
}

#[tokio::test]
async fn a_launch_that_cannot_be_delivered_is_cancelled_and_never_goes_out() {
    let rig = rig().await;
    // The launch is stored, but no deliverer can claim it (the start's own, the reconnect
    // flush, the reaper's sweep): it must be cancelled, never sent later.
    refuse(
        &rig,
        "UPDATE OF status",
        "commands",
        "NEW.status = 'running'",
    )
    .await;
    refusal(rig.start("attended").await, 500, "internal_error").await;

    let stored = launches(&rig).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].1, "cancelled", "cancelled while still pending");
    assert_eq!(rows(&rig).await[0]["status"], "failed");
    created_and_ended_session(&rig);
    let failures = start_failures(&rig).await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    let detail = &failures[0]["detail"];
    assert_eq!(detail["step"], "delivery");
    assert_eq!(detail["command_id"], stored[0].0.as_str());
    assert_eq!(detail["launch_cancelled"], true);
    // The launch was audited as the command it was, before the failure.
    let sent = rig.app.get_json("/api/audit?action=command_sent").await;
    assert_eq!(
        sent["items"][0]["detail"]["command_type"],
        "remote_control_launch"
    );
    assert_eq!(
        sent["items"][0]["detail"]["command_id"],
        stored[0].0.as_str()
    );
}

#[tokio::test]
async fn a_successful_start_is_audited_as_a_command_and_as_a_start() {
    let rig = rig().await;
    let body = rig.start_ok("unattended").await;
    let sent = rig.app.get_json("/api/audit?action=command_sent").await;
    assert_eq!(sent["items"][0]["detail"]["command_id"], body["command_id"]);
    assert_eq!(
        sent["items"][0]["detail"]["connect_session_id"],
        body["session_id"]
    );
    let started = rig
        .app
        .get_json("/api/audit?action=remote_control_started")
        .await;
    assert_eq!(
        started["items"][0]["detail"]["remote_control_id"],
        body["remote_control_id"]
    );
    assert!(start_failures(&rig).await.is_empty());
    assert!(rig.standin.calls_to("/end").is_empty(), "nothing was ended");
}
