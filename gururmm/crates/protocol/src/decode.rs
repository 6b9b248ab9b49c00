//! Encoding and size-checked decoding. A `command` the agent cannot decode still yields its id
//! when one can be found, so the agent can answer with a failed result instead of dropping it.

use crate::{AgentMessage, ServerMessage, MAX_MESSAGE_BYTES};
use serde::Serialize;
use uuid::Uuid;

/// Why a message could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DecodeError {
    pub message: String,
    /// For a `command` whose payload was malformed: its id, so the failure can be reported.
    pub command_id: Option<Uuid>,
}

/// JSON text of any protocol message. Serialising these types cannot fail (no maps with
/// non-string keys, no custom serialisers that error).
pub fn encode<T: Serialize>(message: &T) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

fn check_size(text: &str) -> Result<(), DecodeError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(DecodeError {
            message: format!("message of {} bytes exceeds the limit", text.len()),
            command_id: None,
        });
    }
    Ok(())
}

/// Decodes a message from the agent.
pub fn decode_agent(text: &str) -> Result<AgentMessage, DecodeError> {
    check_size(text)?;
    serde_json::from_str(text).map_err(|e| DecodeError {
        message: e.to_string(),
        command_id: None,
    })
}

/// Decodes a message from the server. On failure, recovers the command id of a malformed
/// `command` when the envelope and the id are readable.
pub fn decode_server(text: &str) -> Result<ServerMessage, DecodeError> {
    check_size(text)?;
    serde_json::from_str(text).map_err(|e| DecodeError {
        message: e.to_string(),
        command_id: salvage_command_id(text),
    })
}

fn salvage_command_id(text: &str) -> Option<Uuid> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    if value.get("type")?.as_str()? != "command" {
        return None;
    }
    value.get("payload")?.get("id")?.as_str()?.parse().ok()
}
