//! The WebSocket session with the server: connect, authenticate within the timeout, then
//! heartbeats, metrics, network state (only when its hash changed), watchdog events, command
//! results, and the server's commands, pings, update offers (a refused one is answered with
//! `update_result`) and rotated keys (stored, then the agent reconnects with the new key).
//! Reconnects with capped, fully jittered backoff. Commands run in their own tasks and outlive
//! a dropped connection: their results wait in an outbox and go out on the next connection.

use crate::backoff;
use crate::config::AgentConfig;
use crate::exec::{refused, Executor};
use crate::metrics::{ChangeDetector, Collector};
use crate::state::StateDir;
use crate::trust::Trust;
use crate::updater;
use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::{
    decode_server, encode, AgentMessage, AgentSettings, AuthPayload, CommandResult, Heartbeat,
    ServerMessage, UpdatePayload, UpdateResult, WatchdogEvent, AGENT_KEY_PREFIX, PROTOCOL_VERSION,
};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How a session ended.
#[derive(Debug)]
enum Ended {
    Shutdown,
    /// A verified update was installed; restart into it.
    /// A new binary is installed at this path.
    Updated(PathBuf),
    /// The connection dropped or was refused; `authenticated` says whether it got that far.
    Lost {
        authenticated: bool,
        why: String,
    },
}

/// What woke the connected loop.
enum Event {
    Shutdown,
    Silent,
    Closed,
    Text(String),
    Result(CommandResult),
    Watchdog(WatchdogEvent),
    UpdateDone(UpdateOutcome),
    Heartbeat,
    Metrics,
    Network,
}

/// How an offered update ended: the installed binary, or why it was refused.
struct UpdateOutcome {
    offer: UpdatePayload,
    result: Result<PathBuf, updater::UpdateError>,
}

/// The answer to a refused offer, when the offer carried an id: a server that sends none
/// predates `update_result` and would close the socket on it.
fn refusal(offer: &UpdatePayload, error: &updater::UpdateError) -> Option<AgentMessage> {
    let update_id = offer.update_id?;
    Some(AgentMessage::UpdateResult(UpdateResult::refused(
        update_id,
        &offer.version,
        error.code(),
        &error.to_string(),
    )))
}

/// Longest agent key accepted from the server (issued keys are far shorter).
const MAX_AGENT_KEY_CHARS: usize = 256;

/// True for what can be a per-agent key: the `grmm_` prefix, then printable ASCII.
fn plausible_agent_key(key: &str) -> bool {
    key.len() > AGENT_KEY_PREFIX.len()
        && key.len() <= MAX_AGENT_KEY_CHARS
        && key.starts_with(AGENT_KEY_PREFIX)
        && key.bytes().all(|b| b.is_ascii_graphic())
}

/// Everything that outlives one connection.
pub struct Agent {
    config: AgentConfig,
    state: StateDir,
    device_id: String,
    executor: Executor,
    collector: Collector,
    network: ChangeDetector,
    results_tx: mpsc::Sender<CommandResult>,
    results_rx: mpsc::Receiver<CommandResult>,
    watchdog_rx: mpsc::Receiver<WatchdogEvent>,
    outbox: VecDeque<AgentMessage>,
    /// The server's policy overrides; re-applied to the timers when they change.
    settings: AgentSettings,
    settings_changed: bool,
    trust: Trust,
    /// Built once from `trust`: every reconnect reuses it.
    connector: Option<tokio_tungstenite::Connector>,
    /// A rotated key that could not be written to `agent.key`: used while this process runs,
    /// since the server already refuses the old one.
    unsaved_key: Option<String>,
    /// Set when the server rotated the key: the session ends and reconnects with the new one.
    rekeyed: bool,
}

