//! Round-trip, limit and malformed-input tests for the wire protocol.

use super::*;
use proptest::prelude::*;

fn hello(machine_uid: &str) -> Payload {
    Payload::AgentHello(AgentHello {
        protocol_version: PROTOCOL_VERSION,
        machine_uid: machine_uid.into(),
        agent_id: "agent-1".into(),
        mode: AgentMode::Unattended as i32,
        agent_version: "0.1.0".into(),
        credential: Some(agent_hello::Credential::AgentKey("gck_x".into())),
        hostname: "host".into(),
        os: "Linux".into(),
    })
}

#[test]
fn round_trips_an_agent_hello() {
    let body = encode_payload(hello("uid"));
    assert_eq!(decode(body, MAX_VIEWER_MESSAGE_BYTES), Ok(hello("uid")));
}

#[test]
fn refuses_oversized_bodies_before_parsing() {
    let body = Bytes::from(vec![0u8; MAX_VIEWER_MESSAGE_BYTES + 1]);
    assert!(matches!(
        decode(body, MAX_VIEWER_MESSAGE_BYTES),
        Err(ProtoError::TooLarge { .. })
    ));
}

#[test]
fn refuses_overlong_fields() {
    let body = encode_payload(hello(&"u".repeat(MAX_ID_LEN + 1)));
    assert_eq!(
        decode(body, MAX_AGENT_MESSAGE_BYTES),
        Err(ProtoError::FieldTooLong {
            field: "machine_uid",
            size: MAX_ID_LEN + 1,
            limit: MAX_ID_LEN
        })
    );
}

#[test]
fn refuses_an_empty_envelope() {
    assert_eq!(
        decode(Bytes::new(), MAX_AGENT_MESSAGE_BYTES),
        Err(ProtoError::Empty)
    );
}

#[test]
fn refuses_a_rectangle_that_would_expand_beyond_the_limit() {
    let frame = Payload::VideoFrame(VideoFrame {
        rects: vec![FrameRect {
            rect: Some(Rect {
                x: 0,
                y: 0,
                width: 100_000,
                height: 100_000,
            }),
            ..Default::default()
        }],
        ..Default::default()
    });
    assert!(matches!(
        decode(encode_payload(frame), MAX_AGENT_MESSAGE_BYTES),
        Err(ProtoError::FieldTooLong { field: "rect", .. })
    ));
}

#[test]
fn refuses_truncated_messages() {
    let body = encode_payload(hello("uid"));
    let cut = body.slice(..body.len() - 3);
    assert!(matches!(
        decode(cut, MAX_AGENT_MESSAGE_BYTES),
        Err(ProtoError::Malformed(_))
    ));
}

proptest! {
    /// Arbitrary bytes never panic the decoder: they parse or they are refused.
    #[test]
    fn decoder_never_panics_on_arbitrary_input(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = decode(Bytes::from(data), MAX_VIEWER_MESSAGE_BYTES);
    }

    /// Any key event that fits the limits survives a round trip unchanged.
    #[test]
    fn key_events_round_trip(down in any::<bool>(), code in "[A-Za-z0-9]{0,32}", modifiers in 0u32..16) {
        let event = Payload::KeyEvent(KeyEvent { down, code, text: String::new(), modifiers, release_all: false, secure_attention: false });
        prop_assert_eq!(decode(encode_payload(event.clone()), MAX_VIEWER_MESSAGE_BYTES), Ok(event));
    }
}
