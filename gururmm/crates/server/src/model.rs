//! States the database, the API and the background tasks share, read from their stored text at
//! the database edge so code above it compares variants, never strings: whether an agent is
//! online ([`AgentStatus`]), where a command is in its life ([`CommandStatus`]) and where a
//! remote-control session stands ([`RemoteControlState`]).

use std::fmt;

/// Whether the agent's socket (or its polling) is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    Online,
    Offline,
}

/// Where a command is: `db::commands` moves it only by compare-and-set
/// (pending → running → completed | failed | timed_out, pending → cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    Pending,
    Running,
    Completed,
    Failed,
    TimedOut,
    Cancelled,
}

/// A `remote_control_sessions` row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteControlState {
    /// Started and not yet over: the launch may still be on its way.
    Started,
    /// Over: ended by a technician or by GuruConnect.
    Ended,
    /// Over before it began: the launch or the start failed.
    Failed,
}

/// Stored text that names no variant: a row written by something other than this server.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} `{value}` in the database")]
pub struct UnknownValue {
    kind: &'static str,
    value: String,
}

impl AgentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Online => "online",
            AgentStatus::Offline => "offline",
        }
    }
}

impl CommandStatus {
    pub const ALL: [CommandStatus; 6] = [
        CommandStatus::Pending,
        CommandStatus::Running,
        CommandStatus::Completed,
        CommandStatus::Failed,
        CommandStatus::TimedOut,
        CommandStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Pending => "pending",
            CommandStatus::Running => "running",
            CommandStatus::Completed => "completed",
            CommandStatus::Failed => "failed",
            CommandStatus::TimedOut => "timed_out",
            CommandStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Over without having run to completion.
    pub fn is_unsuccessful_end(self) -> bool {
        matches!(
            self,
            CommandStatus::Failed | CommandStatus::TimedOut | CommandStatus::Cancelled
        )
    }
}

impl RemoteControlState {
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteControlState::Started => "started",
            RemoteControlState::Ended => "ended",
            RemoteControlState::Failed => "failed",
        }
    }
}

impl TryFrom<String> for AgentStatus {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "online" => Ok(AgentStatus::Online),
            "offline" => Ok(AgentStatus::Offline),
            _ => Err(UnknownValue {
                kind: "agent status",
                value,
            }),
        }
    }
}

impl TryFrom<String> for CommandStatus {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CommandStatus::parse(&value).ok_or(UnknownValue {
            kind: "command status",
            value,
        })
    }
}

impl TryFrom<String> for RemoteControlState {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "started" => Ok(RemoteControlState::Started),
            "ended" => Ok(RemoteControlState::Ended),
            "failed" => Ok(RemoteControlState::Failed),
            _ => Err(UnknownValue {
                kind: "remote-control state",
                value,
            }),
        }
    }
}

impl fmt::Display for AgentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for RemoteControlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_as_itself_and_strangers_are_named() {
        for s in [AgentStatus::Online, AgentStatus::Offline] {
            assert_eq!(AgentStatus::try_from(s.as_str().to_owned()).ok(), Some(s));
        }
        for s in [
            RemoteControlState::Started,
            RemoteControlState::Ended,
            RemoteControlState::Failed,
        ] {
            assert_eq!(
                RemoteControlState::try_from(s.as_str().to_owned()).ok(),
                Some(s)
            );
        }
        for s in CommandStatus::ALL {
            assert_eq!(CommandStatus::try_from(s.as_str().to_owned()).ok(), Some(s));
        }
        let err = AgentStatus::try_from("asleep".to_owned()).expect_err("unknown");
        assert!(err.to_string().contains("`asleep`"), "{err}");
    }
}
