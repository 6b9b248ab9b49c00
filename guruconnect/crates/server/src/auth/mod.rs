//! Authentication. Every route is authenticated by exactly one mechanism, and the mechanisms
//! are all here:
//! - technician access token (JWT, `Authorization: Bearer`): the [`Technician`] / [`Admin`]
//!   extractors, and [`SignedIn`] for the sign-in's own routes;
//! - session-scoped viewer token: checked by the viewer socket only (`relay::viewer`);
//! - per-machine agent key or support code: checked by the agent socket only (`relay::agent`);
//! - integration key (GuruRMM): the [`Integration`] extractor on `/api/integration/v1` routes;
//! - public: `/health`, `/api/version`, docs.
//!
//! No extractor falls back to another mechanism: a viewer token or agent key presented as a
//! bearer token simply fails to verify.

pub mod jwt;
pub mod secrets;
pub mod tokens;
pub use server_kit::{password, throttle};

use crate::app::AppState;
use crate::db::{self, users::Role};
use crate::http::error::ApiError;
use crate::model::UserId;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use server_kit::http::bearer_token;
use server_kit::second_factor::Refusal;

/// A signed-in person, as verified from their access token and the current user row.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub jti: String,
    pub exp: u64,
    pub family: String,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Any signed-in technician or admin.
#[derive(Debug, Clone)]
pub struct Technician(pub Principal);

/// Any signed-in technician or admin, also one whose role must set up a second factor and has
/// not yet: what the sign-in's own routes (who am I, sign out, set up the second factor) take.
/// Every other route refuses such a person with `second_factor_setup_required`.
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
    let claims = state
        .tokens
        .verify_access(token)
        .map_err(|_| ApiError::Unauthorized)?;
    if db::tokens::is_access_revoked(&state.db, &claims.jti).await?
        || db::tokens::is_family_revoked(&state.db, &claims.fam).await?
    {
        return Err(ApiError::Unauthorized);
    }
    // The role comes from the user row, not the token, so a demotion or a disable takes
    // effect at once.
    let user = db::users::USERS
        .find(&state.db, &UserId::from(claims.sub))
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
        user_id: user.id,
        username: user.sign_in_name,
        display_name: user.display_name,
        jti: claims.jti,
        exp: claims.exp,
        family: claims.fam,
    })
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
        if !p.is_admin() {
            return Err(ApiError::Forbidden("admin role required"));
        }
        Ok(Admin(p))
    }
}

/// The integration caller (GuruRMM): `Authorization: Bearer <integration key>`, compared in
/// constant time with the configured `integration_key`. Refused outright when none is set.
#[derive(Debug, Clone, Copy)]
pub struct Integration;

impl FromRequestParts<AppState> for Integration {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(configured) = &state.config.integration_key else {
            return Err(ApiError::Forbidden(
                "the integration is not enabled on this server (integration_key is unset)",
            ));
        };
        let given = bearer_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
        if !secrets::constant_time_eq(given, configured.expose()) {
            return Err(ApiError::Unauthorized);
        }
        Ok(Integration)
    }
}
