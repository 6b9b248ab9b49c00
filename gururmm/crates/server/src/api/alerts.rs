//! Alerts (RMM-10): list, acknowledge, resolve.

use super::dto::{iso, iso_opt};
use crate::app::AppState;
use crate::auth::Technician;
use crate::db::{self, alerts::AlertRow};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path, Query};
use crate::model::{AgentId, AlertId, AlertStatus, UserId};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    pub id: AlertId,
    pub agent_id: Option<AgentId>,
    /// The agent's hostname as it last reported it, so the alert can name the machine; null
    /// when the alert has no agent or the agent is gone.
    pub agent_hostname: Option<String>,
    /// agent_offline, cpu_high, memory_high, disk_high.
    pub kind: String,
    /// info, warning, critical.
    pub severity: String,
    pub message: String,
    pub status: AlertStatus,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

impl AlertDto {
    fn new(a: AlertRow, agent_hostname: Option<String>) -> Self {
        Self {
            id: a.id,
            agent_id: a.agent_id,
            agent_hostname,
            kind: a.kind,
            severity: a.severity,
            message: a.message,
            status: a.status,
            created_at: iso(a.created_at),
            resolved_at: iso_opt(a.resolved_at),
        }
    }
}

/// The alerts as the API returns them, each with its agent's hostname (one lookup for all).
async fn named(state: &AppState, rows: Vec<AlertRow>) -> ApiResult<Vec<AlertDto>> {
    let mut ids: Vec<&AgentId> = rows.iter().filter_map(|r| r.agent_id.as_ref()).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = db::agents::hostnames(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let hostname = row.agent_id.as_ref().and_then(|id| names.get(id).cloned());
            AlertDto::new(row, hostname)
        })
        .collect())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AlertQuery {
    /// open, acknowledged or resolved; default: everything not resolved.
    pub status: Option<String>,
    pub agent_id: Option<AgentId>,
}

#[utoipa::path(get, path = "/api/alerts", tag = "alerts", security(("bearer" = [])), params(AlertQuery),
    responses((status = 200, body = Vec<AlertDto>), (status = 401, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    _t: Technician,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Json<Vec<AlertDto>>> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(AlertStatus::parse(s).ok_or_else(|| {
            ApiError::Validation("status must be open, acknowledged or resolved".into())
        })?),
    };
    let rows = db::alerts::list(&state.db, status, q.agent_id.as_ref(), 500).await?;
    Ok(Json(named(&state, rows).await?))
}

async fn transition(
    state: &AppState,
    user: &UserId,
    id: &AlertId,
    status: AlertStatus,
) -> ApiResult<Json<AlertDto>> {
    if !db::alerts::set_status(&state.db, id, status).await? {
        return match db::alerts::find(&state.db, id).await? {
            Some(_) => Err(ApiError::Conflict("alert is already resolved".into())),
            None => Err(ApiError::NotFound("alert")),
        };
    }
    db::audit::record(
        &state.db,
        &format!("user:{user}"),
        &format!("alert_{status}"),
        &format!("alert:{id}"),
        serde_json::json!({}),
    )
    .await;
    let row = db::alerts::find(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("alert"))?;
    let mut one = named(state, vec![row]).await?;
    one.pop().map(Json).ok_or(ApiError::NotFound("alert"))
}

#[utoipa::path(post, path = "/api/alerts/{id}/acknowledge", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = AlertDto), (status = 404, body = ErrorEnvelope),
    (status = 409, body = ErrorEnvelope)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<AlertId>,
) -> ApiResult<Json<AlertDto>> {
    transition(&state, &me.user_id, &id, AlertStatus::Acknowledged).await
}

#[utoipa::path(post, path = "/api/alerts/{id}/resolve", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = AlertDto), (status = 404, body = ErrorEnvelope),
    (status = 409, body = ErrorEnvelope)))]
pub async fn resolve(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<AlertId>,
) -> ApiResult<Json<AlertDto>> {
    transition(&state, &me.user_id, &id, AlertStatus::Resolved).await
}
