//! What both products' servers do alike, written once: read the config file and the
//! environment's typed overrides, bind (port 0 resolved before the first
//! request), serve plain HTTP or TLS with Nagle's algorithm off, wait for a stop signal, and
//! tell the client's address (behind a trusted proxy, the address the proxy saw); refuse the
//! bare environment names both products once read; keep secrets out of logs, hash and compare
//! credentials, hash passwords, sign and check tokens, throttle by sliding windows; and put the
//! same request id, security headers and CORS around every route; open the database and apply
//! migrations; declare enums stored as text and ids with a type per kind; hold checked-in
//! generated files to the code.
//! Each server keeps what is its own: its state, its routes, its background tasks, what a
//! graceful shutdown must flush.

pub mod accounts;
pub mod cli;
mod client;
pub mod config;
pub mod crypto;
pub mod db;
pub mod golden;
pub mod http;
pub mod ids;
pub mod install;
pub mod intake;
pub mod jwt;
mod listen;
pub mod password;
pub mod seal;
pub mod second_factor;
mod secret;
mod signal;
pub mod signing;
pub mod sso;
pub mod stored;
pub mod throttle;

pub use client::{client_ip, ClientIp, ForwardedPolicy};
pub use listen::{bind, serve, Bound, Serving};
pub use secret::SecretString;
pub use signal::shutdown_signal;
