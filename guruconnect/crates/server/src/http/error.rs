//! Every way a GuruConnect API call can fail, answered with server-kit's one error envelope
//! (GC-18): `{detail, error_code, status_code, correlation_id}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use server_kit::http::{failure_response, Failure};
use server_kit::second_factor::{Denied, Refusal};

pub use server_kit::http::{correlation_id, ErrorEnvelope, Json, Path, Query};

/// Every way an API call can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Validation(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("invalid username or password")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("no route for this path")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error(transparent)]
    SecondFactor(#[from] Refusal),
    #[error("this single sign-on took too long or was used already: sign in again")]
    SsoTicket,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
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

impl Failure for ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
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
            ApiError::Conflict(_) => "conflict",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::MethodNotAllowed => "method_not_allowed",
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
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        failure_response(&self, |envelope| envelope)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
