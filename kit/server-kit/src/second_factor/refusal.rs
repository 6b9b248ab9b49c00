//! Why a second-factor step was refused, in the words and codes both consoles show.

use crate::http::Failure;
use axum::http::StatusCode;

/// A refused second-factor step. Each product's error type carries it as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The password was right; the sign-in needs the authenticator code too.
    #[error("enter the six-digit code from your authenticator app, or a recovery code")]
    CodeNeeded,
    /// At sign-in: not the current code, a code already used, or an unknown recovery code.
    #[error("that code is not right, or was already used; enter the current code")]
    CodeWrong,
    /// The same, on a signed-in person's own second-factor routes: 422, not 401, because the
    /// sign-in itself is fine and a client must not take it for an ended one.
    #[error("that code is not right, or was already used; enter the current code")]
    CodeRejected,
    /// The user's role must use a second factor and this user has none yet.
    #[error("your role must sign in with a second factor: set up an authenticator app first")]
    SetupNeeded,
    /// Confirming before starting.
    #[error("start setting up the authenticator first")]
    NotStarted,
    /// Setting up again while one is on.
    #[error("two-factor sign-in is already on; turn it off first to change the authenticator")]
    AlreadyOn,
    /// Turning off or renewing codes while it is off.
    #[error("two-factor sign-in is not on for this account")]
    NotOn,
    /// Setting up an authenticator from a sign-in older than [`RECENT_SIGN_IN_SECS`]: a token
    /// stolen from an old sign-in must not be able to tie the account to the thief's phone.
    ///
    /// [`RECENT_SIGN_IN_SECS`]: super::RECENT_SIGN_IN_SECS
    #[error("for your safety, setting up an authenticator needs a sign-in from the last 15 minutes: sign out and sign in again")]
    RecentSignInNeeded,
    /// Turning it off when the user's role must use it.
    #[error("your role must sign in with a second factor, so it cannot be turned off (an admin can reset it)")]
    RequiredByPolicy,
}

impl Failure for Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::CodeNeeded | Refusal::CodeWrong => StatusCode::UNAUTHORIZED,
            Refusal::CodeRejected => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::SetupNeeded | Refusal::RequiredByPolicy | Refusal::RecentSignInNeeded => {
                StatusCode::FORBIDDEN
            }
            Refusal::NotStarted | Refusal::AlreadyOn | Refusal::NotOn => StatusCode::CONFLICT,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Refusal::CodeNeeded => "second_factor_required",
            Refusal::CodeWrong | Refusal::CodeRejected => "second_factor_invalid",
            Refusal::SetupNeeded => "second_factor_setup_required",
            Refusal::NotStarted => "second_factor_not_started",
            Refusal::AlreadyOn => "second_factor_already_on",
            Refusal::NotOn => "second_factor_off",
            Refusal::RequiredByPolicy => "second_factor_required_by_policy",
            Refusal::RecentSignInNeeded => "recent_sign_in_required",
        }
    }
}
