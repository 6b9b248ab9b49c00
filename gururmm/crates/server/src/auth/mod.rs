//! Authentication. Every route uses exactly one mechanism, and all of them are here:
//! - technician access token (`Authorization: Bearer <JWT>`): [`Technician`], [`Admin`], and
//!   [`SignedIn`] for the sign-in's own routes;
//! - per-agent key (`X-Agent-Key: grmm_…`): [`AgentKey`], the legacy polling endpoints only;
//! - agent key or site code inside the first `/ws` message: `ws::auth`;
//! - public: `/health`, `/api/version`, docs, login, legacy registration (site code in the body).
//!
//! None falls back to another: an agent key as a bearer token is just an invalid JWT, and a JWT
//! as an agent key hashes to nothing.

pub mod jwt;
pub use server_kit::seal;
pub mod secrets;
pub use server_kit::{password, throttle};

use crate::app::AppState;
use crate::db::{self, agents::AgentRow, sign_ins::Standing, users::Role};
use crate::http::error::ApiError;
use crate::model::{SignInId, UserId};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use server_kit::http::bearer_token;
use server_kit::second_factor::Refusal;

/// A signed-in user, verified from the token and the current user row.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
    /// When the access token expires (Unix seconds); long streams end then.
    pub expires_at: u64,
    /// The sign-in the token belongs to, and the token's own id within it.
    pub sign_in: SignInId,
    pub jti: String,
}

/// Any signed-in technician or admin.
#[derive(Debug, Clone)]
pub struct Technician(pub Principal);

/// Any signed-in technician or admin, also one whose role must set up a second factor and has
/// not yet: what the sign-in's own routes (who am I, refresh, sign out, set up the second
/// factor) take. Every other route refuses such a person with `second_factor_setup_required`.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Principal);

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

/// Whether a principal whose role must use a second factor may act without one yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Allowed,
    Required,
}

async fn principal(parts: &Parts, state: &AppState, setup: Setup) -> Result<Principal, ApiError> {
    let token = bearer_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
    let claims = state.tokens.verify(token).ok_or(ApiError::Unauthorized)?;
    // The sign-in must be live and the token its current one (or the one just replaced): a
    // sign-out or a disabled user ends every token of it at once, and a token it has moved
    // past — a copy someone else holds — ends the sign-in for both holders.
    let sign_in = SignInId::from(claims.fam.as_str());
    let row = db::sign_ins::find(&state.db, &sign_in)
        .await?
        .filter(|s| s.user_id.as_str() == claims.sub)
        .ok_or(ApiError::Unauthorized)?;
    match row.standing(&claims.jti, db::now_ms()) {
        Standing::Good => {}
        Standing::Ended => return Err(ApiError::Unauthorized),
        Standing::Reused => {
            reused(state, &sign_in, &row.user_id).await?;
            return Err(ApiError::Unauthorized);
        }
    }
    // The role and the disabled flag come from the row, so changes apply at once.
    let user = db::users::USERS
        .find(&state.db, &UserId::from(claims.sub.as_str()))
        .await?
        .filter(|u| !u.disabled)
        .ok_or(ApiError::Unauthorized)?;
    if setup == Setup::Required
        && state
            .second_factors
            .setup_needed(
                &state.db,
                &state.second_factor_policy,
                user.id.as_str(),
                user.role,
            )
            .await?
    {
        return Err(Refusal::SetupNeeded.into());
    }
    Ok(Principal {
        role: user.role,
        expires_at: claims.exp,
        user_id: user.id,
        email: user.sign_in_name,
        sign_in,
        jti: claims.jti,
    })
}

/// Ends a sign-in one of whose old tokens came back, and says so in the audit log.
pub async fn reused(
    state: &AppState,
    sign_in: &SignInId,
    user_id: &UserId,
) -> Result<(), ApiError> {
    db::sign_ins::revoke(&state.db, sign_in, "token_reused").await?;
    db::audit::record(
        &state.db,
        &format!("user:{user_id}"),
        "sign_in_revoked",
        &format!("user:{user_id}"),
        serde_json::json!({"reason": "a token the sign-in had moved past was presented again"}),
    )
    .await;
    Ok(())
}

impl FromRequestParts<AppState> for Technician {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        principal(parts, state, Setup::Required)
            .await
            .map(Technician)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        principal(parts, state, Setup::Allowed).await.map(SignedIn)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let p = principal(parts, state, Setup::Required).await?;
        if p.role != Role::Admin {
            return Err(ApiError::Forbidden("admin role required"));
        }
        Ok(Admin(p))
    }
}

/// An agent authenticated by its per-agent key in `X-Agent-Key` (legacy polling mode).
#[derive(Debug, Clone)]
pub struct AgentKey(pub AgentRow);

pub const AGENT_KEY_HEADER: &str = "x-agent-key";

impl FromRequestParts<AppState> for AgentKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(AGENT_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|k| k.starts_with(secrets::AGENT_KEY_PREFIX))
            .ok_or(ApiError::Unauthorized)?;
        let agent = db::agents::find_by_key_hash(&state.db, &secrets::sha256_hex(key))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        db::agents::confirm_key(&state.db, &agent.id).await?;
        Ok(AgentKey(agent))
    }
}
