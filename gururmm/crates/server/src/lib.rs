//! GuruRMM server: the agents' WebSocket, the command broker, metrics and the REST API around
//! them, storage and authentication. `main.rs` only parses the command line; everything lives
//! here so tests run the real server in-process.

#![forbid(unsafe_code)]

pub mod alerting;
pub mod api;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod command_feed;
pub mod config;
pub mod connect;
pub mod db;
pub mod delivery;
pub mod http;
pub mod model;
pub mod policies;
pub mod reaper;
pub mod server;
pub mod updates;
pub mod ws;

pub use app::AppState;
pub use config::Config;
pub use server::{RunningServer, Server};
pub use server_kit::signing;
