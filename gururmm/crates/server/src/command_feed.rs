//! Command changes, pushed to dashboards (`GET /api/commands/events`) instead of polled. Every
//! place that moves a command through its states (`db::commands`) calls [`CommandFeed::changed`]
//! after the write. One task ([`render`]) reads each changed command once, as stored, and hands
//! the same event text to every open stream, so the database work does not grow with the number
//! of dashboards. A stream that falls behind is told to reload its list.

use crate::api::commands::CommandListItem;
use crate::app::AppState;
use crate::db;
use crate::model::{AgentId, CommandId, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::{self, error::RecvError};

/// Changes held for a slow reader before it is told it lagged.
pub const BACKLOG: usize = 1024;
/// Event streams one user may hold open at once (a few tabs).
pub const STREAMS_PER_USER: usize = 8;

/// One command whose stored state changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandChange {
    pub id: CommandId,
    pub agent_id: AgentId,
}

/// What every stream is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    /// A command as `GET /api/commands` lists it, as JSON.
    Command { agent_id: AgentId, json: String },
    /// Changes were lost: reload the lists.
    Resync,
}

#[derive(Debug)]
pub struct CommandFeed {
    changes: broadcast::Sender<CommandChange>,
    rendered: broadcast::Sender<Arc<Rendered>>,
    /// Open streams per user, so one account cannot hold the server's memory with streams.
    open: Arc<Mutex<HashMap<UserId, usize>>>,
    per_user: usize,
}

impl CommandFeed {
    pub fn new(per_user: usize) -> Self {
        Self {
            changes: broadcast::channel(BACKLOG).0,
            rendered: broadcast::channel(BACKLOG).0,
            open: Arc::default(),
            per_user,
        }
    }

    /// Announces that command `id` of `agent_id` changed (nobody listening is fine).
    pub fn changed(&self, id: &CommandId, agent_id: &AgentId) {
        let _ = self.changes.send(CommandChange {
            id: id.clone(),
            agent_id: agent_id.to_owned(),
        });
    }

    /// A subscription for `user_id`, or None when that user already has `per_user` open.
    pub fn subscribe(&self, user_id: &UserId) -> Option<Subscription> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(user_id.to_owned()).or_default();
        if *count >= self.per_user {
            return None;
        }
        *count += 1;
        Some(Subscription {
            rx: self.rendered.subscribe(),
            _slot: Slot {
                open: self.open.clone(),
                user_id: user_id.to_owned(),
            },
        })
    }
}

/// Turns each change into the event all streams send, until shutdown.
pub async fn render(state: AppState) {
    let mut changes = state.command_feed.changes.subscribe();
    let feed = &state.command_feed;
    loop {
        let received = tokio::select! {
            _ = state.shutdown.cancelled() => return,
            received = changes.recv() => received,
        };
        let rendered = match received {
            Ok(change) => match list_item(&state, &change).await {
                Ok(Some(json)) => Rendered::Command {
                    agent_id: change.agent_id,
                    json,
                },
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(command_id = %change.id, error = %e, "reading a changed command failed");
                    Rendered::Resync
                }
            },
            Err(RecvError::Lagged(_)) => Rendered::Resync,
            Err(RecvError::Closed) => return,
        };
        let _ = feed.rendered.send(Arc::new(rendered));
    }
}

/// The changed command as the list shows it; None once it is gone (its agent was deleted).
async fn list_item(state: &AppState, change: &CommandChange) -> anyhow::Result<Option<String>> {
    let Some(row) = db::commands::find(&state.db, &change.id).await? else {
        return Ok(None);
    };
    let names = db::agents::hostnames(&state.db, &[&row.agent_id]).await?;
    let item = CommandListItem {
        agent_hostname: names.get(&row.agent_id).cloned(),
        command: row.into(),
    };
    Ok(Some(serde_json::to_string(&item)?))
}

/// The receiving end of one stream; its slot is given back when it is dropped.
#[derive(Debug)]
pub struct Subscription {
    pub rx: broadcast::Receiver<Arc<Rendered>>,
    _slot: Slot,
}

#[derive(Debug)]
struct Slot {
    open: Arc<Mutex<HashMap<UserId, usize>>>,
    user_id: UserId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_holds_a_bounded_number_of_streams_and_closing_one_frees_it() {
        let feed = CommandFeed::new(2);
        let (u1, u2) = (UserId::from("u1"), UserId::from("u2"));
        let _first = feed.subscribe(&u1).expect("first");
        let second = feed.subscribe(&u1).expect("second");
        assert!(feed.subscribe(&u1).is_none(), "a third stream is refused");
        assert!(feed.subscribe(&u2).is_some(), "another user is not");
        drop(second);
        assert!(
            feed.subscribe(&u1).is_some(),
            "a closed stream frees its slot"
        );
    }
}
