//! The remote-control broker after the start request (NRC-8), against the same GuruConnect
//! stand-in and rig as `remote_control.rs`: GuruConnect's errors and refusals, rate limits, a
//! launch the agent refuses, the end of a session, what GuruConnect later says of it, new tabs,
//! enrolment status, and what the dashboard may frame.

use super::gc_standin;
use super::helpers::*;
use super::remote_control::{refusal, rig, rig_with};
use gururmm_protocol::{AgentMessage, CommandResult};
use serde_json::{json, Value};

#[tokio::test]
async fn guruconnect_errors_reach_the_envelope_with_their_correlation_id() {
    let rig = rig().await;
    rig.standin.fail_next(
        "sessions",
        422,
        "validation_failed",
        "agent_id is not valid here",
    );
    let body = refusal(rig.start("unattended").await, 502, "upstream_error").await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("agent_id is not valid here")),
        "{body}"
    );
    assert_eq!(body["upstream"]["service"], "guruconnect");
    assert_eq!(body["upstream"]["error_code"], "validation_failed");
    assert_eq!(body["upstream"]["status_code"], 422);
    assert!(body["upstream"]["correlation_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("standin-")));
    assert!(body["correlation_id"]
        .as_str()
        .is_some_and(|id| !id.starts_with("standin-")));

    // No release for the platform: a clear refusal, and no launch command.
    let rig = rig_with(|_, _| {}).await;
    *rig.standin.state.releases.lock().expect("lock") = Default::default();
    let body = refusal(
        rig.start("unattended").await,
        503,
        "remote_control_unavailable",
    )
    .await;
    assert!(body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("linux-x86_64")));
}

#[tokio::test]
async fn a_wrong_integration_key_is_reported_as_guruconnects_refusal() {
    let rig = rig_with(|c, _| {
        c.connect.integration_key = Some(gururmm_server::config::SecretString::new(
            "a-different-key-0123456789abcdef0123",
        ))
    })
    .await;
    let body = refusal(rig.start("unattended").await, 502, "upstream_error").await;
    assert_eq!(body["upstream"]["error_code"], "unauthorized");
    assert_eq!(body["upstream"]["status_code"], 401);
    let text = body.to_string();
    assert!(!text.contains("a-different-key"), "{text}");
}

