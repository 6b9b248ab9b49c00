//! The agent WebSocket, `/ws` (RMM-3). `connection` runs one socket from upgrade to goodbye,
//! `auth` checks its first message, `registry` holds the live sockets (one per agent), `writer`
//! drains a socket's outbound queue. Commands reach those sockets through `crate::delivery`.

pub mod auth;
pub mod connection;
pub mod registry;
pub mod writer;

pub use registry::{LiveAgent, Outbound, Registry};
