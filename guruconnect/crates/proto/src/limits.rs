//! The protocol's documented length limits (see the header of `guruconnect.proto`) and the
//! check that applies them to a decoded payload, so no handler meets an unbounded string.

use crate::envelope::Payload;
use crate::ProtoError;

/// Largest message accepted on the agent socket (frames dominate).
pub const MAX_AGENT_MESSAGE_BYTES: usize = 8 * 1024 * 1024;
/// Largest message accepted on the viewer socket (input and control only).
pub const MAX_VIEWER_MESSAGE_BYTES: usize = 64 * 1024;
/// Identifiers: machine_uid, agent_id, session_id, display ids.
pub const MAX_ID_LEN: usize = 128;
/// Credentials: agent keys, support codes, viewer tokens.
pub const MAX_CREDENTIAL_LEN: usize = 4096;
/// Free text: hostnames, names, reasons, OS strings, details.
pub const MAX_TEXT_LEN: usize = 1024;
pub const MAX_DISPLAYS: usize = 64;
pub const MAX_RECTS_PER_FRAME: usize = 4096;
pub const MAX_ADDRESSES: usize = 64;
pub const MAX_TAGS: usize = 64;
/// Decompressed bytes one rectangle may expand to (width * height * 4).
pub const MAX_RECT_PIXEL_BYTES: u64 = 8 * 1024 * 1024;

fn check(field: &'static str, value: &str, limit: usize) -> Result<(), ProtoError> {
    if value.len() > limit {
        return Err(ProtoError::FieldTooLong {
            field,
            size: value.len(),
            limit,
        });
    }
    Ok(())
}

fn check_count(field: &'static str, count: usize, limit: usize) -> Result<(), ProtoError> {
    if count > limit {
        return Err(ProtoError::FieldTooLong {
            field,
            size: count,
            limit,
        });
    }
    Ok(())
}

