//! HTTP behaviour both servers put around every route: a request id (the `X-Request-Id`
//! header, the log span and the error envelope's correlation id), security headers, HSTS when
//! the server itself speaks TLS, and CORS for configured origins only; the error envelope and the
//! extractors that answer with it; RFC 3339 timestamps and page parameters; and the API docs
//! routes, the document they serve, and a
//! check that a response is what that document promises.

mod conformance;
mod cookie;
mod cors;
mod docs;
mod document;
mod failure;
mod headers;
mod paging;
mod refusals;
mod request_id;
mod security;
mod version;

pub use conformance::{conforms, documented_response};
pub use cookie::{read_cookie, same_origin};
pub use cors::cors_layer;
pub use docs::docs_routes;
pub use document::{referenced_schemas, served_document};
pub use failure::{
    failure_response, retry_after_secs, ErrorEnvelope, Failure, Json, Path, Query, Rejected,
};
pub use headers::{security_headers, strict_transport, DEFAULT_CSP};
pub use paging::{iso, iso_opt, PageParams};
pub use request_id::{correlation_id, request_context, REQUEST_ID};
pub use security::add_bearer_schemes;
pub use version::Version;

use axum::http::{header, HeaderMap};
use axum::Router;

/// The token of an `Authorization: Bearer …` header (the scheme in any case); nothing else is
/// read, and an empty token is none.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// `app` with the layers every route gets, in the one order that works: the request id
/// outermost (so every log line and error of the request carries it), then the security
/// headers, HSTS when `tls`, and CORS for `cors_origins` innermost.
pub fn with_common_layers<S>(mut app: Router<S>, cors_origins: &[String], tls: bool) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    if let Some(cors) = cors_layer(cors_origins) {
        app = app.layer(cors);
    }
    if tls {
        app = app.layer(axum::middleware::from_fn(strict_transport));
    }
    app.layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(request_context))
}

#[cfg(test)]
mod failure_tests;
#[cfg(test)]
mod tests;
