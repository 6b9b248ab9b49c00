//! The refresh token's one home: an `HttpOnly` cookie scoped to the refresh route.
//!
//! Why a cookie: the technician app must be signed in in every tab of the browser, yet no page
//! script should be able to read a 30-day secret (an XSS would carry it away). So the login
//! and each refresh set `gc_refresh` with `HttpOnly` (scripts cannot read it), `SameSite=Strict`
//! (no other site's page makes the browser send it), `Path=/api/auth/refresh` (no other route
//! ever receives it) and `Secure` when the public URL is HTTPS. The cookie is the refresh
//! route's only credential; the access token stays a bearer token held in each tab's memory,
//! so no other route reads cookies and no other route can be forged cross-site.
//!
//! Beside it goes `gc_signed_in=1` (not `HttpOnly`, no secret, same lifetime): page script
//! reads it only to know whether there is a sign-in to pick up, so a tab opened by someone not
//! signed in asks nothing of the server and logs no 401.
//!
//! CSRF on the refresh route itself: besides `SameSite=Strict`, it refuses a request a browser
//! marks as coming from any other origin (`Sec-Fetch-Site` other than `same-origin`), which
//! covers same-site pages on other ports or subdomains, and it needs a JSON body, which from
//! another origin takes a CORS preflight this server never grants with credentials.

use crate::config::Config;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::AppendHeaders;

pub const NAME: &str = "gc_refresh";
const PATH: &str = "/api/auth/refresh";
/// The script-readable hint that a sign-in exists.
const MARKER: &str = "gc_signed_in";
/// The cookie outlives its token by this much, so an expired sign-in is still presented and
/// reported as expired rather than looking like no sign-in at all.
const OUTLIVE_SECS: u64 = 7 * 24 * 3600;

/// Cookies get `Secure` when the console is served over HTTPS.
pub fn secure(config: &Config) -> bool {
    config.tls.is_some() || config.public_url().starts_with("https://")
}

/// The two `Set-Cookie` values of a sign-in: the refresh token, which lives `ttl_secs`, and
/// the marker.
pub fn set(config: &Config, token: &str, ttl_secs: u64) -> [HeaderValue; 2] {
    let max_age = ttl_secs + OUTLIVE_SECS;
    let secure = if secure(config) { "; Secure" } else { "" };
    let refresh = format!(
        "{NAME}={token}; Path={PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    );
    let marker = format!("{MARKER}=1; Path=/; Max-Age={max_age}; SameSite=Strict{secure}");
    match (
        HeaderValue::from_str(&refresh),
        HeaderValue::from_str(&marker),
    ) {
        (Ok(refresh), Ok(marker)) => [refresh, marker],
        _ => clear(config),
    }
}

/// The `Set-Cookie` values removing both cookies.
pub fn clear(config: &Config) -> [HeaderValue; 2] {
    let secure = if secure(config) { "; Secure" } else { "" };
    let gone = |name: &str, path: &str, http_only: &str| {
        HeaderValue::from_str(&format!(
            "{name}=; Path={path}; Max-Age=0{http_only}; SameSite=Strict{secure}"
        ))
        .unwrap_or(HeaderValue::from_static("gc_refresh=; Max-Age=0"))
    };
    [gone(NAME, PATH, "; HttpOnly"), gone(MARKER, "/", "")]
}

/// Both values as headers to append to a response.
pub fn headers(values: [HeaderValue; 2]) -> AppendHeaders<[(HeaderName, HeaderValue); 2]> {
    AppendHeaders(values.map(|v| (header::SET_COOKIE, v)))
}

/// The refresh token the browser sent, if any.
pub fn read(headers: &HeaderMap) -> Option<String> {
    server_kit::http::read_cookie(headers, NAME)
}

pub use server_kit::http::same_origin;

#[cfg(test)]
mod tests {
    use super::*;

    fn text(values: [HeaderValue; 2]) -> [String; 2] {
        values.map(|v| v.to_str().expect("ascii").to_owned())
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_the_refresh_route() {
        let mut config = Config {
            public_url: Some("http://127.0.0.1:8443".into()),
            ..Config::default()
        };
        let [refresh, marker] = text(set(&config, "gcrt_abc", 60));
        assert_eq!(
            refresh,
            "gc_refresh=gcrt_abc; Path=/api/auth/refresh; Max-Age=604860; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            marker,
            "gc_signed_in=1; Path=/; Max-Age=604860; SameSite=Strict"
        );
        config.public_url = Some("https://connect.example.com".into());
        for value in text(set(&config, "gcrt_abc", 60)) {
            assert!(value.ends_with("; Secure"), "{value}");
        }
        for value in text(clear(&config)) {
            assert!(
                value.contains("=; Path=/") && value.contains("Max-Age=0"),
                "{value}"
            );
        }
    }

    #[test]
    fn reads_the_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; gc_refresh=gcrt_x; b=2"),
        );
        assert_eq!(read(&headers).as_deref(), Some("gcrt_x"));
        headers.insert(header::COOKIE, HeaderValue::from_static("gc_refresh="));
        assert_eq!(read(&headers), None);
    }

    #[test]
    fn only_same_origin_fetches_pass() {
        let mut headers = HeaderMap::new();
        assert!(same_origin(&headers));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&headers));
        for other in ["same-site", "cross-site", "none"] {
            headers.insert("sec-fetch-site", HeaderValue::from_static(other));
            assert!(!same_origin(&headers), "{other}");
        }
    }
}
