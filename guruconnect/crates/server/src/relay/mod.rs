//! The relay (GC-1): `/ws/agent` and `/ws/viewer`, the in-memory registry of live sessions, and
//! the lifecycle that keeps it in step with the database (restart reconcile, reaping).

pub mod agent;
mod agent_auth;
pub mod closer;
pub mod consent;
mod inventory;
pub mod lifecycle;
mod pacing;
pub mod reconcile;
pub mod registry;
mod selection;
pub mod session;
mod socket;
pub mod viewer;

pub use registry::Registry;

use bytes::Bytes;
use guruconnect_proto::{self as proto, envelope::Payload};

/// The answer to a protocol-level ping: same nonce and sender timestamp, so the pinger
/// measures RTT on its own clock.
fn pong(ping: &proto::Ping) -> Bytes {
    proto::encode_payload(Payload::Pong(proto::Pong {
        nonce: ping.nonce,
        sent_at_us: ping.sent_at_us,
    }))
}
