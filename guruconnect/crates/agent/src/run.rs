//! The agent's two modes. Attended: one session joined with a support code, then exit.
//! Unattended: sessions with the per-machine key until stopped, reconnecting with capped,
//! fully jittered exponential backoff. Either way a stop (signal, service manager) makes the
//! session say goodbye to the relay first.

use crate::backoff::Backoff;
use crate::config::{self, Settings};
use crate::platform::Platform;
use crate::service::lifecycle::StopFlag;
use crate::session::{self, Credential, SessionConfig, SessionEnd, Shutdown};
use std::time::{Duration, Instant};

/// The session settings from merged `settings` (and a support code for attended mode).
pub fn session_from(
    settings: &Settings,
    support_code: Option<String>,
) -> anyhow::Result<(SessionConfig, Platform)> {
    let server = settings.server.clone().ok_or_else(|| {
        anyhow::anyhow!("no relay URL: give --server or set `server` in the settings file")
    })?;
    let credential = match (
        support_code,
        settings.key.clone(),
        settings.agent_id.clone(),
    ) {
        (Some(code), _, _) => Credential::SupportCode(code),
        (None, Some(key), Some(_)) => Credential::AgentKey(key),
        (None, Some(_), None) => anyhow::bail!("a key needs its agent id"),
        (None, None, _) => anyhow::bail!("give a support code, or an agent id and key"),
    };
    let trust = crate::tls::Trust::load(settings.ca_cert.as_deref())?;
    trust.connector()?; // fails now, not at the first connection
    let config = SessionConfig {
        server,
        trust,
        credential,
        agent_id: settings.agent_id.clone().unwrap_or_default(),
        machine_uid: crate::identity::machine_uid()?,
        hostname: sysinfo::System::host_name().unwrap_or_else(|| "unknown".into()),
        labels: settings.labels(),
    };
    let platform = Platform {
        x11_display: settings.display.clone(),
    };
    Ok((config, platform))
}

/// What the installed service runs: unattended mode from the registry and the default
/// settings file, until the service manager asks it to stop.
pub fn service_work(stop: &StopFlag) -> anyhow::Result<()> {
    let settings = match config::load(None) {
        Ok(settings) => settings,
        Err(e) => {
            // A service has no console: unless it goes to the default log file, the reason the
            // service stopped at once is lost.
            let _guard = crate::logging::init_from(&Settings::default());
            tracing::error!(error = format!("{e:#}"), "the service cannot start");
            return Err(e);
        }
    };
    let _guard = crate::logging::init_from(&settings);
    // Session 0 has no desktop: the work runs as `run` in the console's session.
    #[cfg(windows)]
    if crate::desktop::windows::must_delegate() {
        let host = crate::desktop::windows::Win32Host::with_args(vec!["run".into()]);
        crate::desktop::supervise(host, false, || stop.is_stopped());
        return Ok(());
    }
    let (config, platform) = session_from(&settings, None)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (trigger, shutdown) = Shutdown::channel();
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.is_stopped() {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            tracing::info!("stop requested");
            let _ = trigger.send(true);
        });
        unattended(&config, &platform, &shutdown).await;
    });
    Ok(())
}

/// A shutdown asked for by SIGTERM or SIGINT (Ctrl+C, and Ctrl+Break on Windows): the session
/// says goodbye to the relay before the process exits.
pub fn on_signals() -> Shutdown {
    let (trigger, shutdown) = Shutdown::channel();
    tokio::spawn(async move {
        signal().await;
        tracing::info!("stop requested by a signal");
        let _ = trigger.send(true);
    });
    shutdown
}

#[cfg(unix)]
async fn signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

#[cfg(not(unix))]
async fn signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A connection that lasted this long was healthy: the next failure starts backing off afresh.
const STABLE_AFTER: Duration = Duration::from_secs(30);

/// Attended mode: returns once the session ends; Err when it could not start.
pub async fn attended(
    config: &SessionConfig,
    platform: &Platform,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    match session::run(config, platform, shutdown).await? {
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
        SessionEnd::Stopped => {
            tracing::info!("stopped; the session is over");
            Ok(())
        }
    }
}

/// Unattended mode: sessions one after another until a stop is asked for.
pub async fn unattended(config: &SessionConfig, platform: &Platform, shutdown: &Shutdown) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut stop = shutdown.clone();
    while !shutdown.is_requested() {
        let started = Instant::now();
        match session::run(config, platform, shutdown).await {
            Ok(SessionEnd::Stopped) => break,
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
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.requested() => break,
        }
    }
    tracing::info!("stopped");
}

fn reason_name(reason: Option<guruconnect_proto::DisconnectReason>) -> &'static str {
    reason.map_or("connection closed", |r| r.as_str_name())
}