/// Identity fields of the `auth` message, from the OS.
pub fn auth_payload(
    api_key: &str,
    device_id: &str,
    previous_version: Option<String>,
) -> AuthPayload {
    AuthPayload {
        api_key: api_key.to_owned(),
        device_id: device_id.to_owned(),
        hostname: sysinfo::System::host_name().unwrap_or_default(),
        os_type: std::env::consts::OS.to_owned(),
        os_version: crate::os_name::describe(),
        arch: std::env::consts::ARCH.to_owned(),
        agent_version: crate::VERSION.to_owned(),
        previous_version,
        protocol_version: PROTOCOL_VERSION,
    }
}

impl Agent {
    pub fn new(
        config: AgentConfig,
        state: StateDir,
        device_id: String,
        watchdog_rx: mpsc::Receiver<WatchdogEvent>,
        trust: Trust,
    ) -> Self {
        let (results_tx, results_rx) = mpsc::channel(256);
        Self {
            executor: Executor::new(&config).with_launcher(std::sync::Arc::new(
                crate::remote_control::Launcher::new(
                    config.remote_control.clone(),
                    device_id.clone(),
                    state.path(),
                    &trust,
                ),
            )),
            collector: Collector::new(),
            network: ChangeDetector::default(),
            outbox: VecDeque::new(),
            settings: AgentSettings::default(),
            settings_changed: false,
            config,
            state,
            device_id,
            results_tx,
            results_rx,
            watchdog_rx,
            connector: trust.websocket(),
            trust,
            unsaved_key: None,
            rekeyed: false,
        }
    }

