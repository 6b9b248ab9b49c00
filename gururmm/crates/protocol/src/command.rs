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
    /// Any other string: kept verbatim so the refusal can name it.
    Unknown(String),
}

impl CommandType {
    pub const KNOWN: [CommandType; 5] = [
        CommandType::Shell,
        CommandType::PowerShell,
        CommandType::Python,
        CommandType::Script,
        CommandType::ClaudeTask,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            CommandType::Shell => "shell",
            CommandType::PowerShell => "powershell",
            CommandType::Python => "python",
            CommandType::Script => "script",
            CommandType::ClaudeTask => "claude_task",
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
}
