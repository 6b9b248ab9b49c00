//! GuruRMM's agent <-> server wire protocol (RMM-3). One JSON object per WebSocket text message,
//! always `{"type": "<snake_case name>", "payload": {...}}`. Server and agent compile these same
//! types, so they cannot disagree about a field's shape (the earlier system's critical bug: the
//! server sent `command_type` as a string, the agent expected an enum, and every command was
//! silently dropped). The golden tests in `tests.rs` pin the wire form.

#![forbid(unsafe_code)]

mod agent;
mod command;
mod decode;
mod server;
#[cfg(test)]
mod tests;

pub use agent::{
    short_ascii, AgentMessage, AuthPayload, CommandResult, DiskMetrics, Heartbeat, MemoryMetrics,
    MetricsReport, NetworkCounters, NetworkInterface, NetworkState, UpdateResult, WatchdogEvent,
};
pub use command::{
    ClaudeTask, CommandKind, CommandPayload, CommandType, ConnectRelease, RemoteControlLaunch,
    RemoteControlMode,
};
pub use decode::{decode_agent, decode_server, encode, DecodeError};
pub use server::{AgentSettings, AuthResponse, KeyRotated, ServerMessage, UpdatePayload};

/// Version of this protocol; sent by the agent in `Auth`. Each version decodes everything the
/// ones before it send; what is newer goes only to a peer known to understand it.
///
/// - 1: the first. Offers may carry an `update_id` (servers that track refusals send one), and
///   the agent answers a refused offer with `update_result` only when it has one, since a
///   server that predates it closes a socket on a message it cannot decode.
/// - 2: the server hands a rotated key to the agent with `key_rotated`, and only to an agent
///   whose `auth` said 2 or more (an older one would ignore it and be locked out all the same).
pub const PROTOCOL_VERSION: u32 = 2;

/// The first version whose agents store a key sent in `key_rotated`.
pub const KEY_ROTATION_SINCE: u32 = 2;

/// Largest message either side accepts. Command output is capped by the agent well below this
/// (see `MAX_OUTPUT_BYTES`), so a legitimate result always fits.
pub const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024;

/// Cap on each of stdout and stderr in a `CommandResult`, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 512 * 1024;

/// Exit code the agent reports for a command it could not run at all (unknown type, bad input,
/// missing interpreter, rate limit), as the seed's `claude_task` table defines it.
pub const EXIT_EXECUTOR_ERROR: i32 = -1;

/// Exit code the agent reports when a command hit its timeout (the `timeout(1)` convention).
pub const EXIT_TIMED_OUT: i32 = 124;

/// Prefix of per-agent API keys, so a leaked key is recognisable.
pub const AGENT_KEY_PREFIX: &str = "grmm_";

/// Prefix of registration tokens (enrol devices into one site, limited uses, revocable).
pub const REGISTRATION_TOKEN_PREFIX: &str = "grmt_";
