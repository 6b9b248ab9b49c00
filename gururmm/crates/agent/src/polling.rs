//! Legacy polling mode (RMM-8) for machines that cannot keep a WebSocket: register once with
//! the site code (the issued key is kept in the state dir), then every `poll_interval_secs` a
//! REST heartbeat that returns pending commands, which run one after another; each result is
//! posted, and kept for the next round if posting fails.

use crate::config::AgentConfig;
use crate::exec::Executor;
use crate::session::auth_payload;
use crate::state::StateDir;
use gururmm_protocol::{CommandPayload, CommandResult, AGENT_KEY_PREFIX};
use serde::Deserialize;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::watch;

/// `wss://host/ws` -> `https://host` (and ws -> http).
pub fn http_base(ws_url: &str) -> anyhow::Result<String> {
    let rest = if let Some(r) = ws_url.strip_prefix("wss://") {
        format!("https://{r}")
    } else if let Some(r) = ws_url.strip_prefix("ws://") {
        format!("http://{r}")
    } else {
        anyhow::bail!("server.url must start with ws:// or wss://");
    };
    Ok(rest
        .trim_end_matches('/')
        .trim_end_matches("/ws")
        .to_owned())
}

#[derive(Debug, Deserialize)]
struct Registered {
    api_key: String,
}

#[derive(Debug, Deserialize)]
struct HeartbeatResponse {
    pending_commands: Vec<CommandPayload>,
}

pub struct Poller {
    config: AgentConfig,
    state: StateDir,
    device_id: String,
    base: String,
    http: reqwest::Client,
    executor: Executor,
    unsent: VecDeque<CommandResult>,
}

impl Poller {
    pub fn new(
        config: AgentConfig,
        state: StateDir,
        device_id: String,
        trust: &crate::trust::Trust,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            base: http_base(&config.server.url)?,
            http: trust.http().timeout(Duration::from_secs(30)).build()?,
            executor: Executor::new(&config).with_launcher(std::sync::Arc::new(
                crate::remote_control::Launcher::new(
                    config.remote_control.clone(),
                    device_id.clone(),
                    state.path(),
                    trust,
                ),
            )),
            unsent: VecDeque::new(),
            config,
            state,
            device_id,
        })
    }

    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let interval = Duration::from_secs(self.config.agent.poll_interval_secs);
        loop {
            if let Err(e) = self.round().await {
                tracing::warn!(error = %format!("{e:#}"), "poll failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// The key to poll with: stored (issued at registration, or put in `agent.key` by hand
    /// after a rotation), configured, or obtained by registering with the site code. The
    /// stored key wins as in socket mode, so one rule says where a new key goes.
    async fn key(&self) -> anyhow::Result<String> {
        if let Some(key) = self.state.agent_key() {
            return Ok(key);
        }
        let configured = &self.config.server.api_key;
        if configured.starts_with(AGENT_KEY_PREFIX) {
            return Ok(configured.clone());
        }
        let auth = auth_payload("", &self.device_id, None);
        let response = self
            .http
            .post(format!("{}/api/agent/register-legacy", self.base))
            .json(&serde_json::json!({
                "site_code": configured, "device_id": auth.device_id, "hostname": auth.hostname,
                "os_type": auth.os_type, "os_version": auth.os_version, "arch": auth.arch,
                "agent_version": auth.agent_version,
            }))
            .send()
            .await?
            .error_for_status()?;
        let registered: Registered = response.json().await?;
        self.state.set_agent_key(&registered.api_key)?;
        tracing::info!("registered in polling mode; key stored");
        Ok(registered.api_key)
    }

    /// One heartbeat, the commands it returned, and their results.
    pub async fn round(&mut self) -> anyhow::Result<()> {
        let key = self.key().await?;
        self.flush(&key).await?;
        let response: HeartbeatResponse = self
            .http
            .post(format!("{}/api/agent/heartbeat", self.base))
            .header("x-agent-key", &key)
            .json(&serde_json::json!({}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for cmd in response.pending_commands {
            tracing::info!(command_id = %cmd.id, command_type = %cmd.kind.command_type(), "command received (polling)");
            let result = self.executor.run(&cmd).await;
            self.unsent.push_back(result);
            self.flush(&key).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, key: &str) -> anyhow::Result<()> {
        while let Some(result) = self.unsent.front() {
            let response = self
                .http
                .post(format!("{}/api/agent/command-result", self.base))
                .header("x-agent-key", key)
                .json(result)
                .send()
                .await?;
            // 409: the server no longer waits for it (timed out); do not retry forever.
            if !(response.status().is_success()
                || response.status() == reqwest::StatusCode::CONFLICT)
            {
                anyhow::bail!("command-result answered {}", response.status());
            }
            self.unsent.pop_front();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::http_base;

    #[test]
    fn the_rest_base_comes_from_the_socket_url() {
        assert_eq!(
            http_base("wss://rmm.example.com/ws").expect("ok"),
            "https://rmm.example.com"
        );
        assert_eq!(
            http_base("ws://127.0.0.1:3001/ws").expect("ok"),
            "http://127.0.0.1:3001"
        );
        assert!(http_base("http://x").is_err());
    }
}
