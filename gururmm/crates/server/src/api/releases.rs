//! Agent releases for auto-update (admin only). The server only relays the URL, hash and
//! signature; the agent trusts the signature, checked against its pinned key.

use super::dto::iso;
use crate::app::AppState;
use crate::auth::Admin;
use crate::db::{self, releases::ReleaseRow};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReleaseRequest {
    pub version: String,
    /// windows, linux, macos.
    pub os_type: String,
    /// x86_64, aarch64, ...
    pub arch: String,
    pub download_url: String,
    /// Hex SHA-256 of the binary.
    pub sha256: String,
    /// Base64 ed25519 signature over the binary's SHA-256 digest.
    pub signature: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseDto {
    pub id: String,
    pub version: String,
    pub os_type: String,
    pub arch: String,
    pub download_url: String,
    pub sha256: String,
    pub signature: String,
    pub active: bool,
    pub created_at: String,
}

impl From<ReleaseRow> for ReleaseDto {
    fn from(r: ReleaseRow) -> Self {
        Self {
            id: r.id,
            version: r.version,
            os_type: r.os_type,
            arch: r.arch,
            download_url: r.download_url,
            sha256: r.sha256,
            signature: r.signature,
            active: r.active != 0,
            created_at: iso(r.created_at),
        }
    }
}

#[utoipa::path(get, path = "/api/releases", tag = "releases", security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<ReleaseDto>), (status = 403, body = ErrorEnvelope)))]
pub async fn list(State(state): State<AppState>, _a: Admin) -> ApiResult<Json<Vec<ReleaseDto>>> {
    let rows = db::releases::list(&state.db).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/releases", tag = "releases", security(("bearer" = ["admin"])), request_body = ReleaseRequest,
    responses((status = 201, body = ReleaseDto), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(req): Json<ReleaseRequest>,
) -> ApiResult<(StatusCode, Json<ReleaseDto>)> {
    let hex64 = req.sha256.len() == 64 && req.sha256.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex64 {
        return Err(ApiError::Validation("sha256 must be 64 hex digits".into()));
    }
    if !(req.download_url.starts_with("https://") || req.download_url.starts_with("http://")) {
        return Err(ApiError::Validation(
            "download_url must be an http(s) URL".into(),
        ));
    }
    if req.version.trim().is_empty() || req.os_type.trim().is_empty() || req.arch.trim().is_empty()
    {
        return Err(ApiError::Validation(
            "version, os_type and arch are required".into(),
        ));
    }
    let row = ReleaseRow {
        id: String::new(),
        version: req.version.trim().to_owned(),
        os_type: req.os_type.trim().to_owned(),
        arch: req.arch.trim().to_owned(),
        download_url: req.download_url,
        sha256: req.sha256.to_ascii_lowercase(),
        signature: req.signature,
        active: 1,
        created_at: 0,
    };
    let id = db::releases::insert(&state.db, &row)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict("that version already exists for this OS and architecture".into())
        })?;
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "release_created",
        &format!("release:{id}"),
        serde_json::json!({"version": row.version}),
    )
    .await;
    let created = db::releases::list(&state.db)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(ApiError::NotFound("release"))?;
    Ok((StatusCode::CREATED, Json(created.into())))
}