#[tokio::test]
async fn starts_are_rate_limited_per_technician() {
    let rig = rig_with(|c, _| c.connect.sessions_per_minute = 1).await;
    rig.start_ok("attended").await;
    let res = rig.start("attended").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_refused_launch_fails_the_session_with_the_agents_reason_and_frees_guruconnect() {
    let mut rig = rig().await;
    let body = rig.start_ok("unattended").await;
    let cmd = rig.agent.next_command().await;
    rig.agent
        .send(AgentMessage::CommandResult(CommandResult {
            id: cmd.id,
            exit_code: gururmm_protocol::EXIT_EXECUTOR_ERROR,
            stdout: String::new(),
            stderr: "refused guruconnect-agent 1.2.3: signature does not verify".into(),
            duration_ms: 3,
            timed_out: false,
            truncated: false,
        }))
        .await;
    let id = rig.agent.agent_id.clone();
    let path = format!("/api/agents/{id}/remote-control/sessions");
    eventually("launch failure on the row", || async {
        rig.app.get_json(&path).await[0]["launch_status"] == "failed"
    })
    .await;
    let row = rig.app.get_json(&path).await[0].clone();
    assert!(row["launch_error"]
        .as_str()
        .is_some_and(|e| e.contains("signature")));

    // What the dashboard's panel reads: the session failed, with the agent's reason.
    let rc_id = body["remote_control_id"].as_str().expect("id");
    let one = rig
        .app
        .get_json(&format!("/api/remote-control/sessions/{rc_id}"))
        .await;
    assert_eq!(one["status"], "failed", "{one}");
    assert!(one["end_reason"]
        .as_str()
        .is_some_and(|r| r.contains("signature does not verify")));
    assert!(one["ended_at"].is_string());
    // GuruConnect stops waiting for a machine that will not come.
    let session = body["session_id"].as_str().expect("s");
    assert_eq!(
        rig.standin
            .calls_to(&format!("/sessions/{session}/end"))
            .len(),
        1
    );
    let res = rig
        .app
        .post(
            &format!("/api/remote-control/sessions/{rc_id}/end"),
            &rig.app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 409, "already failed");
}

#[tokio::test]
async fn end_closes_the_guruconnect_session_and_records_who() {
    let rig = rig().await;
    let body = rig.start_ok("attended").await;
    let rc_id = body["remote_control_id"].as_str().expect("id");
    let res = rig
        .app
        .post(
            &format!("/api/remote-control/sessions/{rc_id}/end"),
            &rig.app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let ended: Value = res.json().await.expect("json");
    assert_eq!(ended["status"], "ended");
    assert!(ended["ended_at"].is_string());
    assert!(ended["end_reason"]
        .as_str()
        .is_some_and(|r| r.starts_with("ended by ")));
    let session = body["session_id"].as_str().expect("s");
    assert_eq!(
        rig.standin
            .calls_to(&format!("/sessions/{session}/end"))
            .len(),
        1
    );
}

#[tokio::test]
async fn what_guruconnect_says_of_the_session_reaches_the_row() {
    let rig = rig().await;
    let body = rig.start_ok("attended").await;
    let rc_id = body["remote_control_id"].as_str().expect("id").to_owned();
    let session = body["session_id"].as_str().expect("s").to_owned();
    let path = format!("/api/remote-control/sessions/{rc_id}");

    // Waiting for the machine, which GuruConnect turned away.
    rig.standin.update_session(
        &session,
        json!({"agent_refused": {"cause": "machine identity does not match this agent",
            "at": "2026-01-01T00:00:01Z"}}),
    );
    let one = rig.app.get_json(&path).await;
    assert_eq!(one["status"], "started");
    assert_eq!(one["connect"]["status"], "waiting");
    assert_eq!(
        one["connect"]["agent_refused"],
        "machine identity does not match this agent"
    );

    // The user declined: the row ends with that reason, even if nobody reads it (the sweep).
    rig.standin.update_session(
        &session,
        json!({"status": "ended", "end_reason": "consent_declined", "agent_refused": null}),
    );
    gururmm_server::connect::reconcile::sweep(rig.app.state()).await;
    let rows = rig
        .app
        .get_json(&format!(
            "/api/agents/{}/remote-control/sessions",
            rig.agent.agent_id
        ))
        .await;
    assert_eq!(rows[0]["status"], "ended", "{rows}");
    assert!(rows[0]["end_reason"]
        .as_str()
        .is_some_and(|r| r.contains("declined")));
    assert!(rows[0]["ended_at"].is_string());
    let audit = rig.app.get_json("/api/audit?limit=20").await;
    assert!(
        audit.to_string().contains("remote_control_ended"),
        "{audit}"
    );
}

#[tokio::test]
async fn a_new_tab_gets_guruconnects_own_viewer_with_a_fresh_token() {
    let rig = rig().await;
    let body = rig.start_ok("unattended").await;
    let rc_id = body["remote_control_id"].as_str().expect("id");
    let session = body["session_id"].as_str().expect("s");
    let res = rig
        .app
        .post(
            &format!("/api/remote-control/sessions/{rc_id}/viewer"),
            &rig.app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let link: Value = res.json().await.expect("json");
    let fresh = rig.standin.tokens().last().cloned().expect("token");
    assert_eq!(rig.standin.tokens().len(), 2, "a token of its own");
    assert_eq!(
        link["viewer_url"],
        format!("https://connect.example.com/viewer#session={session}&token={fresh}")
    );
}

#[tokio::test]
async fn the_status_offers_the_release_key_for_enrolment() {
    use base64::Engine;
    let public = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let key = base64::engine::general_purpose::STANDARD.encode(public.to_bytes());
    let files = tempfile::tempdir().expect("dir");
    let ca = files.path().join("gc-ca.pem");
    let pem = rcgen::generate_simple_self_signed(vec!["ca.example".into()])
        .expect("ca")
        .cert
        .pem()
        .replace("\r\n", "\n");
    std::fs::write(&ca, format!("a comment the file may have\n{pem}")).expect("write");
    let rig = rig_with(|c, _| {
        c.connect.release_public_key = Some(key.clone());
        c.connect.ca_cert = Some(ca.clone());
    })
    .await;
    let status = rig.app.get_json("/api/remote-control/status").await;
    assert_eq!(status["release_public_key"], key.as_str());
    assert_eq!(
        status["ca_pem"], pem,
        "the certificate, nothing else of the file"
    );
    let mut config = rig.app.config.clone();
    config.connect.ca_cert = Some(files.path().join("missing.pem"));
    let err = config.validate().expect_err("refused").to_string();
    assert!(err.contains("connect.ca_cert"), "{err}");
    // Anything else is refused when the server starts, naming the setting.
    let mut config = rig.app.config.clone();
    config.connect.release_public_key = Some("not-a-key".into());
    let err = config.validate().expect_err("refused").to_string();
    assert!(err.contains("connect.release_public_key"), "{err}");
}

#[tokio::test]
async fn technicians_cannot_send_a_launch_through_the_command_route() {
    let rig = rig().await;
    let res = rig
        .app
        .post(
            &format!("/api/agents/{}/command", rig.agent.agent_id),
            &rig.app.admin_token,
            json!({"command_type": "remote_control_launch", "command": "{}"}),
        )
        .await;
    let body = refusal(res, 422, "validation_failed").await;
    assert!(body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("/remote-control")));
}

#[tokio::test]
async fn the_dashboard_page_may_frame_guruconnect_and_nothing_else_by_default() {
    let files = tempfile::tempdir().expect("tempdir");
    let dist = files.path().join("dist");
    std::fs::create_dir_all(&dist).expect("mkdir");
    std::fs::write(dist.join("index.html"), "<!doctype html>").expect("index");
    let rig = rig_with(|c, _| c.dashboard_dir = dist.clone()).await;
    let res = rig
        .app
        .client
        .get(rig.app.url("/agents/x"))
        .send()
        .await
        .expect("page");
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        csp.contains("frame-src https://connect.example.com;"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let _ = gc_standin::current_capabilities();
}
