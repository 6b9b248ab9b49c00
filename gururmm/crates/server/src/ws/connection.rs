//! One agent socket from upgrade to goodbye: authenticate within the timeout, register (a new
//! socket supersedes the agent's old one), mark online, flush the command queue, then handle
//! messages until the socket closes, goes idle or is superseded, and mark offline — the agent is
//! online exactly while this socket is.

use super::auth::{authenticate, AuthFailure};
use super::registry::{LiveAgent, Outbound};
use super::writer;
use crate::app::AppState;
use crate::db::{self, commands::Outcome};
use crate::delivery;
use crate::http::error::ApiError;
use crate::model::{AgentId, CommandId};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitStream;
use futures_util::StreamExt;
use gururmm_protocol::{
    decode_agent, encode, AgentMessage, AuthPayload, AuthResponse, ServerMessage, MAX_MESSAGE_BYTES,
};
use server_kit::client_ip;
use server_kit::intake::{ConnectionBudget, Unproven};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Initial read and write buffer per agent socket.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    budget: ConnectionBudget,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // Agents are not browsers; refusing any Origin before the 101 stops cross-site WebSocket
    // hijacking from a page running on a managed machine.
    if headers.contains_key(header::ORIGIN) {
        return ApiError::Forbidden("browsers may not open the agent socket").into_response();
    }
    let ip = client_ip(state.config.trust_forwarded_for, &headers, Some(peer));
    let unproven = match state.unauthenticated.admit(ip, &budget) {
        Ok(unproven) => unproven,
        Err(crowded) => {
            // The agent retries as after any failed connect.
            tracing::warn!(?ip, "agent socket refused: {crowded}");
            return ApiError::RateLimited {
                retry_after_secs: 1,
            }
            .into_response();
        }
    };
    // Agent traffic is small messages; tungstenite's default 128 KiB read and write buffers
    // per socket made a 10,000-agent server hold ~1.4 GiB (BENCHMARKS.md). Buffers still grow
    // on demand up to the message limit.
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| run(state, socket, ip, unproven))
}

/// What the reader got next.
enum Next {
    Message(AgentMessage),
    Closed(Closed),
}

/// Why the reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    Idle,
    Gone,
    Malformed,
    Binary,
}

impl Closed {
    fn as_str(self) -> &'static str {
        match self {
            Closed::Idle => "idle timeout",
            Closed::Gone => "socket closed",
            Closed::Malformed => "malformed message",
            Closed::Binary => "binary frames are not part of the protocol",
        }
    }

    /// What a socket that has not authenticated is told: the real reason, so a broken or
    /// hostile first message is not reported to its sender as a timeout.
    fn refusal(self) -> &'static str {
        match self {
            Closed::Idle => "authentication timed out",
            other => other.as_str(),
        }
    }
}

async fn next_message(stream: &mut SplitStream<WebSocket>, idle: Duration) -> Next {
    loop {
        let item = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => return Next::Closed(Closed::Idle),
            // Includes frames and messages over the size limit: the read fails before they
            // are buffered.
            Ok(None) | Ok(Some(Err(_))) => return Next::Closed(Closed::Gone),
            Ok(Some(Ok(item))) => item,
        };
        match item {
            Message::Text(text) => {
                return match decode_agent(text.as_str()) {
                    Ok(message) => Next::Message(message),
                    Err(_) => Next::Closed(Closed::Malformed),
                }
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Binary(_) => return Next::Closed(Closed::Binary),
            Message::Close(_) => return Next::Closed(Closed::Gone),
        }
    }
}

