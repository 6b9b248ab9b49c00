//! The `command` message. In code a command is a [`CommandKind`] carrying exactly its own
//! parameters; on the wire it is the seed's flat object whose `command_type` travels as a plain
//! string (`"powershell"`). A type this build does not know decodes to
//! [`CommandKind::Unknown`] instead of failing, so the agent can answer it with a failed result.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What kind of command to run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum CommandType {
    /// `/bin/sh -c` on Unix, `cmd.exe /C` on Windows.
    Shell,
    /// `powershell`/`pwsh -NoProfile -NonInteractive -Command`.
    PowerShell,
    /// `python3 -c` (or the configured interpreter).
    Python,
    /// The script text handed to the agent's configured interpreter.
    Script,
    /// A task for the configured AI CLI, under the agent's restrictions (RMM-9).
    ClaudeTask,
    /// Download (verified), then start the GuruConnect agent for a remote-control session
    /// (NRC-9). Its parameters travel in the wire's `remote_control` object.
    RemoteControlLaunch,
    /// Any other string: kept verbatim so the refusal can name it.
    Unknown(String),
}

impl CommandType {
    pub const KNOWN: [CommandType; 6] = [
        CommandType::Shell,
        CommandType::PowerShell,
        CommandType::Python,
        CommandType::Script,
        CommandType::ClaudeTask,
        CommandType::RemoteControlLaunch,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            CommandType::Shell => "shell",
            CommandType::PowerShell => "powershell",
            CommandType::Python => "python",
            CommandType::Script => "script",
            CommandType::ClaudeTask => "claude_task",
            CommandType::RemoteControlLaunch => "remote_control_launch",
            CommandType::Unknown(other) => other,
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, CommandType::Unknown(_))
    }
}

impl From<String> for CommandType {
    fn from(value: String) -> Self {
        match value.as_str() {
            "shell" => CommandType::Shell,
            "powershell" => CommandType::PowerShell,
            "python" => CommandType::Python,
            "script" => CommandType::Script,
            "claude_task" => CommandType::ClaudeTask,
            "remote_control_launch" => CommandType::RemoteControlLaunch,
            _ => CommandType::Unknown(value),
        }
    }
}

impl From<CommandType> for String {
    fn from(value: CommandType) -> Self {
        value.as_str().to_owned()
    }
}

impl std::fmt::Display for CommandType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A command for the agent to run: what every kind shares, and the kind with its own
/// parameters. On the wire it keeps the seed's flat shape ([`WireCommand`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireCommand", into = "WireCommand")]
pub struct CommandPayload {
    pub id: Uuid,
    /// Agent-side limit; the agent applies its own default when absent.
    pub timeout_seconds: Option<u64>,
    pub elevated: bool,
    pub kind: CommandKind,
}

/// What to run, with exactly the parameters that kind takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandKind {
    /// A command line for the system shell.
    Shell(String),
    /// PowerShell code.
    PowerShell(String),
    /// Python code.
    Python(String),
    /// Script text for the agent's configured interpreter.
    Script(String),
    ClaudeTask(ClaudeTask),
    /// `summary` is the one line logs and the command list show; the parameters are secret.
    RemoteControlLaunch {
        summary: String,
        launch: Box<RemoteControlLaunch>,
    },
    /// A type this build does not know: kept so the refusal can name it.
    Unknown {
        command_type: String,
        command: String,
    },
}

/// A task for the configured AI CLI (RMM-9).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaudeTask {
    pub task: String,
    /// A directory inside the agent's allowed root.
    pub working_directory: Option<String>,
    /// Files (relative to the working directory) given as context.
    pub context_files: Vec<String>,
}

impl CommandKind {
    /// The kind's wire name.
    pub fn command_type(&self) -> CommandType {
        match self {
            CommandKind::Shell(_) => CommandType::Shell,
            CommandKind::PowerShell(_) => CommandType::PowerShell,
            CommandKind::Python(_) => CommandType::Python,
            CommandKind::Script(_) => CommandType::Script,
            CommandKind::ClaudeTask(_) => CommandType::ClaudeTask,
            CommandKind::RemoteControlLaunch { .. } => CommandType::RemoteControlLaunch,
            CommandKind::Unknown { command_type, .. } => CommandType::Unknown(command_type.clone()),
        }
    }

    /// The command text (code, script, task, or a launch's summary).
    pub fn text(&self) -> &str {
        match self {
            CommandKind::Shell(text)
            | CommandKind::PowerShell(text)
            | CommandKind::Python(text)
            | CommandKind::Script(text) => text,
            CommandKind::ClaudeTask(task) => &task.task,
            CommandKind::RemoteControlLaunch { summary, .. } => summary,
            CommandKind::Unknown { command, .. } => command,
        }
    }

