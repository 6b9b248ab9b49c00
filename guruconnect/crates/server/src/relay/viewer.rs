//! `/ws/viewer`: a technician's viewer. The upgrade is refused (403, before the 101) unless the
//! `Origin` is one of the viewer origins; the first message must be a `SessionRequest` carrying a
//! viewer token for exactly that session. Then the viewer receives the session's frames through
//! its own bounded queue, and its input goes to the agent.

use super::closer::Closer;
use super::session::LiveSession;
use super::socket::{self, GoneReason, Incoming};
use crate::app::AppState;
use crate::auth::jwt::ViewerClaims;
use crate::auth::tokens::INTEGRATION_VIEWER_SUBJECT;
use crate::db::{self, events::Actor};
use crate::http::error::ApiError;
use crate::model::{SessionId, UserId};
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason, ErrorCode};
use server_kit::client_ip;
use server_kit::intake::{ConnectionBudget, Unproven};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    budget: ConnectionBudget,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = origin.is_some_and(|o| state.config.viewer_origins().iter().any(|a| a == o));
    if !allowed {
        tracing::warn!(origin = ?origin, "viewer socket refused: origin not allowed");
        return ApiError::Forbidden("origin not allowed").into_response();
    }
    let ip = client_ip(state.config.trust_forwarded_for, &headers, Some(peer));
    let unproven = match state.unauthenticated.admit(ip, &budget) {
        Ok(unproven) => unproven,
        Err(crowded) => return super::agent::crowded_out(crowded, ip),
    };
    ws.max_message_size(proto::MAX_VIEWER_MESSAGE_BYTES)
        .max_frame_size(proto::MAX_VIEWER_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track_future(run(state, socket, unproven))
        })
}

async fn run(state: AppState, socket: WebSocket, unproven: Unproven) {
    let (sink, mut stream) = socket.split();
    let limits = &state.config.limits;
    let (tx, rx) = mpsc::channel(limits.viewer_queue_messages);
    let out = Outbound {
        tx,
        queued: Arc::new(AtomicUsize::new(0)),
    };
    let closer = Closer::default();
    let ping = Duration::from_secs(limits.ping_interval_secs);
    let writer = tokio::spawn(socket::writer(
        sink,
        rx,
        closer.clone(),
        Some(out.queued.clone()),
        ping,
    ));
    serve(&state, &mut stream, &out, &closer, unproven).await;
    closer.close(DisconnectReason::Normal, "");
    let _ = writer.await;
}

/// The viewer's queue and its byte count; every message toward the viewer goes through `send`
/// so the count the fan-out reads stays exact.
struct Outbound {
    tx: mpsc::Sender<Bytes>,
    queued: Arc<AtomicUsize>,
}

impl Outbound {
    fn send(&self, body: Bytes) {
        let len = body.len();
        self.queued.fetch_add(len, Ordering::Relaxed);
        if self.tx.try_send(body).is_err() {
            self.queued.fetch_sub(len, Ordering::Relaxed);
        }
    }
}

async fn serve(
    state: &AppState,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    out: &Outbound,
    closer: &Closer,
    unproven: Unproven,
) {
    let limits = &state.config.limits;
    let request =
        match socket::next_message(stream, Duration::from_secs(limits.auth_timeout_secs)).await {
            Incoming::Binary(body) => proto::decode(body, proto::MAX_VIEWER_MESSAGE_BYTES),
            Incoming::Gone(GoneReason::Idle) => {
                return closer.close(
                    DisconnectReason::AuthTimeout,
                    "no session request within the auth timeout",
                )
            }
            _ => return closer.close(DisconnectReason::ProtocolError, "expected SessionRequest"),
        };
    let (claims, session) = match request {
        Ok(Payload::SessionRequest(req)) => match admit(state, &req).await {
            Some(admitted) => admitted,
            None => {
                out.send(proto::error(
                    ErrorCode::Unauthenticated,
                    "viewer token refused",
                    "",
                ));
                return closer.close(DisconnectReason::AuthFailed, "viewer token refused");
            }
        },
        _ => return closer.close(DisconnectReason::ProtocolError, "expected SessionRequest"),
    };
    unproven.proven();

    let conn_id = state.relay.next_conn_id();
    // Handshake replies first, then the session may start queueing frames.
    for reply in hello(state, &session) {
        out.send(reply);
    }
    session.add_viewer(
        conn_id,
        &claims.sub,
        out.tx.clone(),
        out.queued.clone(),
        closer.clone(),
    );
    audit(state, &session, &claims, "viewer_joined").await;

    pump(state, stream, out, closer, &session, conn_id).await;

    session.remove_viewer(conn_id);
    audit(state, &session, &claims, "viewer_left").await;
}

