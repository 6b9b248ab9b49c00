//! Security headers on every response. A route that must differ (a page another origin may
//! frame, a page naming where it may connect) sets its own `Content-Security-Policy`; the
//! defaults then leave it alone, and `X-Frame-Options: DENY` is left out only where that CSP
//! names who may frame it (`frame-ancestors` other than `'none'`), which then decides.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Same-origin everything, no framing, no plugins.
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Only a route whose own CSP names who may frame it is spared DENY.
    let framing_refused = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|csp| csp.to_str().ok())
        .is_none_or(|csp| {
            !csp.contains("frame-ancestors") || csp.contains("frame-ancestors 'none'")
        });
    if framing_refused {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
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
    response
}

/// HSTS, for a server that itself speaks TLS: browsers then refuse plain HTTP to it.
pub async fn strict_transport(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    response
}
