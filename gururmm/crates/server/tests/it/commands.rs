//! Commands end to end over the socket: delivery and results, the queue for offline agents
//! (delivered once on reconnect), re-delivery to a connected agent whose queue
//! was full, server-side timeouts, cancellation, results only from the agent that got the
//! command, per-user rate limit.

use crate::helpers::*;
use gururmm_protocol::{AgentMessage, CommandKind, CommandResult};
use serde_json::json;

#[tokio::test]
async fn a_command_to_a_connected_agent_is_delivered_and_its_result_stored() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-c")).await;
    let sent = app
        .send_command(&agent.agent_id, "powershell", "Get-Process")
        .await;
    assert_eq!(sent["status"], "running", "delivered on send");
    let cmd = agent.next_command().await;
    assert_eq!(cmd.kind, CommandKind::PowerShell("Get-Process".into()));
    assert_eq!(cmd.timeout_seconds, Some(30));
    agent.reply(&cmd, 0, "ok\n").await;
    let done = command_status(&app, &cmd.id.to_string(), "completed").await;
    assert_eq!(done["stdout"], "ok\n");
    assert_eq!(done["exit_code"], 0);

    let failing = app.send_command(&agent.agent_id, "shell", "false").await;
    let cmd = agent.next_command().await;
    assert_eq!(cmd.id.to_string(), failing["id"].as_str().expect("id"));
    agent.reply(&cmd, 1, "").await;
    command_status(&app, &cmd.id.to_string(), "failed").await;
}

#[tokio::test]
async fn commands_queued_while_offline_are_delivered_exactly_once_on_reconnect() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let first = TestAgent::connect(&app, auth_payload(&code, "dev-q")).await;
    let agent_id = first.agent_id.clone();
    let key = first.key();
    drop(first);
    eventually("offline", || async {
        app.agent(&agent_id).await["status"] == "offline"
    })
    .await;

    let a = app.send_command(&agent_id, "shell", "echo one").await;
    let b = app.send_command(&agent_id, "shell", "echo two").await;
    assert_eq!(a["status"], "pending");
    assert_eq!(b["status"], "pending");

    let mut agent = TestAgent::connect(&app, auth_payload(&key, "dev-q")).await;
    let got_a = agent.next_command().await;
    let got_b = agent.next_command().await;
    assert_eq!(got_a.kind.text(), "echo one", "oldest first");
    assert_eq!(got_b.kind.text(), "echo two");
    agent.reply(&got_a, 0, "one\n").await;
    command_status(&app, &got_a.id.to_string(), "completed").await;
    drop(agent);
    eventually("offline again", || async {
        app.agent(&agent_id).await["status"] == "offline"
    })
    .await;

    // Reconnecting again delivers nothing twice: `a` is done, `b` is running (sent once).
    let mut again = TestAgent::connect(&app, auth_payload(&key, "dev-q")).await;
    let c = app.send_command(&agent_id, "shell", "echo three").await;
    let next = again.next_command().await;
    assert_eq!(
        next.id.to_string(),
        c["id"].as_str().expect("id"),
        "only the new command arrives"
    );
    let commands = app
        .get_json(&format!("/api/commands?agent_id={agent_id}"))
        .await;
    assert_eq!(commands.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_command_refused_by_a_full_queue_runs_once_while_the_agent_stays_connected() {
    let app = TestApp::spawn_with(|c| {
        c.limits.agent_queue = 1;
        c.limits.commands_per_minute = 100_000;
    })
    .await;
    let (_, _, code) = app.site("S").await;
    let ws = open_ws_small_buffer(&app.ws_url()).await;
    let mut agent = TestAgent::try_connect_on(ws, auth_payload(&code, "dev-full"))
        .await
        .expect("accepted");
    let agent_id = agent.agent_id.clone();
    let connection = app
        .state()
        .registry
        .get(&agent_id.as_str().into())
        .expect("live")
        .connection_id;
    // The agent stops reading: large commands fill TCP, the writer blocks, the one-slot queue
    // fills, and the next send is refused while the agent is still online.
    let padding = "x".repeat(60 * 1024);
    let mut sent = Vec::new();
    loop {
        assert!(sent.len() < 1000, "the agent's queue never filled");
        let command = app.send_command(&agent_id, "shell", &padding).await;
        sent.push(command["id"].as_str().expect("id").to_owned());
        if command["status"] == "pending" {
            break;
        }
    }
    assert_eq!(app.agent(&agent_id).await["status"], "online");
    // The agent reads again and answers everything it gets; the refused command must arrive
    // on this same socket, without a reconnect.
    let mut received = Vec::new();
    while !sent.iter().all(|id| received.contains(id)) {
        let command = agent.next_command().await;
        agent.reply(&command, 0, "done").await;
        received.push(command.id.to_string());
    }
    let mut unique = received.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        received.len(),
        "a command was delivered twice"
    );
    for id in &sent {
        command_status(&app, id, "completed").await;
    }
    let live = app
        .state()
        .registry
        .get(&agent_id.as_str().into())
        .expect("still connected");
    assert_eq!(live.connection_id, connection, "same socket throughout");
}

