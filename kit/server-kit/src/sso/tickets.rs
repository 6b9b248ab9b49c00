//! One-time sign-in tickets: the provider's callback ends in a redirect to the login page,
//! which must not carry a token in its URL, so the callback leaves a ticket in a short-lived
//! `HttpOnly` cookie and the page exchanges it for a sign-in. A ticket names the person, lives
//! two minutes, and is spent by the sign-in it completes; until then it may be presented again
//! with a second-factor code. Kept in memory: a restart costs only a sign-in started in the
//! last two minutes.

use crate::crypto::{new_token, sha256_hex};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const TICKET_FOR: Duration = Duration::from_secs(120);

/// Tickets alive at once, at most: more means the callback is being flooded.
const MOST_TICKETS: usize = 1024;

#[derive(Debug, Default)]
pub struct Tickets {
    /// By SHA-256 of the ticket: the user id and when it stops working.
    live: Mutex<HashMap<String, (String, Instant)>>,
}

impl Tickets {
    /// A new ticket for `user_id`; None when too many are alive.
    pub fn issue(&self, user_id: &str) -> Option<String> {
        let mut live = self.lock();
        let now = Instant::now();
        live.retain(|_, (_, until)| *until > now);
        if live.len() >= MOST_TICKETS {
            return None;
        }
        let ticket = new_token("sso_");
        live.insert(sha256_hex(&ticket), (user_id.to_owned(), now + TICKET_FOR));
        Some(ticket)
    }

    /// Whose ticket this is, while it lives.
    pub fn holder(&self, ticket: &str) -> Option<String> {
        let live = self.lock();
        live.get(&sha256_hex(ticket))
            .filter(|(_, until)| *until > Instant::now())
            .map(|(user, _)| user.clone())
    }

    /// Spends the ticket; true when it was alive (and so nobody else spent it).
    pub fn spend(&self, ticket: &str) -> bool {
        self.lock()
            .remove(&sha256_hex(ticket))
            .is_some_and(|(_, until)| until > Instant::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
