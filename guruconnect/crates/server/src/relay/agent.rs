//! `/ws/agent`: the endpoint agent's socket. The first message must be an `AgentHello` that
//! authenticates (see `agent_auth`); then the agent's frames fan out to the session's viewers
//! and the viewers' input comes back through this socket.

use super::agent_auth::{authenticate, AgentIdentity, AuthFailure};
use super::closer::Closer;
use super::lifecycle;
use super::selection::{self, Credential, Selection};
use super::session::{AgentLink, Consent, Kind, LiveSession};
use super::socket::{self, GoneReason, Incoming};
use crate::app::AppState;
use crate::db::{self, events::Actor, machines::Registration};
use crate::http::error::ApiError;
use crate::model::{AgentId, Mode, SessionId};
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason, ErrorCode};
use server_kit::client_ip;
use server_kit::intake::{ConnectionBudget, Crowded, Unproven};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Messages queued toward one agent (input from all its viewers, control).
const AGENT_QUEUE: usize = 1024;
/// Initial read and write buffer of an agent socket (tungstenite's default is 128 KiB each).
/// Most agents sit idle; a streaming agent's frames still arrive whole, in more reads. 32 KiB
/// keeps a 1 MB-frame stream near its old throughput at a third of the idle memory (8 KiB cost
/// a third of the throughput; BENCHMARKS.md).
const SOCKET_BUFFER_BYTES: usize = 32 * 1024;
/// Inventory updates are written at most this often per connection.
const INVENTORY_SPACING: Duration = Duration::from_secs(5);

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    budget: ConnectionBudget,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // Agents are not browsers. A browser-initiated upgrade carries an Origin: refuse it before
    // the 101 so no page can ride an endpoint's network position to this socket.
    if headers.contains_key(header::ORIGIN) {
        return ApiError::Forbidden("browsers may not open the agent socket").into_response();
    }
    let ip = client_ip(state.config.trust_forwarded_for, &headers, Some(peer));
    let unproven = match state.unauthenticated.admit(ip, &budget) {
        Ok(unproven) => unproven,
        Err(crowded) => return crowded_out(crowded, ip),
    };
    // Most of a fleet is idle; tungstenite's default buffers cost each idle agent ~150 KiB
    // (BENCHMARKS.md, "Idle agents held").
    ws.max_message_size(proto::MAX_AGENT_MESSAGE_BYTES)
        .max_frame_size(proto::MAX_AGENT_MESSAGE_BYTES)
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track_future(run(state, socket, ip, unproven))
        })
}

/// A socket turned away before the 101 because too many wait to authenticate; the agent
/// retries as after any failed connect.
pub(super) fn crowded_out(crowded: Crowded, ip: Option<IpAddr>) -> Response {
    tracing::warn!(?ip, "socket refused: {crowded}");
    ApiError::RateLimited {
        retry_after_secs: 1,
    }
    .into_response()
}

async fn run(state: AppState, socket: WebSocket, ip: Option<IpAddr>, unproven: Unproven) {
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::channel(AGENT_QUEUE);
    let closer = Closer::default();
    let ping = Duration::from_secs(state.config.limits.ping_interval_secs);
    let writer = tokio::spawn(socket::writer(sink, rx, closer.clone(), None, ping));
    serve(&state, &mut stream, tx, &closer, ip, unproven).await;
    closer.close(DisconnectReason::Normal, "");
    let _ = writer.await;
}

