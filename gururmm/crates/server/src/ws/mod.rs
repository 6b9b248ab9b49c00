//! The agent WebSocket, `/ws` (RMM-3). `connection` runs one socket from upgrade to goodbye,
//! `auth` checks its first message, `registry` holds the live sockets (one per agent), `writer`
//! drains a socket's outbound queue, `broker` delivers commands to live agents.

pub mod auth;
pub mod broker;
pub mod connection;
pub mod registry;
pub mod writer;

pub use registry::{LiveAgent, Outbound, Registry};
