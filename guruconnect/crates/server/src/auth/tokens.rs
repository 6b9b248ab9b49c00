//! Issuing technician tokens: a 24-hour access JWT plus an opaque refresh token that rotates on
//! every use (reuse of a rotated token revokes the whole login), and viewer tokens.

use super::jwt::{
    now_secs, AccessClaims, ViewerClaims, ACCESS_AUDIENCE, ACCESS_TYP, ISSUER, VIEWER_AUDIENCE,
    VIEWER_TYP,
};
use super::secrets::{new_token, sha256_hex, REFRESH_PREFIX};
use crate::app::AppState;
use crate::db::{self, users::UserRow};
use crate::model::SessionId;

/// What a login or refresh hands back.
#[derive(Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Signs an access token and stores a new refresh token in `family` (a new login when `None`).
pub async fn issue_login(
    state: &AppState,
    user: &UserRow,
    family: Option<String>,
) -> anyhow::Result<IssuedTokens> {
    let limits = &state.config.limits;
    let family = family.unwrap_or_else(db::new_id);
    let now = now_secs();
    let claims = AccessClaims {
        sub: user.id.to_string(),
        name: user.sign_in_name.clone(),
        role: user.role.as_str().to_owned(),
        typ: ACCESS_TYP.into(),
        aud: ACCESS_AUDIENCE.into(),
        iss: ISSUER.into(),
        iat: now,
        exp: now + limits.access_token_ttl_secs,
        jti: db::new_id(),
        fam: family.clone(),
    };
    let access_token = state.tokens.sign_access(&claims)?;
    let refresh_token = new_token(REFRESH_PREFIX);
    let refresh_expires = db::now_ms() + (limits.refresh_token_ttl_secs as i64) * 1000;
    db::tokens::insert_refresh(
        &state.db,
        &user.id,
        &family,
        &sha256_hex(&refresh_token),
        refresh_expires,
    )
    .await?;
    Ok(IssuedTokens {
        access_token,
        expires_in: limits.access_token_ttl_secs,
        refresh_token,
    })
}

/// The `sub` of viewer tokens minted through the integration contract: the person watching
/// belongs to GuruRMM, not to this server's users. Admitted only while the integration is on.
pub const INTEGRATION_VIEWER_SUBJECT: &str = "integration";

/// A signed viewer token and its expiry (Unix seconds).
#[derive(Debug)]
pub struct IssuedViewerToken {
    pub token: String,
    pub expires_at: u64,
    pub jti: String,
}

/// Mints a viewer token for one session and records its jti.
pub async fn issue_viewer(
    state: &AppState,
    session_id: &SessionId,
    user_id: &str,
    name: &str,
) -> anyhow::Result<IssuedViewerToken> {
    let now = now_secs();
    let exp = now + state.config.limits.viewer_token_ttl_secs;
    let claims = ViewerClaims {
        sub: user_id.to_owned(),
        name: name.to_owned(),
        sid: session_id.to_string(),
        typ: VIEWER_TYP.into(),
        aud: VIEWER_AUDIENCE.into(),
        iss: ISSUER.into(),
        iat: now,
        exp,
        jti: db::new_id(),
    };
    let token = state.tokens.sign_viewer(&claims)?;
    db::tokens::insert_viewer(
        &state.db,
        &claims.jti,
        session_id,
        user_id,
        (exp as i64) * 1000,
    )
    .await?;
    Ok(IssuedViewerToken {
        token,
        expires_at: exp,
        jti: claims.jti,
    })
}