/// Checks the viewer token: signature, audience, type and expiry; that it names this very
/// session; that this server issued it and has not revoked it; that its user is still active;
/// and that the session is live.
async fn admit(
    state: &AppState,
    req: &proto::SessionRequest,
) -> Option<(ViewerClaims, Arc<LiveSession>)> {
    let claims = state.tokens.verify_viewer(&req.viewer_token).ok()?;
    if claims.sid != req.session_id {
        return None;
    }
    let session_id = SessionId::from(claims.sid.as_str());
    let issued = db::tokens::viewer_token_valid(&state.db, &claims.jti, &session_id)
        .await
        .ok()?;
    let user_active = if claims.sub == INTEGRATION_VIEWER_SUBJECT {
        state.config.integration_key.is_some()
    } else {
        db::users::USERS
            .find(&state.db, &UserId::from(claims.sub.as_str()))
            .await
            .ok()?
            .is_some_and(|u| !u.disabled)
    };
    if !issued || !user_active {
        return None;
    }
    let session = state.relay.get(&session_id)?;
    Some((claims, session))
}

/// `ServerHello` then `SessionResponse`, the viewer's handshake replies.
fn hello(state: &AppState, session: &LiveSession) -> [Bytes; 2] {
    let limits = &state.config.limits;
    let server_hello = proto::encode_payload(Payload::ServerHello(proto::ServerHello {
        protocol_version: proto::PROTOCOL_VERSION,
        server_version: env!("CARGO_PKG_VERSION").into(),
        session_id: session.id.to_string(),
        agent_id: session.agent_id.to_string(),
        ping_interval_ms: u32::try_from(limits.ping_interval_secs * 1000).unwrap_or(u32::MAX),
        idle_timeout_ms: u32::try_from(limits.idle_timeout_secs * 1000).unwrap_or(u32::MAX),
        max_message_bytes: proto::MAX_VIEWER_MESSAGE_BYTES as u32,
    }));
    let response = proto::encode_payload(Payload::SessionResponse(proto::SessionResponse {
        accepted: true,
        session_id: session.id.to_string(),
        agent_id: session.agent_id.to_string(),
        hostname: session.hostname(),
        agent_online: session.agent_online(),
        protocol_version: proto::PROTOCOL_VERSION,
    }));
    [server_hello, response]
}

/// Forwards the viewer's input to the agent until it leaves, floods, or is closed.
async fn pump(
    state: &AppState,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    out: &Outbound,
    closer: &Closer,
    session: &LiveSession,
    conn_id: u64,
) {
    let limits = &state.config.limits;
    let idle = Duration::from_secs(limits.idle_timeout_secs);
    let mut window = (Instant::now(), 0u32);
    loop {
        let incoming = tokio::select! {
            _ = closer.closed() => return,
            incoming = socket::next_message(stream, idle) => incoming,
        };
        let body = match incoming {
            Incoming::Binary(body) => body,
            Incoming::Alive => continue,
            Incoming::Gone(GoneReason::Idle) => {
                return closer.close(
                    DisconnectReason::IdleTimeout,
                    "no traffic within the idle timeout",
                )
            }
            Incoming::Gone(GoneReason::Closed | GoneReason::Lost) => return,
            Incoming::Gone(GoneReason::Protocol) => {
                return closer.close(
                    DisconnectReason::ProtocolError,
                    "malformed or oversized message",
                )
            }
        };
        if window.0.elapsed() >= Duration::from_secs(1) {
            window = (Instant::now(), 0);
        }
        window.1 += 1;
        if window.1 > limits.viewer_messages_per_sec {
            return closer.close(DisconnectReason::RateLimited, "too many messages");
        }
        match proto::decode(body.clone(), proto::MAX_VIEWER_MESSAGE_BYTES) {
            Ok(
                Payload::MouseEvent(_)
                | Payload::KeyEvent(_)
                | Payload::SelectDisplay(_)
                | Payload::QualitySettings(_),
            ) => {
                session.to_agent(body);
            }
            // The relay decides when the agent sends a key frame: once this viewer has consumed
            // what it holds, so the key frame is not queued behind stale deltas.
            Ok(Payload::KeyFrameRequest(_)) => session.viewer_wants_key(conn_id),
            Ok(Payload::FrameAck(ack)) => session.frame_consumed(conn_id, ack.sequence),
            Ok(Payload::Ping(ping)) => {
                out.send(super::pong(&ping));
            }
            Ok(Payload::Pong(_)) => {}
            Ok(Payload::Disconnect(_)) => return,
            Ok(other) => {
                out.send(proto::error(
                    ErrorCode::UnsupportedMessage,
                    format!(
                        "{} is not accepted from a viewer",
                        proto::payload_name(&other)
                    ),
                    "",
                ));
            }
            Err(e) => {
                out.send(proto::error(ErrorCode::BadMessage, e.to_string(), ""));
                return closer.close(DisconnectReason::ProtocolError, e.to_string());
            }
        }
    }
}

/// Who a viewer acts for: the integration (GuruRMM's embedded viewer) or the signed-in user.
fn viewer_actor(claims: &ViewerClaims) -> Actor {
    if claims.sub == INTEGRATION_VIEWER_SUBJECT {
        Actor::Integration
    } else {
        Actor::User(UserId::from(claims.sub.as_str()))
    }
}

async fn audit(state: &AppState, session: &LiveSession, claims: &ViewerClaims, event_type: &str) {
    super::lifecycle::record(
        state,
        db::events::Event {
            event_type,
            actor: viewer_actor(claims),
            session_id: Some(&session.id),
            agent_id: Some(&session.agent_id),
            ip: None,
            detail: serde_json::json!({"viewer": claims.name}),
        },
    )
    .await;
}
