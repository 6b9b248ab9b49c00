//! Cross-cutting HTTP behaviour: a correlation id per request (also `X-Request-Id` and the log
//! span), security headers on every response, and the client address as the server trusts it.

use super::error::CORRELATION_ID;
use crate::app::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Accepts a caller's id only when it is short and plain, so it cannot inject into logs.
fn incoming_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(&REQUEST_ID)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    ok.then(|| value.to_owned())
}

/// Gives each request an id, runs it inside a span carrying that id, and logs one line at the
/// end. The path is logged without its query string, which could carry a credential.
pub async fn request_context(request: Request, next: Next) -> Response {
    let id = incoming_id(request.headers()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = Instant::now();
    let mut response = CORRELATION_ID
        .scope(id.clone(), next.run(request).instrument(span.clone()))
        .await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request finished"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Default CSP: same-origin everything, no framing. A route that must differ (the viewer page)
/// sets its own `Content-Security-Policy`; this layer then leaves it alone and adds no
/// `X-Frame-Options`, because that route's `frame-ancestors` decides who may frame it.
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.tls.is_some() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// The client address as this server trusts it (server-kit's `client_ip`, `trust_forwarded_for`).
pub use server_kit::ClientIp;

impl server_kit::ForwardedPolicy for AppState {
    fn trusts_forwarded_for(&self) -> bool {
        self.config.trust_forwarded_for
    }
}
