//! Machines (GC-13/14/16): list with `?q=` search, company filter and pagination, the company
//! groups with their true counts, detail, and operator removal (single and bulk). Removal ends
//! the machine's sessions, revokes its keys and drops its socket.

use super::dto::{MachineDto, MachineGroupDto, Page, PageParams};
use crate::app::AppState;
use crate::auth::{Admin, Principal, Technician};
use crate::db::{self, events::Actor, events::Event};
use crate::http::error::{ApiError, ApiResult, Json, Path, Query};
use crate::model::{AgentId, Mode, UserId};
use crate::relay::lifecycle::{self, record};
use crate::relay::session::LiveSession;
use axum::extract::State;
use axum::http::StatusCode;
use guruconnect_proto::DisconnectReason;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct MachineQuery {
    /// Space-separated terms, all of which must match. Plain terms match any attribute;
    /// `os:`, `user:`, `ip:`, `host:`, `company:`, `site:`, `tag:`, `serial:`, `mac:` scope a
    /// term to one attribute.
    pub q: Option<String>,
    /// Only this company's machines (exact; empty for machines without one).
    pub organization: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GroupQuery {
    /// The same search as the machines list's `q`.
    pub q: Option<String>,
}

fn checked_query(q: Option<String>) -> ApiResult<String> {
    let q = q.unwrap_or_default();
    if q.len() > 512 {
        return Err(ApiError::Validation(
            "q must be at most 512 characters".into(),
        ));
    }
    Ok(q)
}

/// The live attended sessions `me` may join, by machine: an attended visit is not the
/// machine's unattended session (`Registry::for_agent`), yet it is what a technician joins.
fn attended_sessions(state: &AppState, me: &Principal) -> HashMap<AgentId, Arc<LiveSession>> {
    state
        .relay
        .all()
        .into_iter()
        .filter(|s| s.mode == Mode::Attended)
        .filter(|s| me.is_admin() || s.created_by.as_deref() == Some(me.user_id.as_str()))
        .map(|s| (s.agent_id.clone(), s))
        .collect()
}

fn dto(
    state: &AppState,
    attended: &HashMap<AgentId, Arc<LiveSession>>,
    row: db::machines::MachineRow,
) -> MachineDto {
    let live = state
        .relay
        .for_agent(&row.agent_id)
        .or_else(|| attended.get(&row.agent_id).cloned());
    let viewers = live.as_ref().map(|s| s.viewer_count()).unwrap_or(0);
    MachineDto::new(
        row,
        live.map(|s| s.id.clone()),
        u32::try_from(viewers).unwrap_or(u32::MAX),
    )
}

#[utoipa::path(get, path = "/api/machines", tag = "machines", security(("bearer" = [])), params(MachineQuery),
    responses((status = 200, body = Page<MachineDto>), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    Technician(me): Technician,
    Query(query): Query<MachineQuery>,
) -> ApiResult<Json<Page<MachineDto>>> {
    let q = checked_query(query.q)?;
    let (limit, offset, page, per_page) = PageParams {
        page: query.page,
        per_page: query.per_page,
    }
    .limit_offset();
    let terms = db::machines::parse_query(&q);
    let (rows, total) = db::machines::search(
        &state.db,
        &terms,
        query.organization.as_deref(),
        limit,
        offset,
    )
    .await?;
    let attended = attended_sessions(&state, &me);
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|r| dto(&state, &attended, r))
            .collect(),
        total,
        page,
        per_page,
    }))
}

/// Every company among the machines a search matches, with how many it has and how many are
/// online: the list pages, so only the server can count a whole group.
#[utoipa::path(get, path = "/api/machine-groups", tag = "machines", security(("bearer" = [])), params(GroupQuery),
    responses((status = 200, body = Vec<MachineGroupDto>), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn groups(
    State(state): State<AppState>,
    _me: Technician,
    Query(query): Query<GroupQuery>,
) -> ApiResult<Json<Vec<MachineGroupDto>>> {
    let q = checked_query(query.q)?;
    let rows = db::machines::groups(&state.db, &db::machines::parse_query(&q)).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/machines/{agent_id}", tag = "machines", security(("bearer" = [])),
    params(("agent_id" = String, Path, description = "machine agent id")),
    responses((status = 200, body = MachineDto), (status = 404, body = crate::http::error::ErrorEnvelope)))]
pub async fn detail(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(agent_id): Path<AgentId>,
) -> ApiResult<Json<MachineDto>> {
    let row = db::machines::find_by_agent_id(&state.db, &agent_id)
        .await?
        .ok_or(ApiError::NotFound("machine"))?;
    Ok(Json(dto(&state, &attended_sessions(&state, &me), row)))
}

/// Removes one machine: its live session ends, its keys are revoked, its socket closes.
pub async fn remove_machine(
    state: &AppState,
    agent_id: &AgentId,
    actor_id: &UserId,
) -> ApiResult<bool> {
    let existed = db::machines::delete(&state.db, agent_id).await?;
    let revoked = db::keys::revoke_all_for_agent(&state.db, agent_id).await?;
    if let Some(live) = state.relay.for_agent(agent_id) {
        live.close_agent(
            DisconnectReason::MachineRemoved,
            "machine removed by an operator",
        );
        lifecycle::end(
            state,
            &live.id,
            "machine_removed",
            DisconnectReason::MachineRemoved,
            Actor::User(actor_id.clone()),
        )
        .await?;
    }
    for key_id in &revoked {
        state
            .relay
            .close_agents_with_key(key_id, DisconnectReason::MachineRemoved);
    }
    if existed || !revoked.is_empty() {
        record(
            state,
            Event {
                event_type: "machine_removed",
                actor: Actor::User(actor_id.clone()),
                session_id: None,
                agent_id: Some(agent_id),
                ip: None,
                detail: serde_json::json!({"keys_revoked": revoked.len()}),
            },
        )
        .await;
    }
    Ok(existed)
}

#[utoipa::path(delete, path = "/api/machines/{agent_id}", tag = "machines", security(("bearer" = ["admin"])),
    params(("agent_id" = String, Path, description = "machine agent id")),
    responses((status = 204), (status = 403, body = crate::http::error::ErrorEnvelope), (status = 404, body = crate::http::error::ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(agent_id): Path<AgentId>,
) -> ApiResult<StatusCode> {
    if remove_machine(&state, &agent_id, &admin.user_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("machine"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkDeleteRequest {
    /// At most 500 machines per call.
    pub agent_ids: Vec<AgentId>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDeleteResponse {
    pub removed: Vec<AgentId>,
    pub not_found: Vec<AgentId>,
}

#[utoipa::path(post, path = "/api/machines/bulk-delete", tag = "machines", security(("bearer" = ["admin"])),
    request_body = BulkDeleteRequest,
    responses((status = 200, body = BulkDeleteResponse), (status = 403, body = crate::http::error::ErrorEnvelope),
              (status = 422, body = crate::http::error::ErrorEnvelope)))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(req): Json<BulkDeleteRequest>,
) -> ApiResult<Json<BulkDeleteResponse>> {
    if req.agent_ids.is_empty() || req.agent_ids.len() > 500 {
        return Err(ApiError::Validation(
            "agent_ids must hold 1 to 500 ids".into(),
        ));
    }
    let mut result = BulkDeleteResponse {
        removed: Vec::new(),
        not_found: Vec::new(),
    };
    for agent_id in req.agent_ids {
        if remove_machine(&state, &agent_id, &admin.user_id).await? {
            result.removed.push(agent_id);
        } else {
            result.not_found.push(agent_id);
        }
    }
    Ok(Json(result))
}
