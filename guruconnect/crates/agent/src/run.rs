//! The agent's two modes. Attended: one session joined with a support code, then exit.
//! Unattended: sessions with the per-machine key, forever, reconnecting with capped, fully
//! jittered exponential backoff.

use crate::backoff::Backoff;
use crate::platform::Platform;
use crate::session::{self, SessionConfig, SessionEnd};
use std::time::{Duration, Instant};

/// A connection that lasted this long was healthy: the next failure starts backing off afresh.
const STABLE_AFTER: Duration = Duration::from_secs(30);

/// Attended mode: returns once the session ends; Err when it could not start.
pub async fn attended(config: &SessionConfig, platform: &Platform) -> anyhow::Result<()> {
    match session::run(config, platform).await? {
        SessionEnd::Refused(reason) => {
            anyhow::bail!(
                "the server refused the support code ({})",
                reason_name(reason)
            )
        }
        SessionEnd::Ended(reason) => {
            tracing::info!(reason = reason_name(reason), "session ended");
            Ok(())
        }
    }
}

/// Unattended mode: never returns.
pub async fn unattended(config: &SessionConfig, platform: &Platform) -> ! {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        let started = Instant::now();
        match session::run(config, platform).await {
            Ok(SessionEnd::Refused(reason)) => {
                tracing::error!(
                    reason = reason_name(reason),
                    "the server refused this agent's key"
                );
            }
            Ok(SessionEnd::Ended(reason)) => {
                tracing::info!(reason = reason_name(reason), "session ended; reconnecting");
            }
            Err(e) => tracing::warn!(error = format!("{e:#}"), "connection failed"),
        }
        if started.elapsed() >= STABLE_AFTER {
            backoff.reset();
        }
        let delay = backoff.next_delay(rand::random::<f64>());
        tracing::info!(
            delay_ms = delay.as_millis() as u64,
            "waiting before reconnecting"
        );
        tokio::time::sleep(delay).await;
    }
}

fn reason_name(reason: Option<guruconnect_proto::DisconnectReason>) -> &'static str {
    reason.map_or("connection closed", |r| r.as_str_name())
}
