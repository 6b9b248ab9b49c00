//! Test and benchmark harness for GuruConnect: the real server in-process on port 0 with a fresh
//! database (SQLite file, or a new PostgreSQL database when `GC_TEST_DATABASE_URL` is set), an
//! HTTP client, and a test agent and test viewer that speak the real protocol over real sockets.
//! Shared by the server's integration tests, the relay benchmark and later end-to-end suites.
#![forbid(unsafe_code)]

mod app;
mod peers;
mod tls;
mod ws;

pub use api_harness::{raw_socket, Admits};
pub use app::{eventually, test_config, TestApp, WAIT};
pub use peers::{frame, hello_with_code, hello_with_key, online_agent, TestAgent, TestViewer};
pub use tls::PrivateCa;
pub use ws::{ack, disconnect_reason, open_ws, open_ws_from, recv, recv_until, send, Ws};
