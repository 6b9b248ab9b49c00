//! The two cookies of a single sign-on, both `HttpOnly`. The pending one must come back on
//! the provider's redirect, a top-level navigation from another site, so it is
//! `SameSite=Lax` and sent only to the callback; the ticket is read by the login page's own
//! request, so it is `SameSite=Strict` and sent only to the finishing route.

use super::flow::PENDING_FOR_SECS;
use super::tickets::TICKET_FOR;
use super::CALLBACK_PATH;
use axum::http::{HeaderMap, HeaderValue};

/// Where the login page exchanges its ticket.
pub const FINISH_PATH: &str = "/api/auth/sso/finish";

/// One product's SSO cookies: `{prefix}_sso` (pending) and `{prefix}_sso_ticket`.
#[derive(Debug, Clone, Copy)]
pub struct SsoCookies {
    pub pending: &'static str,
    pub ticket: &'static str,
    /// Adds `Secure` (the console is served over HTTPS).
    pub secure: bool,
}

impl SsoCookies {
    pub fn set_pending(&self, value: &str) -> Option<HeaderValue> {
        self.cookie(self.pending, value, CALLBACK_PATH, PENDING_FOR_SECS, "Lax")
    }

    pub fn clear_pending(&self) -> Option<HeaderValue> {
        self.cookie(self.pending, "", CALLBACK_PATH, 0, "Lax")
    }

    pub fn set_ticket(&self, value: &str) -> Option<HeaderValue> {
        let secs = TICKET_FOR.as_secs();
        self.cookie(self.ticket, value, FINISH_PATH, secs, "Strict")
    }

    pub fn clear_ticket(&self) -> Option<HeaderValue> {
        self.cookie(self.ticket, "", FINISH_PATH, 0, "Strict")
    }

    pub fn read_pending(&self, headers: &HeaderMap) -> Option<String> {
        crate::http::read_cookie(headers, self.pending)
    }

    pub fn read_ticket(&self, headers: &HeaderMap) -> Option<String> {
        crate::http::read_cookie(headers, self.ticket)
    }

    fn cookie(
        &self,
        name: &str,
        value: &str,
        path: &str,
        max_age: u64,
        same_site: &str,
    ) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"
        ))
        .ok()
    }
}
