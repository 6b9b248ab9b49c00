//! The server under test: start, stop, kill and restart it, and call its REST API.

use api_harness::Api;
use guruconnect_server::config::{Config, SecretString};
use guruconnect_server::{RunningServer, Server};
use scratch_db::ScratchDatabase;
use serde_json::{json, Value};
use std::time::Duration;

/// How long any single wait in a test may take before it counts as a failure.
pub const WAIT: Duration = Duration::from_secs(10);

/// The OpenAPI document as the server serves it, made once per test binary.
pub fn document() -> &'static Value {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(guruconnect_server::api::openapi)
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub server: Option<RunningServer>,
    /// Calls to the server (`app.get(…)`, `app.client`, `app.base` reach it through `Deref`).
    pub api: Api,
    pub admin_token: String,
    pub config: Config,
    /// Keeps the data dir alive for the test's lifetime.
    pub _dir: tempfile::TempDir,
    /// The test's own PostgreSQL database, if any: dropped after the server (field order).
    pub _database: Option<ScratchDatabase>,
}

/// Config for tests: short timeouts, port 0, a temp data dir, the backend under test; with
/// `GC_TEST_DATABASE_URL` set, also the test's own PostgreSQL database, which must outlive the
/// servers that use it.
pub async fn test_config(dir: &std::path::Path) -> (Config, Option<ScratchDatabase>) {
    let mut config = Config {
        bind: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.to_path_buf(),
        bootstrap_admin: false,
        ..Config::default()
    };
    config.limits.auth_timeout_secs = 2;
    config.limits.reaper_interval_ms = 200;
    let mut database = None;
    if let Ok(url) = std::env::var("GC_TEST_DATABASE_URL") {
        let db = ScratchDatabase::create(&url, "gc_test").await;
        config.database_url = Some(SecretString::new(db.url().to_owned()));
        database = Some(db);
    }
    (config, database)
}

impl std::ops::Deref for TestApp {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `tweak` adjusted the test config.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut config, database) = test_config(dir.path()).await;
        tweak(&mut config);
        Self::start_with_client(config, (dir, database), reqwest::Client::new()).await
    }

    /// Starts a server that serves HTTPS and wss:// with a certificate `ca` issued; the
    /// test's HTTP client trusts `ca`, and the address is `https://localhost:<port>`.
    pub async fn spawn_tls(ca: &crate::PrivateCa) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut config, database) = test_config(dir.path()).await;
        config.tls = Some(guruconnect_server::config::TlsConfig {
            cert: ca.cert_pem.clone(),
            key: ca.key_pem.clone(),
        });
        Self::start_with_client(config, (dir, database), ca.client()).await
    }

    async fn start_with_client(
        config: Config,
        (dir, database): (tempfile::TempDir, Option<ScratchDatabase>),
        client: reqwest::Client,
    ) -> Self {
        api_harness::capture_logs();
        let server = Server::start(config.clone()).await.expect("server starts");
        let base = base_url(&config, server.addr);
        let admin = guruconnect_server::bootstrap::first_admin_if_empty(&server.state.db)
            .await
            .expect("bootstrap");
        let mut app = Self {
            server: Some(server),
            api: Api::new(base, client, document()),
            admin_token: String::new(),
            config,
            _dir: dir,
            _database: database,
        };
        if let Some(admin) = admin {
            app.admin_token = app.login(&admin.login, &admin.password).await;
        }
        app
    }

    pub fn state(&self) -> &guruconnect_server::AppState {
        &self.server.as_ref().expect("running").state
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("running").addr
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.relay_url())
    }

    /// What an agent's `--server` names: `ws://127.0.0.1:<port>`, or `wss://localhost:<port>`
    /// when the server serves TLS.
    pub fn relay_url(&self) -> String {
        match &self.config.tls {
            Some(_) => format!("wss://localhost:{}", self.addr().port()),
            None => format!("ws://{}", self.addr()),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let credentials = json!({"username": username, "password": password});
        self.api.login(credentials, "access_token").await
    }

    /// GET `path` and parse the JSON body, whatever the status, held to the OpenAPI document
    /// (api-harness's `get_checked`).
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get_checked(path, token).await.1
    }

    /// POST `body` to `path` and parse the JSON reply, whatever the status.
    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> Value {
        self.post(path, token, body)
            .await
            .json()
            .await
            .expect("json body")
    }

    /// Creates a user through the API and returns a token for them.
    pub async fn user(&self, username: &str, role: &str) -> String {
        let password = "a long enough password";
        let res = self
            .post(
                "/api/users",
                &self.admin_token,
                json!({"username": username, "password": password, "role": role}),
            )
            .await;
        assert_eq!(res.status(), 201, "create {username}");
        self.login(username, password).await
    }

    /// Mints a per-machine key through the admin API.
    pub async fn mint_key(&self, agent_id: &str) -> (String, String) {
        let res = self
            .post(
                "/api/agent-keys",
                &self.admin_token,
                json!({"agent_id": agent_id}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.expect("json");
        (
            body["key"].as_str().expect("key").to_owned(),
            body["id"].as_str().expect("id").to_owned(),
        )
    }

    /// A viewer token for a session, minted by `token`'s user.
    pub async fn viewer_token(&self, session_id: &str, token: &str) -> String {
        let res = self
            .post(
                &format!("/api/sessions/{session_id}/viewer-token"),
                token,
                json!({}),
            )
            .await;
        assert_eq!(res.status(), 201, "viewer token");
        res.json::<Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub fn viewer_origin(&self) -> String {
        self.base.clone()
    }

    /// Stops the server gracefully, keeping the data dir.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Stops the server abruptly, as a crash would.
    pub async fn kill(&mut self) {
        if let Some(server) = self.server.take() {
            server.kill().await;
        }
    }

    /// Starts a new server on the same data and database (a restart).
    pub async fn restart(&mut self) {
        let config = self.config.clone();
        let server = Server::start(config).await.expect("server restarts");
        self.api.base = base_url(&self.config, server.addr);
        self.server = Some(server);
    }
}

/// `https://localhost:<port>` when the server serves TLS (the name its certificate carries),
/// else `http://<addr>`.
fn base_url(config: &Config, addr: std::net::SocketAddr) -> String {
    match &config.tls {
        Some(_) => format!("https://localhost:{}", addr.port()),
        None => format!("http://{addr}"),
    }
}

/// Polls `check` until it holds or the wait runs out.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}
