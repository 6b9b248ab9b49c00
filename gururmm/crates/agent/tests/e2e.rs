//! End to end with real processes and sockets: the real `gururmm-agent` binary (run from a
//! copy in a temp dir) against the real server in-process on port 0. Commands really run on
//! this machine and their results are stored (shell, python, script, claude_task against a
//! stand-in CLI, PowerShell both absent and as a stand-in `pwsh`); queued commands run once
//! after a reconnect; agent timeouts fire; an unknown command type comes back failed; a signed
//! update is installed and the agent comes back on the new version, tampered ones are refused
//! and the server records why; a key rotated while the agent is connected reaches it, and it
//! comes back with it; polling mode round-trips.

#![cfg(unix)]

mod support;

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
    let unknown = gururmm_server::db::commands::insert(
        &state.db,
        &gururmm_server::db::commands::NewCommand {
            agent_id: &id,
            created_by: None,
            command_type: "bash",
            command: "ls",
            timeout_seconds: 30,
            elevated: false,
        },
    )
    .await
    .expect("insert");
    let row = gururmm_server::db::commands::find(&state.db, &unknown)
        .await
        .expect("db")
        .expect("row");
    gururmm_server::ws::broker::deliver_if_online(&state, &row)
        .await
        .expect("deliver");
    let done = h.finished(&unknown).await;
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

#[tokio::test]
async fn python_script_and_claude_task_run_in_the_real_agent_and_their_results_are_stored() {
    let h = Harness::start().await;
    let code = h.site_code().await;
    let claude_root = h.dir.path().join("claude-root");
    std::fs::create_dir_all(&claude_root).expect("mkdir");
    let cli = h.dir.path().join("claude-standin");
    write_executable(&cli, CLAUDE_STANDIN);
    // `-e` makes the configured interpreter's own arguments observable: the script stops at
    // its first failing line.
    let extra = format!(
        "[commands]\nscript_interpreter = [\"/bin/sh\", \"-e\"]\n\
         [claude]\nenabled = true\ncli = \"{}\"\nargs = [\"-p\"]\nworking_directory = \"{}\"\n",
        cli.display(),
        claude_root.display()
    );
    let config = h.agent_config("kinds", &code, &extra);
    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("kinds.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let id = h.agent_id("e2e-kinds").await;
    h.wait_status(&id, "online").await;

    if gururmm_agent::exec::find_in_path("python3").is_some() {
        let done = run_command(&h, &id, "python", "import sys; print(6 * 7); sys.exit(4)").await;
        assert_eq!(
            (&done["status"], &done["exit_code"], &done["stdout"]),
            (&json!("failed"), &json!(4), &json!("42\n")),
            "{done}"
        );
    } else {
        assert!(!in_ci(), "python3 must be installed in CI");
        eprintln!("python part skipped: no python3 on PATH");
    }

    let done = run_command(&h, &id, "script", "echo one\nfalse\necho never\n").await;
    assert_eq!(
        (&done["status"], &done["exit_code"], &done["stdout"]),
        (&json!("failed"), &json!(1), &json!("one\n")),
        "{done}"
    );
    let done = run_command(&h, &id, "script", "echo first\necho second\n").await;
    assert_eq!(
        (&done["status"], &done["exit_code"], &done["stdout"]),
        (&json!("completed"), &json!(0), &json!("first\nsecond\n")),
        "{done}"
    );

    let done = run_command(&h, &id, "claude_task", "summarise the disk usage").await;
    assert_eq!(
        (&done["status"], &done["exit_code"]),
        (&json!("completed"), &json!(0)),
        "{done}"
    );
    let root = claude_root.canonicalize().expect("canonical");
    let expected = format!("cwd={}\nargs=-p summarise the disk usage\n", root.display());
    assert_eq!(done["stdout"], expected.as_str(), "{done}");
    let done = run_command(&h, &id, "claude_task", "fail").await;
    assert_eq!(
        (&done["status"], &done["exit_code"]),
        (&json!("failed"), &json!(1)),
        "{done}"
    );
    let done = run_command(&h, &id, "claude_task", "df; reboot").await;
    assert_eq!(done["exit_code"], -1, "{done}");
    assert_eq!(done["stdout"], "", "the stand-in never ran: {done}");
    assert!(
        done["stderr"]
            .as_str()
            .expect("stderr")
            .contains("forbidden character"),
        "{done}"
    );
    agent.kill().await.expect("kill");
}

/// A `pwsh` stand-in (PowerShell cannot run on this machine): records its arguments one per
/// line in `argv` beside itself and answers like a command that ran.
fn pwsh_standin(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    let argv = dir.join("argv");
    write_executable(
        &dir.join("pwsh"),
        &format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {}\n\
             echo 'stand-in pwsh ran'\nexit 0\n",
            argv.display()
        ),
    );
    argv
}