#[tokio::test]
async fn a_running_command_without_a_result_times_out_on_the_server() {
    let app = TestApp::spawn_with(|c| c.limits.command_grace_secs = 0).await;
    let (_, _, code) = app.site("S").await;
    let mut agent = TestAgent::connect(&app, auth_payload(&code, "dev-t")).await;
    let res = app
        .post(
            &format!("/api/agents/{}/command", agent.agent_id),
            &app.admin_token,
            json!({"command_type": "shell", "command": "sleep 100", "timeout_seconds": 1}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let cmd = agent.next_command().await;
    let timed_out = command_status(&app, &cmd.id.to_string(), "timed_out").await;
    assert!(timed_out["completed_at"].is_string());
    // A result arriving after the deadline does not resurrect it.
    agent.reply(&cmd, 0, "late").await;
    // The socket's messages are handled in order: once this sample is stored, so is the verdict
    // on the late result.
    agent
        .send(AgentMessage::MetricsReport(Default::default()))
        .await;
    let path = format!("/api/agents/{}/metrics?hours=1", agent.agent_id);
    eventually("sample stored", || async {
        app.get_json(&path).await.as_array().map(Vec::len) == Some(1)
    })
    .await;
    assert_eq!(
        app.command(&cmd.id.to_string()).await["status"],
        "timed_out"
    );
}

#[tokio::test]
async fn an_agent_cannot_complete_another_agents_command() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let mut victim = TestAgent::connect(&app, auth_payload(&code, "victim")).await;
    let mut attacker = TestAgent::connect(&app, auth_payload(&code, "attacker")).await;
    app.send_command(&victim.agent_id, "shell", "whoami").await;
    let cmd = victim.next_command().await;
    attacker
        .send(AgentMessage::CommandResult(CommandResult {
            id: cmd.id,
            exit_code: 0,
            stdout: "forged".into(),
            ..Default::default()
        }))
        .await;
    // Once the attacker's next message is stored, its forged result has been judged.
    attacker
        .send(AgentMessage::MetricsReport(Default::default()))
        .await;
    let path = format!("/api/agents/{}/metrics?hours=1", attacker.agent_id);
    eventually("attacker sample stored", || async {
        app.get_json(&path).await.as_array().map(Vec::len) == Some(1)
    })
    .await;
    assert_eq!(app.command(&cmd.id.to_string()).await["status"], "running");
    victim.reply(&cmd, 0, "real\n").await;
    let done = command_status(&app, &cmd.id.to_string(), "completed").await;
    assert_eq!(done["stdout"], "real\n");
}

#[tokio::test]
async fn pending_commands_can_be_cancelled_and_are_then_never_delivered() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let first = TestAgent::connect(&app, auth_payload(&code, "dev-x")).await;
    let agent_id = first.agent_id.clone();
    let key = first.key();
    drop(first);
    eventually("offline", || async {
        app.agent(&agent_id).await["status"] == "offline"
    })
    .await;
    let cancelled = app.send_command(&agent_id, "shell", "rm -rf /tmp/x").await;
    let id = cancelled["id"].as_str().expect("id").to_owned();
    let res = app.cancel_command(&id).await;
    assert_eq!(res.status(), 200);
    let again = app.cancel_command(&id).await;
    assert_eq!(again.status(), 409);
    let mut agent = TestAgent::connect(&app, auth_payload(&key, "dev-x")).await;
    let kept = app.send_command(&agent_id, "shell", "echo kept").await;
    let next = agent.next_command().await;
    assert_eq!(next.id.to_string(), kept["id"].as_str().expect("id"));
    assert_eq!(app.command(&id).await["status"], "cancelled");
}

#[tokio::test]
async fn unknown_types_and_bad_input_are_refused_at_the_api() {
    let app = TestApp::spawn().await;
    let (agent_id, _) = app.agent_with_key(None).await;
    let path = format!("/api/agents/{agent_id}/command");
    for body in [
        json!({"command_type": "bash", "command": "ls"}),
        json!({"command_type": "shell", "command": "  "}),
        json!({"command_type": "shell", "command": "ls", "timeout_seconds": 0}),
        json!({"command_type": "shell", "command": "ls", "timeout_seconds": 999999}),
    ] {
        let res = app.post(&path, &app.admin_token, body.clone()).await;
        assert_eq!(res.status(), 422, "{body}");
        let envelope: serde_json::Value = res.json().await.expect("json");
        assert_eq!(envelope["error_code"], "validation_failed");
    }
    let missing = app
        .post(
            "/api/agents/no-such-agent/command",
            &app.admin_token,
            json!({"command_type": "shell", "command": "ls"}),
        )
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn command_submissions_are_rate_limited_per_user() {
    let app = TestApp::spawn_with(|c| c.limits.commands_per_minute = 3).await;
    let (agent_id, _) = app.agent_with_key(None).await;
    let path = format!("/api/agents/{agent_id}/command");
    let body = json!({"command_type": "shell", "command": "true"});
    for _ in 0..3 {
        assert_eq!(
            app.post(&path, &app.admin_token, body.clone())
                .await
                .status(),
            201
        );
    }
    let limited = app.post(&path, &app.admin_token, body.clone()).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    // Another user has their own budget.
    let other = app.technician_token("tech@example.com").await;
    assert_eq!(app.post(&path, &other, body).await.status(), 201);
}
