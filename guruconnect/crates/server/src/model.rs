//! The session vocabulary the database, the relay and the API share: how a session was made
//! ([`Mode`]) and where it stands ([`SessionStatus`]). Both are stored as text and read back at
//! the database edge (`db::sessions`), so code above it compares variants, never strings.

use std::fmt;

/// How a session is joined: a machine's own key, or a support code the end user accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Unattended,
    Attended,
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Created; its agent has not come yet.
    Waiting,
    /// Its agent is connected.
    Active,
    /// Its agent was connected and left; an unattended machine may come back.
    AgentOffline,
    /// Over for good, with a reason.
    Ended,
}

/// Stored text that names no variant: a row written by something other than this server.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} `{value}` in the database")]
pub struct UnknownValue {
    kind: &'static str,
    value: String,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Unattended => "unattended",
            Mode::Attended => "attended",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "unattended" => Some(Mode::Unattended),
            "attended" => Some(Mode::Attended),
            _ => None,
        }
    }
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 4] = [
        SessionStatus::Waiting,
        SessionStatus::Active,
        SessionStatus::AgentOffline,
        SessionStatus::Ended,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Waiting => "waiting",
            SessionStatus::Active => "active",
            SessionStatus::AgentOffline => "agent_offline",
            SessionStatus::Ended => "ended",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Waiting for its agent, the first time or again.
    pub fn awaits_agent(self) -> bool {
        matches!(self, SessionStatus::Waiting | SessionStatus::AgentOffline)
    }
}

impl TryFrom<String> for Mode {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Mode::parse(&value).ok_or(UnknownValue {
            kind: "mode",
            value,
        })
    }
}

impl TryFrom<String> for SessionStatus {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SessionStatus::parse(&value).ok_or(UnknownValue {
            kind: "session status",
            value,
        })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_as_itself_and_strangers_are_named() {
        for status in SessionStatus::ALL {
            assert_eq!(
                SessionStatus::try_from(status.as_str().to_owned()).ok(),
                Some(status)
            );
        }
        for mode in [Mode::Unattended, Mode::Attended] {
            assert_eq!(Mode::try_from(mode.as_str().to_owned()).ok(), Some(mode));
        }
        let err = SessionStatus::try_from("paused".to_owned()).expect_err("unknown");
        assert!(err.to_string().contains("`paused`"), "{err}");
    }
}