    /// The kind named `command_type` with `text` and no other parameters (every kind but a
    /// remote-control launch, which needs its own).
    pub fn plain(command_type: CommandType, text: String) -> Option<Self> {
        Some(match command_type {
            CommandType::Shell => CommandKind::Shell(text),
            CommandType::PowerShell => CommandKind::PowerShell(text),
            CommandType::Python => CommandKind::Python(text),
            CommandType::Script => CommandKind::Script(text),
            CommandType::ClaudeTask => CommandKind::ClaudeTask(ClaudeTask {
                task: text,
                ..ClaudeTask::default()
            }),
            CommandType::RemoteControlLaunch => return None,
            CommandType::Unknown(command_type) => CommandKind::Unknown {
                command_type,
                command: text,
            },
        })
    }
}

/// The wire form: the seed's shape plus optional fields only some kinds use, omitted when
/// unset. Fields a kind does not take are ignored on the way in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireCommand {
    pub id: Uuid,
    pub command_type: CommandType,
    pub command: String,
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub elevated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_control: Option<Box<RemoteControlLaunch>>,
}

impl TryFrom<WireCommand> for CommandPayload {
    type Error = String;

    fn try_from(wire: WireCommand) -> Result<Self, String> {
        let kind = match wire.command_type {
            CommandType::ClaudeTask => CommandKind::ClaudeTask(ClaudeTask {
                task: wire.command,
                working_directory: wire.working_directory,
                context_files: wire.context_files,
            }),
            CommandType::RemoteControlLaunch => CommandKind::RemoteControlLaunch {
                summary: wire.command,
                launch: wire
                    .remote_control
                    .ok_or("a remote_control_launch without its remote_control parameters")?,
            },
            other => CommandKind::plain(other, wire.command).ok_or("unreachable: launch")?,
        };
        Ok(CommandPayload {
            id: wire.id,
            timeout_seconds: wire.timeout_seconds,
            elevated: wire.elevated,
            kind,
        })
    }
}

impl From<CommandPayload> for WireCommand {
    fn from(payload: CommandPayload) -> Self {
        let command_type = payload.kind.command_type();
        let mut wire = WireCommand {
            id: payload.id,
            command_type,
            command: String::new(),
            timeout_seconds: payload.timeout_seconds,
            elevated: payload.elevated,
            working_directory: None,
            context_files: Vec::new(),
            remote_control: None,
        };
        wire.command = match payload.kind {
            CommandKind::Shell(text)
            | CommandKind::PowerShell(text)
            | CommandKind::Python(text)
            | CommandKind::Script(text)
            | CommandKind::Unknown { command: text, .. } => text,
            CommandKind::ClaudeTask(task) => {
                wire.working_directory = task.working_directory;
                wire.context_files = task.context_files;
                task.task
            }
            CommandKind::RemoteControlLaunch { summary, launch } => {
                wire.remote_control = Some(launch);
                summary
            }
        };
        wire
    }
}

/// How the GuruConnect agent joins its session (CONTRACT.md "Launching the GuruConnect agent").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteControlMode {
    /// Persistent: registers as `agent_id` with the per-machine key; no prompt.
    Unattended,
    /// Redeems a support code; the end user is asked to accept first.
    Attended,
}

impl RemoteControlMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteControlMode::Unattended => "unattended",
            RemoteControlMode::Attended => "attended",
        }
    }
}

/// Everything the RMM agent needs to start the GuruConnect agent for one session. The secret
/// (per-machine key or support code) is redacted from `{:?}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteControlLaunch {
    /// GuruConnect's session id (for logs and the result).
    pub session_id: String,
    pub mode: RemoteControlMode,
    /// The GuruConnect relay, `wss://connect.example.com` (`--server`).
    pub server_url: String,
    /// The machine's id on GuruConnect: this agent's `device_id` (`--agent-id`).
    pub agent_id: String,
    /// Unattended: the per-machine key, passed in `GURUCONNECT_AGENT_KEY`, never on a command
    /// line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_key: Option<String>,
    /// Attended: the support code (`--support-code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_code: Option<String>,
    pub release: ConnectRelease,
}

impl std::fmt::Debug for RemoteControlLaunch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("RemoteControlLaunch")
            .field("session_id", &self.session_id)
            .field("mode", &self.mode)
            .field("server_url", &self.server_url)
            .field("agent_id", &self.agent_id)
            .field("agent_key", &redacted(&self.agent_key))
            .field("support_code", &redacted(&self.support_code))
            .field("release", &self.release)
            .finish()
    }
}

/// One GuruConnect agent build from GuruConnect's release channel. The RMM agent checks
/// `sha256` and the ed25519 `signature` (over the 32-byte digest) against the GuruConnect
/// release key pinned in its own agent.toml before it writes the file as executable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectRelease {
    pub version: String,
    /// `linux-x86_64` or `windows-x86_64`.
    pub platform: String,
    pub download_url: String,
    /// Lower-case hex SHA-256 of the binary.
    pub sha256: String,
    /// Standard base64 ed25519 signature over the 32 raw digest bytes.
    pub signature: String,
    /// Bytes, when GuruConnect said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}
