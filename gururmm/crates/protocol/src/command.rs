//! The `command` message and its `command_type`. The type travels as a plain string
//! (`"powershell"`), and a string this build does not know decodes to
//! [`CommandType::Unknown`] instead of failing, so the agent can answer it with a failed result.

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
    /// (NRC-9). Its parameters travel in [`CommandPayload::remote_control`].
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

/// A command for the agent to run. The seed's shape, plus optional fields that only
/// `claude_task` uses (omitted from the JSON when unset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandPayload {
    pub id: Uuid,
    pub command_type: CommandType,
    /// The command line, code or script text; for `claude_task`, the task description.
    pub command: String,
    /// Agent-side limit; the agent applies its own default when absent.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub elevated: bool,
    /// `claude_task` only: a directory inside the agent's allowed root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// `claude_task` only: files (relative to the working directory) given as context.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context_files: Vec<String>,
    /// `remote_control_launch` only: what to download, check and start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_control: Option<Box<RemoteControlLaunch>>,
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
