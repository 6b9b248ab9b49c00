//! Public routes: liveness and version.

use crate::app::AppState;
use crate::http::error::{ApiResult, Json};
use axum::extract::State;
use serde::Serialize;
use server_kit::http::Version;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// Agents with a live socket on this server.
    pub agents_connected: usize,
}

#[utoipa::path(get, path = "/health", tag = "meta", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(Json(Health {
        status: "ok".into(),
        agents_connected: state.registry.len(),
    }))
}

#[utoipa::path(get, path = "/api/version", tag = "meta", responses((status = 200, body = Version)))]
pub async fn version() -> Json<Version> {
    let (name, version) = (env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    Json(Version::new(
        name,
        version,
        gururmm_protocol::PROTOCOL_VERSION,
    ))
}
