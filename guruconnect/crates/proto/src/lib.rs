//! GuruConnect wire protocol: the generated `guruconnect.v1` types, whole-message framing, and
//! the length limits every receiver enforces before trusting a message.
//!
//! One WebSocket binary message carries exactly one [`Envelope`]; WebSocket already frames
//! messages, so there is no extra length prefix. Receivers call [`decode`], which refuses
//! oversized input before parsing and then checks the field limits with [`validate`].

#![forbid(unsafe_code)]

mod limits;

pub use limits::*;

#[allow(clippy::all, missing_docs)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/guruconnect.v1.rs"));
}

pub use generated::*;
pub use prost::Message as ProstMessage;

use bytes::Bytes;
use envelope::Payload;

/// Protocol version spoken by this build. Bumped only for incompatible changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Why a received message was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtoError {
    #[error("message of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed protobuf: {0}")]
    Malformed(String),
    #[error("envelope carries no payload")]
    Empty,
    #[error("field `{field}` is {size} long; the limit is {limit}")]
    FieldTooLong {
        field: &'static str,
        size: usize,
        limit: usize,
    },
}

/// Serialises an envelope into one WebSocket message body.
pub fn encode(envelope: &Envelope) -> Bytes {
    Bytes::from(envelope.encode_to_vec())
}

/// Wraps a payload into an envelope and serialises it.
pub fn encode_payload(payload: Payload) -> Bytes {
    encode(&Envelope {
        payload: Some(payload),
    })
}

/// Parses one message body, refusing anything larger than `max_bytes` before touching it and
/// anything whose fields exceed the documented limits after.
pub fn decode(body: Bytes, max_bytes: usize) -> Result<Payload, ProtoError> {
    if body.len() > max_bytes {
        return Err(ProtoError::TooLarge {
            size: body.len(),
            limit: max_bytes,
        });
    }
    let envelope = Envelope::decode(body).map_err(|e| ProtoError::Malformed(e.to_string()))?;
    let payload = envelope.payload.ok_or(ProtoError::Empty)?;
    validate(&payload)?;
    Ok(payload)
}

/// Short stable name of a payload kind, for logs and metrics.
pub fn payload_name(payload: &Payload) -> &'static str {
    match payload {
        Payload::AgentHello(_) => "agent_hello",
        Payload::ServerHello(_) => "server_hello",
        Payload::SessionRequest(_) => "session_request",
        Payload::SessionResponse(_) => "session_response",
        Payload::VideoFrame(_) => "video_frame",
        Payload::MouseEvent(_) => "mouse_event",
        Payload::KeyEvent(_) => "key_event",
        Payload::DisplayList(_) => "display_list",
        Payload::SelectDisplay(_) => "select_display",
        Payload::QualitySettings(_) => "quality_settings",
        Payload::AgentStatus(_) => "agent_status",
        Payload::ConsentRequest(_) => "consent_request",
        Payload::ConsentResponse(_) => "consent_response",
        Payload::AdminCommand(_) => "admin_command",
        Payload::Ping(_) => "ping",
        Payload::Pong(_) => "pong",
        Payload::Error(_) => "error",
        Payload::Disconnect(_) => "disconnect",
        Payload::StreamControl(_) => "stream_control",
        Payload::KeyFrameRequest(_) => "key_frame_request",
        Payload::CursorShape(_) => "cursor_shape",
        Payload::CursorPosition(_) => "cursor_position",
        Payload::FrameStats(_) => "frame_stats",
        Payload::ViewerPresence(_) => "viewer_presence",
        Payload::FrameAck(_) => "frame_ack",
    }
}

/// Builds a `Disconnect` message body.
pub fn disconnect(reason: DisconnectReason, detail: impl Into<String>) -> Bytes {
    encode_payload(Payload::Disconnect(Disconnect {
        reason: reason as i32,
        detail: detail.into(),
    }))
}

/// Builds an `Error` message body.
pub fn error(
    code: ErrorCode,
    detail: impl Into<String>,
    correlation_id: impl Into<String>,
) -> Bytes {
    encode_payload(Payload::Error(Error {
        code: code as i32,
        detail: detail.into(),
        correlation_id: correlation_id.into(),
    }))
}

#[cfg(test)]
mod tests;
