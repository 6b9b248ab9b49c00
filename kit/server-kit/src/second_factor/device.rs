//! The remembered-browser cookie: `HttpOnly`, `SameSite=Strict`, sent only to the sign-in
//! route, so no page script reads it and no other route ever receives it.

use axum::http::{HeaderMap, HeaderValue};

/// How long a browser stays remembered after a good code.
pub const REMEMBER_FOR_SECS: u64 = 30 * 24 * 3600;

const LOGIN_PATH: &str = "/api/auth/login";

/// One product's remembered-browser cookie.
#[derive(Debug, Clone, Copy)]
pub struct DeviceCookie {
    pub name: &'static str,
    /// Adds `Secure` (the console is served over HTTPS).
    pub secure: bool,
}

impl DeviceCookie {
    /// The `Set-Cookie` value remembering `token`.
    pub fn set(&self, token: &str) -> Option<HeaderValue> {
        HeaderValue::from_str(&format!(
            "{}={token}; Path={LOGIN_PATH}; Max-Age={REMEMBER_FOR_SECS}; HttpOnly; SameSite=Strict{}",
            self.name,
            self.secure_flag()
        ))
        .ok()
    }

    /// The token the browser sent, if any.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        crate::http::read_cookie(headers, self.name)
    }

    fn secure_flag(&self) -> &'static str {
        if self.secure {
            "; Secure"
        } else {
            ""
        }
    }
}