#[tokio::test]
async fn powershell_fails_clearly_when_absent_and_runs_non_interactively_when_present() {
    let h = Harness::start().await;
    let code = h.site_code().await;
    let binary = agent_binary(h.dir.path());

    // Absent: nothing named pwsh or powershell on the agent's PATH.
    let empty = h.dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let config = h.agent_config("nops", &code, "");
    let log = h.dir.path().join("nops.log");
    let mut absent = spawn_agent_with_path(&binary, &config, &log, empty.to_str());
    let id = h.agent_id("e2e-nops").await;
    h.wait_status(&id, "online").await;
    let done = run_command(&h, &id, "powershell", "Get-Date").await;
    assert_eq!(
        (&done["status"], &done["exit_code"]),
        (&json!("failed"), &json!(-1)),
        "{done}"
    );
    assert!(
        done["stderr"]
            .as_str()
            .expect("stderr")
            .contains("PowerShell is not installed"),
        "{done}"
    );
    absent.kill().await.expect("kill");

    // Present: the stand-in first on PATH is started with the non-interactive arguments.
    let standin = h.dir.path().join("pwsh-standin");
    let argv = pwsh_standin(&standin);
    let path = format!("{}:/usr/bin:/bin", standin.display());
    let config = h.agent_config("pwsh", &code, "");
    let log = h.dir.path().join("pwsh.log");
    let mut present = spawn_agent_with_path(&binary, &config, &log, Some(&path));
    let id = h.agent_id("e2e-pwsh").await;
    h.wait_status(&id, "online").await;
    // Elevated where the agent is root: the stand-in lives in the test's root-only temp dir.
    let script = "Write-Output 'hi there'; Get-Date";
    let cmd = h.elevated_command(&id, "powershell", script).await;
    let done = h.finished(&cmd).await;
    assert_eq!(
        (&done["status"], &done["exit_code"], &done["stdout"]),
        (
            &json!("completed"),
            &json!(0),
            &json!("stand-in pwsh ran\n")
        ),
        "{done}"
    );
    let recorded = std::fs::read_to_string(&argv).expect("the stand-in recorded its argv");
    assert_eq!(
        recorded.lines().collect::<Vec<_>>(),
        ["-NoProfile", "-NonInteractive", "-Command", script]
    );
    present.kill().await.expect("kill");
}

/// Serves `body` to every HTTP request on a loopback port; returns the URL.
async fn serve_bytes(body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/gururmm-agent",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 2048];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    url
}

