//! Public routes: liveness and version (GC-20).

use crate::app::AppState;
use crate::http::error::{ApiResult, Json};
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
}

/// Liveness: answers 200 when the server and its database respond.
#[utoipa::path(get, path = "/health", tag = "meta", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Version {
    pub name: String,
    pub version: String,
    /// Wire protocol version agents and viewers must speak.
    pub protocol_version: u32,
}

/// Server and protocol versions; public so agents can check compatibility before auth.
#[utoipa::path(get, path = "/api/version", tag = "meta", responses((status = 200, body = Version)))]
pub async fn version() -> Json<Version> {
    Json(Version {
        name: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        protocol_version: guruconnect_proto::PROTOCOL_VERSION,
    })
}
