//! Test harness: `TestApp` (server in-process on port 0, fresh database, admin token, HTTP
//! helpers) and `TestAgent` (a WebSocket client speaking the real protocol).

#![allow(dead_code)]

use api_harness::Api;
use futures_util::{SinkExt, StreamExt};
use gururmm_protocol::{
    decode_server, encode, AgentMessage, AuthPayload, CommandPayload, CommandResult, NetworkState,
    ServerMessage, PROTOCOL_VERSION,
};
use gururmm_server::auth::throttle::{Clock, SystemClock};
use gururmm_server::config::{Config, SecretString};
use gururmm_server::{RunningServer, Server};
use scratch_db::ScratchDatabase;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The OpenAPI document as the server serves it, made once per test binary.
pub fn document() -> &'static Value {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(gururmm_server::api::openapi)
}

/// Upper bound for anything a test waits on (not a performance threshold).
pub const WAIT: Duration = Duration::from_secs(15);

pub struct TestApp {
    pub server: Option<RunningServer>,
    /// Calls to the server (`app.get(…)`, `app.client`, `app.base` reach it through `Deref`).
    pub api: Api,
    pub admin_token: String,
    pub config: Config,
    pub _dir: tempfile::TempDir,
    /// The test's own PostgreSQL database, if any: dropped after the server (field order).
    pub _database: Option<ScratchDatabase>,
}