/// Publishes release 99.0.0 (download `served`, offered `sha256` and `signature`), starts an
/// agent named `name` that pins `trusted`, and checks that it refuses the update for `reason`
/// (refusal code `refusal_code`): logged, its binary untouched, the same process still running
/// commands, the offer marked failed on the server with that code and reason, and the release
/// not offered again when the agent reconnects.
async fn assert_update_refused(
    name: &str,
    trusted: &ed25519_dalek::SigningKey,
    served: Vec<u8>,
    sha256: String,
    signature: String,
    reason: &str,
    refusal_code: &str,
) {
    use base64::Engine;
    let h = Harness::start().await;
    let pinned =
        base64::engine::general_purpose::STANDARD.encode(trusted.verifying_key().to_bytes());
    let url = serve_bytes(served).await;
    let (status, _) = h
        .post(
            "/api/releases",
            json!({"version": "99.0.0", "os_type": std::env::consts::OS, "arch": std::env::consts::ARCH,
                   "download_url": url, "sha256": sha256, "signature": signature}),
        )
        .await;
    assert_eq!(status, 201);
    let code = h.site_code().await;
    let config = h.agent_config(name, &code, &format!("[update]\npublic_key = \"{pinned}\""));
    let binary = agent_binary(&h.dir.path().join(name));
    let original = std::fs::read(&binary).expect("read");
    let log = h.dir.path().join(format!("{name}.log"));
    let mut agent = spawn_agent(&binary, &config, &log);
    let id = h.agent_id(&format!("e2e-{name}")).await;
    h.wait_for(
        "update offered",
        |v| v[0]["status"] == "offered",
        &format!("/api/agents/{id}/updates"),
    )
    .await;
    wait_for_log(&log, "update refused").await;
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains(reason), "{logged}");
    assert_eq!(
        std::fs::read(&binary).expect("read"),
        original,
        "binary untouched"
    );
    assert!(!binary.with_extension("new").exists(), "nothing staged");
    // Still the same process, still working.
    assert!(
        agent.try_wait().expect("status").is_none(),
        "agent still running"
    );
    let cmd = h.command(&id, "shell", "echo still-here", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "still-here\n");
    // The agent told the server why: the offer is failed with its reason, never completed.
    let path = format!("/api/agents/{id}/updates");
    let updates = h
        .wait_for("the offer failed", |v| v[0]["status"] == "failed", &path)
        .await;
    assert_eq!(updates[0]["failure_reason"], refusal_code, "{updates}");
    let message = updates[0]["failure_message"].as_str().expect("message");
    assert!(message.contains(reason), "{updates}");
    assert!(updates[0]["completed_at"].is_null(), "{updates}");
    // Audited right after the row changes: wait for it too.
    let audit = h
        .wait_for(
            "the refusal audited",
            |v| v["total"] == 1,
            &format!("/api/audit?action=agent_update_failed&target=agent:{id}"),
        )
        .await;
    assert_eq!(
        audit["items"][0]["detail"]["reason"], refusal_code,
        "{audit}"
    );

    // Restarted (a reconnect), the agent is not offered the same release again.
    agent.kill().await.expect("kill");
    h.wait_status(&id, "offline").await;
    let relog = h.dir.path().join(format!("{name}-again.log"));
    let mut agent = spawn_agent(&binary, &config, &relog);
    h.wait_status(&id, "online").await;
    let cmd = h.command(&id, "shell", "echo back", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "back\n");
    let logged = std::fs::read_to_string(&relog).expect("log");
    assert!(
        !logged.contains("update offered"),
        "offered again: {logged}"
    );
    let updates = h.get(&path).await;
    assert_eq!(updates.as_array().expect("list").len(), 1, "{updates}");
    agent.kill().await.expect("kill");
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

/// The key the agents in the update tests pin; the "server" does not have it.
fn trusted_release_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[9u8; 32])
}

#[tokio::test]
async fn a_tampered_update_is_refused_and_the_old_binary_keeps_running() {
    use base64::Engine;
    use sha2::Digest;
    // A compromised server: its own binary with its right hash, but no valid signature.
    let evil = b"#!/bin/sh\necho pwned\n".to_vec();
    let sha256 = hex::encode(sha2::Sha256::digest(&evil));
    let signature = base64::engine::general_purpose::STANDARD.encode([0u8; 64]);
    let reason = "signature does not verify";
    assert_update_refused(
        "upd",
        &trusted_release_key(),
        evil,
        sha256,
        signature,
        reason,
        "bad_signature",
    )
    .await;
}

