//! Native Remote Control broker (NRC-8), its routes. A technician asks for remote control of an
//! agent; `connect::start` ensures the machine's per-machine key, pre-creates the GuruConnect
//! session (attended: with a support code), picks the GuruConnect agent build for the machine's
//! platform, mints the technician's viewer token and sends the RMM agent a
//! `remote_control_launch` command, undoing itself if a step fails; this module answers with
//! the viewer URLs. Every start is a `remote_control_sessions` row and audit events; no key,
//! code or token is logged or stored in clear.
//!
//! Viewer URLs:
//! - embedded: `<gc public url>/viewer?embed=1&parent=<rmm origin>#session=<id>&token=<token>`
//!   (CONTRACT.md "Viewer embed protocol");
//! - native: `guruconnect://session?server=<gc public url>&session=<id>&token=<token>`, every
//!   value percent-encoded, for a GuruConnect viewer registered as the `guruconnect:` handler.

use super::dto::{iso, iso_opt};
use crate::app::AppState;
use crate::auth::Technician;
use crate::connect::capabilities::{Capabilities, Mode, BUILT_FOR};
use crate::connect::start::{self, not_configured};
use crate::connect::{Connect, ConnectError};
use crate::db::{self, remote_control as rc};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path, UpstreamError};
use crate::model::{
    AgentId, CommandId, ConnectSessionId, RemoteControlId, RemoteControlState, UserId,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// Longest `reason` shown to the end user.
const MAX_REASON: usize = 500;

impl From<ConnectError> for ApiError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Upstream {
                status,
                error_code,
                detail,
                correlation_id,
            } => ApiError::Upstream {
                detail: format!("GuruConnect refused the request: {detail}"),
                upstream: UpstreamError {
                    service: "guruconnect".into(),
                    error_code,
                    status_code: status,
                    correlation_id,
                },
            },
            other => ApiError::Upstream {
                detail: other.to_string(),
                upstream: UpstreamError {
                    service: "guruconnect".into(),
                    error_code: match other {
                        ConnectError::Unreachable(_) => "unreachable",
                        _ => "bad_response",
                    }
                    .into(),
                    status_code: 0,
                    correlation_id: None,
                },
            },
        }
    }
}

/// What the dashboard needs to offer the button.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemoteControlStatus {
    /// The integration is configured on this server.
    pub configured: bool,
    /// Remote control can be started now (configured, GuruConnect answered, same contract
    /// major, sessions offered).
    pub available: bool,
    /// Why not, when `available` is false.
    pub reason: Option<String>,
    /// What a technician may choose.
    pub modes: Vec<Mode>,
    /// The contract version GuruConnect serves.
    pub contract_version: Option<String>,
    /// The version this server was built for (it accepts any minor of that major).
    pub supported_contract: String,
    pub capabilities: Option<Capabilities>,
    /// GuruConnect's browser-facing origin: the only origin the viewer frame's messages may
    /// come from.
    pub viewer_origin: Option<String>,
    /// GuruConnect's release public key for the enrolment instructions (agents pin it as
    /// `[remote_control] release_public_key`), when this server is configured with it.
    pub release_public_key: Option<String>,
    /// The CA certificate (PEM) GuruConnect's relay certificate chains to, when it is a
    /// private CA: the enrolment instructions install it for the GuruConnect agent.
    pub ca_pem: Option<String>,
}

async fn status_of(state: &AppState) -> RemoteControlStatus {
    let mut status = RemoteControlStatus {
        configured: false,
        available: false,
        reason: None,
        modes: Vec::new(),
        contract_version: None,
        supported_contract: BUILT_FOR.to_owned(),
        capabilities: None,
        viewer_origin: state.config.connect.public_origin(),
        release_public_key: state.config.connect.release_public_key.clone(),
        ca_pem: state.config.connect.ca_pem(),
    };
    let Some(connect) = &state.connect else {
        status.viewer_origin = None;
        status.reason = Some(not_configured());
        return status;
    };
    status.configured = true;
    match connect.capabilities().await {
        Ok(caps) => {
            status.reason = caps.unavailable_reason();
            status.modes = caps.modes();
            if status.reason.is_none() && status.modes.is_empty() {
                status.reason = Some("GuruConnect offers neither mode".into());
            }
            status.available = status.reason.is_none();
            status.contract_version = Some(caps.contract_version.clone());
            status.capabilities = Some(caps);
        }
        Err(e) => status.reason = Some(e),
    }
    status
}

