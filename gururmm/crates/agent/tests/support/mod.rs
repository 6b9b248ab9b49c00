//! The test server harness shared by the agent's end-to-end suites: the real server
//! in-process on port 0 with a first admin logged in, and helpers to create sites, write agent
//! configurations, send commands and wait for what the API shows.

use gururmm_server::config::Config;
use gururmm_server::{RunningServer, Server};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// True when the tests run as root (an agent with rights to shed).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

pub const WAIT: Duration = Duration::from_secs(30);

pub struct Harness {
    pub server: Option<RunningServer>,
    pub config: Config,
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with_tls(None).await
    }

    /// With `tls` (PEM certificate and key files for `localhost`) the server speaks only HTTPS
    /// and wss://, and the harness reaches it as `localhost`.
    pub async fn start_with_tls(tls: Option<(&rcgen::CertifiedKey, PathBuf, PathBuf)>) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let mut config = Config {
            bind: "127.0.0.1:0".parse().expect("addr"),
            data_dir: dir.path().join("server"),
            bootstrap_admin: false,
            ..Config::default()
        };
        config.limits.reaper_interval_ms = 200;
        config.limits.command_grace_secs = 5;
        config.tls = tls
            .as_ref()
            .map(|(_, cert, key)| gururmm_server::config::TlsConfig {
                cert: cert.clone(),
                key: key.clone(),
            });
        let server = Server::start(config.clone()).await.expect("server");
        config.bind = server.addr;
        let admin = gururmm_server::bootstrap::first_admin_if_empty(&server.state.db)
            .await
            .expect("bootstrap")
            .expect("admin");
        let (http, base) = match &tls {
            Some((certified, _, _)) => (
                reqwest::Client::builder()
                    .add_root_certificate(
                        reqwest::Certificate::from_pem(certified.cert.pem().as_bytes())
                            .expect("pem"),
                    )
                    .resolve("localhost", server.addr)
                    .build()
                    .expect("client"),
                format!("https://localhost:{}", server.addr.port()),
            ),
            None => (reqwest::Client::new(), format!("http://{}", server.addr)),
        };
        let login: Value = http
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"email": admin.login, "password": admin.password}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        Self {
            token: login["token"].as_str().expect("token").to_owned(),
            server: Some(server),
            config,
            base,
            http,
            dir,
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json")
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("post");
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn site_code(&self) -> String {
        let (_, client) = self.post("/api/clients", json!({"name": "E2E"})).await;
        let (_, site) = self
            .post(
                "/api/sites",
                json!({"client_id": client["id"], "name": "Lab"}),
            )
            .await;
        site["site_code"].as_str().expect("code").to_owned()
    }

    /// Writes agent.toml in its own directory (the agent keeps state beside it).
    pub fn agent_config(&self, name: &str, api_key: &str, extra: &str) -> PathBuf {
        let url = format!("ws://{}/ws", self.config.bind);
        self.agent_config_for(&url, name, api_key, extra)
    }

    /// `agent_config` with another server URL (wss:// for the TLS test).
    pub fn agent_config_for(&self, url: &str, name: &str, api_key: &str, extra: &str) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("agent.toml");
        let text = format!(
            "[server]\nurl = \"{url}\"\napi_key = \"{api_key}\"\n{extra}\n\
             [agent]\nheartbeat_interval_secs = 1\nnetwork_check_interval_secs = 1\n\
             reconnect_base_secs = 1\nreconnect_cap_secs = 2\npoll_interval_secs = 1\n\
             device_id = \"e2e-{name}\"\n[metrics]\ninterval_seconds = 10\n\
             [logging]\ndirectory = \"{}\"\n",
            dir.join("logs").display()
        );
        std::fs::write(&path, text).expect("write config");
        path
    }

    pub async fn wait_for(
        &self,
        what: &str,
        mut check: impl FnMut(Value) -> bool,
        path: &str,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let value = self.get(path).await;
            if check(value.clone()) {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}: {value}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn agent_id(&self, device: &str) -> String {
        let page = self
            .wait_for(
                &format!("agent {device}"),
                |v| v["total"] == 1,
                &format!("/api/agents?q={device}"),
            )
            .await;
        page["items"][0]["id"].as_str().expect("id").to_owned()
    }

    pub async fn wait_status(&self, agent_id: &str, status: &str) {
        self.wait_for(
            &format!("agent {status}"),
            |v| v["status"] == status,
            &format!("/api/agents/{agent_id}"),
        )
        .await;
    }

    pub async fn command(&self, agent_id: &str, kind: &str, text: &str, timeout: u64) -> String {
        self.command_with(agent_id, kind, text, timeout, false)
            .await
    }

    /// A command with the agent's own rights: the dashboard's "Elevated" box ticked when the
    /// agent runs as root, unticked otherwise (an ordinary agent runs everything as itself and
    /// refuses elevation).
    pub async fn elevated_command(&self, agent_id: &str, kind: &str, text: &str) -> String {
        self.command_with(agent_id, kind, text, 30, is_root()).await
    }

    pub async fn command_with(
        &self,
        agent_id: &str,
        kind: &str,
        text: &str,
        timeout: u64,
        elevated: bool,
    ) -> String {
        let (status, body) = self
            .post(
                &format!("/api/agents/{agent_id}/command"),
                json!({"command_type": kind, "command": text, "timeout_seconds": timeout,
                       "elevated": elevated}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    pub async fn finished(&self, id: &str) -> Value {
        self.wait_for(
            "command to finish",
            |v| !matches!(v["status"].as_str(), Some("pending" | "running")),
            &format!("/api/commands/{id}"),
        )
        .await
    }

    pub async fn restart_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        // Same port, so the running agent finds the server again.
        let server = Server::start(self.config.clone()).await.expect("restart");
        self.server = Some(server);
    }
}
