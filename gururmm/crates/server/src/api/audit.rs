//! The audit trail, read-only and for admins: who did what to which target,
//! newest first, filtered by action and target, a page at a time. Rows hold no credential the
//! server issues or checks, but `command_sent` holds the command text verbatim; see
//! `db::audit`.

use super::dto::{iso, PageParams};
use crate::app::AppState;
use crate::auth::Admin;
use crate::db::{self, audit::AuditFilter, audit::AuditRow};
use crate::http::error::{ApiResult, ErrorEnvelope, Json, Query};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: String,
    pub occurred_at: String,
    /// `user:<id>` or `system`.
    pub actor: String,
    /// e.g. `login`, `command_sent`, `agent_key_rotated`, `registration_token_issued`.
    pub action: String,
    /// e.g. `agent:<id>`, `site:<id>`, `user:<id>`.
    pub target: String,
    /// What else the action recorded (ids, names, the command text).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditRow> for AuditEventDto {
    fn from(r: AuditRow) -> Self {
        Self {
            id: r.id,
            occurred_at: iso(r.occurred_at),
            actor: r.actor,
            action: r.event_type,
            target: r.target,
            detail: serde_json::from_str(&r.detail_json).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventDto>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only this action, e.g. `login`.
    pub action: Option<String>,
    /// Only this target, e.g. `agent:<id>`.
    pub target: Option<String>,
    /// 1-based.
    pub page: Option<u32>,
    /// At most 200; default 50.
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/api/audit", tag = "audit", security(("bearer" = ["admin"])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let filter = AuditFilter {
        action: non_empty(q.action),
        target: non_empty(q.target),
    };
    let (limit, offset, page, per_page) = PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .limit_offset();
    let (rows, total) = db::audit::list(&state.db, &filter, limit, offset).await?;
    Ok(Json(AuditPage {
        items: rows.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
    }))
}