/// Whether remote control is available, and with which modes.
#[utoipa::path(get, path = "/api/remote-control/status", tag = "remote-control", security(("bearer" = [])),
    responses((status = 200, body = RemoteControlStatus), (status = 401, body = ErrorEnvelope)))]
pub async fn status(
    State(state): State<AppState>,
    _t: Technician,
) -> ApiResult<Json<RemoteControlStatus>> {
    Ok(Json(status_of(&state).await))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// Read as text so that a wrong word gets the handler's own message.
    #[schema(value_type = Mode)]
    pub mode: String,
    /// Shown to the end user in the consent prompt (attended). Optional.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StartResponse {
    /// GuruConnect's session id.
    pub session_id: ConnectSessionId,
    /// The audit row (`GET /api/agents/{id}/remote-control/sessions`).
    pub remote_control_id: RemoteControlId,
    /// The `remote_control_launch` command sent to the RMM agent.
    pub command_id: CommandId,
    /// `<gc>/viewer?embed=1&parent=<rmm origin>#session=<id>&token=<token>`: put it in an
    /// iframe. The token opens this session only and expires in minutes.
    pub viewer_embed_url: String,
    /// `guruconnect://session?server=…&session=…&token=…`: the native viewer, as a fallback.
    pub viewer_native_url: String,
    pub mode: Mode,
    pub capabilities: Capabilities,
    /// GuruConnect's origin, for checking the frame's messages.
    pub viewer_origin: String,
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The origin part (`scheme://host[:port]`) of a URL.
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

pub fn viewer_embed_url(gc_public: &str, parent: &str, session: &str, token: &str) -> String {
    format!(
        "{gc_public}/viewer?embed=1&parent={}#session={}&token={}",
        encode_component(parent),
        encode_component(session),
        encode_component(token)
    )
}

pub fn viewer_native_url(gc_public: &str, session: &str, token: &str) -> String {
    format!(
        "guruconnect://session?server={}&session={}&token={}",
        encode_component(gc_public),
        encode_component(session),
        encode_component(token)
    )
}

/// Starts remote control of an online agent.
#[utoipa::path(post, path = "/api/agents/{id}/remote-control", tag = "remote-control", security(("bearer" = [])),
    request_body = StartRequest, params(("id" = String, Path, description = "agent id")),
    responses((status = 201, body = StartResponse),
        (status = 404, body = ErrorEnvelope, description = "no such agent"),
        (status = 409, body = ErrorEnvelope, description = "the agent is offline"),
        (status = 422, body = ErrorEnvelope, description = "bad mode, mode not offered, or no GuruConnect build for the agent's platform"),
        (status = 429, body = ErrorEnvelope),
        (status = 502, body = ErrorEnvelope, description = "GuruConnect refused or failed; `upstream` carries its code and correlation id"),
        (status = 503, body = ErrorEnvelope, description = "remote control not configured, contract major mismatch, or sessions not offered")))]
