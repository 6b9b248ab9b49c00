//! Metrics (RMM-5): one agent's history and a fleet summary.

use super::dto::iso;
use crate::app::AppState;
use crate::auth::Technician;
use crate::db;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path, Query};
use crate::model::AgentId;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// How far back, 1-720 hours; default 24.
    pub hours: Option<u32>,
    /// At most 10000 samples; default 1000.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricSample {
    pub recorded_at: String,
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub disk_used_bytes: Option<i64>,
    pub disk_total_bytes: Option<i64>,
    pub network_rx_bytes: Option<i64>,
    pub network_tx_bytes: Option<i64>,
}

fn since(hours: Option<u32>) -> ApiResult<i64> {
    let hours = hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::Validation("hours must be 1-720".into()));
    }
    Ok(db::now_ms() - i64::from(hours) * 3_600_000)
}

#[utoipa::path(get, path = "/api/agents/{id}/metrics", tag = "metrics", security(("bearer" = [])),
    params(("id" = String, Path), HistoryQuery),
    responses((status = 200, body = Vec<MetricSample>), (status = 404, body = ErrorEnvelope)))]
pub async fn history(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<AgentId>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<MetricSample>>> {
    db::agents::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    let limit = i64::from(q.limit.unwrap_or(1000).clamp(1, 10_000));
    let rows = db::metrics::history(&state.db, &id, since(q.hours)?, limit).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| MetricSample {
                recorded_at: iso(r.recorded_at),
                cpu_percent: r.cpu_percent,
                memory_used_bytes: r.memory_used_bytes,
                memory_total_bytes: r.memory_total_bytes,
                disk_used_bytes: r.disk_used_bytes,
                disk_total_bytes: r.disk_total_bytes,
                network_rx_bytes: r.network_rx_bytes,
                network_tx_bytes: r.network_tx_bytes,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SummaryQuery {
    /// Window in hours, 1-720; default 24.
    pub hours: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsSummary {
    pub hours: u32,
    pub samples: i64,
    pub agents_reporting: i64,
    pub agents_online: i64,
    pub avg_cpu_percent: Option<f64>,
    pub max_cpu_percent: Option<f64>,
    pub avg_memory_percent: Option<f64>,
    pub avg_disk_percent: Option<f64>,
}

#[utoipa::path(get, path = "/api/metrics/summary", tag = "metrics", security(("bearer" = [])), params(SummaryQuery),
    responses((status = 200, body = MetricsSummary), (status = 401, body = ErrorEnvelope)))]
pub async fn summary(
    State(state): State<AppState>,
    _t: Technician,
    Query(q): Query<SummaryQuery>,
) -> ApiResult<Json<MetricsSummary>> {
    let s = db::metrics::summary(&state.db, since(q.hours)?).await?;
    let stats = db::agents::stats(&state.db).await?;
    Ok(Json(MetricsSummary {
        hours: q.hours.unwrap_or(24),
        samples: s.samples,
        agents_reporting: s.agents_reporting,
        agents_online: stats.online,
        avg_cpu_percent: s.avg_cpu_percent,
        max_cpu_percent: s.max_cpu_percent,
        avg_memory_percent: s.avg_memory_percent,
        avg_disk_percent: s.avg_disk_percent,
    }))
}