/// Applies the documented limits to every string and list of a payload.
pub fn validate(payload: &Payload) -> Result<(), ProtoError> {
    use crate::agent_hello::Credential;
    match payload {
        Payload::AgentHello(h) => {
            check("machine_uid", &h.machine_uid, MAX_ID_LEN)?;
            check("agent_id", &h.agent_id, MAX_ID_LEN)?;
            check("agent_version", &h.agent_version, MAX_TEXT_LEN)?;
            check("hostname", &h.hostname, MAX_TEXT_LEN)?;
            check("os", &h.os, MAX_TEXT_LEN)?;
            match &h.credential {
                Some(Credential::AgentKey(k)) => check("agent_key", k, MAX_CREDENTIAL_LEN),
                Some(Credential::SupportCode(c)) => check("support_code", c, MAX_CREDENTIAL_LEN),
                None => Ok(()),
            }
        }
        Payload::SessionRequest(r) => {
            check("session_id", &r.session_id, MAX_ID_LEN)?;
            check("viewer_token", &r.viewer_token, MAX_CREDENTIAL_LEN)
        }
        Payload::VideoFrame(f) => {
            check("display_id", &f.display_id, MAX_ID_LEN)?;
            check_count("rects", f.rects.len(), MAX_RECTS_PER_FRAME)?;
            for r in &f.rects {
                let area = r
                    .rect
                    .as_ref()
                    .map(|r| u64::from(r.width) * u64::from(r.height) * 4)
                    .unwrap_or(0);
                if area > MAX_RECT_PIXEL_BYTES {
                    return Err(ProtoError::FieldTooLong {
                        field: "rect",
                        size: usize::try_from(area).unwrap_or(usize::MAX),
                        limit: MAX_RECT_PIXEL_BYTES as usize,
                    });
                }
            }
            Ok(())
        }
        Payload::MouseEvent(m) => check("display_id", &m.display_id, MAX_ID_LEN),
        Payload::KeyEvent(k) => {
            check("code", &k.code, MAX_ID_LEN)?;
            check("text", &k.text, MAX_ID_LEN)
        }
        Payload::DisplayList(d) => {
            check_count("displays", d.displays.len(), MAX_DISPLAYS)?;
            check("selected_display_id", &d.selected_display_id, MAX_ID_LEN)?;
            for display in &d.displays {
                check("display.id", &display.id, MAX_ID_LEN)?;
                check("display.name", &display.name, MAX_TEXT_LEN)?;
            }
            Ok(())
        }
        Payload::SelectDisplay(s) => check("display_id", &s.display_id, MAX_ID_LEN),
        Payload::KeyFrameRequest(k) => check("display_id", &k.display_id, MAX_ID_LEN),
        Payload::CursorPosition(c) => check("display_id", &c.display_id, MAX_ID_LEN),
        Payload::CursorShape(c) => {
            let expected = u64::from(c.width) * u64::from(c.height) * 4;
            if expected > 256 * 256 * 4 || (!c.bgra.is_empty() && c.bgra.len() as u64 != expected) {
                return Err(ProtoError::Malformed("cursor shape size mismatch".into()));
            }
            Ok(())
        }
        Payload::AgentStatus(s) => validate_status(s),
        Payload::ConsentRequest(c) => {
            check("session_id", &c.session_id, MAX_ID_LEN)?;
            check("technician_name", &c.technician_name, MAX_TEXT_LEN)?;
            check("reason", &c.reason, MAX_TEXT_LEN)
        }
        Payload::ConsentResponse(c) => check("session_id", &c.session_id, MAX_ID_LEN),
        Payload::AdminCommand(a) => check("version", &a.version, MAX_ID_LEN),
        Payload::Error(e) => {
            check("detail", &e.detail, MAX_TEXT_LEN)?;
            check("correlation_id", &e.correlation_id, MAX_ID_LEN)
        }
        Payload::Disconnect(d) => check("detail", &d.detail, MAX_TEXT_LEN),
        Payload::ServerHello(h) => {
            check("session_id", &h.session_id, MAX_ID_LEN)?;
            check("agent_id", &h.agent_id, MAX_ID_LEN)
        }
        Payload::SessionResponse(r) => {
            check("session_id", &r.session_id, MAX_ID_LEN)?;
            check("hostname", &r.hostname, MAX_TEXT_LEN)
        }
        Payload::QualitySettings(_)
        | Payload::Ping(_)
        | Payload::Pong(_)
        | Payload::StreamControl(_)
        | Payload::FrameStats(_)
        | Payload::ViewerPresence(_)
        | Payload::FrameAck(_) => Ok(()),
    }
}

fn validate_status(s: &crate::AgentStatus) -> Result<(), ProtoError> {
    for (field, value) in [
        ("hostname", &s.hostname),
        ("os_name", &s.os_name),
        ("os_version", &s.os_version),
        ("os_arch", &s.os_arch),
        ("cpu_model", &s.cpu_model),
        ("manufacturer", &s.manufacturer),
        ("model", &s.model),
        ("serial_number", &s.serial_number),
        ("logged_on_user", &s.logged_on_user),
        ("time_zone", &s.time_zone),
        ("agent_version", &s.agent_version),
        ("organization", &s.organization),
        ("site", &s.site),
        ("department", &s.department),
        ("device_type", &s.device_type),
    ] {
        check(field, value, MAX_TEXT_LEN)?;
    }
    check_count("addresses", s.addresses.len(), MAX_ADDRESSES)?;
    for a in &s.addresses {
        check("address.interface_name", &a.interface_name, MAX_TEXT_LEN)?;
        check("address.ip", &a.ip, MAX_ID_LEN)?;
        check("address.mac", &a.mac, MAX_ID_LEN)?;
    }
    check_count("tags", s.tags.len(), MAX_TAGS)?;
    for t in &s.tags {
        check("tag", t, MAX_TEXT_LEN)?;
    }
    Ok(())
}
