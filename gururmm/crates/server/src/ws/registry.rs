//! Live agent sockets in this process, one per agent id. Registering a second socket for the
//! same agent returns the first so the caller can close it: a new connection supersedes the old
//! instead of leaving a ghost. A socket handed its agent's rotated key is *retiring*: it stays
//! here only so it can still be closed (superseded, revoked, shut down), and is no longer
//! returned to deliverers. Handlers only use these methods, so a shared implementation (for
//! several server nodes) can replace this one without touching them.

use crate::model::{AgentId, CommandId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// How long [`Registry::send_last`] waits for the writer to report its message written. A
/// healthy socket writes in microseconds; a peer that stopped reading never does.
pub const LAST_MESSAGE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// A message queued toward an agent. `command_id` marks command deliveries, so a failed send
/// can return that command to `pending`; `close_after` makes it the socket's last message.
pub struct Outbound {
    pub text: String,
    pub command_id: Option<CommandId>,
    /// The socket's last message: once it is written nothing more is sent (what is queued
    /// behind it is treated as never sent), and the socket closes when the agent hangs up or
    /// after the writer's grace period.
    pub close_after: bool,
    /// Told once the text was written to the socket; dropped unsent when it never was.
    pub written: Option<oneshot::Sender<()>>,
}

// By hand: the text may hold a key (`auth_response`, `key_rotated`), so `{:?}` shows its size.
impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("bytes", &self.text.len())
            .field("command_id", &self.command_id)
            .field("close_after", &self.close_after)
            .field("acknowledged", &self.written.is_some())
            .finish()
    }
}

impl Outbound {
    /// A plain message.
    pub fn message(text: String) -> Self {
        Self {
            text,
            command_id: None,
            close_after: false,
            written: None,
        }
    }

    /// The delivery of command `id`.
    pub fn command(text: String, id: CommandId) -> Self {
        Self {
            text,
            command_id: Some(id),
            close_after: false,
            written: None,
        }
    }

    /// The socket's last message (see `close_after`); `written` hears when it was written.
    pub fn last(text: String, written: oneshot::Sender<()>) -> Self {
        Self {
            text,
            command_id: None,
            close_after: true,
            written: Some(written),
        }
    }
}

/// Handle to one live socket.
#[derive(Debug, Clone)]
pub struct LiveAgent {
    pub connection_id: String,
    /// The `protocol_version` the agent sent in `auth`: what it can be sent.
    pub protocol_version: u32,
    pub tx: mpsc::Sender<Outbound>,
    /// Cancelling it closes the socket (superseded, deleted, server shutdown).
    pub close: CancellationToken,
}

/// One registered socket. `retiring` is set once the socket was handed its last message.
#[derive(Debug)]
struct Entry {
    live: LiveAgent,
    retiring: bool,
}

#[derive(Debug, Default)]
pub struct Registry {
    live: Mutex<HashMap<AgentId, Entry>>,
}

impl Registry {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<AgentId, Entry>> {
        // Entries are plain handles: a panic elsewhere cannot leave one half-written.
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers `live` for `agent_id`, returning the socket it supersedes (retiring or not).
    pub fn insert(&self, agent_id: &AgentId, live: LiveAgent) -> Option<LiveAgent> {
        let entry = Entry {
            live,
            retiring: false,
        };
        self.map()
            .insert(agent_id.clone(), entry)
            .map(|old| old.live)
    }

    /// Removes the entry only if it is still `connection_id`'s.
    pub fn remove_if(&self, agent_id: &AgentId, connection_id: &str) -> bool {
        let mut map = self.map();
        if map
            .get(agent_id)
            .is_some_and(|e| e.live.connection_id == connection_id)
        {
            map.remove(agent_id);
            true
        } else {
            false
        }
    }

    /// The agent's socket, if it has one that takes new work: a retiring socket was handed the
    /// agent's new key and must only finish what it already had, so it is not returned.
    pub fn get(&self, agent_id: &AgentId) -> Option<LiveAgent> {
        self.map()
            .get(agent_id)
            .filter(|e| !e.retiring)
            .map(|e| e.live.clone())
    }

    /// Whether `connection_id` is the agent's registered socket and was handed its last message.
    pub fn is_retiring(&self, agent_id: &AgentId, connection_id: &str) -> bool {
        self.map()
            .get(agent_id)
            .is_some_and(|e| e.retiring && e.live.connection_id == connection_id)
    }

    /// Ids of every connected agent whose socket takes new work.
    pub fn agent_ids(&self) -> Vec<AgentId> {
        self.map()
            .iter()
            .filter(|(_, e)| !e.retiring)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Open sockets, retiring ones included.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends `text` as the last message of the agent's socket, if it has one whose agent speaks
    /// `min_protocol` or later, and retires that socket at once: from now on it is given no
    /// new work (commands, settings, another last message) and only finishes what it had. The
    /// socket closes when the agent hangs up after reading it, or after `grace` at the latest,
    /// so a stalled or unwilling peer is cut all the same. A socket whose agent speaks an older
    /// protocol is closed at once.
    ///
    /// True only when the socket's writer reports the text written to the socket within
    /// [`LAST_MESSAGE_WRITE_TIMEOUT`] (queued is not enough: the connection may fail, or stall,
    /// before the writer gets to it). Otherwise the socket is closed, so the text cannot go out
    /// later either, and the answer is false.
    pub async fn send_last(
        &self,
        agent_id: &AgentId,
        min_protocol: u32,
        text: String,
        grace: Duration,
    ) -> bool {
        let (ack, written) = oneshot::channel();
        let live = {
            let mut map = self.map();
            let Some(entry) = map.get_mut(agent_id).filter(|e| !e.retiring) else {
                return false;
            };
            // Under the lock: no deliverer can be handed this socket once the text is queued.
            entry.retiring = true;
            let live = entry.live.clone();
            if live.protocol_version < min_protocol
                || live.tx.try_send(Outbound::last(text, ack)).is_err()
            {
                live.close.cancel();
                return false;
            }
            live
        };
        let close = live.close.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(grace) => close.cancel(),
                _ = close.cancelled() => {}
            }
        });
        match tokio::time::timeout(LAST_MESSAGE_WRITE_TIMEOUT, written).await {
            Ok(Ok(())) => true,
            // Dropped unwritten (the socket failed or closed first), or stuck behind a peer
            // that stopped reading: close it so the message cannot be written after all.
            Ok(Err(_)) | Err(_) => {
                live.close.cancel();
                false
            }
        }
    }

    /// Closes the agent's socket (retiring or not), if it has one.
    pub fn disconnect(&self, agent_id: &AgentId) {
        if let Some(entry) = self.map().get(agent_id) {
            entry.live.close.cancel();
        }
    }

    pub fn close_all(&self) {
        for entry in self.map().values() {
            entry.live.close.cancel();
        }
    }
}
