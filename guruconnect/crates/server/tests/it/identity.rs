//! Machine identity and presence (ARCHITECTURE.md, "Machine identity"): one machine may be
//! served by several agent ids, each bound to its hardware; a machine is online while any of
//! its connections is; the audit trail says what really happened to a connection.

use crate::helpers::*;
use guruconnect_proto::{self as proto, envelope::Payload};
use serde_json::{json, Value};

async fn machine(app: &TestApp, agent_id: &str) -> Value {
    app.get_json(&format!("/api/machines/{agent_id}"), &app.admin_token)
        .await
}

async fn events(app: &TestApp, session_id: &str) -> Vec<Value> {
    let events: Value = app
        .get_json(
            &format!("/api/sessions/{session_id}/events"),
            &app.admin_token,
        )
        .await;
    events.as_array().expect("events").clone()
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect()
}

#[tokio::test]
async fn a_machine_with_its_own_agent_can_also_be_driven_under_another_products_id() {
    let app = TestApp::spawn().await;
    let (standalone_key, _) = app.mint_key("pc-42").await;
    let (managed_key, _) = app.mint_key("rmm-device-42").await;
    let _standalone =
        TestAgent::connect(&app, hello_with_key("pc-42", "uid-box", &standalone_key)).await;
    // GuruRMM's launch on the same hardware, under its own device id: accepted, not refused
    // as "machine identity does not match".
    let managed = TestAgent::try_connect(
        &app,
        hello_with_key("rmm-device-42", "uid-box", &managed_key),
    )
    .await;
    assert!(managed.is_ok(), "refused: {:?}", managed.err());
    for id in ["pc-42", "rmm-device-42"] {
        let m = machine(&app, id).await;
        assert_eq!(m["online"], true, "{id}: {m}");
        let row = guruconnect_server::db::machines::find_by_agent_id(&app.state().db, &id.into())
            .await
            .expect("query")
            .expect("row");
        assert_eq!(row.machine_uid.as_deref(), Some("uid-box"), "{id}");
    }

    // Each id stays bound to the hardware it first came from: its key copied elsewhere is
    // still refused.
    let copied = TestAgent::try_connect(
        &app,
        hello_with_key("rmm-device-42", "uid-other-box", &managed_key),
    )
    .await;
    assert_eq!(
        copied.err(),
        Some(Some(proto::DisconnectReason::AuthFailed))
    );
}

#[tokio::test]
async fn an_attended_visit_ending_leaves_the_machines_unattended_agent_online() {
    let app = TestApp::spawn().await;
    let (key, _) = app.mint_key("desk-7").await;
    let _unattended = TestAgent::connect(&app, hello_with_key("desk-7", "uid-desk", &key)).await;
    let code = app
        .post_json(
            "/api/codes",
            &app.admin_token,
            json!({"technician_name": "Dana"}),
        )
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let visit = TestAgent::connect(&app, hello_with_code("uid-desk", &code)).await;
    assert_eq!(visit.agent_id, "desk-7", "the visit is the known machine");
    let visit_session = visit.session_id.clone();
    drop(visit); // the end user closes the attended agent

    let path = format!("/api/sessions/{visit_session}");
    eventually("the attended session ends", || async {
        app.get_json(&path, &app.admin_token).await["status"] == "ended"
    })
    .await;
    let m = machine(&app, "desk-7").await;
    assert_eq!(
        m["online"], true,
        "its unattended agent is still connected: {m}"
    );
}

#[tokio::test]
async fn a_declined_session_is_recorded_as_declined_only() {
    let app = TestApp::spawn_with(|c| c.limits.consent_timeout_secs = 1).await;
    let code = app
        .post_json(
            "/api/codes",
            &app.admin_token,
            json!({"technician_name": "Dana"}),
        )
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let mut agent = TestAgent::connect(&app, hello_with_code("uid-no", &code)).await;
    let request = recv_until(&mut agent.ws, |p| match p {
        Payload::ConsentRequest(r) => Some(r),
        _ => None,
    })
    .await;
    send(
        &mut agent.ws,
        Payload::ConsentResponse(proto::ConsentResponse {
            session_id: request.session_id.clone(),
            accepted: false,
            timed_out: false,
        }),
    )
    .await;
    let session = agent.session_id.clone();
    let path = format!("/api/sessions/{session}");
    eventually("the declined session ends", || async {
        app.get_json(&path, &app.admin_token).await["status"] == "ended"
    })
    .await;
    // Past the relay's own deadline (the prompt's timeout plus the answer's grace): the
    // decline stays the only verdict.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let trail = events(&app, &session).await;
    let verdicts: Vec<&str> = types(&trail)
        .into_iter()
        .filter(|t| t.starts_with("consent_") && *t != "consent_requested")
        .collect();
    assert_eq!(verdicts, ["consent_declined"], "{trail:?}");
    let row = app.get_json(&path, &app.admin_token).await;
    assert_eq!(row["end_reason"], "consent_declined", "{row}");
}

#[tokio::test]
async fn an_agent_that_vanishes_is_recorded_as_a_lost_connection() {
    let app = TestApp::spawn().await;
    let (agent, _) = online_agent(&app, "vanishing").await;
    let session = agent.session_id.clone();
    // Killed or rebooted: the TCP connection ends with no WebSocket goodbye.
    drop(agent);
    let reason = || async {
        events(&app, &session)
            .await
            .iter()
            .find(|e| e["event_type"] == "agent_disconnected")
            .and_then(|e| e["detail"].as_str())
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .map(|d| d["reason"].clone())
    };
    eventually("the departure is audited", || async {
        reason().await.is_some()
    })
    .await;
    assert_eq!(reason().await, Some(json!("connection_lost")));
}

#[tokio::test]
async fn a_session_waiting_for_a_refused_agent_says_why() {
    let app = TestApp::spawn().await;
    let (key, _) = app.mint_key("bound-pc").await;
    let first = TestAgent::connect(&app, hello_with_key("bound-pc", "uid-first", &key)).await;
    let session = first.session_id.clone();
    drop(first);
    let path = format!("/api/sessions/{session}");
    eventually("the session waits for its agent", || async {
        app.get_json(&path, &app.admin_token).await["status"] == "agent_offline"
    })
    .await;
    assert!(app.get_json(&path, &app.admin_token).await["agent_refused"].is_null());

    // The same id and key from other hardware (a copied configuration, a cloned machine).
    let copied = TestAgent::try_connect(&app, hello_with_key("bound-pc", "uid-clone", &key)).await;
    assert!(copied.is_err());
    let row = app.get_json(&path, &app.admin_token).await;
    assert_eq!(
        row["agent_refused"]["cause"], "machine identity does not match this agent",
        "{row}"
    );
    assert!(row["agent_refused"]["at"].is_string());

    // A stranger without the key cannot write into the session's story.
    let (other_key, _) = app.mint_key("someone-else").await;
    let _ = TestAgent::try_connect(&app, hello_with_key("bound-pc", "uid-x", &other_key)).await;
    let _ = TestAgent::try_connect(&app, hello_with_key("bound-pc", "uid-x", "gcak_guess")).await;
    let trail = events(&app, &session).await;
    let refusals = types(&trail)
        .iter()
        .filter(|t| **t == "agent_auth_failed")
        .count();
    assert_eq!(refusals, 1, "{trail:?}");
}
