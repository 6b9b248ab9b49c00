//! End to end with real processes and sockets: the real `gururmm-agent` binary (run from a
//! copy in a temp dir) against the real server in-process on port 0. Commands really run on
//! this machine and their results are stored (shell, python, script, claude_task against a
//! stand-in CLI, PowerShell both absent and as a stand-in `pwsh`); queued commands run once
//! after a reconnect; agent timeouts fire; an unknown command type comes back failed; a signed
//! update is installed and the agent comes back on the new version, tampered ones are refused
//! and the server records why; a key rotated while the agent is connected reaches it, and it
//! comes back with it; polling mode round-trips.

#![cfg(unix)]

#[path = "../support/mod.rs"]
mod support;

mod connection;
mod interpreters;
mod updates;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use support::{is_root, Harness, WAIT};
use tokio::process::{Child, Command};

/// Copies the agent binary into `dir` (an update must never overwrite the build output).
fn agent_binary(dir: &Path) -> PathBuf {
    let target = dir.join("gururmm-agent");
    if !target.exists() {
        std::fs::copy(env!("CARGO_BIN_EXE_gururmm-agent"), &target).expect("copy agent");
    }
    target
}

fn spawn_agent(binary: &Path, config: &Path, log: &Path) -> Child {
    spawn_agent_with_path(binary, config, log, None)
}

