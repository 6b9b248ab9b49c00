//! Agents (RMM-2): list with search, filters, sorting and pagination, stats, unassigned, detail, pre-registration
//! with a per-agent key, key rotation and revocation, delete, move, state, watchdog events,
//! update history.

use super::dto::{iso, iso_opt, AgentDto, PageParams};
use crate::app::AppState;
use crate::auth::secrets::{new_agent_key, sha256_hex};
use crate::auth::{Admin, Technician};
use crate::db::{self, agents::Identity, agents::ListFilter, agents::SortKey};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path, Query};
use crate::model::{AgentId, AgentStatus, ClientId, SiteId};
use axum::extract::State;
use axum::http::StatusCode;
use gururmm_protocol::{encode, KeyRotated, NetworkInterface, ServerMessage, KEY_ROTATION_SINCE};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentPage {
    pub items: Vec<AgentDto>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AgentQuery {
    /// Search terms, all of which must match hostname, OS, version or device id.
    pub q: Option<String>,
    /// `online` or `offline`.
    pub status: Option<String>,
    pub site_id: Option<String>,
    pub client_id: Option<String>,
    /// `windows`, `linux`, `macos`: the OS type the agent reports.
    pub os_type: Option<String>,
    /// hostname (default), status, os, version, client, site, last_seen or created.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub order: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

async fn page(state: &AppState, filter: ListFilter, paging: PageParams) -> ApiResult<AgentPage> {
    if let Some(status) = &filter.status {
        if crate::model::AgentStatus::parse(status).is_none() {
            return Err(ApiError::Validation(
                "status must be online or offline".into(),
            ));
        }
    }
    let (limit, offset, page, per_page) = paging.limit_offset();
    let (rows, total) = db::agents::list(&state.db, &filter, limit, offset).await?;
    Ok(AgentPage {
        items: rows.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
    })
}

#[utoipa::path(get, path = "/api/agents", tag = "agents", security(("bearer" = [])), params(AgentQuery),
    responses((status = 200, body = AgentPage), (status = 401, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    _t: Technician,
    Query(q): Query<AgentQuery>,
) -> ApiResult<Json<AgentPage>> {
    let sort = match q.sort.as_deref() {
        None | Some("") => SortKey::default(),
        Some(name) => SortKey::parse(name).ok_or_else(|| {
            ApiError::Validation(format!("sort must be one of {}", SortKey::NAMES))
        })?,
    };
    let descending = match q.order.as_deref() {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::Validation("order must be asc or desc".into())),
    };
    let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let filter = ListFilter {
        q: q.q,
        status: non_empty(q.status),
        site_id: non_empty(q.site_id).map(SiteId::from),
        client_id: non_empty(q.client_id).map(ClientId::from),
        os_type: non_empty(q.os_type),
        unassigned: false,
        sort,
        descending,
    };
    let paging = PageParams {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(Json(page(&state, filter, paging).await?))
}

#[utoipa::path(get, path = "/api/agents/unassigned", tag = "agents", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = AgentPage), (status = 401, body = ErrorEnvelope)))]
pub async fn unassigned(
    State(state): State<AppState>,
    _t: Technician,
    Query(paging): Query<PageParams>,
) -> ApiResult<Json<AgentPage>> {
    let filter = ListFilter {
        unassigned: true,
        ..ListFilter::default()
    };
    Ok(Json(page(&state, filter, paging).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentStats {
    pub total: i64,
    pub online: i64,
    pub offline: i64,
    pub unassigned: i64,
}

#[utoipa::path(get, path = "/api/agents/stats", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = AgentStats), (status = 401, body = ErrorEnvelope)))]
pub async fn stats(State(state): State<AppState>, _t: Technician) -> ApiResult<Json<AgentStats>> {
    let s = db::agents::stats(&state.db).await?;
    Ok(Json(AgentStats {
        total: s.total,
        online: s.online,
        offline: s.offline,
        unassigned: s.unassigned,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateAgentRequest {
    /// Site to place the agent in; omitted: unassigned.
    pub site_id: Option<SiteId>,
    /// Label until the agent reports its own hostname.
    #[serde(default)]
    pub hostname: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedAgent {
    pub agent: AgentDto,
    /// The agent's `grmm_` key, shown only now; only its SHA-256 is stored.
    pub api_key: String,
}

/// Pre-registers an agent and mints its per-agent key (admin only: keys are credentials). The
/// key binds to the first device that authenticates with it.
#[utoipa::path(post, path = "/api/agents", tag = "agents", security(("bearer" = ["admin"])), request_body = CreateAgentRequest,
    responses((status = 201, body = CreatedAgent), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(req): Json<CreateAgentRequest>,
) -> ApiResult<(StatusCode, Json<CreatedAgent>)> {
    if let Some(site) = &req.site_id {
        db::sites::find(&state.db, site)
            .await?
            .ok_or(ApiError::NotFound("site"))?;
    }
    let key = new_agent_key();
    let identity = Identity {
        hostname: req.hostname.trim().chars().take(255).collect(),
        ..Identity::default()
    };
    let id = db::agents::insert(
        &state.db,
        req.site_id.as_ref(),
        &identity,
        Some(&sha256_hex(&key)),
    )
    .await?;
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "agent_key_issued",
        &format!("agent:{id}"),
        serde_json::json!({}),
    )
    .await;
    let agent = db::agents::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedAgent {
            agent: agent.into(),
            api_key: key,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct RotatedKey {
    pub agent_id: AgentId,
    /// The agent's new `grmm_` key, shown only now; only its SHA-256 is stored.
    pub api_key: String,
    /// True only when the key was written to the agent's open socket (the socket's writer
    /// confirmed it within 2 s): the agent stores it and reconnects with it by itself. False
    /// when the agent was offline, polls in legacy mode, runs an agent older than protocol 2,
    /// or its socket failed or stalled before the key was written (that socket is then
    /// closed): put the key in the machine's `agent.key` yourself.
    pub sent_to_agent: bool,
}

// By hand, so the new key never reaches a log line through `{:?}`.
impl std::fmt::Debug for RotatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatedKey")
            .field("agent_id", &self.agent_id)
            .field("api_key", &"[redacted]")
            .field("sent_to_agent", &self.sent_to_agent)
            .finish()
    }
}

/// How long a socket that was handed its rotated key stays open at most: time to write it and
/// for the agent to read it and hang up.
const KEY_HANDOVER_GRACE: std::time::Duration = crate::ws::writer::LAST_MESSAGE_GRACE;

/// Replaces the agent's key (admin only: keys are credentials). The old key is refused from
/// now on. When the agent is connected, the new key is sent over its open socket
/// (`key_rotated`) as its last message: that socket takes no new work from then on, the agent
/// stores the key and reconnects with it, and the server closes that socket within 5 s at the
/// latest. When it is offline, polls in legacy mode, runs an agent older than protocol 2
/// (whose socket is just closed), or the key could not be written to its socket, the key
/// reaches the machine only by hand (`agent.key`); `sent_to_agent` says which. The new key,
/// shown only in this response, speaks for the same device. A revoked key is replaced the
/// same way (by hand: a revoked agent has no socket). The key goes to whoever holds the
/// agent's socket: to replace a key that may have leaked without sending the new one to
/// whoever holds the old, revoke first, then rotate.
#[utoipa::path(post, path = "/api/agents/{id}/rotate-key", tag = "agents", security(("bearer" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 200, body = RotatedKey), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn rotate_key(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<AgentId>,
) -> ApiResult<Json<RotatedKey>> {
    let key = new_agent_key();
    if !db::agents::rotate_key(&state.db, &id, &sha256_hex(&key)).await? {
        return Err(ApiError::NotFound("agent"));
    }
    // After the write: a socket that reconnects meanwhile authenticates against the new hash.
    // The open socket, authenticated with the old key, gets the new one as its last message.
    let handover = encode(&ServerMessage::KeyRotated(KeyRotated {
        agent_key: key.clone(),
    }));
    let sent_to_agent = state
        .registry
        .send_last(&id, KEY_ROTATION_SINCE, handover, KEY_HANDOVER_GRACE)
        .await;
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "agent_key_rotated",
        &format!("agent:{id}"),
        serde_json::json!({"sent_to_agent": sent_to_agent}),
    )
    .await;
    Ok(Json(RotatedKey {
        agent_id: id,
        api_key: key,
        sent_to_agent,
    }))
}

/// Revokes the agent's key (admin only). The socket open with it is closed at once and the
/// key is refused from now on, on the socket and the legacy endpoints; the device cannot
/// enrol again with its site's code or a registration token until a key is rotated in.
#[utoipa::path(post, path = "/api/agents/{id}/revoke-key", tag = "agents", security(("bearer" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<AgentId>,
) -> ApiResult<StatusCode> {
    if !db::agents::revoke_key(&state.db, &id).await? {
        return Err(ApiError::NotFound("agent"));
    }
    state.registry.disconnect(&id);
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "agent_key_revoked",
        &format!("agent:{id}"),
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/agents/{id}", tag = "agents", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = AgentDto), (status = 404, body = ErrorEnvelope)))]
pub async fn detail(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<AgentId>,
) -> ApiResult<Json<AgentDto>> {
    let row = db::agents::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    Ok(Json(row.into()))
}

/// Deletes the agent, its commands, metrics and events, and closes its socket.
#[utoipa::path(delete, path = "/api/agents/{id}", tag = "agents", security(("bearer" = ["admin"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<AgentId>,
) -> ApiResult<StatusCode> {
    if !db::agents::delete(&state.db, &id).await? {
        return Err(ApiError::NotFound("agent"));
    }
    state.registry.disconnect(&id);
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "agent_deleted",
        &format!("agent:{id}"),
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveRequest {
    /// Target site; null: unassign.
    pub site_id: Option<SiteId>,
}

#[utoipa::path(post, path = "/api/agents/{id}/move", tag = "agents", security(("bearer" = [])), request_body = MoveRequest,
    params(("id" = String, Path)), responses((status = 200, body = AgentDto), (status = 404, body = ErrorEnvelope)))]
pub async fn move_agent(
    State(state): State<AppState>,
    t: Technician,
    Path(id): Path<AgentId>,
    Json(req): Json<MoveRequest>,
) -> ApiResult<Json<AgentDto>> {
    if let Some(site) = &req.site_id {
        db::sites::find(&state.db, site)
            .await?
            .ok_or(ApiError::NotFound("site"))?;
    }
    if !db::agents::move_to(&state.db, &id, req.site_id.as_ref()).await? {
        return Err(ApiError::NotFound("agent"));
    }
    db::audit::record(
        &state.db,
        &format!("user:{}", t.0.user_id),
        "agent_moved",
        &format!("agent:{id}"),
        serde_json::json!({"site_id": req.site_id}),
    )
    .await;
    let row = db::agents::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    Ok(Json(row.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentState {
    pub agent_id: AgentId,
    pub status: AgentStatus,
    /// The last reported interface list (empty until the agent reports one).
    pub network: Vec<NetworkInterface>,
    pub network_hash: String,
    pub network_updated_at: Option<String>,
    /// The last metrics sample as the agent sent it.
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
    pub metrics_updated_at: Option<String>,
    pub uptime_seconds: i64,
}

#[utoipa::path(get, path = "/api/agents/{id}/state", tag = "agents", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = AgentState), (status = 404, body = ErrorEnvelope)))]
pub async fn agent_state(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<AgentId>,
) -> ApiResult<Json<AgentState>> {
    let agent = db::agents::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    let row = db::metrics::state(&state.db, &id).await?;
    let parse = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
    Ok(Json(match row {
        Some(r) => AgentState {
            agent_id: id,
            status: agent.status,
            network: serde_json::from_str(&r.network_json).unwrap_or_default(),
            network_hash: r.network_hash,
            network_updated_at: iso_opt(r.network_updated_at),
            metrics: parse(&r.metrics_json),
            metrics_updated_at: iso_opt(r.metrics_updated_at),
            uptime_seconds: r.uptime_seconds,
        },
        None => AgentState {
            agent_id: id,
            status: agent.status,
            network: Vec::new(),
            network_hash: String::new(),
            network_updated_at: None,
            metrics: serde_json::json!({}),
            metrics_updated_at: None,
            uptime_seconds: 0,
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchdogEventDto {
    pub id: String,
    pub service: String,
    pub event: String,
    pub message: String,
    pub occurred_at: String,
    pub recorded_at: String,
}

#[utoipa::path(get, path = "/api/agents/{id}/watchdog-events", tag = "agents", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<WatchdogEventDto>), (status = 404, body = ErrorEnvelope)))]
pub async fn watchdog_events(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<AgentId>,
) -> ApiResult<Json<Vec<WatchdogEventDto>>> {
    db::agents::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    let rows = db::watchdog::list(&state.db, &id, 500).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| WatchdogEventDto {
                id: r.id,
                service: r.service,
                event: r.event,
                message: r.message,
                occurred_at: iso(r.occurred_at),
                recorded_at: iso(r.recorded_at),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentUpdateDto {
    pub id: String,
    pub from_version: String,
    pub to_version: String,
    /// offered, completed (the agent came back on `to_version`), failed (the agent refused it).
    pub status: String,
    pub offered_at: String,
    pub completed_at: Option<String>,
    /// Why the agent refused the update (failed only): `hash_mismatch`, `bad_signature`,
    /// `download_failed`, `does_not_start`, `wrong_version`, `no_pinned_key`, `bad_pinned_key`,
    /// `install_failed`, or `unknown`.
    pub failure_reason: Option<String>,
    /// The agent's short explanation (printable ASCII, at most 200 characters).
    pub failure_message: Option<String>,
    pub failed_at: Option<String>,
}

/// The agent's update offers, newest first: each `offered` until the agent comes back on the
/// new version (`completed`) or says it refused it (`failed`, with its reason). A refused
/// release is offered to the agent again after `limits.update_retry_secs`, or as soon as a
/// newer one is published.
#[utoipa::path(get, path = "/api/agents/{id}/updates", tag = "agents", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<AgentUpdateDto>), (status = 404, body = ErrorEnvelope)))]
pub async fn updates(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<AgentId>,
) -> ApiResult<Json<Vec<AgentUpdateDto>>> {
    db::agents::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    let rows = db::releases::updates_for(&state.db, &id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AgentUpdateDto {
                id: r.id,
                from_version: r.from_version,
                to_version: r.to_version,
                status: r.status,
                offered_at: iso(r.offered_at),
                completed_at: iso_opt(r.completed_at),
                failure_reason: r.failure_reason,
                failure_message: r.failure_message,
                failed_at: iso_opt(r.failed_at),
            })
            .collect(),
    ))
}