/// Config for tests; with `GRMM_TEST_DATABASE_URL` set, also the test's own PostgreSQL
/// database, which must outlive the servers that use it.
pub async fn test_config(dir: &std::path::Path) -> (Config, Option<ScratchDatabase>) {
    let mut config = Config {
        bind: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.to_path_buf(),
        bootstrap_admin: false,
        ..Config::default()
    };
    config.limits.auth_timeout_secs = 2;
    config.limits.reaper_interval_ms = 100;
    let mut database = None;
    if let Ok(url) = std::env::var("GRMM_TEST_DATABASE_URL") {
        let db = ScratchDatabase::create(&url, "grmm_test").await;
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

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_with_clock(tweak, std::sync::Arc::new(SystemClock)).await
    }

    /// A server whose rate limits read `clock` (a `ManualClock` lets a window slide at once).
    pub async fn spawn_with_clock(
        tweak: impl FnOnce(&mut Config),
        clock: std::sync::Arc<dyn Clock>,
    ) -> Self {
        api_harness::capture_logs();
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut config, database) = test_config(dir.path()).await;
        tweak(&mut config);
        let server = Server::start_with_clock(config.clone(), clock)
            .await
            .expect("server starts");
        let admin = gururmm_server::bootstrap::first_admin_if_empty(&server.state.db)
            .await
            .expect("bootstrap")
            .expect("empty database");
        let mut app = Self {
            api: Api::new(
                format!("http://{}", server.addr),
                reqwest::Client::new(),
                document(),
            ),
            server: Some(server),
            admin_token: String::new(),
            config,
            _dir: dir,
            _database: database,
        };
        app.admin_token = app.login(&admin.login, &admin.password).await;
        app
    }

    pub fn state(&self) -> &gururmm_server::AppState {
        &self.server.as_ref().expect("running").state
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("running").addr
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr())
    }

    /// A technician account created directly in the database.
    pub async fn technician(
        &self,
        email: &str,
        password: &str,
    ) -> gururmm_server::db::users::UserRow {
        let hash = gururmm_server::auth::password::hash(password).expect("hash");
        gururmm_server::db::users::USERS
            .create(
                &self.state().db,
                email,
                "Tech",
                &hash,
                gururmm_server::db::users::Role::Technician,
            )
            .await
            .expect("create")
    }

    /// A technician account created directly in the database, signed in: its token.
    pub async fn technician_token(&self, email: &str) -> String {
        let password = "a long enough password";
        self.technician(email, password).await;
        self.login(email, password).await
    }

    /// Rotates the agent's key as the admin and returns the whole (200) response.
    pub async fn rotate_key(&self, agent_id: &str) -> Value {
        let res = self
            .post(
                &format!("/api/agents/{agent_id}/rotate-key"),
                &self.admin_token,
                json!({}),
            )
            .await;
        assert_eq!(res.status(), 200, "rotate");
        res.json().await.expect("json")
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let credentials = json!({"email": email, "password": password});
        self.api.login(credentials, "token").await
    }

    /// GET as admin, asserting 200 and that the JSON is what the OpenAPI document promises
    /// (api-harness's `get_checked`), returning the JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let (status, body) = self.get_checked(path, &self.admin_token).await;
        assert_eq!(status, 200, "GET {path}");
        body
    }

    /// Creates a client and a site; returns (client_id, site_id, site_code).
    /// Mints a registration token for `site_id` as the admin; the created JSON (`token`, …).
    pub async fn registration_token(&self, site_id: &str) -> Value {
        self.post(
            &format!("/api/sites/{site_id}/registration-tokens"),
            &self.admin_token,
            json!({}),
        )
        .await
        .json()
        .await
        .expect("json")
    }

    pub async fn site(&self, name: &str) -> (String, String, String) {
        let client: Value = self
            .post(
                "/api/clients",
                &self.admin_token,
                json!({"name": format!("{name} Inc")}),
            )
            .await
            .json()
            .await
            .expect("client");
        let client_id = client["id"].as_str().expect("client id").to_owned();
        let res = self
            .post(
                "/api/sites",
                &self.admin_token,
                json!({"client_id": client_id, "name": name}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let site: Value = res.json().await.expect("site");
        (
            client_id,
            site["id"].as_str().expect("site id").to_owned(),
            site["site_code"].as_str().expect("site code").to_owned(),
        )
    }

    /// Pre-registers an agent through the admin API; returns (agent_id, key).
    pub async fn agent_with_key(&self, site_id: Option<&str>) -> (String, String) {
        let res = self
            .post(
                "/api/agents",
                &self.admin_token,
                json!({"site_id": site_id}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.expect("json");
        (
            body["agent"]["id"].as_str().expect("id").to_owned(),
            body["api_key"].as_str().expect("key").to_owned(),
        )
    }

    /// Sends a command as admin; returns the command JSON.
    pub async fn send_command(&self, agent_id: &str, kind: &str, command: &str) -> Value {
        self.send_command_timed(agent_id, kind, command, 30).await
    }

    /// [`TestApp::send_command`] with the command's own timeout.
    pub async fn send_command_timed(
        &self,
        agent_id: &str,
        kind: &str,
        command: &str,
        timeout_seconds: u64,
    ) -> Value {
        let res = self
            .post(
                &format!("/api/agents/{agent_id}/command"),
                &self.admin_token,
                json!({"command_type": kind, "command": command, "timeout_seconds": timeout_seconds}),
            )
            .await;
        assert_eq!(res.status(), 201, "send command");
        res.json().await.expect("json")
    }

    /// Cancels a command as admin; the whole response.
    pub async fn cancel_command(&self, id: &str) -> reqwest::Response {
        self.post(
            &format!("/api/commands/{id}/cancel"),
            &self.admin_token,
            json!({}),
        )
        .await
    }

    pub async fn command(&self, id: &str) -> Value {
        self.get_json(&format!("/api/commands/{id}")).await
    }

    pub async fn agent(&self, id: &str) -> Value {
        self.get_json(&format!("/api/agents/{id}")).await
    }

    /// Stops the server gracefully and starts a new one on the same data (a restart).
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let mut config = self.config.clone();
        config.bind = "127.0.0.1:0".parse().expect("addr");
        let server = Server::start(config).await.expect("restart");
        self.api.base = format!("http://{}", server.addr);
        self.server = Some(server);
    }
}

pub fn auth_payload(key: &str, device_id: &str) -> AuthPayload {
    AuthPayload {
        api_key: key.into(),
        device_id: device_id.into(),
        hostname: format!("host-{device_id}"),
        os_type: "linux".into(),
        os_version: "Debian 12".into(),
        arch: "x86_64".into(),
        agent_version: "0.1.0".into(),
        previous_version: None,
        protocol_version: PROTOCOL_VERSION,
    }
}

pub async fn open_ws(url: &str, origin: Option<&str>) -> Result<Ws, u16> {
    let mut request = url.into_client_request().expect("request");
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("origin"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

/// Opens the agent socket over a TCP connection with a tiny receive buffer, so an agent that
/// stops reading backs the server's writer up after a few large messages (real TCP
/// backpressure, as from a slow or stalled link).
pub async fn open_ws_small_buffer(url: &str) -> Ws {
    let addr: std::net::SocketAddr = url
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .expect("ws://addr/ws");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(addr).await.expect("connect");
    let request = url.into_client_request().expect("request");
    let (ws, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .expect("upgrade");
    ws
}

/// A test agent on a real socket.
pub struct TestAgent {
    pub ws: Ws,
    pub agent_id: String,
    /// Policy settings the server sent in `auth_response`.
    pub settings: Option<gururmm_protocol::AgentSettings>,
    /// The key issued when this connection enrolled with a site code or token.
    pub issued_key: Option<String>,
}

pub async fn send_msg(ws: &mut Ws, message: &AgentMessage) {
    ws.send(Message::Text(encode(message).into()))
        .await
        .expect("send");
}

/// The next protocol message (pings skipped); None once the socket closed.
pub async fn recv_msg(ws: &mut Ws) -> Option<ServerMessage> {
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("message within the wait");
        match next {
            Some(Ok(Message::Text(text))) => match decode_server(text.as_str()).expect("valid") {
                ServerMessage::Ping => continue,
                other => return Some(other),
            },
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Binary(_))) => panic!("binary frame from server"),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
        }
    }
}

impl TestAgent {
    pub async fn connect(app: &TestApp, auth: AuthPayload) -> Self {
        match Self::try_connect(app, auth).await {
            Ok(agent) => agent,
            Err(message) => panic!("agent refused: {message}"),
        }
    }

    /// Ok with the agent, or Err with the server's refusal message.
    pub async fn try_connect(app: &TestApp, auth: AuthPayload) -> Result<Self, String> {
        let ws = open_ws(&app.ws_url(), None).await.expect("upgrade");
        Self::try_connect_on(ws, auth).await
    }

    /// Authenticates on an already opened socket.
    pub async fn try_connect_on(mut ws: Ws, auth: AuthPayload) -> Result<Self, String> {
        send_msg(&mut ws, &AgentMessage::Auth(auth)).await;
        match recv_msg(&mut ws).await {
            Some(ServerMessage::AuthResponse(r)) if r.success => Ok(Self {
                ws,
                agent_id: r.agent_id.expect("agent id").to_string(),
                settings: r.settings,
                issued_key: r.agent_key,
            }),
            Some(ServerMessage::AuthResponse(r)) => Err(r.message),
            other => Err(format!("unexpected: {other:?}")),
        }
    }

    /// The key this agent was issued at enrolment (what a real agent stores and reuses).
    pub fn key(&self) -> String {
        self.issued_key
            .clone()
            .expect("enrolled with a site code or token")
    }

    pub async fn send(&mut self, message: AgentMessage) {
        send_msg(&mut self.ws, &message).await;
    }

    /// Waits until the server has finished setting this connection up (the key re-check,
    /// the update offer, the queued commands), which goes on after `auth_response`. It reads
    /// the agent's messages only afterwards, so a network state it has stored proves it: a
    /// test that next changes the database under the server (a refusing trigger) does not
    /// race that set-up.
    pub async fn settled(&mut self, app: &TestApp) {
        let marker = format!("settled-{}", uuid::Uuid::new_v4().simple());
        let state = NetworkState {
            hash: marker.clone(),
            interfaces: Vec::new(),
        };
        self.send(AgentMessage::NetworkState(state)).await;
        let path = format!("/api/agents/{}/state", self.agent_id);
        eventually("the connection set up", || async {
            app.get_json(&path).await["network_hash"] == marker.as_str()
        })
        .await;
    }

    pub async fn recv(&mut self) -> Option<ServerMessage> {
        recv_msg(&mut self.ws).await
    }

    pub async fn next_command(&mut self) -> CommandPayload {
        loop {
            match self.recv().await.expect("socket open") {
                ServerMessage::Command(c) => return c,
                _ => continue,
            }
        }
    }

    /// Answers a command with the given exit code and output.
    pub async fn reply(&mut self, command: &CommandPayload, exit_code: i32, stdout: &str) {
        self.send(AgentMessage::CommandResult(CommandResult {
            id: command.id,
            exit_code,
            stdout: stdout.into(),
            stderr: String::new(),
            duration_ms: 5,
            timed_out: false,
            truncated: false,
        }))
        .await;
    }

    /// True when the server closes this socket (before the wait ends).
    pub async fn closed_by_server(&mut self) -> bool {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next()).await {
                Err(_) => return false,
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

/// The parameters of a `remote_control_launch` command; panics for any other kind.
pub fn launch_of(command: CommandPayload) -> gururmm_protocol::RemoteControlLaunch {
    match command.kind {
        gururmm_protocol::CommandKind::RemoteControlLaunch { launch, .. } => *launch,
        other => panic!("not a remote_control_launch: {other:?}"),
    }
}

/// Polls `check` until it holds; panics after `WAIT`.
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
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Waits until the command reaches `status`, returning it.
pub async fn command_status(app: &TestApp, id: &str, status: &str) -> Value {
    eventually(&format!("command {id} to be {status}"), || async {
        app.command(id).await["status"] == status
    })
    .await;
    app.command(id).await
}
