//! Test harness: the real server in-process on port 0 with a fresh database (SQLite file, or a
//! new PostgreSQL database when `GC_TEST_DATABASE_URL` is set), an HTTP client, and a test agent
//! and test viewer that speak the real protocol over real sockets.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use guruconnect_proto::{self as proto, envelope::Payload};
use guruconnect_server::config::{Config, SecretString};
use guruconnect_server::{RunningServer, Server};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const WAIT: Duration = Duration::from_secs(10);

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub server: Option<RunningServer>,
    pub base: String,
    pub client: reqwest::Client,
    pub admin_token: String,
    pub config: Config,
    /// Keeps the data dir alive for the test's lifetime.
    pub _dir: tempfile::TempDir,
}

/// Config for tests: short timeouts, port 0, a temp data dir, the backend under test.
pub async fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config {
        bind: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.to_path_buf(),
        bootstrap_admin: false,
        ..Config::default()
    };
    config.limits.auth_timeout_secs = 2;
    config.limits.reaper_interval_ms = 200;
    if let Ok(url) = std::env::var("GC_TEST_DATABASE_URL") {
        config.database_url = Some(SecretString::new(fresh_postgres_database(&url).await));
    }
    config
}

/// Creates an empty database on the test PostgreSQL server and returns its URL.
async fn fresh_postgres_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("gc_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to GC_TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    format!("{base}/{name}")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `tweak` adjusted the test config.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(dir.path()).await;
        tweak(&mut config);
        Self::start(config, dir).await
    }

    pub async fn start(config: Config, dir: tempfile::TempDir) -> Self {
        // Server logs go to the test's captured output, shown when the test fails.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
        let server = Server::start(config.clone()).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        let admin = guruconnect_server::bootstrap::first_admin_if_empty(&server.state.db)
            .await
            .expect("bootstrap");
        let client = reqwest::Client::new();
        let mut app = Self {
            server: Some(server),
            base,
            client,
            admin_token: String::new(),
            config,
            _dir: dir,
        };
        if let (Some(admin), None) = (admin, &app.config.tls) {
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
        format!("ws://{}{}", self.addr(), path)
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
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
    }
}

/// Opens a WebSocket, optionally with an Origin header. Err carries the HTTP status on refusal.
pub async fn open_ws(url: &str, origin: Option<&str>) -> Result<Ws, u16> {
    let mut request = url.into_client_request().expect("request");
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("origin"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

pub async fn send(ws: &mut Ws, payload: Payload) {
    ws.send(Message::Binary(proto::encode_payload(payload)))
        .await
        .expect("send");
}

/// The next protocol message, skipping pings; None when the socket closed.
pub async fn recv(ws: &mut Ws) -> Option<Payload> {
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("message within the wait");
        match next {
            Some(Ok(Message::Binary(body))) => {
                return Some(
                    proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES).expect("valid message"),
                )
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Text(_))) => panic!("text frame from server"),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
        }
    }
}

/// Reads until `pick` returns Some, failing if the socket closes first.
pub async fn recv_until<T>(ws: &mut Ws, mut pick: impl FnMut(Payload) -> Option<T>) -> T {
    loop {
        let payload = recv(ws).await.expect("socket closed while waiting");
        if let Some(found) = pick(payload) {
            return found;
        }
    }
}

/// Reads until the server's Disconnect arrives (returning its reason) or the socket closes.
pub async fn disconnect_reason(ws: &mut Ws) -> Option<proto::DisconnectReason> {
    while let Some(payload) = recv(ws).await {
        if let Payload::Disconnect(d) = payload {
            return proto::DisconnectReason::try_from(d.reason).ok();
        }
    }
    None
}

pub fn hello_with_key(agent_id: &str, machine_uid: &str, key: &str) -> Payload {
    Payload::AgentHello(proto::AgentHello {
        protocol_version: proto::PROTOCOL_VERSION,
        machine_uid: machine_uid.into(),
        agent_id: agent_id.into(),
        mode: proto::AgentMode::Unattended as i32,
        agent_version: "test-0.1".into(),
        credential: Some(proto::agent_hello::Credential::AgentKey(key.into())),
        hostname: format!("host-{agent_id}"),
        os: "Linux".into(),
    })
}