pub async fn start(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(agent_id): Path<AgentId>,
    Json(req): Json<StartRequest>,
) -> ApiResult<(StatusCode, Json<StartResponse>)> {
    let mode = Mode::parse(&req.mode).ok_or_else(|| {
        ApiError::Validation(format!(
            "mode must be `unattended` or `attended`, not `{}`",
            req.mode
        ))
    })?;
    let reason = req.reason.unwrap_or_default();
    if reason.len() > MAX_REASON {
        return Err(ApiError::Validation(format!(
            "reason must be at most {MAX_REASON} bytes"
        )));
    }
    let started = start::start(&state, &me, &agent_id, mode, &reason).await?;
    let parent = origin_of(&state.config.public_url());
    let gc_public = &started.gc_public;
    Ok((
        StatusCode::CREATED,
        Json(StartResponse {
            viewer_embed_url: viewer_embed_url(
                gc_public,
                &parent,
                started.session_id.as_str(),
                &started.viewer_token,
            ),
            viewer_native_url: viewer_native_url(
                gc_public,
                started.session_id.as_str(),
                &started.viewer_token,
            ),
            viewer_origin: origin_of(gc_public),
            session_id: started.session_id,
            remote_control_id: started.remote_control_id,
            command_id: started.command_id,
            mode: started.mode,
            capabilities: started.capabilities,
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RemoteControlSessionDto {
    pub id: RemoteControlId,
    pub agent_id: AgentId,
    pub technician_id: UserId,
    pub technician_email: String,
    pub connect_session_id: ConnectSessionId,
    pub mode: Mode,
    pub status: RemoteControlState,
    pub command_id: Option<CommandId>,
    /// The launch command's state on the agent.
    pub launch_status: Option<String>,
    /// Why the launch failed, as the agent reported it (e.g. a refused signature).
    pub launch_error: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    /// GuruConnect's side, read live (single-session reads of a started session only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub connect: Option<ConnectSideDto>,
}

/// Where GuruConnect says a started session stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectSideDto {
    /// `waiting` (no agent yet), `active`, `agent_offline`; absent when GuruConnect could not
    /// be asked.
    pub status: Option<String>,
    /// The machine's GuruConnect agent is connected to GuruConnect.
    pub agent_online: bool,
    /// Why GuruConnect turned the machine's GuruConnect agent away, if it did.
    pub agent_refused: Option<String>,
    /// Why GuruConnect could not be asked.
    pub error: Option<String>,
}

impl From<crate::connect::reconcile::ConnectSide> for ConnectSideDto {
    fn from(c: crate::connect::reconcile::ConnectSide) -> Self {
        Self {
            status: c.status,
            agent_online: c.agent_online,
            agent_refused: c.agent_refused,
            error: c.error,
        }
    }
}

impl From<rc::SessionRow> for RemoteControlSessionDto {
    fn from(r: rc::SessionRow) -> Self {
        Self {
            started_at: iso(r.started_at),
            ended_at: iso_opt(r.ended_at),
            id: r.id,
            agent_id: r.agent_id,
            technician_id: r.technician_id,
            technician_email: r.technician_email,
            connect_session_id: r.connect_session_id,
            mode: r.mode,
            status: r.status,
            command_id: r.command_id,
            launch_status: r.launch_status,
            launch_error: r.launch_error,
            end_reason: r.end_reason,
            connect: None,
        }
    }
}

/// The agent's remote-control sessions, newest first (at most 100).
#[utoipa::path(get, path = "/api/agents/{id}/remote-control/sessions", tag = "remote-control", security(("bearer" = [])),
    params(("id" = String, Path, description = "agent id")),
    responses((status = 200, body = Vec<RemoteControlSessionDto>), (status = 404, body = ErrorEnvelope)))]
pub async fn sessions(
    State(state): State<AppState>,
    _t: Technician,
    Path(agent_id): Path<AgentId>,
) -> ApiResult<Json<Vec<RemoteControlSessionDto>>> {
    db::agents::find(&state.db, &agent_id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    let rows = rc::list_for_agent(&state.db, &agent_id, 100).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// One remote-control session, brought up to date with its launch and with GuruConnect (a
/// failed launch fails it; a session GuruConnect ended ends it, with the reason).
#[utoipa::path(get, path = "/api/remote-control/sessions/{id}", tag = "remote-control", security(("bearer" = [])),
    params(("id" = String, Path, description = "remote-control id")),
    responses((status = 200, body = RemoteControlSessionDto), (status = 404, body = ErrorEnvelope)))]
pub async fn session(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<RemoteControlId>,
) -> ApiResult<Json<RemoteControlSessionDto>> {
    let row = rc::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("remote-control session"))?;
    let connect = crate::connect::reconcile::refresh(&state, &row).await;
    let row = rc::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("remote-control session"))?;
    let started = row.status == RemoteControlState::Started;
    let mut dto = RemoteControlSessionDto::from(row);
    dto.connect = connect.filter(|_| started).map(Into::into);
    Ok(Json(dto))
}

