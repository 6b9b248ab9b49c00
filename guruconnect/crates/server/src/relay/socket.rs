//! Whole-message I/O over a WebSocket, written over generic `Sink`/`Stream` halves: the writer
//! task that drains a connection's outbound queue, pings, and says goodbye with a reason; and
//! the reader's next-message step with the idle timeout.

use super::closer::Closer;
use axum::extract::ws::{CloseFrame, Message};
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use guruconnect_proto as proto;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Largest queued message still delivered after a close was requested.
const FINAL_MESSAGE_MAX: usize = 2048;

/// Sends queued messages until the queue closes or the closer fires, pinging every `ping`.
/// On close it sends `Disconnect{reason}` then a close frame, skipping whatever is still queued.
pub async fn writer<S>(
    mut sink: S,
    mut rx: mpsc::Receiver<Bytes>,
    closer: Closer,
    queued_bytes: Option<Arc<AtomicUsize>>,
    ping: Duration,
) where
    S: Sink<Message> + Unpin,
{
    let mut ticker = tokio::time::interval(ping);
    ticker.tick().await;
    loop {
        tokio::select! {
            biased;
            _ = closer.closed() => break,
            next = rx.recv() => match next {
                Some(body) => {
                    if send_queued(&mut sink, body, &mut rx, queued_bytes.as_deref()).await.is_err() {
                        closer.close(proto::DisconnectReason::Normal, "send failed");
                        return;
                    }
                }
                None => break,
            },
            _ = ticker.tick() => {
                if sink.send(Message::Ping(Bytes::from_static(b"gc"))).await.is_err() {
                    closer.close(proto::DisconnectReason::Normal, "ping failed");
                    return;
                }
            }
        }
    }
    let (reason, detail) = closer.reason();
    let goodbye = proto::disconnect(reason, detail.clone());
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        // Small control messages queued just before the close (an Error explaining a refusal)
        // still go out; frames and anything large are dropped.
        for _ in 0..8 {
            match rx.try_recv() {
                Ok(body) if body.len() <= FINAL_MESSAGE_MAX => {
                    let _ = sink.send(Message::Binary(body)).await;
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        let _ = sink.send(Message::Binary(goodbye)).await;
        let frame = CloseFrame {
            code: close_code(reason),
            reason: reason.as_str_name().into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    })
    .await;
}

/// Most messages written before one flush; bounds how long a close request waits.
const BATCH_MAX: usize = 32;

/// Writes `first` and whatever else is already queued, then flushes once: under load this is
/// one syscall per batch instead of one per message. Each message leaves the byte count as soon
/// as it is handed to the socket layer.
async fn send_queued<S>(
    sink: &mut S,
    first: Bytes,
    rx: &mut mpsc::Receiver<Bytes>,
    queued_bytes: Option<&AtomicUsize>,
) -> Result<(), S::Error>
where
    S: Sink<Message> + Unpin,
{
    let mut next = Some(first);
    let mut written = 0;
    while let Some(body) = next.take() {
        let len = body.len();
        let fed = sink.feed(Message::Binary(body)).await;
        if let Some(q) = queued_bytes {
            q.fetch_sub(len, Ordering::Relaxed);
        }
        fed?;
        written += 1;
        if written < BATCH_MAX {
            next = rx.try_recv().ok();
        }
    }
    sink.flush().await
}

/// WebSocket close code for a disconnect reason: 1000 normal, 1008 policy, 1009 too big,
/// 1001 going away, 4000+ application reasons.
fn close_code(reason: proto::DisconnectReason) -> u16 {
    use proto::DisconnectReason as R;
    match reason {
        R::Normal | R::Unspecified | R::SessionEnded => 1000,
        R::ServerShutdown => 1001,
        R::MessageTooLarge => 1009,
        R::AuthFailed | R::AuthTimeout | R::KeyRevoked | R::RateLimited | R::ProtocolError => 1008,
        R::Superseded => 4001,
        R::IdleTimeout => 4002,
        R::ConsentDeclined => 4003,
        R::MachineRemoved => 4004,
        R::TooSlow => 4005,
    }
}

/// What the reader got.
#[derive(Debug)]
pub enum Incoming {
    Binary(Bytes),
    /// A ping, pong or other frame that only proves the peer is alive.
    Alive,
    /// The peer closed, the socket failed, or it stayed silent too long.
    Gone(GoneReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoneReason {
    /// The peer said goodbye (a close frame).
    Closed,
    Idle,
    /// The connection dropped without a goodbye: the peer was killed, its machine rebooted or
    /// lost its network. Not the peer's fault as far as the relay can tell.
    Lost,
    /// Text frames, oversized or malformed messages: the peer broke the protocol.
    Protocol,
}

/// Waits for the next message, at most `idle`.
pub async fn next_message<S, E>(stream: &mut S, idle: Duration) -> Incoming
where
    S: Stream<Item = Result<Message, E>> + Unpin,
    E: std::error::Error + 'static,
{
    match tokio::time::timeout(idle, stream.next()).await {
        Err(_) => Incoming::Gone(GoneReason::Idle),
        Ok(None) => Incoming::Gone(GoneReason::Closed),
        Ok(Some(Err(e))) => Incoming::Gone(failure_reason(&e)),
        Ok(Some(Ok(message))) => match message {
            Message::Binary(body) => Incoming::Binary(body),
            Message::Ping(_) | Message::Pong(_) => Incoming::Alive,
            Message::Close(_) => Incoming::Gone(GoneReason::Closed),
            Message::Text(_) => Incoming::Gone(GoneReason::Protocol),
        },
    }
}

/// Why a socket failed: a dropped connection, or a peer that broke the protocol. axum wraps
/// tungstenite's error; the chain is searched for it.
pub fn failure_reason(error: &(dyn std::error::Error + 'static)) -> GoneReason {
    use tungstenite::error::{Error as WsError, ProtocolError};
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(ws) = e.downcast_ref::<WsError>() {
            return match ws {
                WsError::ConnectionClosed | WsError::AlreadyClosed => GoneReason::Closed,
                WsError::Io(_) | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                    GoneReason::Lost
                }
                _ => GoneReason::Protocol,
            };
        }
        if e.downcast_ref::<std::io::Error>().is_some() {
            return GoneReason::Lost;
        }
        next = e.source();
    }
    GoneReason::Protocol
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::error::{CapacityError, Error as WsError, ProtocolError};

    fn through_axum(e: WsError) -> GoneReason {
        failure_reason(&axum::Error::new(e))
    }

    #[test]
    fn a_dropped_connection_is_lost_not_a_protocol_error() {
        let reset = WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake);
        assert_eq!(through_axum(reset), GoneReason::Lost);
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(through_axum(WsError::Io(io)), GoneReason::Lost);
        assert_eq!(through_axum(WsError::ConnectionClosed), GoneReason::Closed);
    }

    #[test]
    fn a_misbehaving_peer_is_a_protocol_error() {
        let big = WsError::Capacity(CapacityError::MessageTooLong {
            size: 9,
            max_size: 1,
        });
        assert_eq!(through_axum(big), GoneReason::Protocol);
        let masked = WsError::Protocol(ProtocolError::UnmaskedFrameFromClient);
        assert_eq!(through_axum(masked), GoneReason::Protocol);
    }
}