async fn run(state: AppState, socket: WebSocket, ip: Option<IpAddr>, unproven: Unproven) {
    let (mut sink, mut stream) = socket.split();
    let limits = &state.config.limits;
    let auth_timeout = Duration::from_secs(limits.auth_timeout_secs);
    let auth = match next_message(&mut stream, auth_timeout).await {
        Next::Message(AgentMessage::Auth(auth)) => auth,
        Next::Message(_) => return refuse(&mut sink, "auth must be the first message").await,
        Next::Closed(why) => {
            tracing::debug!(
                why = why.as_str(),
                "agent socket closed before authenticating"
            );
            return refuse(&mut sink, why.refusal()).await;
        }
    };
    let (agent_id, issued_key, key_hash) = match authenticate(&state, &auth, ip).await {
        Ok(ok) => (ok.agent_id, ok.issued_key, ok.key_hash),
        Err(failure) => {
            log_refusal(&failure, &auth, ip);
            return refuse(&mut sink, failure.public_message()).await;
        }
    };
    unproven.proven();

    let connection_id = db::new_id();
    let (tx, rx) = mpsc::channel(limits.agent_queue);
    let close = CancellationToken::new();
    let live = LiveAgent {
        connection_id: connection_id.clone(),
        protocol_version: auth.protocol_version,
        tx,
        close: close.clone(),
    };
    let writer = tokio::spawn(writer::run(
        state.clone(),
        sink,
        rx,
        close.clone(),
        connection_id.clone(),
    ));
    let setup = match accept(&state, &agent_id, issued_key, &live).await {
        Ok(()) => after_accept(&state, &agent_id, &auth, &key_hash, &live).await,
        Err(e) => Err(e),
    };
    if let Err(e) = setup {
        tracing::error!(%agent_id, error = ?e, "setting up the agent connection failed");
        close.cancel();
    }
    tracing::info!(%agent_id, %connection_id, "agent connected");

    let why = read_loop(&state, &agent_id, &mut stream, &close).await;
    close.cancel();
    let _ = writer.await;
    state.registry.remove_if(&agent_id, &connection_id);
    match db::agents::set_offline(&state.db, &agent_id, &connection_id).await {
        Ok(_) => {}
        Err(e) => tracing::error!(%agent_id, error = %e, "marking agent offline failed"),
    }
    tracing::info!(%agent_id, %connection_id, why, "agent disconnected");
}

/// Marks the agent online, queues `auth_response`, and only then makes the socket visible to
/// other deliverers (superseding the agent's previous socket). In that order: presence is
/// written before the agent hears it is accepted, so "online" is never behind what the agent
/// believes; and no API send or reaper sweep can queue a command ahead of the response.
async fn accept(
    state: &AppState,
    agent_id: &AgentId,
    issued_key: Option<String>,
    live: &LiveAgent,
) -> anyhow::Result<()> {
    let online = mark_online(state, agent_id, live).await;
    let settings = match crate::policies::effective(state, agent_id).await {
        Ok(settings) => settings,
        Err(e) => {
            tracing::error!(%agent_id, error = ?e, "computing policy settings failed");
            None
        }
    };
    let accepted = ServerMessage::AuthResponse(AuthResponse {
        success: true,
        agent_id: agent_id.as_str().parse().ok(),
        message: "authenticated".into(),
        settings,
        agent_key: issued_key,
    });
    let _ = live.tx.try_send(Outbound::message(encode(&accepted)));
    if let Some(old) = state.registry.insert(agent_id, live.clone()) {
        tracing::info!(%agent_id, "new connection supersedes the previous one");
        old.close.cancel();
    }
    online
}

/// Handles the agent's messages until the socket closes, goes idle, floods or is closed by
/// the server; returns why it ended.
async fn read_loop(
    state: &AppState,
    agent_id: &AgentId,
    stream: &mut SplitStream<WebSocket>,
    close: &CancellationToken,
) -> &'static str {
    let limits = &state.config.limits;
    let idle = Duration::from_secs(limits.idle_timeout_secs);
    // Every message costs a database write: a socket sending faster than the bucket refills,
    // beyond its burst, is misbehaving (or hostile) and is closed rather than allowed to
    // saturate storage.
    let rate = f64::from(limits.agent_messages_per_sec);
    let burst = f64::from(limits.agent_message_burst.max(1));
    let mut tokens = burst;
    let mut refilled = std::time::Instant::now();
    loop {
        let next = tokio::select! {
            _ = close.cancelled() => return "closed by the server",
            next = next_message(stream, idle) => next,
        };
        match next {
            Next::Message(message) => {
                tokens = (tokens + refilled.elapsed().as_secs_f64() * rate).min(burst);
                refilled = std::time::Instant::now();
                if tokens < 1.0 {
                    return "message flood";
                }
                tokens -= 1.0;
                if let Err(e) = handle(state, agent_id, message).await {
                    tracing::error!(%agent_id, error = ?e, "handling an agent message failed");
                }
            }
            Next::Closed(why) => return why.as_str(),
        }
    }
}

