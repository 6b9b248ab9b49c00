//! The writer half of an agent socket: sends queued messages and periodic pings until the socket
//! closes, or until a message marked `close_after` (a rotated key) is written: then it sends
//! nothing more and closes once the agent hangs up, or after `LAST_MESSAGE_GRACE`. A command
//! that could not be written — the send failed, or it was still queued when
//! the socket closed — goes back to `pending`, so it is delivered on the next connection instead
//! of sitting in `running` until its deadline (the seed's "no retry for failed sends"). Closing
//! the socket also interrupts a write stuck on a peer that stopped reading, so a closed socket
//! really ends (and its agent goes offline) instead of waiting on that peer forever.

use super::registry::Outbound;
use crate::app::AppState;
use crate::db;
use crate::model::CommandId;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt};
use gururmm_protocol::{encode, ServerMessage};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long a socket stays open after its last message (a rotated key) for the agent to hang up.
pub const LAST_MESSAGE_GRACE: Duration = Duration::from_secs(5);

pub async fn run<S>(
    state: AppState,
    mut sink: S,
    mut rx: mpsc::Receiver<Outbound>,
    close: CancellationToken,
    connection_id: String,
) where
    S: Sink<Message> + Unpin,
{
    let mut ping =
        tokio::time::interval(Duration::from_secs(state.config.limits.ping_interval_secs));
    ping.tick().await;
    // False once a write was cut short: part of its frame may be on the wire already, and a
    // close frame would push the rest out after all (a command returned to pending would then
    // run twice), so the socket is dropped without one.
    let mut whole = true;
    loop {
        tokio::select! {
            biased;
            _ = close.cancelled() => break,
            next = rx.recv() => {
                let Some(mut out) = next else { break };
                let written = out.written.take();
                match write(&mut sink, &close, Message::Text(out.text.into())).await {
                    Write::Done => {}
                    cut => {
                        whole = cut != Write::Interrupted;
                        requeue(&state, out.command_id.as_ref(), &connection_id).await;
                        break;
                    }
                }
                // Whoever queued it (a key rotation) learns it really went out; a message
                // dropped unwritten drops this too, which tells them it did not.
                if let Some(written) = written {
                    let _ = written.send(());
                }
                if out.close_after {
                    // Nothing behind it will be sent: back to pending now, so the agent's next
                    // socket finds those commands when it connects.
                    requeue_rest(&state, &mut rx, &connection_id).await;
                    // Sent nothing more, but left open for the agent to read it and hang up
                    // itself: closing at once would race its own writes (a heartbeat hitting
                    // the closed socket ends its session before it reads the message).
                    tokio::select! {
                        _ = close.cancelled() => {}
                        _ = tokio::time::sleep(LAST_MESSAGE_GRACE) => {}
                    }
                    break;
                }
            }
            _ = ping.tick() => {
                let ping = Message::Text(encode(&ServerMessage::Ping).into());
                match write(&mut sink, &close, ping).await {
                    Write::Done => {}
                    cut => {
                        whole = cut != Write::Interrupted;
                        break;
                    }
                }
            }
        }
    }
    close.cancel();
    // Whatever is still queued was never written.
    requeue_rest(&state, &mut rx, &connection_id).await;
    if whole {
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            sink.send(Message::Close(Some(CloseFrame {
                code: 1000,
                reason: "closing".into(),
            }))),
        )
        .await;
    }
}

/// How one write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Done,
    Failed,
    /// The socket was closed while the write waited on the peer.
    Interrupted,
}

async fn write<S>(sink: &mut S, close: &CancellationToken, message: Message) -> Write
where
    S: Sink<Message> + Unpin,
{
    tokio::select! {
        biased;
        sent = sink.send(message) => if sent.is_ok() { Write::Done } else { Write::Failed },
        _ = close.cancelled() => Write::Interrupted,
    }
}

/// Stops the queue and returns every command still in it to pending.
async fn requeue_rest(state: &AppState, rx: &mut mpsc::Receiver<Outbound>, connection_id: &str) {
    rx.close();
    while let Some(out) = rx.recv().await {
        requeue(state, out.command_id.as_ref(), connection_id).await;
    }
}

async fn requeue(state: &AppState, command_id: Option<&CommandId>, connection_id: &str) {
    let Some(id) = command_id else { return };
    match db::commands::unclaim(&state.db, id, connection_id).await {
        Ok(Some(agent_id)) => {
            tracing::info!(command_id = %id, "command not sent; returned to pending");
            state.command_feed.changed(id, &agent_id);
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(command_id = %id, error = %e, "returning command to pending failed")
        }
    }
}
