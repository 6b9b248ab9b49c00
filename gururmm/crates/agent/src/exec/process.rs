//! Running one child process for real: no stdin, stdout and stderr captured concurrently up to
//! a cap (the rest is drained and dropped so the child never blocks on a full pipe), a timeout
//! that kills the whole process tree (its process group on Unix, its job object on Windows), and output made safe to display: decoded as UTF-8 (on
//! Windows, output that is not UTF-8 is read in the OEM code page `cmd.exe` writes in), never
//! ending in half a character where the cap cut it, control characters removed.

pub use super::privilege::Args;
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
    args: &Args,
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
    #[cfg(windows)]
    let job = super::job::Job::adopt(&mut child)?;
    #[cfg(not(windows))]
    let job = ();
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
            kill_tree(&mut child, &job).await;
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
        stdout: display_safe(&decode(&out, out_cut)),
        stderr: display_safe(&decode(&err, err_cut)),
        duration: started.elapsed(),
        timed_out,
        truncated: out_cut || err_cut,
    })
}

/// The command that starts `program args…` as `identity`. On Windows a restricted start goes
/// through the agent's own `run-unelevated` entry (see `privilege::run_restricted`), and every
/// child starts suspended for [`super::job::Job::adopt`].
#[cfg(windows)]
fn command_as(identity: &Identity, program: &str, args: &Args) -> std::io::Result<Command> {
    use std::os::windows::process::CommandExt;
    let mut command = if *identity == Identity::Restricted {
        let mut helper = std::process::Command::new(std::env::current_exe()?);
        helper.arg("run-unelevated");
        if let Args::Verbatim(rest) = args {
            helper.arg("--verbatim").arg(rest);
        }
        helper.arg("--").arg(program);
        if let Args::List(list) = args {
            helper.args(list);
        }
        helper
    } else {
        let mut direct = std::process::Command::new(program);
        match args {
            Args::List(list) => direct.args(list),
            Args::Verbatim(rest) => direct.raw_arg(rest),
        };
        direct
    };
    command.creation_flags(super::job::CREATION_FLAGS);
    Ok(Command::from(command))
}

#[cfg(not(windows))]
fn command_as(identity: &Identity, program: &str, args: &Args) -> std::io::Result<Command> {
    let _ = identity;
    let Args::List(list) = args else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a verbatim command line exists only on Windows",
        ));
    };
    let mut command = Command::new(program);
    command.args(list);
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

/// Kills the child and everything in its process group (Unix) or job (Windows).
#[cfg(windows)]
async fn kill_tree(child: &mut tokio::process::Child, job: &super::job::Job) {
    let exit_code = gururmm_protocol::EXIT_TIMED_OUT as u32;
    if let Err(e) = job.terminate(exit_code) {
        tracing::warn!("ending the timed-out command's job: {e}");
    }
    let _ = child.kill().await;
}

#[cfg(not(windows))]
async fn kill_tree(child: &mut tokio::process::Child, _job: &()) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        use nix::sys::signal::{killpg, Signal};
        use nix::unistd::Pid;
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = child.kill().await;
}

/// Captured bytes as text. `cut` says the cap ended them: a character the cap split is
/// dropped whole rather than shown as a replacement character.
pub fn decode(bytes: &[u8], cut: bool) -> String {
    decode_with(bytes, cut, legacy_decode)
}

/// [`decode`] with the decoder for output that is not UTF-8 passed in (tests give their own).
pub fn decode_with(bytes: &[u8], cut: bool, legacy: impl Fn(&[u8]) -> String) -> String {
    let whole = if cut {
        without_split_tail(bytes)
    } else {
        bytes
    };
    match std::str::from_utf8(whole) {
        Ok(text) => text.to_owned(),
        Err(_) => legacy(bytes),
    }
}

