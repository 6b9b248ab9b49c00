//! Command execution (RMM-4): every `command` gets exactly one `CommandResult`, including the
//! ones this agent cannot run (unknown type, missing interpreter, refused input), which come
//! back as failures with exit code -1 and the reason in stderr.

pub mod claude;
#[cfg(windows)]
mod job;
#[cfg(windows)]
mod oem;
pub mod privilege;
pub mod process;

use crate::config::{AgentConfig, CommandsConfig};
use gururmm_protocol::{CommandKind, CommandPayload, CommandResult, EXIT_EXECUTOR_ERROR};
use privilege::{AgentRights, Args, Identity};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Runs commands according to the agent's configuration.
#[derive(Debug, Clone)]
pub struct Executor {
    commands: CommandsConfig,
    claude: Arc<claude::ClaudeExecutor>,
    /// `remote_control_launch`; None where this agent cannot launch (refused with a reason).
    launcher: Option<Arc<crate::remote_control::Launcher>>,
    /// What `elevated` commands can be given, and what the others shed.
    rights: AgentRights,
}

/// A result for a command that did not run.
pub fn refused(id: uuid::Uuid, reason: impl Into<String>) -> CommandResult {
    CommandResult {
        id,
        exit_code: EXIT_EXECUTOR_ERROR,
        stdout: String::new(),
        stderr: reason.into(),
        duration_ms: 0,
        timed_out: false,
        truncated: false,
    }
}

pub fn result_of(id: uuid::Uuid, outcome: process::Outcome) -> CommandResult {
    CommandResult {
        id,
        exit_code: outcome.exit_code,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
        timed_out: outcome.timed_out,
        truncated: outcome.truncated,
    }
}

impl Executor {
    pub fn new(config: &AgentConfig) -> Self {
        Self {
            commands: config.commands.clone(),
            claude: Arc::new(claude::ClaudeExecutor::new(config.claude.clone())),
            launcher: None,
            rights: AgentRights::of_this_process(),
        }
    }

    /// Overrides the rights read from the OS (tests of an unprivileged agent run as root).
    pub fn with_rights(mut self, rights: AgentRights) -> Self {
        self.rights = rights;
        self
    }

    /// Who a command with this `elevated` flag runs as, or why it cannot run.
    fn identity(&self, elevated: bool) -> Result<Identity, String> {
        privilege::identity_for(elevated, self.rights, || {
            privilege::reduced_identity(self.commands.unelevated_user.as_deref())
        })
    }

    /// Adds the GuruConnect launcher (Native Remote Control).
    pub fn with_launcher(mut self, launcher: Arc<crate::remote_control::Launcher>) -> Self {
        self.launcher = Some(launcher);
        self
    }

    pub async fn run(&self, cmd: &CommandPayload) -> CommandResult {
        let c = &self.commands;
        let timeout = Duration::from_secs(
            cmd.timeout_seconds
                .unwrap_or(c.default_timeout_secs)
                .clamp(1, c.max_timeout_secs),
        );
        let (program, args, _script) = match &cmd.kind {
            CommandKind::Shell(text) => shell(text),
            CommandKind::PowerShell(code) => match powershell() {
                Some(program) => (
                    program,
                    Args::List(vec![
                        "-NoProfile".into(),
                        "-NonInteractive".into(),
                        "-Command".into(),
                        code.clone(),
                    ]),
                    None,
                ),
                None => return refused(
                    cmd.id,
                    "PowerShell is not installed on this machine (looked for pwsh and powershell)",
                ),
            },
            CommandKind::Python(code) => (
                c.python.clone(),
                Args::List(vec!["-c".into(), code.clone()]),
                None,
            ),
            CommandKind::Script(text) => match self.script(text) {
                Ok(parts) => parts,
                Err(reason) => return refused(cmd.id, reason),
            },
            CommandKind::ClaudeTask(_) => return self.claude.run(cmd).await,
            CommandKind::RemoteControlLaunch { launch, .. } => {
                return match &self.launcher {
                    Some(launcher) => launcher.run(cmd.id, launch).await,
                    None => refused(cmd.id, "remote control is not available in this agent mode"),
                }
            }
            CommandKind::Unknown {
                command_type: name, ..
            } => {
                return refused(
                    cmd.id,
                    format!(
                        "unsupported command type '{name}' (agent {})",
                        crate::VERSION
                    ),
                )
            }
        };
        let identity = match self.identity(cmd.elevated) {
            Ok(identity) => identity,
            Err(reason) => return refused(cmd.id, reason),
        };
        #[cfg(unix)]
        if let (Identity::User(account), Some(script)) = (&identity, &_script) {
            if let Err(e) = account.give(&script.path) {
                return refused(
                    cmd.id,
                    format!("handing the script to {}: {e}", account.name),
                );
            }
        }
        match process::run(
            &identity,
            &program,
            &args,
            None,
            timeout,
            c.max_output_bytes,
        )
        .await
        {
            Ok(outcome) => result_of(cmd.id, outcome),
            Err(e) => refused(cmd.id, format!("could not start {program}: {e}")),
        }
    }

