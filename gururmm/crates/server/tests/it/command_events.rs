//! `GET /api/commands/events`: each state a command passes through reaches an open stream as a
//! `command` event carrying what is stored, from every place that moves it; streams need a
//! token, are bounded per user, and end when their user is disabled or their token expires.

use crate::helpers::*;
use serde_json::{json, Value};

/// An open event stream, read as the dashboard reads it.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(app: &TestApp, path: &str, token: &str) -> Self {
        let response = app.get(path, token).await;
        assert_eq!(response.status(), 200, "stream opens");
        let kind = response.headers()["content-type"].to_str().expect("ascii");
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        let mut events = Self {
            response,
            buffer: String::new(),
        };
        assert_eq!(events.next().await.expect("ready").0, "ready");
        events
    }

    /// The next (event, data) pair; None once the server ends the stream.
    async fn next(&mut self) -> Option<(String, String)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name).map(str::trim_start))
                        .map(str::to_owned)
                };
                match field("event:") {
                    Some(event) => return Some((event, field("data:").unwrap_or_default())),
                    None => continue, // a keep-alive comment
                }
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("an event before the wait ends")
                .expect("stream readable")?;
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    }

    /// The next `command` event's body.
    async fn command(&mut self) -> Value {
        let (event, data) = self.next().await.expect("stream open");
        assert_eq!(event, "command", "{data}");
        serde_json::from_str(&data).expect("json")
    }

    /// Reads `command` events until command `id` shows `status`; the statuses seen on the way.
    async fn until(&mut self, id: &str, status: &str) -> (Vec<String>, Value) {
        let mut seen = Vec::new();
        loop {
            let command = self.command().await;
            if command["id"] != id {
                continue;
            }
            let now = command["status"].as_str().expect("status").to_owned();
            seen.push(now.clone());
            if now == status {
                return (seen, command);
            }
        }
    }
}

#[tokio::test]
async fn a_command_is_pushed_through_each_state_with_its_output() {
    let app = TestApp::spawn().await;
    let (_, _, code) = app.site("S").await;
    let agent = TestAgent::connect(&app, auth_payload(&code, "dev-ev")).await;
    let (agent_id, key) = (agent.agent_id.clone(), agent.key());
    drop(agent);
    eventually("agent offline", || async {
        app.agent(&agent_id).await["status"] == "offline"
    })
    .await;
    let mut events = Events::open(&app, "/api/commands/events", &app.admin_token).await;

    // Each step waits for the previous event, so each event shows the step that caused it.
    let sent = app.send_command(&agent_id, "shell", "uptime").await;
    let id = sent["id"].as_str().expect("id");
    let (seen, pending) = events.until(id, "pending").await;
    assert_eq!(seen, ["pending"]);
    assert_eq!(pending["agent_hostname"], "host-dev-ev");
    assert_eq!(pending["command"], "uptime");

    let mut agent = TestAgent::connect(&app, auth_payload(&key, "dev-ev")).await;
    assert_eq!(
        events.until(id, "running").await.0,
        ["running"],
        "claimed on reconnect"
    );
    let delivered = agent.next_command().await;
    agent.reply(&delivered, 0, "up 3 days").await;
    let (seen, done) = events.until(id, "completed").await;
    assert_eq!(seen, ["completed"]);
    assert_eq!(done["stdout"], "up 3 days");
    assert_eq!(done["exit_code"], 0);
}

#[tokio::test]
async fn cancelling_and_the_servers_timeout_are_pushed() {
    let app = TestApp::spawn_with(|c| c.limits.command_grace_secs = 0).await;
    let (offline, _) = app.agent_with_key(None).await;
    let mut events = Events::open(&app, "/api/commands/events", &app.admin_token).await;
    let queued = app.send_command(&offline, "shell", "whoami").await;
    let id = queued["id"].as_str().expect("id");
    events.until(id, "pending").await;
    let res = app.cancel_command(id).await;
    assert_eq!(res.status(), 200);
    events.until(id, "cancelled").await;

    let (_, _, code) = app.site("S").await;
    let agent = TestAgent::connect(&app, auth_payload(&code, "dev-slow")).await;
    let slow = app
        .send_command_timed(&agent.agent_id, "shell", "sleep 100", 1)
        .await;
    let (_, timed_out) = events
        .until(slow["id"].as_str().expect("id"), "timed_out")
        .await;
    assert!(timed_out["completed_at"].is_string());
}