async fn serve(
    state: &AppState,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    tx: mpsc::Sender<Bytes>,
    closer: &Closer,
    ip: Option<IpAddr>,
    unproven: Unproven,
) {
    let limits = &state.config.limits;
    let Some(hello) = first_hello(
        stream,
        &tx,
        closer,
        Duration::from_secs(limits.auth_timeout_secs),
    )
    .await
    else {
        return;
    };
    let identity = match authenticate(state, &hello, ip).await {
        Ok(identity) => identity,
        Err(failure) => return refuse(state, &tx, closer, &hello, ip, failure, &[]).await,
    };
    unproven.proven();
    let verified_id = identity.agent_id.clone();
    let conn_id = state.relay.next_conn_id();
    let asker = identity
        .attended
        .as_ref()
        .map(|code| super::consent::Asker {
            technician_name: code.technician_name.clone(),
            reason: code.note.clone(),
        });
    let bound = match bind(
        state,
        &hello,
        identity,
        ip,
        conn_id,
        tx.clone(),
        closer.clone(),
    )
    .await
    {
        Ok(bound) => bound,
        Err(failure) => {
            // The key was good: sessions waiting for this agent id learn why it was refused.
            let waiting = state.relay.waiting_for(&verified_id);
            return refuse(state, &tx, closer, &hello, ip, failure, &waiting).await;
        }
    };
    let (session, agent_id) = bound;
    tracing::info!(%agent_id, session_id = %session.id, "agent connected");
    if let (Consent::Pending, Some(asker)) = (session.consent(), asker) {
        super::consent::ask(state, &session, &tx, &agent_id, asker).await;
    }

    let pacer = tokio::spawn(pace_ticks(session.clone()));
    let reason = pump(state, stream, &tx, closer, &session, &agent_id).await;
    pacer.abort();
    disconnected(state, &session, &agent_id, conn_id, reason).await;
}

/// How often a session's pacing is looked after while its agent is connected: a key frame a
/// viewer still waits for is asked again, a stalled viewer set aside (see `session::pace_tick`).
const PACE_TICK: Duration = Duration::from_millis(100);

async fn pace_ticks(session: Arc<LiveSession>) {
    let mut every = tokio::time::interval(PACE_TICK);
    loop {
        every.tick().await;
        session.pace_tick();
    }
}

/// Waits for the first message, which must be an `AgentHello` of our protocol version.
async fn first_hello(
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    tx: &mpsc::Sender<Bytes>,
    closer: &Closer,
    timeout: Duration,
) -> Option<proto::AgentHello> {
    let body = match socket::next_message(stream, timeout).await {
        Incoming::Binary(body) => body,
        Incoming::Gone(GoneReason::Idle) => {
            closer.close(
                DisconnectReason::AuthTimeout,
                "no hello within the auth timeout",
            );
            return None;
        }
        _ => {
            closer.close(DisconnectReason::ProtocolError, "expected AgentHello");
            return None;
        }
    };
    match proto::decode(body, proto::MAX_AGENT_MESSAGE_BYTES) {
        Ok(Payload::AgentHello(hello)) if hello.protocol_version == proto::PROTOCOL_VERSION => {
            if valid_identifier(&hello.machine_uid) {
                Some(hello)
            } else {
                closer.close(
                    DisconnectReason::ProtocolError,
                    "machine_uid is missing or malformed",
                );
                None
            }
        }
        Ok(Payload::AgentHello(hello)) => {
            let _ = tx.try_send(proto::error(
                ErrorCode::ProtocolVersion,
                format!(
                    "server speaks protocol {}, agent {}",
                    proto::PROTOCOL_VERSION,
                    hello.protocol_version
                ),
                "",
            ));
            closer.close(
                DisconnectReason::ProtocolError,
                "unsupported protocol version",
            );
            None
        }
        _ => {
            closer.close(DisconnectReason::ProtocolError, "expected AgentHello");
            None
        }
    }
}