    /// The script text in a private temp file, run by the configured interpreter. The file is
    /// removed when the returned guard drops (after the process ended).
    fn script(&self, text: &str) -> Result<(String, Args, Option<TempScript>), String> {
        let interpreter = self
            .commands
            .script_interpreter
            .as_ref()
            .ok_or("no script interpreter configured (commands.script_interpreter)")?;
        let temp = TempScript::write(text).map_err(|e| format!("writing the script: {e}"))?;
        let mut args: Vec<String> = interpreter[1..].to_vec();
        args.push(temp.path.to_string_lossy().into_owned());
        Ok((interpreter[0].clone(), Args::List(args), Some(temp)))
    }
}

/// The platform shell running `command` exactly as typed: `cmd.exe` gets it verbatim (see
/// [`privilege::cmd_exe_tail`]), `/bin/sh` as the one argument of `-c`.
fn shell(command: &str) -> (String, Args, Option<TempScript>) {
    if cfg!(windows) {
        let tail = privilege::cmd_exe_tail(command);
        ("cmd.exe".into(), Args::Verbatim(tail), None)
    } else {
        let args = Args::List(vec!["-c".into(), command.into()]);
        ("/bin/sh".into(), args, None)
    }
}

/// `pwsh` (PowerShell 7) when present, else Windows PowerShell.
fn powershell() -> Option<String> {
    ["pwsh", "powershell"]
        .into_iter()
        .find(|p| find_in_path(p).is_some())
        .map(str::to_owned)
}

pub fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let suffixes: &[&str] = if cfg!(windows) { &[".exe", ""] } else { &[""] };
    std::env::split_paths(&path).find_map(|dir| {
        suffixes
            .iter()
            .map(|s| dir.join(format!("{program}{s}")))
            .find(|p| p.is_file())
    })
}

/// A script file that deletes itself.
#[derive(Debug)]
struct TempScript {
    path: PathBuf,
}

impl TempScript {
    fn write(text: &str) -> std::io::Result<Self> {
        use std::io::Write;
        let path = std::env::temp_dir().join(format!("gururmm-script-{}", uuid::Uuid::new_v4()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(&path)?.write_all(text.as_bytes())?;
        Ok(Self { path })
    }
}

impl Drop for TempScript {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use gururmm_protocol::CommandType;

    fn config(extra: &str) -> AgentConfig {
        AgentConfig::parse(&format!(
            "[server]\nurl = \"ws://x/ws\"\napi_key = \"grmm_x\"\n{extra}"
        ))
        .expect("config")
    }

    fn cmd(kind: CommandType, text: &str) -> CommandPayload {
        CommandPayload {
            id: uuid::Uuid::new_v4(),
            timeout_seconds: Some(20),
            elevated: false,
            kind: CommandKind::plain(kind, text.into()).expect("not a launch"),
        }
    }

    #[tokio::test]
    async fn shell_python_and_script_really_run() {
        let exec = Executor::new(&config("[commands]\nscript_interpreter = [\"/bin/sh\"]\n"));
        let r = exec
            .run(&cmd(CommandType::Shell, "echo hello; exit 2"))
            .await;
        assert_eq!((r.exit_code, r.stdout.as_str()), (2, "hello\n"));
        if find_in_path("python3").is_some() {
            let r = exec.run(&cmd(CommandType::Python, "print(6*7)")).await;
            assert_eq!((r.exit_code, r.stdout.as_str()), (0, "42\n"));
        } else {
            // CI installs python3: there a missing interpreter is a failure, not a skip.
            assert!(
                std::env::var_os("CI").is_none(),
                "python3 must be on PATH in CI"
            );
        }
        let r = exec
            .run(&cmd(CommandType::Script, "echo from-script\necho second"))
            .await;
        assert_eq!(
            (r.exit_code, r.stdout.as_str()),
            (0, "from-script\nsecond\n")
        );
    }

    #[tokio::test]
    async fn what_cannot_run_fails_with_a_reason_instead_of_silence() {
        let exec = Executor::new(&config(""));
        let r = exec
            .run(&cmd(CommandType::Unknown("bash".into()), "ls"))
            .await;
        assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR);
        assert!(
            r.stderr.contains("unsupported command type 'bash'"),
            "{}",
            r.stderr
        );
        let r = exec.run(&cmd(CommandType::Script, "echo x")).await;
        assert!(
            r.stderr.contains("commands.script_interpreter"),
            "{}",
            r.stderr
        );
        if powershell().is_none() {
            let r = exec.run(&cmd(CommandType::PowerShell, "Get-Date")).await;
            assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR);
            assert!(
                r.stderr.contains("PowerShell is not installed"),
                "{}",
                r.stderr
            );
        }
        let r = exec
            .run(&cmd(CommandType::ClaudeTask, "do something"))
            .await;
        assert!(r.stderr.contains("disabled"), "{}", r.stderr);
    }

