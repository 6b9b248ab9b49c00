//! GuruConnect server: the relay between endpoint agents and technicians' viewers, the REST API
//! around it, storage and authentication. The binary in `main.rs` only parses the command line;
//! everything else lives here so tests start the real server in-process.

#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod http;
pub mod model;
pub mod relay;
pub mod releases;
pub mod server;
pub mod web;

pub use app::AppState;
pub use config::Config;
pub use server::{RunningServer, Server};