/// `bytes` without a last UTF-8 sequence that started but did not finish.
fn without_split_tail(bytes: &[u8]) -> &[u8] {
    // A sequence is at most 4 bytes: its lead byte is among the last 4.
    for back in 1..=bytes.len().min(4) {
        let at = bytes.len() - back;
        let byte = bytes[at];
        if byte & 0xC0 == 0x80 {
            continue; // a continuation byte; the lead is further back
        }
        let needed = match byte {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if needed > back { &bytes[..at] } else { bytes };
    }
    bytes
}

/// Output that is not UTF-8. Windows: `cmd.exe` and console programs write in the OEM code
/// page (850, 437, ...) whatever `chcp` the technician expects, so it is decoded with it.
#[cfg(windows)]
fn legacy_decode(bytes: &[u8]) -> String {
    super::oem::decode(bytes).unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Output that is not UTF-8 elsewhere: invalid bytes replaced.
#[cfg(not(windows))]
fn legacy_decode(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Text with control characters other than tab, newline and carriage return removed: escape
/// sequences in a command's output must not drive the technician's terminal or corrupt logs.
pub fn display_safe(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Args {
        Args::List(vec!["-c".into(), script.into()])
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

    #[tokio::test]
    async fn a_verbatim_command_line_is_refused_off_windows() {
        let refused = run(
            &Identity::Agent,
            "/bin/sh",
            &Args::Verbatim("-c true".into()),
            None,
            Duration::from_secs(10),
            1024,
        )
        .await
        .expect_err("refused");
        assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    }

    #[test]
    fn escape_sequences_are_removed() {
        assert_eq!(
            display_safe(&decode(b"a\x1b[31mred\x00\tb\r\n\xff", false)),
            "a[31mred\tb\r\n\u{fffd}"
        );
    }

    /// Runs `printf` with `cap` and returns the stored text and whether it was cut.
    async fn printed(text: &str, cap: usize) -> (String, bool) {
        let out = run(
            &Identity::Agent,
            "/usr/bin/printf",
            &Args::List(vec!["%s".into(), text.into()]),
            None,
            Duration::from_secs(10),
            cap,
        )
        .await
        .expect("runs");
        (out.stdout, out.truncated)
    }

    #[tokio::test]
    async fn the_cap_never_splits_a_character() {
        // 9 ASCII bytes, then a 3-byte euro sign straddling a 10-byte cap.
        assert_eq!(
            printed("aaaaaaaaa\u{20ac}b", 10).await,
            ("aaaaaaaaa".into(), true)
        );
        // A 4-byte character cut after 2 and after 3 of its bytes.
        assert_eq!(
            printed("aaaaaaaa\u{1f600}", 10).await,
            ("aaaaaaaa".into(), true)
        );
        assert_eq!(
            printed("aaaaaaa\u{1f600}", 10).await,
            ("aaaaaaa".into(), true)
        );
        // Ending exactly at the cap on a whole multibyte character keeps it.
        assert_eq!(
            printed("aaaaaaa\u{20ac}", 10).await,
            ("aaaaaaa\u{20ac}".into(), false)
        );
        assert_eq!(
            printed("aaaaaa\u{1f600}x", 10).await,
            ("aaaaaa\u{1f600}".into(), true)
        );
    }

    #[test]
    fn output_that_is_not_utf8_goes_to_the_legacy_decoder() {
        // A stand-in for the OEM code page: Latin-1, byte for char.
        let latin1 = |b: &[u8]| b.iter().map(|&b| char::from(b)).collect::<String>();
        // A single-byte é (as code pages 1252 and Latin-1 write it) is not UTF-8.
        assert_eq!(decode_with(b"caf\xe9", false, latin1), "caf\u{e9}");
        assert_eq!(
            decode_with("caf\u{e9}".as_bytes(), false, latin1),
            "caf\u{e9}"
        );
        // A UTF-8 character cut by the cap is not mistaken for legacy output.
        assert_eq!(decode_with(b"caf\xc3", true, latin1), "caf");
        assert_eq!(decode_with(b"caf\xc3", false, latin1), "caf\u{c3}");
    }
}
