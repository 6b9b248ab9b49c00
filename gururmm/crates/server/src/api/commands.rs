//! Commands (RMM-4): send, list, detail, cancel. A send is stored first (`pending`), then
//! delivered at once if the agent is connected; otherwise it waits and is delivered when the
//! agent reconnects. Each user may send `commands_per_minute`.

use super::dto::CommandDto;
use crate::app::AppState;
use crate::auth::Technician;
use crate::db::{self, commands::NewCommand};
use crate::delivery;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path, Query};
use crate::model::{AgentId, CommandId};
use axum::extract::State;
use axum::http::StatusCode;
use gururmm_protocol::CommandType;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Largest command text accepted (scripts included).
const MAX_COMMAND_BYTES: usize = 64 * 1024;

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendCommandRequest {
    /// shell, powershell, python, script or claude_task.
    pub command_type: String,
    pub command: String,
    /// Seconds; defaults to the server's `command_default_timeout_secs`.
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub elevated: bool,
}

#[utoipa::path(post, path = "/api/agents/{id}/command", tag = "commands", security(("bearer" = [])),
    request_body = SendCommandRequest, params(("id" = String, Path)),
    responses((status = 201, body = CommandDto), (status = 404, body = ErrorEnvelope),
              (status = 422, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn send(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(agent_id): Path<AgentId>,
    Json(req): Json<SendCommandRequest>,
) -> ApiResult<(StatusCode, Json<CommandDto>)> {
    let kind = CommandType::from(req.command_type.clone());
    if kind == CommandType::RemoteControlLaunch {
        return Err(ApiError::Validation(
            "remote_control_launch is sent only by POST /api/agents/{id}/remote-control".into(),
        ));
    }
    if !kind.is_known() {
        return Err(ApiError::Validation(format!(
            "unknown command_type `{}`; expected shell, powershell, python, script or claude_task",
            req.command_type
        )));
    }
    if req.command.trim().is_empty() || req.command.len() > MAX_COMMAND_BYTES {
        return Err(ApiError::Validation(format!(
            "command must be 1-{MAX_COMMAND_BYTES} bytes"
        )));
    }
    let limits = &state.config.limits;
    let timeout = req
        .timeout_seconds
        .unwrap_or(limits.command_default_timeout_secs);
    if timeout == 0 || timeout > limits.command_max_timeout_secs {
        return Err(ApiError::Validation(format!(
            "timeout_seconds must be 1-{}",
            limits.command_max_timeout_secs
        )));
    }
    db::agents::find(&state.db, &agent_id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    if let Err(wait) = state
        .throttles
        .commands_user
        .try_acquire(me.user_id.clone())
    {
        return Err(ApiError::rate_limited(wait));
    }
    let row = db::commands::insert(
        &state.db,
        &NewCommand {
            agent_id: &agent_id,
            created_by: Some(&me.user_id),
            command_type: kind.as_str(),
            command: &req.command,
            timeout_seconds: i64::try_from(timeout).unwrap_or(i64::MAX),
            elevated: req.elevated,
        },
    )
    .await?;
    // Audited verbatim, so the log shows exactly what ran. Whatever a technician types into a
    // command (a password on a command line included) is kept here, as in the command's own
    // row; README "Audit trail" says so.
    db::audit::record(
        &state.db,
        &format!("user:{}", me.user_id),
        "command_sent",
        &format!("agent:{agent_id}"),
        serde_json::json!({"command_id": row.id, "command_type": kind.as_str(), "command": req.command}),
    )
    .await;
    state.command_feed.changed(&row.id, &agent_id);
    // An offline agent's command stays as stored; a delivery attempt may have changed it
    // (claimed, lost to the reconnect flush, failed to prepare), so it is read again.
    let row = match state.registry.get(&agent_id) {
        None => row,
        Some(live) => {
            delivery::deliver(&state, &live, &row).await?;
            db::commands::find(&state.db, &row.id)
                .await?
                .ok_or(ApiError::NotFound("command"))?
        }
    };
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CommandQuery {
    pub agent_id: Option<AgentId>,
    /// At most 500; default 100.
    pub limit: Option<u32>,
}

/// A command in a list, with the hostname of its agent so the list can name the machine.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandListItem {
    #[serde(flatten)]
    pub command: CommandDto,
    /// The agent's hostname as it last reported it; null when the agent is gone.
    pub agent_hostname: Option<String>,
}

#[utoipa::path(get, path = "/api/commands", tag = "commands", security(("bearer" = [])), params(CommandQuery),
    responses((status = 200, body = Vec<CommandListItem>), (status = 401, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    _t: Technician,
    Query(q): Query<CommandQuery>,
) -> ApiResult<Json<Vec<CommandListItem>>> {
    let limit = i64::from(q.limit.unwrap_or(100).clamp(1, 500));
    let rows = db::commands::list(&state.db, q.agent_id.as_ref(), limit).await?;
    let mut ids: Vec<&AgentId> = rows.iter().map(|r| &r.agent_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = db::agents::hostnames(&state.db, &ids).await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| CommandListItem {
                agent_hostname: names.get(&row.agent_id).cloned(),
                command: row.into(),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/commands/{id}", tag = "commands", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CommandDto), (status = 404, body = ErrorEnvelope)))]
pub async fn detail(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<CommandId>,
) -> ApiResult<Json<CommandDto>> {
    let row = db::commands::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("command"))?;
    Ok(Json(row.into()))
}

/// Cancels a command that has not been delivered yet (409 once it is running or finished).
#[utoipa::path(post, path = "/api/commands/{id}/cancel", tag = "commands", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CommandDto), (status = 404, body = ErrorEnvelope),
    (status = 409, body = ErrorEnvelope)))]
pub async fn cancel(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<CommandId>,
) -> ApiResult<Json<CommandDto>> {
    let row = db::commands::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("command"))?;
    if !db::commands::cancel(&state.db, &id).await? {
        return Err(ApiError::Conflict(format!(
            "command is {}, not pending",
            row.status
        )));
    }
    state.command_feed.changed(&id, &row.agent_id);
    db::audit::record(
        &state.db,
        &format!("user:{}", me.user_id),
        "command_cancelled",
        &format!("agent:{}", row.agent_id),
        serde_json::json!({"command_id": id}),
    )
    .await;
    let row = db::commands::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("command"))?;
    Ok(Json(row.into()))
}