#[tokio::test]
async fn a_stream_for_one_agent_carries_only_that_agents_commands() {
    let app = TestApp::spawn().await;
    let (first, _) = app.agent_with_key(None).await;
    let (second, _) = app.agent_with_key(None).await;
    let path = format!("/api/commands/events?agent_id={second}");
    let mut events = Events::open(&app, &path, &app.admin_token).await;
    app.send_command(&first, "shell", "not for this stream")
        .await;
    let mine = app.send_command(&second, "shell", "for this stream").await;
    let pushed = events.command().await;
    assert_eq!(
        pushed["id"], mine["id"],
        "the other agent's command is skipped"
    );
}

#[tokio::test]
async fn streams_need_a_token_and_each_user_holds_a_bounded_number() {
    let app = TestApp::spawn().await;
    let anonymous = app.client.get(app.url("/api/commands/events")).send().await;
    assert_eq!(anonymous.expect("answer").status(), 401);
    assert_eq!(
        app.get("/api/commands/events", "not-a-token")
            .await
            .status(),
        401
    );

    let mut open = Vec::new();
    for _ in 0..gururmm_server::command_feed::STREAMS_PER_USER {
        open.push(Events::open(&app, "/api/commands/events", &app.admin_token).await);
    }
    let refused = app.get("/api/commands/events", &app.admin_token).await;
    assert_eq!(refused.status(), 429, "one more than the bound");
    let other = app.technician_token("other@example.com").await;
    Events::open(&app, "/api/commands/events", &other).await;

    drop(open.pop());
    // The server notices a closed stream when it writes to it: each try sends it an event.
    let (agent, _) = app.agent_with_key(None).await;
    eventually("a closed stream frees its slot", || async {
        app.send_command(&agent, "shell", "wake the streams").await;
        app.get("/api/commands/events", &app.admin_token)
            .await
            .status()
            == 200
    })
    .await;
}

#[tokio::test]
async fn a_disabled_users_stream_ends() {
    let app = TestApp::spawn_with(|c| c.limits.stream_user_recheck_secs = 1).await;
    let token = app.technician_token("leaver@example.com").await;
    let mut events = Events::open(&app, "/api/commands/events", &token).await;
    sqlx::query("UPDATE users SET disabled = 1 WHERE email = $1")
        .bind("leaver@example.com")
        .execute(&app.state().db.pool)
        .await
        .expect("disable");
    assert_eq!(events.next().await, None, "ended at the next check");
}

#[tokio::test]
async fn a_polling_agents_claim_and_result_are_pushed() {
    let app = TestApp::spawn().await;
    let (agent, key) = app.agent_with_key(None).await;
    let mut events = Events::open(&app, "/api/commands/events", &app.admin_token).await;
    let sent = app.send_command(&agent, "shell", "ver").await;
    let id = sent["id"].as_str().expect("id");
    let legacy = |path: &str, body: Value| {
        app.client
            .post(app.url(path))
            .header("x-agent-key", &key)
            .json(&body)
            .send()
    };
    assert_eq!(events.until(id, "pending").await.0, ["pending"]);
    let heartbeat = legacy("/api/agent/heartbeat", json!({}))
        .await
        .expect("heartbeat");
    assert_eq!(heartbeat.status(), 200);
    assert_eq!(events.until(id, "running").await.0, ["running"]);
    let result = json!({"id": id, "exit_code": 3, "stderr": "no such file", "duration_ms": 4});
    let stored = legacy("/api/agent/command-result", result)
        .await
        .expect("result");
    assert_eq!(stored.status(), 200);
    let (_, failed) = events.until(id, "failed").await;
    assert_eq!(failed["stderr"], "no such file");
}

#[tokio::test]
async fn a_stream_that_missed_changes_is_told_to_reload() {
    let app = TestApp::spawn().await;
    let mut events = Events::open(&app, "/api/commands/events", &app.admin_token).await;
    // More changes than the feed holds, announced before its renderer can run (this test's
    // runtime has one thread): the renderer falls behind and must say so.
    let feed = &app.state().command_feed;
    for i in 0..2 * gururmm_server::command_feed::BACKLOG {
        feed.changed(&format!("missing-{i}").into(), &"no-agent".into());
    }
    let (event, _) = events.next().await.expect("stream open");
    assert_eq!(event, "resync");
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires() {
    let app = TestApp::spawn_with(|c| c.limits.access_token_ttl_secs = 4).await;
    let mut events = Events::open(&app, "/api/commands/events", &app.admin_token).await;
    assert_eq!(events.next().await, None, "ended at the token's expiry");
    let expired = app.get("/api/commands/events", &app.admin_token).await;
    assert_eq!(expired.status(), 401, "and cannot be reopened with it");
}