    /// Runs sessions until `shutdown` turns true.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let a = &self.config.agent;
        let (base, cap) = (
            Duration::from_secs(a.reconnect_base_secs),
            Duration::from_secs(a.reconnect_cap_secs),
        );
        let mut attempt = 0u32;
        loop {
            match self.session(&mut shutdown).await {
                Ended::Shutdown => return,
                Ended::Updated(exe) => {
                    tracing::info!(path = %exe.display(), "update installed; restarting");
                    updater::restart(&exe);
                }
                Ended::Lost { authenticated, why } => {
                    if authenticated {
                        attempt = 0;
                    }
                    let delay = backoff::full_jitter(base, cap, attempt, &mut rand::thread_rng());
                    attempt = attempt.saturating_add(1);
                    tracing::warn!(%why, delay_ms = delay.as_millis() as u64, "disconnected; reconnecting");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.changed() => return,
                    }
                }
            }
        }
    }

    async fn session(&mut self, shutdown: &mut watch::Receiver<bool>) -> Ended {
        let lost = |authenticated: bool, why: String| Ended::Lost { authenticated, why };
        let auth_timeout = Duration::from_secs(self.config.agent.auth_timeout_secs);
        let mut ws = match tokio::time::timeout(
            auth_timeout,
            tokio_tungstenite::connect_async_tls_with_config(
                &self.config.server.url,
                None,
                true, // Nagle off: a command's output lines go out as they come
                self.connector.clone(),
            ),
        )
        .await
        {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => return lost(false, format!("connect: {e}")),
            Err(_) => return lost(false, "connect timed out".into()),
        };
        let previous = self.state.previous_version();
        // The key issued at enrolment or rotation, once we have one; the configured credential
        // before.
        let api_key = self
            .unsaved_key
            .clone()
            .or_else(|| self.state.agent_key())
            .unwrap_or_else(|| self.config.server.api_key.clone());
        let auth = auth_payload(&api_key, &self.device_id, previous.clone());
        if let Err(e) = send(&mut ws, &AgentMessage::Auth(auth)).await {
            return lost(false, e);
        }
        match tokio::time::timeout(auth_timeout, next_text(&mut ws)).await {
            Ok(Some(text)) => match decode_server(&text) {
                Ok(ServerMessage::AuthResponse(r)) if r.success => {
                    tracing::info!(agent_id = ?r.agent_id, "authenticated");
                    if let Some(key) = &r.agent_key {
                        match self.state.set_agent_key(key) {
                            Ok(()) => tracing::info!("enrolled; agent key stored"),
                            Err(e) => {
                                tracing::error!(error = %e, "could not store the issued agent key")
                            }
                        }
                    }
                    self.apply_settings(r.settings.unwrap_or_default());
                }
                Ok(ServerMessage::AuthResponse(r)) => {
                    return lost(false, format!("refused: {}", r.message))
                }
                _ => return lost(false, "expected auth_response".into()),
            },
            Ok(None) => return lost(false, "closed during authentication".into()),
            Err(_) => return lost(false, "no auth_response within the auth timeout".into()),
        }
        if previous.is_some() {
            self.state.clear_previous_version();
        }
        self.network.reset();
        while let Some(message) = self.outbox.pop_front() {
            if let Err(e) = send(&mut ws, &message).await {
                self.outbox.push_front(message);
                return lost(true, e);
            }
        }
        let why = self.pump(&mut ws, shutdown).await;
        let _ = ws.close(None).await;
        why
    }

    /// The connected loop. Returns why it ended.
    async fn pump(&mut self, ws: &mut Ws, shutdown: &mut watch::Receiver<bool>) -> Ended {
        let a = &self.config.agent;
        let idle = Duration::from_secs(a.idle_timeout_secs);
        let mut network = tokio::time::interval(Duration::from_secs(a.network_check_interval_secs));
        let (mut heartbeat, mut metrics) = self.timers();
        let (update_tx, mut update_rx) = mpsc::channel::<UpdateOutcome>(1);
        let mut updating = false;
        let mut last_heard = tokio::time::Instant::now();
        loop {
            // Pick the next event with disjoint borrows, then handle it with all of `self`.
            let event = tokio::select! {
                _ = shutdown.changed() => Event::Shutdown,
                _ = tokio::time::sleep_until(last_heard + idle) => Event::Silent,
                text = next_text(ws) => text.map_or(Event::Closed, Event::Text),
                Some(result) = self.results_rx.recv() => Event::Result(result),
                Some(event) = self.watchdog_rx.recv() => Event::Watchdog(event),
                Some(outcome) = update_rx.recv() => Event::UpdateDone(outcome),
                _ = heartbeat.tick() => Event::Heartbeat,
                _ = metrics.tick() => Event::Metrics,
                _ = network.tick() => Event::Network,
            };
            let outgoing = match event {
                Event::Shutdown => return Ended::Shutdown,
                Event::Silent => {
                    return Ended::Lost {
                        authenticated: true,
                        why: "server silent past the idle timeout".into(),
                    }
                }
                Event::Closed => {
                    return Ended::Lost {
                        authenticated: true,
                        why: "server closed the connection".into(),
                    }
                }
                Event::Text(text) => {
                    last_heard = tokio::time::Instant::now();
                    self.on_server_text(&text, &update_tx, &mut updating)
                }
                Event::Result(result) => Some(AgentMessage::CommandResult(result)),
                Event::Watchdog(event) => Some(AgentMessage::WatchdogEvent(event)),
                Event::UpdateDone(UpdateOutcome {
                    result: Ok(exe), ..
                }) => return Ended::Updated(exe),
                Event::UpdateDone(UpdateOutcome {
                    offer,
                    result: Err(e),
                }) => {
                    updating = false;
                    tracing::error!(version = %offer.version, reason = e.code(), error = %e, "update refused; keeping the current binary");
                    refusal(&offer, &e)
                }
                Event::Heartbeat => Some(AgentMessage::Heartbeat(Heartbeat {
                    uptime_seconds: sysinfo::System::uptime(),
                })),
                Event::Metrics => Some(AgentMessage::MetricsReport(
                    self.collector.sample(&self.config.metrics).await,
                )),
                Event::Network => {
                    let state = self.collector.network_state();
                    self.network
                        .changed(&state)
                        .then_some(AgentMessage::NetworkState(state))
                }
            };
            if std::mem::take(&mut self.settings_changed) {
                (heartbeat, metrics) = self.timers();
            }
            if let Some(message) = outgoing {
                if let Err(e) = send(ws, &message).await {
                    // Results must survive a dropped connection; samples need not.
                    if matches!(
                        message,
                        AgentMessage::CommandResult(_)
                            | AgentMessage::WatchdogEvent(_)
                            | AgentMessage::UpdateResult(_)
                    ) {
                        self.outbox.push_back(message);
                    }
                    return Ended::Lost {
                        authenticated: true,
                        why: e,
                    };
                }
            }
            if std::mem::take(&mut self.rekeyed) {
                // The server closes this socket right after the key; the old key is refused.
                return Ended::Lost {
                    authenticated: true,
                    why: "agent key rotated by the server; reconnecting with the new key".into(),
                };
            }
        }
    }

    /// Handles one server message; returns an immediate reply, if any.
    fn on_server_text(
        &mut self,
        text: &str,
        update_tx: &mpsc::Sender<UpdateOutcome>,
        updating: &mut bool,
    ) -> Option<AgentMessage> {
        match decode_server(text) {
            Ok(ServerMessage::Command(cmd)) => {
                tracing::info!(command_id = %cmd.id, command_type = %cmd.kind.command_type(), "command received");
                let executor = self.executor.clone();
                let results = self.results_tx.clone();
                tokio::spawn(async move {
                    let result = executor.run(&cmd).await;
                    tracing::info!(command_id = %cmd.id, exit_code = result.exit_code, "command finished");
                    let _ = results.send(result).await;
                });
                None
            }
            Ok(ServerMessage::Ping) => Some(AgentMessage::Heartbeat(Heartbeat {
                uptime_seconds: sysinfo::System::uptime(),
            })),
            Ok(ServerMessage::Update(offer)) => {
                if !*updating {
                    *updating = true;
                    self.start_update(offer, update_tx.clone());
                }
                None
            }
            Ok(ServerMessage::AuthResponse(_)) => None,
            Ok(ServerMessage::Settings(settings)) => {
                self.apply_settings(settings);
                None
            }
            Ok(ServerMessage::KeyRotated(rotated)) => {
                self.adopt_rotated_key(rotated.agent_key);
                None
            }
            // A command we could not even decode still gets an answer.
            Err(e) => match e.command_id {
                Some(id) => {
                    tracing::warn!(command_id = %id, error = %e, "undecodable command; reporting failure");
                    Some(AgentMessage::CommandResult(refused(
                        id,
                        format!("agent could not decode the command: {e}"),
                    )))
                }
                None => {
                    tracing::warn!(error = %e, "ignoring a message this agent does not understand");
                    None
                }
            },
        }
    }

    /// Stores a key the server rotated in (atomically, owner-only, as at enrolment) and ends the
    /// session so the next one authenticates with it. A key that cannot be written is kept in
    /// memory for as long as this process runs; without it the agent could not reconnect at all.
    fn adopt_rotated_key(&mut self, key: String) {
        if !plausible_agent_key(&key) {
            tracing::warn!("ignoring a rotated agent key that is not a grmm_ key");
            return;
        }
        match self.state.set_agent_key(&key) {
            Ok(()) => {
                tracing::info!("agent key rotated by the server; new key stored");
                self.unsaved_key = None;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not store the rotated agent key; using it until this agent restarts");
                self.unsaved_key = Some(key);
            }
        }
        self.rekeyed = true;
    }

    /// Takes the server's settings when they are in range (the same ranges as agent.toml).
    fn apply_settings(&mut self, settings: AgentSettings) {
        let heartbeat_ok = settings
            .heartbeat_interval_secs
            .is_none_or(|v| (1..=3600).contains(&v));
        let metrics_ok = settings
            .metrics_interval_secs
            .is_none_or(|v| (10..=3600).contains(&v));
        if !(heartbeat_ok && metrics_ok) {
            tracing::warn!(?settings, "ignoring out-of-range settings from the server");
            return;
        }
        if settings != self.settings {
            tracing::info!(?settings, "policy settings applied");
            self.settings = settings;
            self.settings_changed = true;
        }
    }

    /// Heartbeat and metrics timers: the policy's intervals, else agent.toml's.
    fn timers(&self) -> (tokio::time::Interval, tokio::time::Interval) {
        let (heartbeat, metrics) = self.effective_intervals();
        (
            tokio::time::interval(Duration::from_secs(heartbeat)),
            tokio::time::interval(Duration::from_secs(metrics)),
        )
    }

    /// The heartbeat and metrics intervals in force, in seconds.
    pub fn effective_intervals(&self) -> (u64, u64) {
        (
            self.settings
                .heartbeat_interval_secs
                .unwrap_or(self.config.agent.heartbeat_interval_secs),
            self.settings
                .metrics_interval_secs
                .unwrap_or(self.config.metrics.interval_seconds),
        )
    }

    fn start_update(&self, offer: UpdatePayload, done: mpsc::Sender<UpdateOutcome>) {
        let key = self.config.update.public_key.clone();
        let state = self.state.clone();
        let http = self.trust.http();
        tracing::info!(version = %offer.version, "update offered; downloading and verifying");
        tokio::spawn(async move {
            let result = updater::apply(&offer, key.as_deref(), &state, http).await;
            let _ = done.send(UpdateOutcome { offer, result }).await;
        });
    }
}

