//! What both products' servers do alike, written once: bind (port 0 resolved before the first
//! request), serve plain HTTP or TLS with Nagle's algorithm off, and wait for a stop signal.
//! Each server keeps what is its own: its state, its routes, its background tasks, what a
//! graceful shutdown must flush.

mod listen;
mod signal;

pub use listen::{bind, serve, Bound, TlsFiles};
pub use signal::shutdown_signal;