pub fn hello_with_code(machine_uid: &str, code: &str) -> Payload {
    Payload::AgentHello(proto::AgentHello {
        protocol_version: proto::PROTOCOL_VERSION,
        machine_uid: machine_uid.into(),
        agent_id: String::new(),
        mode: proto::AgentMode::Attended as i32,
        agent_version: "test-0.1".into(),
        credential: Some(proto::agent_hello::Credential::SupportCode(code.into())),
        hostname: "attended-host".into(),
        os: "Linux".into(),
    })
}

/// A connected, authenticated test agent and its session id.
pub struct TestAgent {
    pub ws: Ws,
    pub session_id: String,
    pub agent_id: String,
}

impl TestAgent {
    /// Connects and authenticates; panics if the server refuses.
    pub async fn connect(app: &TestApp, hello: Payload) -> Self {
        match Self::try_connect(app, hello).await {
            Ok(agent) => agent,
            Err(reason) => panic!("agent refused: {reason:?}"),
        }
    }

    /// Connects and returns the session on success, or the disconnect reason on refusal.
    pub async fn try_connect(
        app: &TestApp,
        hello: Payload,
    ) -> Result<Self, Option<proto::DisconnectReason>> {
        let mut ws = open_ws(&app.ws_url("/ws/agent"), None)
            .await
            .expect("agent upgrade");
        send(&mut ws, hello).await;
        loop {
            match recv(&mut ws).await {
                Some(Payload::ServerHello(h)) => {
                    return Ok(Self {
                        ws,
                        session_id: h.session_id,
                        agent_id: h.agent_id,
                    });
                }
                Some(Payload::Disconnect(d)) => {
                    return Err(proto::DisconnectReason::try_from(d.reason).ok())
                }
                Some(_) => continue,
                None => return Err(None),
            }
        }
    }

    pub async fn send_frame(&mut self, sequence: u64, key_frame: bool, size: usize) {
        send(&mut self.ws, frame(sequence, key_frame, size)).await;
    }
}

pub fn frame(sequence: u64, key_frame: bool, size: usize) -> Payload {
    Payload::VideoFrame(proto::VideoFrame {
        encoding: proto::FrameEncoding::ZstdBgra as i32,
        display_id: "0".into(),
        width: 1920,
        height: 1080,
        rects: vec![proto::FrameRect {
            rect: Some(proto::Rect {
                x: 0,
                y: 0,
                width: 64,
                height: 64,
            }),
            data: Bytes::from(vec![7u8; size]),
            ..Default::default()
        }],
        key_frame,
        sequence,
        capture_timestamp_us: 0,
    })
}

/// A joined test viewer.
pub struct TestViewer {
    pub ws: Ws,
}

impl TestViewer {
    /// Opens the viewer socket with the app's own origin and presents the token.
    pub async fn join(
        app: &TestApp,
        session_id: &str,
        token: &str,
    ) -> Result<Self, Option<proto::ErrorCode>> {
        let mut ws = open_ws(&app.ws_url("/ws/viewer"), Some(&app.viewer_origin()))
            .await
            .expect("viewer upgrade");
        send(
            &mut ws,
            Payload::SessionRequest(proto::SessionRequest {
                protocol_version: proto::PROTOCOL_VERSION,
                session_id: session_id.into(),
                viewer_token: token.into(),
            }),
        )
        .await;
        loop {
            match recv(&mut ws).await {
                Some(Payload::SessionResponse(r)) if r.accepted => return Ok(Self { ws }),
                Some(Payload::Error(e)) => return Err(proto::ErrorCode::try_from(e.code).ok()),
                Some(_) => continue,
                None => return Err(None),
            }
        }
    }

    /// The next video frame's sequence number.
    pub async fn next_frame(&mut self) -> proto::VideoFrame {
        recv_until(&mut self.ws, |p| match p {
            Payload::VideoFrame(f) => Some(f),
            _ => None,
        })
        .await
    }
}

/// Registers an unattended agent with a fresh key and returns it with its session.
pub async fn online_agent(app: &TestApp, agent_id: &str) -> (TestAgent, String) {
    let (key, key_id) = app.mint_key(agent_id).await;
    let agent = TestAgent::connect(
        app,
        hello_with_key(agent_id, &format!("uid-{agent_id}"), &key),
    )
    .await;
    let _ = key;
    (agent, key_id)
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
