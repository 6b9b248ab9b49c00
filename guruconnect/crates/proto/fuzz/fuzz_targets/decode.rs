//! Fuzzes the wire decoder with arbitrary bytes under both size limits: it must return a message
//! or an error, never panic, and whatever it accepts must survive a re-encode and decode.
#![no_main]

use guruconnect_proto as proto;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for limit in [proto::MAX_VIEWER_MESSAGE_BYTES, proto::MAX_AGENT_MESSAGE_BYTES] {
        if let Ok(payload) = proto::decode(bytes::Bytes::copy_from_slice(data), limit) {
            let again = proto::encode_payload(payload.clone());
            let reparsed = proto::decode(again, proto::MAX_AGENT_MESSAGE_BYTES);
            assert_eq!(reparsed.ok(), Some(payload), "accepted input must round-trip");
        }
    }
});
