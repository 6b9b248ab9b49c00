//! Messages from the agent to the server.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Everything the agent sends. `auth` must come first; anything else before it closes the socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum AgentMessage {
    Auth(AuthPayload),
    Heartbeat(Heartbeat),
    MetricsReport(MetricsReport),
    NetworkState(NetworkState),
    CommandResult(CommandResult),
    WatchdogEvent(WatchdogEvent),
    /// The answer to an `update` offer that carried an `update_id`.
    UpdateResult(UpdateResult),
}

/// The first message. `api_key` is either a per-agent key (`grmm_…`) or a site code
/// (`WORD-WORD-NUMBER`), which registers the device or matches it by `device_id`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthPayload {
    pub api_key: String,
    /// Stable identity of the machine, derived from its hardware/OS id.
    pub device_id: String,
    pub hostname: String,
    /// `windows`, `linux`, `macos`.
    pub os_type: String,
    #[serde(default)]
    pub os_version: String,
    /// `x86_64`, `aarch64`, ...
    #[serde(default)]
    pub arch: String,
    pub agent_version: String,
    /// Set on the first connection after an update, so the server can close the update record.
    #[serde(default)]
    pub previous_version: Option<String>,
    #[serde(default = "default_protocol_version")]
    pub protocol_version: u32,
}

/// An `auth` without `protocol_version` comes from an agent older than the field: version 1.
fn default_protocol_version() -> u32 {
    1
}

// Written by hand so the key never reaches a log line through `{:?}`.
impl std::fmt::Debug for AuthPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthPayload")
            .field("api_key", &"[redacted]")
            .field("device_id", &self.device_id)
            .field("hostname", &self.hostname)
            .field("os_type", &self.os_type)
            .field("agent_version", &self.agent_version)
            .field("previous_version", &self.previous_version)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    #[serde(default)]
    pub uptime_seconds: u64,
}

/// One metrics sample. Sections the agent is configured not to collect are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsReport {
    /// When the sample was taken, Unix milliseconds (agent clock).
    pub timestamp_ms: i64,
    #[serde(default)]
    pub cpu_percent: Option<f32>,
    #[serde(default)]
    pub memory: Option<MemoryMetrics>,
    #[serde(default)]
    pub disks: Vec<DiskMetrics>,
    #[serde(default)]
    pub network: Option<NetworkCounters>,
    #[serde(default)]
    pub uptime_seconds: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryMetrics {
    pub used_bytes: u64,
    pub total_bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskMetrics {
    pub mount: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
}

/// Bytes moved since the previous sample, summed over interfaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkCounters {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// The machine's network configuration. Sent only when `hash` changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkState {
    /// Hex SHA-256 of the canonical interface list; equal hashes mean nothing changed.
    pub hash: String,
    pub interfaces: Vec<NetworkInterface>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct NetworkInterface {
    pub name: String,
    #[serde(default)]
    pub mac: String,
    /// Addresses in CIDR form, e.g. `192.168.1.10/24`.
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// The outcome of one command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResult {
    /// The command's id, as received.
    pub id: Uuid,
    pub exit_code: i32,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    pub duration_ms: u64,
    /// The agent's timeout fired and the process tree was killed.
    #[serde(default)]
    pub timed_out: bool,
    /// Output beyond the cap was dropped.
    #[serde(default)]
    pub truncated: bool,
}

/// Something the service watchdog did or saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchdogEvent {
    pub service: String,
    /// `stopped`, `restarted`, `restart_failed`, `max_restarts_reached`.
    pub event: String,
    #[serde(default)]
    pub message: String,
    pub timestamp_ms: i64,
}

/// What became of an `update` offer. Sent for every refusal (`ok: false`) of an offer that
/// carried an `update_id`; an agent that installs the update restarts instead, and the server
/// learns of it from `previous_version` when it reconnects. `reason` is one of the codes below
/// (an agent may send a newer one); `message` is short printable ASCII for people, holding no
/// URL or other secret (see [`UpdateResult::refused`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateResult {
    /// The offer's `update_id`, as received.
    pub update_id: Uuid,
    /// The offered version.
    pub version: String,
    pub ok: bool,
    /// Why it was refused (empty when `ok`).
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

impl UpdateResult {
    /// The download hashed to something other than the offered SHA-256.
    pub const HASH_MISMATCH: &'static str = "hash_mismatch";
    /// The ed25519 signature does not verify against the agent's pinned key.
    pub const BAD_SIGNATURE: &'static str = "bad_signature";
    /// The download failed (connection, HTTP status, size limit).
    pub const DOWNLOAD_FAILED: &'static str = "download_failed";
    /// The verified build did not start on this machine when asked for `--version`.
    pub const DOES_NOT_START: &'static str = "does_not_start";
    /// The verified build started but reported another version than the offered one.
    pub const WRONG_VERSION: &'static str = "wrong_version";
    /// No update key is pinned in this agent: it takes no update.
    pub const NO_PINNED_KEY: &'static str = "no_pinned_key";
    /// The pinned update key is not a valid ed25519 public key.
    pub const BAD_PINNED_KEY: &'static str = "bad_pinned_key";
    /// Writing or moving the new binary into place failed.
    pub const INSTALL_FAILED: &'static str = "install_failed";

    /// Longest `message`, in characters.
    pub const MAX_MESSAGE_CHARS: usize = 200;

    /// A refusal, with `message` made safe to send and store: printable ASCII only (anything
    /// else becomes `?`), whitespace runs as one space, at most [`Self::MAX_MESSAGE_CHARS`].
    pub fn refused(update_id: Uuid, version: &str, reason: &str, message: &str) -> Self {
        Self {
            update_id,
            version: version.to_owned(),
            ok: false,
            reason: reason.to_owned(),
            message: short_ascii(message, Self::MAX_MESSAGE_CHARS),
        }
    }
}

/// `text` as printable ASCII (others as `?`, whitespace runs as one space, trimmed), cut to
/// `max` characters. Both ends apply it to what reaches a log, a database row or a screen.
pub fn short_ascii(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut space = false;
    for c in text.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        // Every character pushed is ASCII, so the length in bytes is the length in characters.
        let needed = if space { 2 } else { 1 };
        if out.len() + needed > max {
            break;
        }
        if std::mem::take(&mut space) {
            out.push(' ');
        }
        out.push(if c.is_ascii_graphic() { c } else { '?' });
    }
    out
}