/// A remote-control row that is still started, and the integration to act on it with.
async fn started_row(
    state: &AppState,
    id: &RemoteControlId,
) -> ApiResult<(rc::SessionRow, Arc<Connect>)> {
    let row = rc::find(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("remote-control session"))?;
    if row.status != RemoteControlState::Started {
        return Err(ApiError::Conflict(format!(
            "session is already {}",
            row.status
        )));
    }
    let connect = state
        .connect
        .clone()
        .ok_or_else(|| ApiError::Unavailable(not_configured()))?;
    Ok((row, connect))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewerLink {
    /// `<gc>/viewer#session=<id>&token=<token>`: GuruConnect's own viewer page, for a tab of
    /// its own. The token is fresh, opens this session only and expires in minutes.
    pub viewer_url: String,
}

/// A fresh link to GuruConnect's standalone viewer for a started session ("open in a new
/// tab"): the token the embedded viewer got at start may have expired by now.
#[utoipa::path(post, path = "/api/remote-control/sessions/{id}/viewer", tag = "remote-control", security(("bearer" = [])),
    params(("id" = String, Path, description = "remote-control id")),
    responses((status = 201, body = ViewerLink), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope, description = "the session has ended"),
        (status = 502, body = ErrorEnvelope)))]
pub async fn viewer_link(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<RemoteControlId>,
) -> ApiResult<(StatusCode, Json<ViewerLink>)> {
    let (row, connect) = started_row(&state, &id).await?;
    let gc_public = state
        .config
        .connect
        .public_base()
        .ok_or_else(|| ApiError::Unavailable(not_configured()))?;
    let token = connect
        .client
        .viewer_token(&row.connect_session_id, &me.email, me.user_id.as_str())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ViewerLink {
            viewer_url: format!(
                "{gc_public}/viewer#session={}&token={}",
                encode_component(row.connect_session_id.as_str()),
                encode_component(token.token.expose())
            ),
        }),
    ))
}

/// Ends a remote-control session on GuruConnect (agent and viewers disconnected) and records it.
#[utoipa::path(post, path = "/api/remote-control/sessions/{id}/end", tag = "remote-control", security(("bearer" = [])),
    params(("id" = String, Path, description = "remote-control id")),
    responses((status = 200, body = RemoteControlSessionDto), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 502, body = ErrorEnvelope)))]
pub async fn end(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<RemoteControlId>,
) -> ApiResult<Json<RemoteControlSessionDto>> {
    let (row, connect) = started_row(&state, &id).await?;
    connect.client.end_session(&row.connect_session_id).await?;
    let reason = format!("ended by {}", me.email);
    rc::finish(&state.db, &id, RemoteControlState::Ended, &reason).await?;
    db::audit::record(
        &state.db,
        &format!("user:{}", me.user_id),
        "remote_control_ended",
        &format!("agent:{}", row.agent_id),
        serde_json::json!({"remote_control_id": id, "connect_session_id": row.connect_session_id}),
    )
    .await;
    let row = rc::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("remote-control session"))?;
    Ok(Json(row.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_urls_have_the_documented_forms() {
        assert_eq!(
            viewer_embed_url(
                "https://connect.example.com",
                "https://rmm.example.com",
                "s-1",
                "a.b_c"
            ),
            "https://connect.example.com/viewer?embed=1&parent=https%3A%2F%2Frmm.example.com#session=s-1&token=a.b_c"
        );
        assert_eq!(
            viewer_native_url("https://connect.example.com", "s-1", "t&x"),
            "guruconnect://session?server=https%3A%2F%2Fconnect.example.com&session=s-1&token=t%26x"
        );
        assert_eq!(
            origin_of("https://c.example.com:8443/x?y"),
            "https://c.example.com:8443"
        );
    }
}
