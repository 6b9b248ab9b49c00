//! Every way a GuruRMM API call can fail, answered with server-kit's error envelope
//! `{detail, error_code, status_code, correlation_id}`, plus `upstream` when GuruConnect refused.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use server_kit::http::{failure_response, Failure};
use server_kit::second_factor::{Denied, Refusal};

pub use server_kit::http::{correlation_id, Json, Path, Query};

/// server-kit's envelope, and GuruConnect's side of an error when it was GuruConnect that refused.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    /// Human-readable explanation.
    pub detail: String,
    /// Stable machine-readable code, e.g. `not_found`.
    pub error_code: String,
    pub status_code: u16,
    /// The request id; the server log line carries the same value.
    pub correlation_id: String,
    /// Set when another service (GuruConnect) refused: its own code, status and request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub upstream: Option<UpstreamError>,
}

/// The upstream service's side of an error, kept so its log line can be found.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpstreamError {
    pub service: String,
    pub error_code: String,
    pub status_code: u16,
    pub correlation_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Validation(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("invalid email or password")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("no route for this path")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the dashboard is not installed on this server (the server log says where it looked)")]
    DashboardMissing,
    /// A feature that is off or cannot be used now (remote control not configured, refused
    /// by GuruConnect's capabilities, contract major mismatch).
    #[error("{0}")]
    Unavailable(String),
    /// GuruConnect refused or failed; `detail` includes its own.
    #[error("{detail}")]
    Upstream {
        detail: String,
        upstream: UpstreamError,
    },
    #[error(transparent)]
    SecondFactor(#[from] Refusal),
    #[error("this single sign-on took too long or was used already: sign in again")]
    SsoTicket,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// 429 with `Retry-After` for `wait`.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        ApiError::RateLimited {
            retry_after_secs: server_kit::http::retry_after_secs(wait),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Refused(refusal) => ApiError::SecondFactor(refusal),
            Denied::Throttled(wait) => ApiError::rate_limited(wait),
            Denied::Failed(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl Failure for ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::NoRoute | ApiError::DashboardMissing => {
                StatusCode::NOT_FOUND
            }
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            ApiError::SecondFactor(refusal) => refusal.status(),
            ApiError::SsoTicket => StatusCode::UNAUTHORIZED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadCredentials => "invalid_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::NoRoute => "no_route",
            ApiError::DashboardMissing => "dashboard_not_installed",
            ApiError::Conflict(_) => "conflict",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Unavailable(_) => "remote_control_unavailable",
            ApiError::Upstream { .. } => "upstream_error",
            ApiError::SecondFactor(refusal) => refusal.code(),
            ApiError::SsoTicket => "sso_ticket_invalid",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    fn internal_cause(&self) -> Option<&anyhow::Error> {
        match self {
            ApiError::Internal(cause) => Some(cause),
            _ => None,
        }
    }

    fn log_refusal(&self, correlation_id: &str) {
        if let ApiError::Upstream { detail, upstream } = self {
            tracing::warn!(%correlation_id, upstream_correlation_id = ?upstream.correlation_id,
                upstream_code = %upstream.error_code, %detail, "upstream service refused");
        } else {
            tracing::debug!(%correlation_id, code = self.code(), "request refused");
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let upstream = match &self {
            ApiError::Upstream { upstream, .. } => Some(upstream.clone()),
            _ => None,
        };
        failure_response(&self, |e| ErrorEnvelope {
            detail: e.detail,
            error_code: e.error_code,
            status_code: e.status_code,
            correlation_id: e.correlation_id,
            upstream,
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
