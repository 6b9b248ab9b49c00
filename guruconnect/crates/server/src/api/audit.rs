//! The audit trail, read-only and for admins: sign-ins and failed sign-ins, users and keys
//! made and revoked, sessions and who joined them — newest first, filtered, a page at a time.
//! Rows hold identifiers and addresses, never a token, key or code (see `db::events`).

use crate::app::AppState;
use crate::auth::Admin;
use crate::db::{self, events::EventFilter, events::EventRow};
use crate::http::error::{ApiResult, ErrorEnvelope, Json, Query};
use crate::model::{AgentId, SessionId};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use server_kit::http::{iso, PageParams};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: String,
    pub occurred_at: String,
    /// e.g. `login`, `login_failed`, `user_created`, `agent_key_minted`, `session_started`.
    pub event_type: String,
    /// `user:<id>`, `agent:<id>`, `integration` or `system`.
    pub actor: String,
    pub session_id: Option<SessionId>,
    pub agent_id: Option<AgentId>,
    /// The client address, when the event came from a request.
    pub ip: String,
    /// What else the event recorded (ids, names, reasons).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<EventRow> for AuditEventDto {
    fn from(r: EventRow) -> Self {
        let actor = if r.actor_id.is_empty() {
            r.actor_type
        } else {
            format!("{}:{}", r.actor_type, r.actor_id)
        };
        Self {
            id: r.id,
            occurred_at: iso(r.created_at),
            event_type: r.event_type,
            actor,
            session_id: r.session_id,
            agent_id: r.agent_id,
            ip: r.ip,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
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
    /// Only this event type, e.g. `login_failed`.
    pub event_type: Option<String>,
    pub session_id: Option<SessionId>,
    pub agent_id: Option<AgentId>,
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
    let filter = EventFilter {
        event_type: q.event_type.filter(|t| !t.is_empty()),
        session_id: q.session_id,
        agent_id: q.agent_id,
    };
    let (limit, offset, page, per_page) = PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .limit_offset();
    let (rows, total) = db::events::list(&state.db, &filter, limit, offset).await?;
    Ok(Json(AuditPage {
        items: rows.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
    }))
}
