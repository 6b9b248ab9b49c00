//! Per-request context (an id in the span, the `X-Request-Id` header and the final log line),
//! security headers, and the client address as the server is configured to trust it.

use super::error::CORRELATION_ID;
use crate::app::AppState;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A caller-supplied id is reused only when short and plain, so it cannot forge log lines.
fn caller_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(&REQUEST_ID)?.to_str().ok()?;
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    (!value.is_empty() && value.len() <= 64 && plain).then(|| value.to_owned())
}

/// Runs the request in a span carrying its id and logs one line when it ends. The path is
/// logged without the query string, which might hold a credential.
pub async fn request_context(request: Request, next: Next) -> Response {
    let id = caller_id(request.headers()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
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

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// HSTS, only when this server itself speaks TLS: browsers then refuse plain HTTP to it.
pub async fn strict_transport(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    response
}

/// The client address as this server trusts it (server-kit's `client_ip`, `trust_forwarded_for`).
pub use server_kit::ClientIp;

impl server_kit::ForwardedPolicy for AppState {
    fn trusts_forwarded_for(&self) -> bool {
        self.config.trust_forwarded_for
    }
}
