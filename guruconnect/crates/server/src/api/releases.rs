//! The agent release channel over HTTP: the latest build's metadata for the integration
//! (integration key), the public download that the machine verifies before running, and for
//! technicians (access token) what the end user of an attended session needs: the latest build
//! per platform and the relay URL the agent is started with.

use crate::app::AppState;
use crate::auth::{Integration, Technician};
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

/// What a technician hands the person at an attended machine.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDownloads {
    /// The value of `guruconnect-agent run --server`: this server's public URL as `ws://` or
    /// `wss://`.
    pub relay_url: String,
    /// The latest published build of each platform; a platform with none is left out.
    pub releases: Vec<AgentDownload>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDownload {
    /// `linux-x86_64` or `windows-x86_64`.
    pub platform: String,
    pub version: String,
    /// The name the download is saved under (`guruconnect-agent`, `guruconnect-agent.exe`).
    pub file_name: String,
    /// Absolute URL of the public download.
    pub download_url: String,
    pub size: u64,
    pub sha256: String,
    pub published_at: String,
}

/// The relay URL agents use: the public URL with its scheme made a WebSocket one. The server
/// says it rather than the page guessing from its own address, because technicians may reach
/// the console under another name than the one end users' machines must use.
pub fn relay_url(public_url: &str) -> String {
    if let Some(rest) = public_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = public_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        public_url.to_owned()
    }
}

/// The relay URL and the latest agent build per platform, for the support-code page.
#[utoipa::path(get, path = "/api/agent-downloads", tag = "releases", security(("bearer" = [])),
    responses((status = 200, body = AgentDownloads), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn agent_downloads(
    State(state): State<AppState>,
    _me: Technician,
) -> ApiResult<Json<AgentDownloads>> {
    let public_url = state.config.public_url();
    let mut releases = Vec::new();
    for platform in PLATFORMS {
        let Some(row) = db::releases::latest(&state.db, platform).await? else {
            continue;
        };
        // A row whose file is gone cannot be downloaded: offering it would only fail later.
        let Ok(meta) = tokio::fs::metadata(stored_path(&state.config.data_dir, &row)).await else {
            tracing::warn!(platform, version = %row.version, "published release has no binary on disk");
            continue;
        };
        releases.push(AgentDownload {
            download_url: format!(
                "{public_url}/api/releases/{}/{}/download",
                row.platform, row.version
            ),
            file_name: file_name_of(&row),
            size: meta.len(),
            published_at: super::dto::iso(row.created_at),
            platform: row.platform,
            version: row.version,
            sha256: row.sha256,
        });
    }
    Ok(Json(AgentDownloads {
        relay_url: relay_url(&public_url),
        releases,
    }))
}

fn file_name_of(row: &db::releases::ReleaseRow) -> String {
    row.url
        .rsplit('/')
        .next()
        .unwrap_or("guruconnect-agent")
        .to_owned()
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
    let name = file_name_of(&row);
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

#[cfg(test)]
mod tests {
    use super::relay_url;

    #[test]
    fn the_relay_url_is_the_public_url_as_a_websocket_url() {
        assert_eq!(
            relay_url("https://connect.example.com"),
            "wss://connect.example.com"
        );
        assert_eq!(relay_url("http://127.0.0.1:8443"), "ws://127.0.0.1:8443");
        assert_eq!(relay_url("https://example.com/gc"), "wss://example.com/gc");
    }
}