/// Identifiers are short printable tokens: they end up in logs and URLs.
pub fn valid_identifier(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= proto::MAX_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Turns the agent away: it hears only "authentication failed" (or the rate limit); the cause
/// goes to the log and the audit trail, against each session in `waiting` (those that wait
/// for the agent id the key proved) so the people waiting on them can read it.
async fn refuse(
    state: &AppState,
    tx: &mpsc::Sender<Bytes>,
    closer: &Closer,
    hello: &proto::AgentHello,
    ip: Option<IpAddr>,
    failure: AuthFailure,
    waiting: &[Arc<LiveSession>],
) {
    let correlation_id = db::new_id();
    let (code, reason, detail) = match &failure {
        AuthFailure::RateLimited { retry_after_secs } => (
            ErrorCode::RateLimited,
            DisconnectReason::RateLimited,
            format!("too many attempts; retry in {retry_after_secs} s"),
        ),
        AuthFailure::Internal(_) => (
            ErrorCode::Internal,
            DisconnectReason::AuthFailed,
            "internal error".to_owned(),
        ),
        _ => (
            ErrorCode::Unauthenticated,
            DisconnectReason::AuthFailed,
            "authentication failed".to_owned(),
        ),
    };
    tracing::warn!(
        %correlation_id,
        agent_id = %hello.agent_id,
        ip = ?ip,
        cause = %failure,
        "agent authentication refused"
    );
    let detail_json =
        serde_json::json!({"cause": failure.to_string(), "correlation_id": correlation_id});
    let sessions: Vec<Option<&SessionId>> = match waiting {
        [] => vec![None],
        some => some.iter().map(|s| Some(&s.id)).collect(),
    };
    let claimed = AgentId::from(hello.agent_id.as_str());
    for session_id in sessions {
        lifecycle::record(
            state,
            db::events::Event {
                event_type: "agent_auth_failed",
                actor: Actor::Agent(hello.agent_id.clone()),
                session_id,
                agent_id: (!hello.agent_id.is_empty()).then_some(&claimed),
                ip: ip.map(|i| i.to_string()),
                detail: detail_json.clone(),
            },
        )
        .await;
    }
    let _ = tx.try_send(proto::error(code, detail.clone(), correlation_id));
    closer.close(reason, detail);
}

/// Records the machine and binds the connection to its session (superseding an older
/// connection of the same machine).
async fn bind(
    state: &AppState,
    hello: &proto::AgentHello,
    identity: AgentIdentity,
    ip: Option<IpAddr>,
    conn_id: u64,
    tx: mpsc::Sender<Bytes>,
    closer: Closer,
) -> Result<(Arc<LiveSession>, AgentId), AuthFailure> {
    let code = identity.attended.as_ref();
    let pre_created = code
        .and_then(|c| c.session_id.as_ref())
        .and_then(|id| state.relay.get(id));
    let credential = match code {
        None => Credential::MachineKey,
        Some(c) => Credential::of_code(c.session_id.is_some(), pre_created.is_some()),
    };
    let selection = selection::select(credential).map_err(|_| AuthFailure::BadCode)?;
    let wanted = match (selection, &pre_created) {
        (Selection::PreCreated, Some(live)) => Some(live.agent_id.clone()),
        (Selection::MachineSession, _) => Some(identity.agent_id.clone()),
        _ => None,
    };
    let agent_id = resolve_agent_id(state, hello, wanted).await?;
    let ip_text = ip.map(|i| i.to_string()).unwrap_or_default();
    db::machines::register_online(
        &state.db,
        &Registration {
            agent_id: &agent_id,
            machine_uid: &hello.machine_uid,
            hostname: &hello.hostname,
            agent_version: &hello.agent_version,
            persistent: code.is_none(),
            external_ip: &ip_text,
        },
    )
    .await?;
    let session = match (pre_created, code) {
        (Some(live), _) => live,
        (None, Some(code)) => lifecycle::attended_session(state, code, &agent_id).await?,
        (None, None) => lifecycle::machine_session(state, &agent_id).await?,
    };
    // The hello goes first: attaching queues the stream order (StreamControl, key frame
    // request) for viewers already waiting, and an agent reads nothing before its hello.
    let _ = tx.try_send(server_hello(state, &session.id, &agent_id));
    let link = AgentLink {
        conn_id,
        key_id: identity.key_id.clone(),
        tx,
        closer,
    };
    let consent = super::consent::needed(state, session.mode);
    if let Some(old) = session.attach_agent(link, &hello.hostname, consent) {
        old.closer.close(
            DisconnectReason::Superseded,
            "a newer connection of this machine registered",
        );
        audit_session(
            state,
            &session,
            "agent_superseded",
            &agent_id,
            ip,
            serde_json::json!({}),
        )
        .await;
    }
    db::sessions::mark_active(&state.db, &session.id).await?;
    audit_session(
        state,
        &session,
        "agent_connected",
        &agent_id,
        ip,
        serde_json::json!({"agent_version": hello.agent_version, "hostname": hello.hostname}),
    )
    .await;
    Ok((session, agent_id))
}

/// The agent_id this connection speaks for: `wanted` (the key's, or a pre-created session's)
/// when this hardware may use it; for a plain attended visit, the machine's existing id when
/// this machine_uid is known, else a new one.
async fn resolve_agent_id(
    state: &AppState,
    hello: &proto::AgentHello,
    wanted: Option<AgentId>,
) -> Result<AgentId, AuthFailure> {
    let Some(agent_id) = wanted else {
        let by_uid = db::machines::find_by_machine_uid(&state.db, &hello.machine_uid).await?;
        return Ok(by_uid.map_or_else(AgentId::new, |m| m.agent_id));
    };
    if let Some(existing) = db::machines::find_by_agent_id(&state.db, &agent_id).await? {
        if existing
            .machine_uid
            .as_deref()
            .is_some_and(|uid| uid != hello.machine_uid)
        {
            // This agent id is bound to different hardware: a copied key, not this box.
            return Err(AuthFailure::MachineMismatch);
        }
    }
    // The same hardware may already be known under another agent id: its own installer's
    // beside GuruRMM's device id, or a re-enrolment. Each id is its own machine row, bound to
    // this hardware; only earlier attended visits (ids nobody configured) are folded in.
    db::machines::delete_visits(&state.db, &hello.machine_uid, &agent_id).await?;
    Ok(agent_id)
}

fn server_hello(state: &AppState, session_id: &SessionId, agent_id: &AgentId) -> Bytes {
    let limits = &state.config.limits;
    proto::encode_payload(Payload::ServerHello(proto::ServerHello {
        protocol_version: proto::PROTOCOL_VERSION,
        server_version: env!("CARGO_PKG_VERSION").into(),
        session_id: session_id.to_string(),
        agent_id: agent_id.to_string(),
        ping_interval_ms: u32::try_from(limits.ping_interval_secs * 1000).unwrap_or(u32::MAX),
        idle_timeout_ms: u32::try_from(limits.idle_timeout_secs * 1000).unwrap_or(u32::MAX),
        max_message_bytes: proto::MAX_AGENT_MESSAGE_BYTES as u32,
    }))
}

/// Relays the agent's messages until it leaves or is closed; returns why it ended.
async fn pump(
    state: &AppState,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    tx: &mpsc::Sender<Bytes>,
    closer: &Closer,
    session: &LiveSession,
    agent_id: &AgentId,
) -> &'static str {
    let idle = Duration::from_secs(state.config.limits.idle_timeout_secs);
    let mut last_inventory: Option<Instant> = None;
    loop {
        let incoming = tokio::select! {
            _ = closer.closed() => return "closed_by_server",
            incoming = socket::next_message(stream, idle) => incoming,
        };
        let body = match incoming {
            Incoming::Binary(body) => body,
            Incoming::Alive => continue,
            Incoming::Gone(GoneReason::Idle) => {
                closer.close(
                    DisconnectReason::IdleTimeout,
                    "no traffic within the idle timeout",
                );
                return "idle_timeout";
            }
            Incoming::Gone(GoneReason::Closed) => return "agent_closed",
            Incoming::Gone(GoneReason::Lost) => return "connection_lost",
            Incoming::Gone(GoneReason::Protocol) => {
                closer.close(
                    DisconnectReason::ProtocolError,
                    "malformed or oversized message",
                );
                return "protocol_error";
            }
        };
        session
            .bytes_from_agent
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        let payload = match proto::decode(body.clone(), proto::MAX_AGENT_MESSAGE_BYTES) {
            Ok(payload) => payload,
            Err(e) => {
                let _ = tx.try_send(proto::error(ErrorCode::BadMessage, e.to_string(), ""));
                closer.close(DisconnectReason::ProtocolError, e.to_string());
                return "protocol_error";
            }
        };
        match payload {
            Payload::VideoFrame(frame) => session.fan_out(
                &body,
                Kind::Frame {
                    key: frame.key_frame,
                    sequence: frame.sequence,
                },
            ),
            Payload::DisplayList(_) => session.fan_out(&body, Kind::DisplayList),
            Payload::CursorShape(_) => session.fan_out(&body, Kind::CursorShape),
            Payload::CursorPosition(_) | Payload::FrameStats(_) => {
                session.fan_out(&body, Kind::Transient)
            }
            Payload::ConsentResponse(response) => {
                super::consent::answered(state, session, agent_id, &response).await;
            }
            Payload::AgentStatus(status) => {
                if last_inventory.is_none_or(|t| t.elapsed() >= INVENTORY_SPACING) {
                    last_inventory = Some(Instant::now());
                    let inventory = super::inventory::from_status(&status);
                    if let Err(e) =
                        db::machines::update_inventory(&state.db, agent_id, &inventory).await
                    {
                        tracing::warn!(%agent_id, error = %e, "could not store inventory");
                    }
                }
            }
            Payload::Ping(ping) => {
                let _ = tx.try_send(super::pong(&ping));
            }
            Payload::Pong(_) => {}
            Payload::Disconnect(_) => return "agent_closed",
            Payload::Error(e) => {
                tracing::warn!(%agent_id, code = e.code, detail = %e.detail, "agent reported an error");
            }
            other => {
                let _ = tx.try_send(proto::error(
                    ErrorCode::UnsupportedMessage,
                    format!(
                        "{} is not accepted from an agent",
                        proto::payload_name(&other)
                    ),
                    "",
                ));
            }
        }
    }
}

