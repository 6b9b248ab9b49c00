//! Command changes, pushed to dashboards (`GET /api/commands/events`) instead of polled. Every
//! place that moves a command through its states (`db::commands`) calls [`CommandFeed::changed`]
//! after the write; subscribers read the row again, so an event always carries what is stored.
//! The channel holds ids only: a subscriber that falls behind is told to reload its list.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Changes held for a slow subscriber before it is told it lagged.
const BACKLOG: usize = 1024;
/// Event streams one user may hold open at once (a few tabs).
pub const STREAMS_PER_USER: usize = 8;

/// One command whose stored state changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandChange {
    pub id: String,
    pub agent_id: String,
}

#[derive(Debug)]
pub struct CommandFeed {
    tx: broadcast::Sender<CommandChange>,
    /// Open streams per user, so one account cannot hold the server's memory with streams.
    open: Arc<Mutex<HashMap<String, usize>>>,
    per_user: usize,
}

impl CommandFeed {
    pub fn new(per_user: usize) -> Self {
        Self {
            tx: broadcast::channel(BACKLOG).0,
            open: Arc::default(),
            per_user,
        }
    }

    /// Announces that command `id` of `agent_id` changed (nobody listening is fine).
    pub fn changed(&self, id: &str, agent_id: &str) {
        let _ = self.tx.send(CommandChange {
            id: id.to_owned(),
            agent_id: agent_id.to_owned(),
        });
    }

    /// A subscription for `user_id`, or None when that user already has `per_user` open.
    pub fn subscribe(&self, user_id: &str) -> Option<Subscription> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(user_id.to_owned()).or_default();
        if *count >= self.per_user {
            return None;
        }
        *count += 1;
        Some(Subscription {
            rx: self.tx.subscribe(),
            _slot: Slot {
                open: self.open.clone(),
                user_id: user_id.to_owned(),
            },
        })
    }
}

/// The receiving end of one stream; its slot is given back when it is dropped.
#[derive(Debug)]
pub struct Subscription {
    pub rx: broadcast::Receiver<CommandChange>,
    _slot: Slot,
}

#[derive(Debug)]
struct Slot {
    open: Arc<Mutex<HashMap<String, usize>>>,
    user_id: String,
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

    #[tokio::test]
    async fn subscribers_hear_each_change_and_slots_come_back() {
        let feed = CommandFeed::new(2);
        let mut first = feed.subscribe("u1").expect("first");
        let second = feed.subscribe("u1").expect("second");
        assert!(feed.subscribe("u1").is_none(), "a third stream is refused");
        assert!(feed.subscribe("u2").is_some(), "another user is not");
        drop(second);
        assert!(
            feed.subscribe("u1").is_some(),
            "a closed stream frees its slot"
        );
        feed.changed("c1", "a1");
        let change = first.rx.recv().await.expect("change");
        assert_eq!(
            change,
            CommandChange {
                id: "c1".into(),
                agent_id: "a1".into()
            }
        );
    }
}
