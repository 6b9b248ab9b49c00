//! The relay's in-memory index of live sessions. Local to one process today; the seam where a
//! multi-node registry (shared state + a message bus) would plug in later.

use super::session::LiveSession;
use crate::model::{AgentId, KeyId, Mode, SessionId};
use guruconnect_proto::DisconnectReason;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<SessionId, Arc<LiveSession>>,
    /// Live unattended session per agent_id: at most one, so a machine never has ghosts.
    by_agent: HashMap<AgentId, SessionId>,
}

#[derive(Debug, Default)]
pub struct Registry {
    inner: Mutex<Inner>,
    next_conn: AtomicU64,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A process-unique id for a new connection.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn insert(&self, session: Arc<LiveSession>) {
        let mut inner = self.lock();
        if session.mode == Mode::Unattended {
            inner
                .by_agent
                .insert(session.agent_id.clone(), session.id.clone());
        }
        inner.sessions.insert(session.id.clone(), session);
    }

    pub fn get(&self, session_id: &SessionId) -> Option<Arc<LiveSession>> {
        self.lock().sessions.get(session_id).cloned()
    }

    /// The live unattended session of an agent.
    pub fn for_agent(&self, agent_id: &AgentId) -> Option<Arc<LiveSession>> {
        let inner = self.lock();
        let id = inner.by_agent.get(agent_id)?;
        inner.sessions.get(id).cloned()
    }

    /// Whether any live session has an agent connected as `agent_id`: a machine stays online
    /// while one of its connections (unattended, or an attended visit) is up.
    pub fn agent_connected(&self, agent_id: &AgentId) -> bool {
        self.lock()
            .sessions
            .values()
            .any(|s| &s.agent_id == agent_id && s.agent_online())
    }

    /// Live sessions of `agent_id` that wait for their agent (none connected).
    pub fn waiting_for(&self, agent_id: &AgentId) -> Vec<Arc<LiveSession>> {
        self.lock()
            .sessions
            .values()
            .filter(|s| &s.agent_id == agent_id && !s.agent_online())
            .cloned()
            .collect()
    }

    /// Takes a session out of the registry (it ended); the caller closes its connections.
    pub fn remove(&self, session_id: &SessionId) -> Option<Arc<LiveSession>> {
        let mut inner = self.lock();
        let session = inner.sessions.remove(session_id)?;
        if inner.by_agent.get(&session.agent_id) == Some(&session.id) {
            inner.by_agent.remove(&session.agent_id);
        }
        Some(session)
    }

    pub fn all(&self) -> Vec<Arc<LiveSession>> {
        self.lock().sessions.values().cloned().collect()
    }

    /// Closes every agent connection that authenticated with `key_id`.
    pub fn close_agents_with_key(&self, key_id: &KeyId, reason: DisconnectReason) -> usize {
        let mut closed = 0;
        for session in self.all() {
            if session.agent_key_id().as_ref() == Some(key_id) {
                session.close_agent(reason, "agent key revoked");
                closed += 1;
            }
        }
        closed
    }

    /// Closes everything on shutdown.
    pub fn close_everything(&self, reason: DisconnectReason) {
        for session in self.all() {
            session.close_all(reason, "server shutting down");
        }
    }
}
