//! Live agent sockets in this process, one per agent id. Registering a second socket for the
//! same agent returns the first so the caller can close it: a new connection supersedes the old
//! instead of leaving a ghost. Handlers only use these methods, so a shared implementation
//! (for several server nodes) can replace this one without touching them.

use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A message queued toward an agent. `command_id` marks command deliveries, so a failed send
/// can return that command to `pending`.
#[derive(Debug)]
pub struct Outbound {
    pub text: String,
    pub command_id: Option<String>,
}

impl Outbound {
    /// A plain message.
    pub fn message(text: String) -> Self {
        Self {
            text,
            command_id: None,
        }
    }

    /// The delivery of command `id`.
    pub fn command(text: String, id: String) -> Self {
        Self {
            text,
            command_id: Some(id),
        }
    }
}

/// Handle to one live socket.
#[derive(Debug, Clone)]
pub struct LiveAgent {
    pub connection_id: String,
    pub tx: mpsc::Sender<Outbound>,
    /// Cancelling it closes the socket (superseded, deleted, server shutdown).
    pub close: CancellationToken,
}

#[derive(Debug, Default)]
pub struct Registry {
    live: Mutex<HashMap<String, LiveAgent>>,
}

impl Registry {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveAgent>> {
        // Entries are plain handles: a panic elsewhere cannot leave one half-written.
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers `live` for `agent_id`, returning the socket it supersedes.
    pub fn insert(&self, agent_id: &str, live: LiveAgent) -> Option<LiveAgent> {
        self.map().insert(agent_id.to_owned(), live)
    }

    /// Removes the entry only if it is still `connection_id`'s.
    pub fn remove_if(&self, agent_id: &str, connection_id: &str) -> bool {
        let mut map = self.map();
        if map
            .get(agent_id)
            .is_some_and(|l| l.connection_id == connection_id)
        {
            map.remove(agent_id);
            true
        } else {
            false
        }
    }

    pub fn get(&self, agent_id: &str) -> Option<LiveAgent> {
        self.map().get(agent_id).cloned()
    }

    /// Ids of every connected agent.
    pub fn agent_ids(&self) -> Vec<String> {
        self.map().keys().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes the agent's socket, if it has one.
    pub fn disconnect(&self, agent_id: &str) {
        if let Some(live) = self.get(agent_id) {
            live.close.cancel();
        }
    }

    pub fn close_all(&self) {
        for live in self.map().values() {
            live.close.cancel();
        }
    }
}