    fn uid_of_this_process() -> u32 {
        nix::unistd::geteuid().as_raw()
    }

    #[tokio::test]
    async fn the_elevated_flag_decides_who_runs_the_command() {
        let exec = Executor::new(&config(""));
        let mut c = cmd(CommandType::Shell, "id -u");
        let unelevated = exec.run(&c).await;
        c.elevated = true;
        let elevated = exec.run(&c).await;
        if uid_of_this_process() == 0 {
            let nobody = privilege::Account::lookup("nobody").expect("nobody");
            assert_eq!(unelevated.stdout.trim(), nobody.uid.to_string());
            assert_eq!(elevated.stdout.trim(), "0");
        } else {
            // Nothing to shed, and nothing to give.
            assert_eq!(unelevated.stdout.trim(), uid_of_this_process().to_string());
            assert_eq!(elevated.exit_code, EXIT_EXECUTOR_ERROR);
            assert!(
                elevated.stderr.contains("asks for elevation"),
                "{elevated:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_unelevated_command_cannot_touch_what_root_owns() {
        if uid_of_this_process() != 0 {
            return; // Only a root agent has rights to shed; CI runs as root.
        }
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("planted");
        let exec = Executor::new(&config(""));
        let attempt = format!("cat /etc/shadow; touch {}", target.display());
        let r = exec.run(&cmd(CommandType::Shell, &attempt)).await;
        assert_ne!(r.exit_code, 0, "{r:?}");
        assert!(r.stderr.contains("Permission denied"), "{r:?}");
        assert!(!r.stdout.contains("root:"), "read /etc/shadow: {r:?}");
        assert!(!target.exists(), "wrote into a root-only directory");
    }

    #[tokio::test]
    async fn an_agent_without_rights_refuses_elevation() {
        let exec = Executor::new(&config("")).with_rights(AgentRights::Ordinary);
        let mut c = cmd(CommandType::Shell, "id -u");
        c.elevated = true;
        let r = exec.run(&c).await;
        assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR);
        assert!(r.stderr.contains("asks for elevation"), "{r:?}");
        c.elevated = false;
        let r = exec.run(&c).await;
        assert_eq!(r.stdout.trim(), uid_of_this_process().to_string());
    }

    #[tokio::test]
    async fn a_missing_unelevated_user_is_named() {
        if uid_of_this_process() != 0 {
            return;
        }
        let exec = Executor::new(&config(
            "[commands]\nunelevated_user = \"no-such-gururmm\"\n",
        ));
        let r = exec.run(&cmd(CommandType::Shell, "true")).await;
        assert_eq!(r.exit_code, EXIT_EXECUTOR_ERROR);
        assert!(r.stderr.contains("commands.unelevated_user"), "{r:?}");
    }

    #[tokio::test]
    async fn the_timeout_is_reported() {
        let exec = Executor::new(&config(""));
        let mut c = cmd(CommandType::Shell, "sleep 30");
        c.timeout_seconds = Some(1);
        let r = exec.run(&c).await;
        assert!(r.timed_out);
        assert_eq!(r.exit_code, 124);
    }
}