async fn send(ws: &mut Ws, message: &AgentMessage) -> Result<(), String> {
    ws.send(Message::Text(encode(message).into()))
        .await
        .map_err(|e| format!("send: {e}"))
}

/// The next text message; None when the connection is gone. Binary frames are skipped.
async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => return Some(text.as_str().to_owned()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(update_id: Option<uuid::Uuid>) -> UpdatePayload {
        UpdatePayload {
            update_id,
            version: "9.9.9".into(),
            download_url: "https://dl.example/agent?token=download-secret".into(),
            sha256: "00".into(),
            signature: "c2ln".into(),
        }
    }

    #[test]
    fn a_refusal_is_answered_only_when_the_offer_has_an_id() {
        let error = updater::UpdateError::HashMismatch;
        assert!(
            refusal(&offer(None), &error).is_none(),
            "a version-1 server"
        );
        let id = uuid::Uuid::new_v4();
        let Some(AgentMessage::UpdateResult(r)) = refusal(&offer(Some(id)), &error) else {
            panic!("no update_result")
        };
        assert_eq!(
            (r.update_id, r.version.as_str(), r.ok, r.reason.as_str()),
            (id, "9.9.9", false, "hash_mismatch")
        );
        assert!(r.message.contains("SHA-256 mismatch"), "{}", r.message);
    }

    #[test]
    fn a_refusal_names_no_url_and_is_short_ascii() {
        let id = uuid::Uuid::new_v4();
        let error = updater::UpdateError::WrongVersion {
            offered: "9.9.9".into(),
            found: format!("gururmm-agent 1.0 \u{1b}[31m\u{e9}{}", "x".repeat(500)),
        };
        let Some(AgentMessage::UpdateResult(r)) = refusal(&offer(Some(id)), &error) else {
            panic!("no update_result")
        };
        assert_eq!(r.reason, "wrong_version");
        assert!(r.message.len() <= UpdateResult::MAX_MESSAGE_CHARS);
        assert!(r.message.bytes().all(|b| b == b' ' || b.is_ascii_graphic()));
        assert!(!r.message.contains("download-secret"));
    }

    #[test]
    fn only_a_plausible_grmm_key_is_adopted() {
        assert!(plausible_agent_key("grmm_abcDEF0123-_"));
        for bad in [
            "",
            "grmm_",
            "DARK-GROVE-7839",
            "grmt_token",
            "grmm_has space",
            "grmm_caf\u{e9}",
            &format!("grmm_{}", "a".repeat(300)),
        ] {
            assert!(!plausible_agent_key(bad), "{bad:?}");
        }
    }
}
