//! The agent release channel over HTTP: the latest build's metadata for the integration
//! (integration key), and the public download that the machine verifies before running.

use crate::app::AppState;
use crate::auth::Integration;
use crate::db;
use crate::http::error::{ApiError, ApiResult, Json, Path, Query};
use crate::releases::{stored_path, PLATFORMS};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct PlatformQuery {
    /// `linux-x86_64` or `windows-x86_64`.
    pub platform: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentRelease {
    pub version: String,
    pub platform: String,
    /// Lower-case hex SHA-256 of the binary.
    pub sha256: String,
    /// Standard base64 ed25519 signature over the 32 raw bytes of that digest.
    pub signature: String,
    /// Absolute URL of the public download.
    pub download_url: String,
    pub size: u64,
}

fn check_platform(platform: &str) -> ApiResult<()> {
    if PLATFORMS.contains(&platform) {
        Ok(())
    } else {
        Err(ApiError::Validation(format!(
            "platform must be one of {}",
            PLATFORMS.join(", ")
        )))
    }
}

/// The most recently published GuruConnect agent for a platform.
#[utoipa::path(get, path = "/api/integration/v1/agent-releases/latest", tag = "integration",
    security(("integration" = [])), params(PlatformQuery),
    responses((status = 200, body = AgentRelease), (status = 404, body = crate::http::error::ErrorEnvelope),
              (status = 422, body = crate::http::error::ErrorEnvelope)))]
pub async fn latest(
    State(state): State<AppState>,
    _: Integration,
    Query(q): Query<PlatformQuery>,
) -> ApiResult<Json<AgentRelease>> {
    check_platform(&q.platform)?;
    let row = db::releases::latest(&state.db, &q.platform)
        .await?
        .ok_or(ApiError::NotFound("published release for this platform"))?;
    let size = tokio::fs::metadata(stored_path(&state.config.data_dir, &row))
        .await
        .map(|m| m.len())
        .map_err(|_| ApiError::NotFound("release binary"))?;
    Ok(Json(AgentRelease {
        download_url: format!(
            "{}/api/releases/{}/{}/download",
            state.config.public_url(),
            row.platform,
            row.version
        ),
        version: row.version,
        platform: row.platform,
        sha256: row.sha256,
        signature: row.signature,
        size,
    }))
}

/// A published agent binary. Public: the signature, not the channel, is what a machine trusts.
#[utoipa::path(get, path = "/api/releases/{platform}/{version}/download", tag = "releases",
    params(("platform" = String, Path, description = "linux-x86_64 or windows-x86_64"),
           ("version" = String, Path, description = "published version")),
    responses((status = 200, content_type = "application/octet-stream"),
              (status = 404, body = crate::http::error::ErrorEnvelope)))]
pub async fn download(
    State(state): State<AppState>,
    Path((platform, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    check_platform(&platform)?;
    // The row is looked up by value; the path on disk comes from the row, never the request.
    let row = db::releases::find(&state.db, &platform, &version)
        .await?
        .ok_or(ApiError::NotFound("release"))?;
    let bytes = tokio::fs::read(stored_path(&state.config.data_dir, &row))
        .await
        .map_err(|_| ApiError::NotFound("release binary"))?;
    let name = row
        .url
        .rsplit('/')
        .next()
        .unwrap_or("guruconnect-agent")
        .to_owned();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