#[tokio::test]
async fn an_update_whose_bytes_do_not_match_the_signed_hash_is_refused() {
    use base64::Engine;
    use ed25519_dalek::Signer;
    use sha2::Digest;
    // A genuinely signed release, but the bytes served are not the ones that were signed (a
    // swapped file on the download host, or a corrupted transfer).
    let genuine = b"#!/bin/sh\necho 'gururmm-agent 99.0.0'\n".to_vec();
    let digest = sha2::Sha256::digest(&genuine);
    let signature = base64::engine::general_purpose::STANDARD
        .encode(trusted_release_key().sign(&digest).to_bytes());
    let mut served = genuine.clone();
    served.extend_from_slice(b"echo altered on the way\n");
    let reason = "SHA-256 mismatch";
    let sha256 = hex::encode(digest);
    assert_update_refused(
        "hash",
        &trusted_release_key(),
        served,
        sha256,
        signature,
        reason,
        "hash_mismatch",
    )
    .await;
}

/// The "next" agent build for the update test: the same code compiled with another
/// `GURURMM_AGENT_VERSION`. `./dev test` builds it and names it in `GRMM_E2E_NEXT_AGENT`.
fn next_agent_build() -> Option<(Vec<u8>, String)> {
    let Ok(path) = std::env::var("GRMM_E2E_NEXT_AGENT") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "GRMM_E2E_NEXT_AGENT must be set in CI (./dev test builds the next agent)"
        );
        eprintln!("skipped: set GRMM_E2E_NEXT_AGENT to a gururmm-agent built with another GURURMM_AGENT_VERSION (./dev test does)");
        return None;
    };
    let output = std::process::Command::new(&path)
        .arg("--version")
        .output()
        .expect("run the next agent");
    let version = String::from_utf8_lossy(&output.stdout)
        .trim()
        .rsplit(' ')
        .next()
        .expect("version")
        .to_owned();
    Some((std::fs::read(&path).expect("read the next agent"), version))
}

