//! GuruConnect integration (NRC-7): GuruRMM's client for GuruConnect's integration contract
//! (CONTRACT.md, owned by GuruConnect). GuruRMM depends on no GuruConnect crate; it speaks
//! only HTTP, through [`client::ConnectClient`].
//!
//! [`Connect`] adds the capability cache: the document is fetched at start and every
//! `connect.capabilities_refresh_secs`, and again on the next use after a failed fetch. Each
//! time the contract version or the flags change it logs them, and a different major version
//! is a WARNING and disables remote control (see [`capabilities::Capabilities::refuses`]).

pub mod agent_key;
pub mod capabilities;
pub mod client;
pub mod launch;
pub mod reconcile;
pub mod start;

use crate::config::ConnectConfig;
use capabilities::{Capabilities, Compatibility};
pub use client::{ConnectClient, ConnectError};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

#[derive(Debug)]
struct Cached {
    fetched_at: Instant,
    outcome: Result<Capabilities, String>,
}

/// The configured integration: the client and its capability cache.
#[derive(Debug)]
pub struct Connect {
    pub client: ConnectClient,
    refresh: Duration,
    cache: Mutex<Option<Cached>>,
    /// The last document logged, so a change is logged once.
    logged: std::sync::Mutex<Option<Capabilities>>,
}

impl Connect {
    /// None when the integration is not configured.
    pub fn from_config(config: &ConnectConfig) -> anyhow::Result<Option<Self>> {
        let (Some(url), Some(key)) = (&config.url, &config.integration_key) else {
            return Ok(None);
        };
        let client = ConnectClient::new(
            url,
            key.clone(),
            Duration::from_secs(config.request_timeout_secs),
            config.ca_pem().as_deref(),
        )?;
        Ok(Some(Self {
            client,
            refresh: Duration::from_secs(config.capabilities_refresh_secs),
            cache: Mutex::new(None),
            logged: std::sync::Mutex::new(None),
        }))
    }

    /// The cached document while it is fresh and was fetched successfully; otherwise a new
    /// fetch (so a failure is retried on the next use, not only at the next refresh).
    pub async fn capabilities(&self) -> Result<Capabilities, String> {
        let mut cache = self.cache.lock().await;
        if let Some(Cached {
            fetched_at,
            outcome: Ok(caps),
        }) = cache.as_ref()
        {
            if fetched_at.elapsed() < self.refresh {
                return Ok(caps.clone());
            }
        }
        let outcome = self.fetch().await;
        *cache = Some(Cached {
            fetched_at: Instant::now(),
            outcome: outcome.clone(),
        });
        outcome
    }

    /// Fetches now, whatever the cache holds, and stores the answer.
    pub async fn refresh(&self) -> Result<Capabilities, String> {
        let mut cache = self.cache.lock().await;
        let outcome = self.fetch().await;
        *cache = Some(Cached {
            fetched_at: Instant::now(),
            outcome: outcome.clone(),
        });
        outcome
    }

    async fn fetch(&self) -> Result<Capabilities, String> {
        match self.client.capabilities().await {
            Ok(caps) => {
                self.log_if_changed(&caps);
                Ok(caps)
            }
            Err(e) => {
                tracing::warn!(error = %e, "[WARNING] cannot read GuruConnect's capabilities; remote control is unavailable until it answers");
                Err(e.to_string())
            }
        }
    }

    fn log_if_changed(&self, caps: &Capabilities) {
        let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
        if logged.as_ref() == Some(caps) {
            return;
        }
        match caps.compatibility() {
            Compatibility::Compatible => tracing::info!(
                contract_version = %caps.contract_version,
                built_for = capabilities::BUILT_FOR,
                features = %caps.feature_map(),
                "GuruConnect integration contract is compatible"
            ),
            Compatibility::MajorMismatch { .. } | Compatibility::Unparseable { .. } => {
                tracing::warn!(
                    contract_version = %caps.contract_version,
                    built_for = capabilities::BUILT_FOR,
                    features = %caps.feature_map(),
                    "[WARNING] {}",
                    caps.unavailable_reason().unwrap_or_default()
                )
            }
        }
        *logged = Some(caps.clone());
    }
}

/// Refreshes the capabilities at start and every `refresh` until `shutdown`.
pub async fn run_refresher(connect: std::sync::Arc<Connect>, shutdown: CancellationToken) {
    loop {
        let _ = connect.refresh().await;
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(connect.refresh) => {}
        }
    }
}
