//! Messages from the server to the agent.

use crate::command::CommandPayload;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Everything the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum ServerMessage {
    AuthResponse(AuthResponse),
    Command(CommandPayload),
    Update(UpdatePayload),
    /// Application-level keepalive; the agent answers with a `heartbeat`.
    Ping,
    /// New settings from the agent's policy, pushed when a policy changes.
    Settings(AgentSettings),
    /// An admin rotated this agent's key (protocol 2): the agent stores the new key, hangs up
    /// and reconnects with it. It is the socket's last message: the old key is already refused,
    /// and the server closes the socket a few seconds later if the agent has not.
    KeyRotated(KeyRotated),
}

/// The answer to `auth`. On failure the server closes the socket right after it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthResponse {
    pub success: bool,
    /// The agent's id on this server (set on success).
    #[serde(default)]
    pub agent_id: Option<Uuid>,
    /// Why authentication failed, or a greeting.
    #[serde(default)]
    pub message: String,
    /// Intervals the server wants (absent: keep the agent's own configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<AgentSettings>,
    /// A per-agent key (`grmm_…`) issued when the agent enrolled with a site code or a
    /// registration token. The agent stores it and authenticates with it from then on, so
    /// rotating the site code or revoking the token does not cut it off, and nobody holding the
    /// site code can speak for this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_key: Option<String>,
}

// By hand, so an issued key never reaches a log line through `{:?}`.
impl std::fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthResponse")
            .field("success", &self.success)
            .field("agent_id", &self.agent_id)
            .field("message", &self.message)
            .field("settings", &self.settings)
            .field("agent_key", &self.agent_key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Server-chosen settings from the agent's effective policy: sent in `auth_response` and again
/// as `settings` when a policy changes. An absent field means "use the agent's own config".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSettings {
    #[serde(default)]
    pub heartbeat_interval_secs: Option<u64>,
    #[serde(default)]
    pub metrics_interval_secs: Option<u64>,
}

/// Instruction to update the agent binary. The agent checks the SHA-256 and, separately, an
/// ed25519 signature against a key compiled into it: a checksum from the same server only proves
/// the download was not corrupted, not that the binary is ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePayload {
    /// The server's record of this offer. An agent answers a refused offer that
    /// carries one with `update_result`; an older server sends none and hears nothing back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_id: Option<Uuid>,
    pub version: String,
    pub download_url: String,
    /// Hex SHA-256 of the binary.
    pub sha256: String,
    /// Base64 ed25519 signature over the binary's SHA-256 digest (32 raw bytes).
    pub signature: String,
}

/// The agent's new per-agent key after an admin's rotation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRotated {
    /// The new `grmm_…` key; only its SHA-256 is kept by the server.
    pub agent_key: String,
}

// By hand, so the key never reaches a log line through `{:?}`.
impl std::fmt::Debug for KeyRotated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRotated")
            .field("agent_key", &"[redacted]")
            .finish()
    }
}
