//! GuruRMM agent: connects to the server's `/ws`, authenticates with its key or site code,
//! reports heartbeats, metrics and network changes, runs commands for real, keeps watched
//! services up and installs signed updates. `main.rs` only parses arguments.

// unsafe_code is denied workspace-wide; only the Windows token module allows it.

pub mod backoff;
pub mod config;
pub mod device_id;
pub mod exec;
pub mod launched;
pub mod logging;
pub mod metrics;
pub mod os_name;
pub mod polling;
pub mod remote_control;
pub mod service;
pub mod session;
pub mod state;
pub mod traffic;
pub mod trust;
pub mod updater;
pub mod watchdog;

/// This build's version: the crate's, unless the release build stamps another one through
/// `GURURMM_AGENT_VERSION` at compile time (the update end-to-end test builds a "next" agent
/// that way).
pub const VERSION: &str = match option_env!("GURURMM_AGENT_VERSION") {
    Some(stamped) => stamped,
    None => env!("CARGO_PKG_VERSION"),
};

use config::AgentConfig;
use state::StateDir;
use std::path::Path;
use tokio::sync::{mpsc, watch};

/// Runs the agent described by `config_path` until `shutdown` turns true.
pub async fn run(config_path: &Path, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let config = AgentConfig::load(config_path)?;
    if let Some(warning) = config::exposure_warning(config_path) {
        tracing::warn!("{warning}");
    }
    // Only one TLS provider is linked; make it the process default for wss:// and https://.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state_dir = config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| ".".into());
    let state = StateDir::new(state_dir);
    let device_id = config
        .agent
        .device_id
        .clone()
        .unwrap_or_else(device_id::derive);
    tracing::info!(%device_id, version = VERSION, mode = %config.server.mode, "agent starting");
    let (watchdog_tx, watchdog_rx) = mpsc::channel(128);
    tokio::spawn(watchdog::run(config.watchdog.clone(), watchdog_tx));
    let trust = trust::Trust::load(config.server.ca_cert.as_deref()).map_err(anyhow::Error::msg)?;
    if config.server.mode == "polling" {
        polling::Poller::new(config, state, device_id, &trust)?
            .run(shutdown)
            .await;
    } else {
        session::Agent::new(config, state, device_id, watchdog_rx, trust)
            .run(shutdown)
            .await;
    }
    Ok(())
}
