//! Registration tokens (RMM-10): admins mint them per site (shown once), technicians list them,
//! admins revoke them.

use super::dto::{iso, iso_opt};
use crate::app::AppState;
use crate::auth::secrets::{random_bytes, sha256_hex};
use crate::auth::Admin;
use crate::db::{self, registration_tokens::NewToken, registration_tokens::TokenRow};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path};
use crate::model::{SiteId, TokenId};
use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gururmm_protocol::REGISTRATION_TOKEN_PREFIX;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTokenRequest {
    #[serde(default)]
    pub description: String,
    /// Devices it may enrol; absent: unlimited.
    pub max_uses: Option<i64>,
    /// Hours until it expires; absent: never.
    pub expires_in_hours: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: TokenId,
    pub site_id: SiteId,
    pub description: String,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<TokenRow> for TokenDto {
    fn from(t: TokenRow) -> Self {
        Self {
            id: t.id,
            site_id: t.site_id,
            description: t.description,
            max_uses: t.max_uses,
            uses: t.uses,
            expires_at: iso_opt(t.expires_at),
            created_at: iso(t.created_at),
            revoked_at: iso_opt(t.revoked_at),
        }
    }
}

/// A new token. `token` is shown only in this response; only its SHA-256 is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenDto,
    pub token: String,
}

#[utoipa::path(post, path = "/api/sites/{id}/registration-tokens", tag = "registration-tokens", security(("bearer" = ["admin"])),
    request_body = CreateTokenRequest, params(("id" = String, Path)),
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
    (status = 422, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(site_id): Path<SiteId>,
    Json(req): Json<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    if req.max_uses.is_some_and(|n| n < 1) {
        return Err(ApiError::Validation("max_uses must be at least 1".into()));
    }
    if req
        .expires_in_hours
        .is_some_and(|h| !(1..=24 * 365).contains(&h))
    {
        return Err(ApiError::Validation(
            "expires_in_hours must be 1-8760".into(),
        ));
    }
    db::sites::find(&state.db, &site_id)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    let token = format!(
        "{REGISTRATION_TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    );
    let description: String = req.description.trim().chars().take(200).collect();
    let id = db::registration_tokens::insert(
        &state.db,
        &NewToken {
            site_id: &site_id,
            description: &description,
            max_uses: req.max_uses,
            expires_at: req.expires_in_hours.map(|h| db::now_ms() + h * 3_600_000),
            created_by: &admin.user_id,
            token_hash: &sha256_hex(&token),
        },
    )
    .await?;
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "registration_token_issued",
        &format!("site:{site_id}"),
        serde_json::json!({"token_id": id}),
    )
    .await;
    let row = db::registration_tokens::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("token"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            info: row.into(),
            token,
        }),
    ))
}

#[utoipa::path(get, path = "/api/registration-tokens", tag = "registration-tokens", security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<TokenDto>), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn list(State(state): State<AppState>, _admin: Admin) -> ApiResult<Json<Vec<TokenDto>>> {
    let rows = db::registration_tokens::list(&state.db).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Revokes a token: it enrols nothing more; agents it already enrolled are unaffected.
#[utoipa::path(delete, path = "/api/registration-tokens/{id}", tag = "registration-tokens", security(("bearer" = ["admin"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn revoke(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<TokenId>,
) -> ApiResult<StatusCode> {
    if !db::registration_tokens::revoke(&state.db, &id).await? {
        return Err(ApiError::NotFound("active registration token"));
    }
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "registration_token_revoked",
        &format!("registration_token:{id}"),
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
