//! Running one child process for real: no stdin, stdout and stderr captured concurrently up to
//! a cap (the rest is drained and dropped so the child never blocks on a full pipe), a timeout
//! that kills the whole process tree, and output made safe to display.

use super::privilege::Identity;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// What a finished (or killed) process produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
    pub timed_out: bool,
    pub truncated: bool,
}

/// How long output readers may linger after the process ended (a grandchild that left the
/// process group can hold the pipe open forever).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// True for ETXTBSY. A program written just before it is started (a downloaded binary, a
/// stand-in CLI) looks busy while another thread's fork still holds the writer's descriptor,
/// until that child execs: a moment, so callers retry.
pub fn is_text_busy(error: &std::io::Error) -> bool {
    cfg!(target_os = "linux") && error.raw_os_error() == Some(26)
}

/// Spawns `command`, retrying briefly while the program is busy (see [`is_text_busy`]).
pub async fn spawn_when_not_busy(command: &mut Command) -> std::io::Result<tokio::process::Child> {
    let mut attempt = 0;
    loop {
        match command.spawn() {
            Err(e) if is_text_busy(&e) && attempt < 10 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => return other,
        }
    }
}

/// Runs `program args…` as `identity` in `cwd` (when given) for at most `timeout`.
pub async fn run(
    identity: &Identity,
    program: &str,
    args: &[String],
    cwd: Option<&Path>,
    timeout: Duration,
    max_output: usize,
) -> std::io::Result<Outcome> {
    let started = Instant::now();
    let mut command = command_as(identity, program, args)?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    #[cfg(unix)]
    if let Identity::User(account) = identity {
        account.apply(&mut command, cwd.is_some());
    }
    // Its own process group, so a timeout can kill everything it started.
    #[cfg(unix)]
    command.process_group(0);
    let mut child = spawn_when_not_busy(&mut command).await?;
    let stdout = child
        .stdout
        .take()
        .map(|s| tokio::spawn(capture(s, max_output)));
    let stderr = child
        .stderr
        .take()
        .map(|s| tokio::spawn(capture(s, max_output)));

    let (status, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => (Some(status?), false),
        Err(_) => {
            kill_tree(&mut child).await;
            (child.wait().await.ok(), true)
        }
    };
    let (out, out_cut) = collect(stdout).await;
    let (err, err_cut) = collect(stderr).await;
    let exit_code = if timed_out {
        gururmm_protocol::EXIT_TIMED_OUT
    } else {
        status
            .map(exit_code_of)
            .unwrap_or(gururmm_protocol::EXIT_EXECUTOR_ERROR)
    };
    Ok(Outcome {
        exit_code,
        stdout: display_safe(&out),
        stderr: display_safe(&err),
        duration: started.elapsed(),
        timed_out,
        truncated: out_cut || err_cut,
    })
}

/// The command that starts `program args…` as `identity`. On Windows a restricted start goes
/// through the agent's own `run-unelevated` entry (see `privilege::run_restricted`).
fn command_as(identity: &Identity, program: &str, args: &[String]) -> std::io::Result<Command> {
    #[cfg(windows)]
    if *identity == Identity::Restricted {
        let mut command = Command::new(std::env::current_exe()?);
        command.args(["run-unelevated", "--", program]).args(args);
        return Ok(command);
    }
    let _ = identity;
    let mut command = Command::new(program);
    command.args(args);
    Ok(command)
}

async fn collect(task: Option<tokio::task::JoinHandle<(Vec<u8>, bool)>>) -> (Vec<u8>, bool) {
    let Some(mut task) = task else {
        return (Vec::new(), false);
    };
    match tokio::time::timeout(DRAIN_GRACE, &mut task).await {
        Ok(Ok(result)) => result,
        _ => {
            task.abort();
            (Vec::new(), false)
        }
    }
}

/// Reads everything, keeping the first `max` bytes. Returns the bytes and whether any were cut.
async fn capture<R: AsyncRead + Unpin>(mut reader: R, max: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut cut = false;
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = max.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                cut |= n > room;
            }
        }
    }
    (kept, cut)
}

#[cfg(unix)]
fn exit_code_of(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    // Killed by a signal: the shell convention, 128 + signal.
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(gururmm_protocol::EXIT_EXECUTOR_ERROR)
}

#[cfg(not(unix))]
fn exit_code_of(status: std::process::ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or(gururmm_protocol::EXIT_EXECUTOR_ERROR)
}

/// Kills the child and everything in its process group (Unix) or tree (Windows).
async fn kill_tree(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        use nix::sys::signal::{killpg, Signal};
        use nix::unistd::Pid;
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    #[cfg(windows)]
    if let Some(pid) = child.id() {
        let _ = Command::new("taskkill")
            .args(["/T", "/F", "/PID", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
    }
    let _ = child.kill().await;
}

/// Output as UTF-8 (invalid bytes replaced) with control characters other than tab, newline
/// and carriage return removed: escape sequences in a command's output must not drive the
/// technician's terminal or corrupt logs.
pub fn display_safe(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["-c".into(), script.into()]
    }

    #[tokio::test]
    async fn exit_code_and_both_streams_are_captured() {
        let out = run(
            &Identity::Agent,
            "/bin/sh",
            &sh("echo out; echo err >&2; exit 3"),
            None,
            Duration::from_secs(10),
            1024,
        )
        .await
        .expect("runs");
        assert_eq!(
            (out.exit_code, out.stdout.as_str(), out.stderr.as_str()),
            (3, "out\n", "err\n")
        );
        assert!(!out.timed_out && !out.truncated);
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_tree() {
        let dir = tempfile::tempdir().expect("dir");
        let marker = dir.path().join("survived");
        // The grandchild would write the marker after 2 s if it outlived the kill.
        let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let out = run(
            &Identity::Agent,
            "/bin/sh",
            &sh(&script),
            None,
            Duration::from_millis(300),
            1024,
        )
        .await
        .expect("runs");
        assert!(out.timed_out);
        assert_eq!(out.exit_code, 124);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(
            !marker.exists(),
            "a process of the tree survived the timeout"
        );
    }

    #[tokio::test]
    async fn output_is_capped_and_the_child_is_not_blocked() {
        let out = run(
            &Identity::Agent,
            "/bin/sh",
            &sh("head -c 1000000 /dev/zero | tr '\\0' a"),
            None,
            Duration::from_secs(20),
            1000,
        )
        .await
        .expect("runs");
        assert_eq!(out.exit_code, 0, "the child finished despite the cap");
        assert_eq!(out.stdout.len(), 1000);
        assert!(out.truncated);
    }

    #[test]
    fn escape_sequences_are_removed() {
        assert_eq!(
            display_safe(b"a\x1b[31mred\x00\tb\r\n\xff"),
            "a[31mred\tb\r\n\u{fffd}"
        );
    }
}