async fn mark_online(state: &AppState, agent_id: &AgentId, live: &LiveAgent) -> anyhow::Result<()> {
    db::agents::set_online(&state.db, agent_id, &live.connection_id).await?;
    crate::alerting::on_connected(state, agent_id).await
}

/// After `auth_response` is queued and the socket registered: the key check, the update
/// offer, then the queued commands (in that order on the wire, behind the response).
async fn after_accept(
    state: &AppState,
    agent_id: &AgentId,
    auth: &AuthPayload,
    key_hash: &str,
    live: &LiveAgent,
) -> anyhow::Result<()> {
    // An admin's rotation or revocation closes the agent's registered socket. One that landed
    // after this socket's key was checked but before it was registered could not see it, so
    // the key is checked again now that it is registered.
    if db::agents::key_hash(&state.db, agent_id).await?.as_deref() != Some(key_hash) {
        // A rotation that came after registration found this socket and handed it the new
        // key: the writer closes it once that is read, and it takes no more work meanwhile.
        if state.registry.is_retiring(agent_id, &live.connection_id) {
            return Ok(());
        }
        anyhow::bail!("the agent's key was rotated or revoked while it connected");
    }
    crate::updates::on_connect(state, agent_id, auth, live).await?;
    let delivered = delivery::flush(state, agent_id, live).await?;
    if delivered > 0 {
        tracing::info!(%agent_id, delivered, "queued commands delivered");
    }
    Ok(())
}

async fn handle(state: &AppState, agent_id: &AgentId, message: AgentMessage) -> anyhow::Result<()> {
    match message {
        AgentMessage::Auth(_) => tracing::warn!(%agent_id, "ignoring a second auth message"),
        AgentMessage::Heartbeat(_) => db::agents::touch(&state.db, agent_id).await?,
        AgentMessage::MetricsReport(report) => {
            db::metrics::insert(&state.db, agent_id, &report).await?;
            crate::alerting::on_metrics(state, agent_id, &report).await?;
        }
        AgentMessage::NetworkState(network) => {
            db::metrics::set_network(&state.db, agent_id, &network).await?;
        }
        AgentMessage::WatchdogEvent(event) => {
            db::watchdog::insert(&state.db, agent_id, &event).await?;
        }
        AgentMessage::UpdateResult(result) => {
            crate::updates::on_result(state, agent_id, &result).await?;
        }
        AgentMessage::CommandResult(result) => {
            let id = CommandId::from(result.id.to_string());
            let stored = db::commands::complete(
                &state.db,
                &id,
                agent_id,
                &Outcome {
                    exit_code: i64::from(result.exit_code),
                    stdout: &result.stdout,
                    stderr: &result.stderr,
                    duration_ms: i64::try_from(result.duration_ms).unwrap_or(i64::MAX),
                    timed_out: result.timed_out,
                    truncated: result.truncated,
                },
            )
            .await?;
            if stored {
                state.command_feed.changed(&id, agent_id);
            } else {
                // Not this agent's, not running (timed out or cancelled meanwhile), or unknown.
                tracing::warn!(%agent_id, command_id = %result.id, "result for a command that is not running on this agent was ignored");
            }
        }
    }
    Ok(())
}

fn log_refusal(failure: &AuthFailure, auth: &AuthPayload, ip: Option<IpAddr>) {
    let ip = ip.map(|i| i.to_string()).unwrap_or_default();
    match failure {
        AuthFailure::Internal(e) => {
            tracing::error!(error = ?e, %ip, "agent authentication errored")
        }
        _ => {
            tracing::warn!(reason = %failure, device_id = %auth.device_id, %ip, "agent authentication refused")
        }
    }
}

async fn refuse<S>(sink: &mut S, message: &str)
where
    S: futures_util::Sink<Message> + Unpin,
{
    use futures_util::SinkExt;
    let response = ServerMessage::AuthResponse(AuthResponse {
        success: false,
        agent_id: None,
        message: message.to_owned(),
        settings: None,
        agent_key: None,
    });
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = sink.send(Message::Text(encode(&response).into())).await;
        let _ = sink.send(Message::Close(None)).await;
    })
    .await;
}
