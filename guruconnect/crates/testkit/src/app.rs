//! The server under test: start, stop, kill and restart it, and call its REST API.

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
    pub base: String,
    pub client: reqwest::Client,
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
        // Server logs go to the test's captured output, shown when the test fails.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
        let server = Server::start(config.clone()).await.expect("server starts");
        let base = base_url(&config, server.addr);
        let admin = guruconnect_server::bootstrap::first_admin_if_empty(&server.state.db)
            .await
            .expect("bootstrap");
        let mut app = Self {
            server: Some(server),
            base,
            client,
            admin_token: String::new(),
            config,
            _dir: dir,
            _database: database,
        };
        if let Some(admin) = admin {
            app.admin_token = app.login(&admin.username, &admin.password).await;
        }
        app
    }

    pub fn state(&self) -> &guruconnect_server::AppState {
        &self.server.as_ref().expect("running").state
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("running").addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
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
        let res = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 200, "login of {username}");
        res.json::<Value>().await.expect("json")["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// GET `path` and parse the JSON body, whatever the status; a success, or an error the
    /// OpenAPI document describes, must be what the document promises (the web's types are
    /// generated from it).
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let res = self.get(path, token).await;
        let status = res.status();
        let body: Value = res.json().await.expect("json body");
        if path != "/api/openapi.json" {
            let checked = server_kit::http::documented_response(
                document(),
                "GET",
                path,
                status.as_u16(),
                &body,
            );
            let undocumented_error = !status.is_success()
                && checked
                    .as_ref()
                    .is_err_and(|p| p.iter().all(|p| p.contains("no JSON response documented")));
            if let (false, Err(problems)) = (undocumented_error, checked) {
                panic!("the response differs from the OpenAPI document:\n{problems:#?}\n{body:#}");
            }
        }
        body
    }

    /// POST `body` to `path` and parse the JSON reply, whatever the status.
    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> Value {
        self.post(path, token, body)
            .await
            .json()
            .await
            .expect("json body")
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
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
        self.base = base_url(&self.config, server.addr);
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
