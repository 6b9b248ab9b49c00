//! One relay session: connect to `/ws/agent`, authenticate, then run three parts until the
//! session ends — the streaming thread (screen → frames), the input thread (viewer events →
//! desktop) and the socket tasks between them and the relay.

mod input_thread;
pub mod pacing;
mod pipeline;
mod relay_messages;
mod streamer;

use crate::platform::Platform;
use anyhow::Context;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason};
use pipeline::Pipeline;
use relay_messages::RelayMessages;
use std::ops::ControlFlow;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How long the server may take to answer the hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub enum Credential {
    AgentKey(String),
    SupportCode(String),
}

/// Who this agent is and where the relay is.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// `ws://host:port` or `wss://host:port` (the path `/ws/agent` is added).
    pub server: String,
    /// How `wss://` relays are checked (public roots plus `ca_cert`).
    pub trust: crate::tls::Trust,
    pub credential: Credential,
    pub agent_id: String,
    pub machine_uid: String,
    pub hostname: String,
    /// Installer labels sent with the inventory.
    pub labels: crate::inventory::Labels,
}

/// How a session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// The server refused the hello (bad key, used code…): the reason it gave.
    Refused(Option<DisconnectReason>),
    /// Connected, then the server ended it with this reason (None: the socket just closed).
    Ended(Option<DisconnectReason>),
    /// This agent was asked to stop (a signal, the service manager) and said goodbye.
    Stopped,
}

/// Asks a running session to say goodbye to the relay and end: a signal, or the service
/// manager's stop. Without it the relay can only see the socket drop.
#[derive(Debug, Clone)]
pub struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    /// The trigger and the signal it sends.
    pub fn channel() -> (tokio::sync::watch::Sender<bool>, Shutdown) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, Shutdown(rx))
    }

    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a stop was asked for; never, if the trigger is gone without asking.
    pub async fn requested(&mut self) {
        if self.0.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// What the agent tells the relay as it stops on purpose.
fn goodbye() -> Bytes {
    proto::disconnect(DisconnectReason::Normal, "the agent is stopping")
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Runs one session to its end. Errors are connection failures (the caller retries).
pub async fn run(
    config: &SessionConfig,
    platform: &Platform,
    shutdown: &Shutdown,
) -> anyhow::Result<SessionEnd> {
    let mut stop = shutdown.clone();
    let ws = tokio::select! {
        connected = connect(config) => match connected? {
            Ok(ws) => ws,
            Err(refused) => return Ok(SessionEnd::Refused(refused)),
        },
        _ = stop.requested() => return Ok(SessionEnd::Stopped),
    };
    stream(ws, platform, config, stop).await
}

/// Connects and says hello: the socket once the server answered, or why it refused.
async fn connect(
    config: &SessionConfig,
) -> anyhow::Result<Result<WsStream, Option<DisconnectReason>>> {
    let url = format!("{}/ws/agent", config.server.trim_end_matches('/'));
    let tls = Some(config.trust.connector()?);
    // Nagle off: a typed character's echo is a small frame that must not wait for an ack.
    let disable_nagle = true;
    let (mut ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(&url, None, disable_nagle, tls)
            .await
            .with_context(|| format!("connecting to {url}"))?;
    send(&mut ws, hello(config)).await?;
    match tokio::time::timeout(HELLO_TIMEOUT, wait_for_hello(&mut ws)).await {
        Err(_) => anyhow::bail!("no answer to the hello within {HELLO_TIMEOUT:?}"),
        Ok(Err(refused)) => Ok(Err(refused)),
        Ok(Ok(h)) => {
            tracing::info!(session_id = %h.session_id, "session started");
            Ok(Ok(ws))
        }
    }
}

fn hello(config: &SessionConfig) -> Payload {
    let (mode, credential) = match &config.credential {
        Credential::AgentKey(key) => (
            proto::AgentMode::Unattended,
            proto::agent_hello::Credential::AgentKey(key.clone()),
        ),
        Credential::SupportCode(code) => (
            proto::AgentMode::Attended,
            proto::agent_hello::Credential::SupportCode(code.clone()),
        ),
    };
    Payload::AgentHello(proto::AgentHello {
        protocol_version: proto::PROTOCOL_VERSION,
        machine_uid: config.machine_uid.clone(),
        agent_id: config.agent_id.clone(),
        mode: mode as i32,
        agent_version: env!("CARGO_PKG_VERSION").into(),
        credential: Some(credential),
        hostname: config.hostname.clone(),
        os: std::env::consts::OS.into(),
    })
}

async fn send(ws: &mut WsStream, payload: Payload) -> anyhow::Result<()> {
    ws.send(Message::Binary(proto::encode_payload(payload)))
        .await?;
    Ok(())
}

/// The server's hello, or the reason it refused.
async fn wait_for_hello(ws: &mut WsStream) -> Result<proto::ServerHello, Option<DisconnectReason>> {
    while let Some(Ok(message)) = ws.next().await {
        let Message::Binary(body) = message else {
            continue;
        };
        match proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES) {
            Ok(Payload::ServerHello(h)) => return Ok(h),
            Ok(Payload::Disconnect(d)) => return Err(DisconnectReason::try_from(d.reason).ok()),
            _ => {}
        }
    }
    Err(None)
}

/// How a streaming session ended.
enum Ending {
    /// The relay ended it (with its reason), or the socket closed or failed.
    Relay(Option<DisconnectReason>),
    /// A stop was asked for on this side.
    Stopped,
    /// Screen capture failed for good.
    CaptureFailed(String),
}

/// Streams until the server ends the session, the socket fails or a stop is asked for.
async fn stream(
    ws: WsStream,
    platform: &Platform,
    config: &SessionConfig,
    mut stop: Shutdown,
) -> anyhow::Result<SessionEnd> {
    let (sink, mut source) = ws.split();
    let mut pipeline = Pipeline::start(sink, platform, config)?;
    let mut relay = RelayMessages::default();
    let ending = loop {
        let message = tokio::select! {
            message = source.next() => message,
            Ok(error) = &mut pipeline.died => break Ending::CaptureFailed(error),
            _ = stop.requested() => break Ending::Stopped,
        };
        let body = match message {
            Some(Ok(Message::Binary(body))) => body,
            Some(Ok(Message::Close(_)) | Err(_)) | None => break Ending::Relay(None),
            Some(Ok(_)) => continue,
        };
        let Ok(payload) = proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES) else {
            continue;
        };
        if let ControlFlow::Break(reason) = relay.apply(payload, &pipeline, platform) {
            break Ending::Relay(reason);
        }
    };
    let stopping = matches!(ending, Ending::Stopped);
    pipeline.finish(stopping.then(goodbye)).await;
    match ending {
        Ending::CaptureFailed(error) => anyhow::bail!("screen capture failed: {error}"),
        Ending::Stopped => Ok(SessionEnd::Stopped),
        Ending::Relay(reason) => Ok(SessionEnd::Ended(reason)),
    }
}
