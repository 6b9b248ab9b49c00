//! Legacy polling mode (RMM-8), for agents that cannot hold a WebSocket (old Windows). These
//! endpoints work, unlike the seed's: registration by site code mints a per-agent key, the
//! heartbeat keeps the agent online and hands out the pending commands (claiming them, so each
//! is delivered once), and results are stored. Heartbeat and results authenticate with `X-Agent-Key` only.

use crate::app::AppState;
use crate::auth::secrets::{new_agent_key, sha256_hex};
use crate::auth::AgentKey;
use crate::db::{self, commands::Outcome};
use crate::delivery;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json};
use crate::http::middleware::ClientIp;
use crate::model::{AgentId, CommandId};
use crate::ws::auth::{enrolment, identity, spend_token, AuthFailure};
use axum::extract::State;
use axum::http::StatusCode;
use gururmm_protocol::{AuthPayload, MetricsReport};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Connection id recorded on commands handed out by the heartbeat.
const LEGACY_CONNECTION: &str = db::agents::POLLING_CONNECTION;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LegacyRegisterRequest {
    pub site_code: String,
    pub device_id: String,
    pub hostname: String,
    pub os_type: String,
    #[serde(default)]
    pub os_version: String,
    #[serde(default)]
    pub arch: String,
    pub agent_version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyRegistered {
    pub agent_id: AgentId,
    /// Send as `X-Agent-Key` from now on. Shown only now.
    pub api_key: String,
}

fn auth_error(failure: AuthFailure) -> ApiError {
    match failure {
        AuthFailure::RateLimited => ApiError::RateLimited {
            retry_after_secs: 60,
        },
        AuthFailure::Malformed(field) => ApiError::Validation(format!("invalid {field}")),
        AuthFailure::DeviceClaimed => {
            ApiError::Conflict("this device is already registered; use its key".into())
        }
        AuthFailure::Internal(e) => ApiError::Internal(e),
        _ => ApiError::Unauthorized,
    }
}

#[utoipa::path(post, path = "/api/agent/register-legacy", tag = "legacy-agent", request_body = LegacyRegisterRequest,
    responses((status = 201, body = LegacyRegistered), (status = 401, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(req): Json<LegacyRegisterRequest>,
) -> ApiResult<(StatusCode, Json<LegacyRegistered>)> {
    let auth = AuthPayload {
        api_key: String::new(),
        device_id: req.device_id,
        hostname: req.hostname,
        os_type: req.os_type,
        os_version: req.os_version,
        arch: req.arch,
        agent_version: req.agent_version,
        previous_version: None,
        protocol_version: gururmm_protocol::PROTOCOL_VERSION,
    };
    let identity = identity(&auth).map_err(auth_error)?;
    // `site_code` also accepts a registration token (grmt_…).
    let enrolment = enrolment(&state, &req.site_code, ip.0)
        .await
        .map_err(auth_error)?;
    let site_id = enrolment.site_id.clone();
    let key = new_agent_key();
    let hash = sha256_hex(&key);
    let agent_id = match db::agents::find_by_device(&state.db, &identity.device_id).await? {
        // A device enrolled by code over the socket switches to its own key.
        Some(a) if a.site_id.as_ref() == Some(&site_id) && db::agents::enrollable(&a) => {
            db::agents::update_identity(&state.db, &a.id, &identity).await?;
            db::agents::set_key_hash(&state.db, &a.id, &hash).await?;
            a.id
        }
        Some(_) => return Err(auth_error(AuthFailure::DeviceClaimed)),
        None => {
            spend_token(&state, &enrolment).await.map_err(auth_error)?;
            match db::agents::insert(&state.db, Some(&site_id), &identity, Some(&hash)).await {
                Ok(id) => id,
                Err(e) if db::is_unique_violation(&e) => {
                    return Err(auth_error(AuthFailure::DeviceClaimed))
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    db::audit::record(
        &state.db,
        "system",
        "agent_key_issued",
        &format!("agent:{agent_id}"),
        serde_json::json!({"via": "register-legacy", "site_id": site_id}),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(LegacyRegistered {
            agent_id,
            api_key: key,
        }),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LegacyHeartbeat {
    /// An optional metrics sample, in the WebSocket `metrics_report` shape.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metrics: Option<MetricsReport>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyHeartbeatResponse {
    pub agent_id: AgentId,
    /// Commands to run, in the WebSocket `command` payload shape. Each is handed out once.
    #[schema(value_type = Vec<Object>)]
    pub pending_commands: Vec<gururmm_protocol::CommandPayload>,
}

#[utoipa::path(post, path = "/api/agent/heartbeat", tag = "legacy-agent", request_body = LegacyHeartbeat,
    security(("agent_key" = [])),
    responses((status = 200, body = LegacyHeartbeatResponse), (status = 401, body = ErrorEnvelope)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Json(req): Json<LegacyHeartbeat>,
) -> ApiResult<Json<LegacyHeartbeatResponse>> {
    if db::agents::polled(&state.db, &agent.id).await? {
        tracing::info!(agent_id = %agent.id, "polling agent online");
        crate::alerting::on_connected(&state, &agent.id).await?;
    }
    if let Some(report) = &req.metrics {
        db::metrics::insert(&state.db, &agent.id, report).await?;
        crate::alerting::on_metrics(&state, &agent.id, report).await?;
    }
    let grace = i64::try_from(state.config.limits.command_grace_secs).unwrap_or(i64::MAX);
    let mut pending_commands = Vec::new();
    for row in db::commands::pending_for_agent(&state.db, &agent.id).await? {
        if db::commands::claim(&state.db, &row.id, LEGACY_CONNECTION, grace).await? {
            state.command_feed.changed(&row.id, &agent.id);
            pending_commands.push(delivery::payload(&state, &row)?);
        }
    }
    Ok(Json(LegacyHeartbeatResponse {
        agent_id: agent.id,
        pending_commands,
    }))
}

/// A command's outcome, in the WebSocket `command_result` payload shape.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LegacyCommandResult {
    pub id: CommandId,
    pub exit_code: i32,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    pub duration_ms: u64,
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub truncated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stored {
    pub stored: bool,
}

#[utoipa::path(post, path = "/api/agent/command-result", tag = "legacy-agent", request_body = LegacyCommandResult,
    security(("agent_key" = [])),
    responses((status = 200, body = Stored), (status = 401, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn command_result(
    State(state): State<AppState>,
    AgentKey(agent): AgentKey,
    Json(req): Json<LegacyCommandResult>,
) -> ApiResult<Json<Stored>> {
    let cap = gururmm_protocol::MAX_OUTPUT_BYTES;
    if req.stdout.len() > cap || req.stderr.len() > cap {
        return Err(ApiError::Validation(format!(
            "stdout and stderr are capped at {cap} bytes"
        )));
    }
    let stored = db::commands::complete(
        &state.db,
        &req.id,
        &agent.id,
        &Outcome {
            exit_code: i64::from(req.exit_code),
            stdout: &req.stdout,
            stderr: &req.stderr,
            duration_ms: i64::try_from(req.duration_ms).unwrap_or(i64::MAX),
            timed_out: req.timed_out,
            truncated: req.truncated,
        },
    )
    .await?;
    if !stored {
        return Err(ApiError::Conflict(
            "no such command running on this agent".into(),
        ));
    }
    state.command_feed.changed(&req.id, &agent.id);
    Ok(Json(Stored { stored }))
}