#[tokio::test]
async fn a_signed_update_is_installed_and_the_agent_comes_back_on_the_new_version() {
    let Some((next, next_version)) = next_agent_build() else {
        return;
    };
    let current = gururmm_agent::VERSION;
    assert_ne!(
        next_version, current,
        "the next build must carry another version"
    );
    let h = Harness::start().await;
    // The publisher's tooling: a key kept off the server, and the signature it makes.
    let (secret, public) = gururmm_server::signing::keygen();
    let key = gururmm_server::signing::signing_key(&secret).expect("key");
    let signed = gururmm_server::signing::sign(&next, &key);
    let url = serve_bytes(next.clone()).await;
    let (status, body) = h
        .post(
            "/api/releases",
            json!({"version": next_version, "os_type": std::env::consts::OS,
                   "arch": std::env::consts::ARCH, "download_url": url,
                   "sha256": signed.sha256, "signature": signed.signature}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let code = h.site_code().await;
    let config = h.agent_config(
        "next",
        &code,
        &format!("[update]\npublic_key = \"{public}\""),
    );
    let binary = agent_binary(config.parent().expect("dir"));
    let log = h.dir.path().join("next.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let pid = agent.id();
    let id = h.agent_id("e2e-next").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let updates = loop {
        let updates = h.get(&format!("/api/agents/{id}/updates")).await;
        if updates[0]["status"] == "completed" {
            break updates;
        }
        if tokio::time::Instant::now() > deadline {
            let logged = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("update not completed: {updates}\nagent log:\n{logged}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(updates[0]["from_version"], current, "{updates}");
    assert_eq!(updates[0]["to_version"], next_version.as_str());
    h.wait_for(
        "the new version reported",
        |v| v["agent_version"] == next_version.as_str(),
        &format!("/api/agents/{id}"),
    )
    .await;
    assert_eq!(
        std::fs::read(&binary).expect("read"),
        next,
        "installed whole"
    );
    assert!(
        !binary.with_extension("new").exists(),
        "no staged file left"
    );
    // The same process, now running the new image, still works.
    assert!(agent.try_wait().expect("status").is_none(), "agent running");
    assert_eq!(agent.id(), pid);
    let cmd = h.command(&id, "shell", "echo updated", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "updated\n");
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("update installed; restarting"), "{logged}");
    agent.kill().await.expect("kill");
}

#[tokio::test]
async fn over_wss_the_agent_trusts_the_servers_own_certificate_only_when_told() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let dir = tempfile::tempdir().expect("dir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("write");
    std::fs::write(&key, certified.key_pair.serialize_pem()).expect("write");
    let h = Harness::start_with_tls(Some((&certified, cert.clone(), key))).await;
    let code = h.site_code().await;
    let url = format!("wss://localhost:{}/ws", h.config.bind.port());

    // Without the certificate pinned, the public roots do not vouch for it: no connection.
    let untrusting = h.agent_config_for(&url, "untrusting", &code, "");
    let binary = agent_binary(untrusting.parent().expect("dir"));
    let log = h.dir.path().join("untrusting.log");
    let mut agent = spawn_agent(&binary, &untrusting, &log);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("reconnecting")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed connect logged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.to_ascii_lowercase().contains("certificate"),
        "{logged}"
    );
    let listed = h.get("/api/agents?q=e2e-untrusting").await;
    assert_eq!(listed["total"], 0, "never authenticated: {listed}");
    agent.kill().await.expect("kill");

    // With server.ca_cert naming it, the agent connects and works.
    let extra = format!("ca_cert = \"{}\"", cert.display());
    let trusting = h.agent_config_for(&url, "trusting", &code, &extra);
    let log = h.dir.path().join("trusting.log");
    let mut agent = spawn_agent(&binary, &trusting, &log);
    let id = h.agent_id("e2e-trusting").await;
    h.wait_status(&id, "online").await;
    let cmd = h.command(&id, "shell", "echo over-tls", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "over-tls\n");
    agent.kill().await.expect("kill");
}

#[tokio::test]
async fn polling_mode_registers_runs_commands_and_stores_results() {
    let h = Harness::start().await;
    let code = h.site_code().await;
    let config = h.agent_config("poll", &code, "mode = \"polling\"");
    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("poll.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let id = h.agent_id("e2e-poll").await;
    let agent_row = h.get(&format!("/api/agents/{id}")).await;
    assert_eq!(agent_row["has_key"], true, "registration issued a key");
    assert!(
        config.parent().expect("dir").join("agent.key").exists(),
        "key stored for later polls"
    );
    let cmd = h.command(&id, "shell", "echo polled", 30).await;
    let done = h.finished(&cmd).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["stdout"], "polled\n");
    agent.kill().await.expect("kill");
}

#[tokio::test]
async fn a_polling_agent_uses_a_key_put_in_agent_key_by_hand_over_the_configured_one() {
    let h = Harness::start().await;
    let (status, created) = h
        .post("/api/agents", json!({"hostname": "poll-rekey"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["agent"]["id"].as_str().expect("id").to_owned();
    let configured = created["api_key"].as_str().expect("key").to_owned();
    // Rotated while the machine polls: never sent, so installed by hand in agent.key.
    let (status, rotated) = h
        .post(&format!("/api/agents/{id}/rotate-key"), json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["sent_to_agent"], false, "{rotated}");
    let config = h.agent_config("poll-rekey", &configured, "mode = \"polling\"");
    let key_file = config.with_file_name("agent.key");
    std::fs::write(&key_file, rotated["api_key"].as_str().expect("new key")).expect("write");

    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("poll-rekey.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let cmd = h.command(&id, "shell", "echo new-key", 30).await;
    let done = h.finished(&cmd).await;
    assert_eq!(
        done["stdout"],
        "new-key\n",
        "{done}; agent log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    agent.kill().await.expect("kill");
}

/// What the server answers an `auth` with `key` for `device` on a fresh socket.
async fn ws_auth(h: &Harness, key: &str, device: &str) -> gururmm_protocol::AuthResponse {
    use futures_util::{SinkExt, StreamExt};
    use gururmm_protocol::{decode_server, encode, AgentMessage, ServerMessage};
    use tokio_tungstenite::tungstenite::Message;
    let url = format!("ws://{}/ws", h.config.bind);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let auth = gururmm_agent::session::auth_payload(key, device, None);
    ws.send(Message::Text(encode(&AgentMessage::Auth(auth)).into()))
        .await
        .expect("send auth");
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("answer") {
            Some(Ok(Message::Text(text))) => {
                if let Ok(ServerMessage::AuthResponse(r)) = decode_server(text.as_str()) {
                    return r;
                }
            }
            Some(Ok(_)) => continue,
            other => panic!("closed without an answer: {other:?}"),
        }
    }
}

/// The id of the socket the agent is connected on, once it has one other than `not`.
async fn connection_of(h: &Harness, agent_id: &str, not: Option<&str>) -> String {
    let registry = &h.server.as_ref().expect("server").state.registry;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(live) = registry.get(agent_id) {
            if Some(live.connection_id.as_str()) != not {
                return live.connection_id;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "agent never (re)connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every file under `dir`, recursively, with its contents.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            found.push((path, text));
        }
    }
    found
}

#[tokio::test]
async fn a_key_rotated_while_the_agent_is_connected_reaches_it_and_it_comes_back_with_it() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::start().await;
    let code = h.site_code().await;
    let config = h.agent_config("rekey", &code, "");
    let dir = config.parent().expect("dir").to_owned();
    let binary = agent_binary(h.dir.path());
    let log = h.dir.path().join("rekey.log");
    let mut agent = spawn_agent(&binary, &config, &log);
    let id = h.agent_id("e2e-rekey").await;
    h.wait_status(&id, "online").await;
    let key_file = dir.join("agent.key");
    let old = std::fs::read_to_string(&key_file)
        .expect("enrolment stored a key")
        .trim()
        .to_owned();
    let before = connection_of(&h, &id, None).await;

    let (status, rotated) = h
        .post(&format!("/api/agents/{id}/rotate-key"), json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["sent_to_agent"], true, "the agent was online");
    let new = rotated["api_key"].as_str().expect("key").to_owned();
    assert_ne!(new, old);

    // The agent stores the key it was sent and reconnects with it on a new socket.
    let deadline = tokio::time::Instant::now() + WAIT;
    while std::fs::read_to_string(&key_file)
        .unwrap_or_default()
        .trim()
        != new
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "new key never stored; agent log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mode = std::fs::metadata(&key_file)
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "owner-only");
    let after = connection_of(&h, &id, Some(&before)).await;
    assert_ne!(after, before);
    h.wait_status(&id, "online").await;
    let cmd = h.command(&id, "shell", "echo rekeyed", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "rekeyed\n");
    wait_for_log(&log, "new key stored").await;

    // The old key is refused; no file the agent keeps holds it, and only agent.key the new one.
    let refused = ws_auth(&h, &old, "e2e-rekey").await;
    assert!(
        !refused.success,
        "the old key still works: {}",
        refused.message
    );
    for (path, text) in files_under(&dir) {
        assert!(!text.contains(&old), "{} holds the old key", path.display());
        if path != key_file {
            assert!(!text.contains(&new), "{} holds the new key", path.display());
        }
    }
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        !logged.contains(&old) && !logged.contains(&new),
        "a key in the log"
    );

    // Restarted, it authenticates with the stored key.
    agent.kill().await.expect("kill");
    h.wait_status(&id, "offline").await;
    let relog = h.dir.path().join("rekey-again.log");
    let mut agent = spawn_agent(&binary, &config, &relog);
    h.wait_status(&id, "online").await;
    let cmd = h.command(&id, "shell", "echo restarted", 30).await;
    assert_eq!(h.finished(&cmd).await["stdout"], "restarted\n");
    agent.kill().await.expect("kill");
}
