//! The one error envelope every HTTP failure uses: `{detail, error_code, status_code,
//! correlation_id}`. The correlation id is the request's id, also in the `X-Request-Id` header
//! and in the log line; an internal error is logged under it and never described to the client.
//!
//! A product's error type says what it means through [`Failure`]; [`failure_response`] does the
//! rest. The extractors here ([`Json`], [`Query`], [`Path`]) answer their own rejections with
//! the same envelope, so a malformed body or parameter looks like every other refusal.

use super::correlation_id;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Body of every error response.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable machine-readable code, e.g. `unauthorized`.
    pub error_code: String,
    pub status_code: u16,
    /// Quote this to support: it finds the server log line.
    pub correlation_id: String,
}

/// What an error tells the envelope. `Display` is the `detail` a person reads.
pub trait Failure: std::fmt::Display {
    fn status(&self) -> StatusCode;
    /// Stable machine-readable code.
    fn code(&self) -> &'static str;
    /// How long a 429 asks the caller to wait (sent as `Retry-After`, at least 1 s).
    fn retry_after_secs(&self) -> Option<u64> {
        None
    }
    /// The cause of an internal error: logged with the correlation id, never sent.
    fn internal_cause(&self) -> Option<&anyhow::Error> {
        None
    }
    /// The log line of a refusal that is not internal; a debug line unless the product needs
    /// more (an upstream service's own request id, say).
    fn log_refusal(&self, correlation_id: &str) {
        tracing::debug!(%correlation_id, code = self.code(), "request refused");
    }
}

/// A wait as `Retry-After` seconds: rounded down, but never 0 (which would say "retry now").
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs().max(1)
}

/// Logs `failure` under the request's id and answers with the envelope `body` makes of it
/// (the envelope itself, or a product's superset), `Retry-After` on a 429 and
/// `WWW-Authenticate: Bearer` on a 401.
pub fn failure_response<F, B>(failure: &F, body: impl FnOnce(ErrorEnvelope) -> B) -> Response
where
    F: Failure,
    B: Serialize,
{
    let status = failure.status();
    let correlation_id = correlation_id();
    match failure.internal_cause() {
        Some(cause) => tracing::error!(%correlation_id, error = ?cause, "internal error"),
        None => failure.log_refusal(&correlation_id),
    }
    let envelope = ErrorEnvelope {
        detail: failure.to_string(),
        error_code: failure.code().to_owned(),
        status_code: status.as_u16(),
        correlation_id,
    };
    let mut response = (status, axum::Json(body(envelope))).into_response();
    let headers = response.headers_mut();
    if let Some(secs) = failure.retry_after_secs() {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Why an extractor refused the request: a body or parameter that could not be read (400) or
/// that was read and is invalid (422).
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Validation(String),
}

impl Failure for Rejected {
    fn status(&self) -> StatusCode {
        match self {
            Rejected::BadRequest(_) => StatusCode::BAD_REQUEST,
            Rejected::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Rejected::BadRequest(_) => "bad_request",
            Rejected::Validation(_) => "validation_failed",
        }
    }
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        failure_response(&self, |envelope| envelope)
    }
}

impl From<JsonRejection> for Rejected {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => Rejected::Validation(e.body_text()),
            JsonRejection::MissingJsonContentType(_) => {
                Rejected::BadRequest("expected Content-Type: application/json".into())
            }
            other => Rejected::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for Rejected {
    fn from(r: QueryRejection) -> Self {
        Rejected::Validation(r.body_text())
    }
}

impl From<PathRejection> for Rejected {
    fn from(r: PathRejection) -> Self {
        Rejected::BadRequest(r.body_text())
    }
}

/// `axum::Json` whose rejections use the envelope.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(Rejected))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` whose rejections use the envelope.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Rejected))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` whose rejections use the envelope.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Rejected))]
pub struct Path<T>(pub T);