/// `spawn_agent` with its own PATH (what the agent finds PowerShell and Python on), when given.
fn spawn_agent_with_path(binary: &Path, config: &Path, log: &Path, path: Option<&str>) -> Child {
    let log = std::fs::File::create(log).expect("log file");
    let mut command = Command::new(binary);
    if let Some(path) = path {
        command.env("PATH", path);
    }
    command
        .args(["--config", &config.to_string_lossy(), "run"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true);
    // The binary was copied a moment ago: while another test thread's fork still holds the
    // copy's descriptor (until that child execs), exec fails with ETXTBSY. Brief; retried.
    for _ in 0..100 {
        match command.spawn() {
            Err(e) if gururmm_agent::exec::process::is_text_busy(&e) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            spawned => return spawned.expect("spawn agent"),
        }
    }
    panic!("the agent binary stayed busy (ETXTBSY) for 2 s")
}

#[tokio::test]
async fn the_real_agent_runs_commands_reports_metrics_and_survives_restarts() {
    let mut h = Harness::start().await;
    let code = h.site_code().await;
    let config = h.agent_config("main", &code, "");
    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("main.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let id = h.agent_id("e2e-main").await;
    h.wait_status(&id, "online").await;

    // A shell command really runs here.
    let cmd = h
        .command(&id, "shell", "echo hello-from-agent; uname -s; exit 3", 30)
        .await;
    let done = h.finished(&cmd).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["exit_code"], 3);
    assert_eq!(done["stdout"], "hello-from-agent\nLinux\n");

    // The elevated flag reaches the agent: unticked, a root agent runs the command as nobody.
    let plain = h.command(&id, "shell", "id -un", 30).await;
    let raised = h.elevated_command(&id, "shell", "id -un").await;
    let (plain, raised) = (h.finished(&plain).await, h.finished(&raised).await);
    if is_root() {
        assert_eq!(plain["stdout"], "nobody\n", "{plain}");
        assert_eq!(raised["stdout"], "root\n", "{raised}");
    }

    // The agent's own timeout kills it and reports 124.
    let slow = h.command(&id, "shell", "sleep 30", 1).await;
    let done = h.finished(&slow).await;
    assert_eq!(done["status"], "timed_out", "{done}");
    assert_eq!(done["exit_code"], 124);

    // A command type this agent does not know (a newer server) comes back failed, not lost.
    let state = h.server.as_ref().expect("server").state.clone();
    let row = gururmm_server::db::commands::insert(
        &state.db,
        &gururmm_server::db::commands::NewCommand {
            agent_id: &id.as_str().into(),
            created_by: None,
            command_type: "bash",
            command: "ls",
            timeout_seconds: 30,
            elevated: false,
        },
    )
    .await
    .expect("insert");
    gururmm_server::delivery::deliver_if_online(&state, &row)
        .await
        .expect("deliver");
    let done = h.finished(row.id.as_str()).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["exit_code"], -1);
    assert!(done["stderr"]
        .as_str()
        .expect("stderr")
        .contains("unsupported command type 'bash'"));

    // Real metrics and network state arrive.
    let metrics = h
        .wait_for(
            "a metrics sample",
            |v| v.as_array().is_some_and(|a| !a.is_empty()),
            &format!("/api/agents/{id}/metrics?hours=1"),
        )
        .await;
    assert!(metrics[0]["memory_total_bytes"].as_i64().expect("memory") > 0);
    h.wait_for(
        "network state",
        |v| v["network_hash"].as_str().is_some_and(|s| s.len() == 64),
        &format!("/api/agents/{id}/state"),
    )
    .await;

    // A policy pushed by the server is applied by the running agent.
    let (status, _) = h
        .post(
            "/api/policies",
            json!({"name": "fast", "scope": "global", "settings": {"heartbeat_interval_secs": 2}}),
        )
        .await;
    assert_eq!(status, 201);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("policy settings applied")
    {
        assert!(tokio::time::Instant::now() < deadline, "policy not applied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Offline: the command waits; after the agent restarts it runs exactly once.
    agent.kill().await.expect("kill");
    h.wait_status(&id, "offline").await;
    let marker = h.dir.path().join("ran-once");
    // Elevated: the marker lives in the test's root-only temp directory.
    let queued = h
        .elevated_command(&id, "shell", &format!("echo x >> {}", marker.display()))
        .await;
    assert_eq!(
        h.get(&format!("/api/commands/{queued}")).await["status"],
        "pending"
    );
    // Rotate the site code: the enrolled agent keeps working with the key it stored.
    assert!(
        config.parent().expect("dir").join("agent.key").exists(),
        "issued key stored"
    );
    let site_id = h.get("/api/sites").await[0]["id"]
        .as_str()
        .expect("site")
        .to_owned();
    let (status, _) = h
        .post(&format!("/api/sites/{site_id}/regenerate-key"), json!({}))
        .await;
    assert_eq!(status, 200);
    let mut agent = spawn_agent(&binary, &config, &log);
    let done = h.finished(&queued).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(
        std::fs::read_to_string(&marker).expect("marker"),
        "x\n",
        "ran exactly once"
    );

    // A server restart: the agent comes back by itself.
    h.restart_server().await;
    h.wait_status(&id, "online").await;
    let after = h.command(&id, "shell", "echo back", 30).await;
    assert_eq!(h.finished(&after).await["stdout"], "back\n");
    agent.kill().await.expect("kill");
    // The seed's agent printed Unicode symbols; ours logs plain ASCII (no colour codes
    // either), to stderr and to its daily file alike, and never its credentials.
    let issued = std::fs::read_to_string(config.parent().expect("dir").join("agent.key"))
        .expect("issued key");
    let file_log = file_logs(&config.parent().expect("dir").join("logs"));
    for logged in [std::fs::read_to_string(&log).expect("log"), file_log] {
        assert!(logged.contains("authenticated"), "{logged}");
        assert!(logged.contains("policy settings applied"), "{logged}");
        assert!(
            logged.is_ascii() && !logged.contains('\u{1b}'),
            "non-ASCII in the agent log"
        );
        assert!(!logged.contains(&code), "site code logged");
        assert!(!logged.contains(issued.trim()), "agent key logged");
    }
}

/// The agent's daily log files in `dir` (one, or two across midnight UTC), as one text.
fn file_logs(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("log dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(matches!(files.len(), 1 | 2), "{files:?}");
    let mut text = String::new();
    for file in files {
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let day = name
            .strip_prefix("gururmm-agent.")
            .and_then(|n| n.strip_suffix(".log"))
            .expect("gururmm-agent.DAY.log");
        let is_date = day.len() == 10
            && day.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        assert!(is_date, "{name}");
        text.push_str(&std::fs::read_to_string(&file).expect("read log file"));
    }
    text
}

/// True on CI, where every interpreter this suite needs is installed: a missing one fails the
/// test there instead of skipping it.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A claude_task stand-in CLI (no AI runs here): prints where and how it was started; the
/// task `fail` exits 9.
const CLAUDE_STANDIN: &str = "#!/bin/sh\necho \"cwd=$(pwd)\"\necho \"args=$*\"\n\
                              [ \"$2\" = fail ] && exit 9\nexit 0\n";

/// Sends one command and waits for its stored result.
async fn run_command(h: &Harness, agent: &str, kind: &str, text: &str) -> Value {
    let id = h.command(agent, kind, text, 30).await;
    h.finished(&id).await
}

/// Waits until the agent's stderr log mentions `what`.
async fn wait_for_log(log: &Path, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains(what)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never logged: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
