//! What both products' servers do alike, written once: bind (port 0 resolved before the first
//! request), serve plain HTTP or TLS with Nagle's algorithm off, wait for a stop signal, and
//! tell the client's address (behind a trusted proxy, the address the proxy saw); and refuse
//! the bare environment names both products once read.
//! Each server keeps what is its own: its state, its routes, its background tasks, what a
//! graceful shutdown must flush.

mod client;
mod env;
mod listen;
mod signal;

pub use client::{client_ip, ClientIp, ForwardedPolicy};
pub use env::{renamed_message, still_relied_on, Renamed};
pub use listen::{bind, serve, Bound, TlsFiles};
pub use signal::shutdown_signal;