/// Cleans up after the connection ended, unless a newer connection already took over.
async fn disconnected(
    state: &AppState,
    session: &Arc<LiveSession>,
    agent_id: &AgentId,
    conn_id: u64,
    reason: &str,
) {
    lifecycle::flush_bytes(state, session).await;
    if !session.detach_agent(conn_id) {
        return; // superseded: the successor owns the session now
    }
    tracing::info!(%agent_id, session_id = %session.id, reason, "agent disconnected");
    // Another connection of the same agent id (its unattended agent beside an attended visit)
    // keeps the machine online.
    if !state.relay.agent_connected(agent_id) {
        if let Err(e) = db::machines::set_offline(&state.db, agent_id).await {
            tracing::warn!(%agent_id, error = %e, "could not mark machine offline");
        }
    }
    audit_session(
        state,
        session,
        "agent_disconnected",
        agent_id,
        None,
        serde_json::json!({"reason": reason}),
    )
    .await;
    let result = match session.mode {
        // An attended agent cannot come back (its code is spent): the session is over.
        Mode::Attended => lifecycle::end(
            state,
            &session.id,
            "agent_disconnected",
            DisconnectReason::SessionEnded,
            Actor::Agent(agent_id.to_string()),
        )
        .await
        .map(|_| ()),
        // An unattended agent reconnects; the session waits for it (reaped after the grace).
        Mode::Unattended => db::sessions::mark_agent_offline(&state.db, &session.id)
            .await
            .map_err(Into::into),
    };
    if let Err(e) = result {
        tracing::error!(session_id = %session.id, error = %e, "could not record agent departure");
    }
}

async fn audit_session(
    state: &AppState,
    session: &LiveSession,
    event_type: &str,
    agent_id: &AgentId,
    ip: Option<IpAddr>,
    detail: serde_json::Value,
) {
    lifecycle::record(
        state,
        db::events::Event {
            event_type,
            actor: Actor::Agent(agent_id.to_string()),
            session_id: Some(&session.id),
            agent_id: Some(agent_id),
            ip: ip.map(|i| i.to_string()),
            detail,
        },
    )
    .await;
}
