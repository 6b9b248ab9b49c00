//! The integration contract's HTTP surface (CONTRACT.md, NRC-1..3): what GuruRMM calls to drive
//! GuruConnect. Capabilities are public so a caller can probe before it is configured; every
//! `/api/integration/v1/*` route besides them takes the integration key and nothing else.

use super::codes::{create_code, CodeRequest, CreatedCode};
use super::dto::SessionDto;
use super::keys::{mint_key, MintedKey};
use super::sessions::{dto, end_live, mint_viewer_token, Viewer, ViewerTokenResponse};
use crate::app::AppState;
use crate::auth::{tokens, Integration};
use crate::db::{self, events::Actor};
use crate::http::error::{ApiError, ApiResult, Json, Path};
use crate::model::{AgentId, Mode, SessionId};
use crate::relay::agent::valid_identifier;
use crate::relay::lifecycle::{self, Source, Spec};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The contract's version (semver). Bump the major for any incompatible change to a payload,
/// route or meaning; `tests/contract.rs` holds the served surface to CONTRACT.md and
/// `guruconnect/integration-v1.openapi.json`.
pub const CONTRACT_VERSION: &str = "1.5.0";

/// The name a viewer token minted for the integration carries when the caller gives none.
const DEFAULT_TECHNICIAN: &str = "GuruRMM technician";

#[derive(Debug, Serialize, ToSchema)]
pub struct Capabilities {
    /// Semver of this contract; a caller refuses a different major.
    pub contract_version: String,
    pub features: Features,
}

/// Each flag reflects this server's configuration right now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Features {
    /// `/viewer?embed=1` can be framed: embedding origins are configured and the web front end
    /// is served.
    pub embedded_viewer: bool,
    /// Attended sessions ask the end user to accept before anything streams.
    pub consent_prompt: bool,
    /// `POST /api/integration/v1/agents/{agent_id}/keys` works (the integration key is set).
    pub per_machine_keys: bool,
    /// Sessions and viewer tokens can be created through this contract.
    pub programmatic_sessions: bool,
}

fn capabilities_of(state: &AppState) -> Capabilities {
    let integration = state.config.integration_key.is_some();
    Capabilities {
        contract_version: CONTRACT_VERSION.into(),
        features: Features {
            embedded_viewer: !state.config.embed_allowed_origins.is_empty()
                && state.config.web_dir.is_some(),
            consent_prompt: state.config.attended_consent,
            per_machine_keys: integration,
            programmatic_sessions: integration,
        },
    }
}

/// What this server offers under the contract. Public.
#[utoipa::path(get, path = "/api/integration/capabilities", tag = "integration",
    responses((status = 200, body = Capabilities)))]
pub async fn capabilities(State(state): State<AppState>) -> Json<Capabilities> {
    Json(capabilities_of(&state))
}

/// The same document under the versioned prefix. Public.
#[utoipa::path(get, path = "/api/integration/v1/capabilities", tag = "integration",
    responses((status = 200, body = Capabilities)))]
pub async fn capabilities_v1(State(state): State<AppState>) -> Json<Capabilities> {
    Json(capabilities_of(&state))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    #[serde(default)]
    pub label: String,
}

/// Mints a per-machine key for `agent_id` (GuruRMM's device_id); the key is in this response
/// only. Earlier keys stay valid until revoked.
#[utoipa::path(post, path = "/api/integration/v1/agents/{agent_id}/keys", tag = "integration",
    security(("integration" = [])), request_body = KeyRequest,
    params(("agent_id" = String, Path, description = "the machine's agent id (GuruRMM device_id)")),
    responses((status = 201, body = MintedKey), (status = 401, body = crate::http::error::ErrorEnvelope),
              (status = 422, body = crate::http::error::ErrorEnvelope)))]
pub async fn mint_agent_key(
    State(state): State<AppState>,
    _: Integration,
    Path(agent_id): Path<AgentId>,
    Json(req): Json<KeyRequest>,
) -> ApiResult<(StatusCode, Json<MintedKey>)> {
    let label = if req.label.is_empty() {
        "gururmm"
    } else {
        req.label.as_str()
    };
    let minted = mint_key(&state, &agent_id, label, Actor::Integration).await?;
    Ok((StatusCode::CREATED, Json(minted)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    pub agent_id: AgentId,
    /// Read as text so that a wrong word gets the handler's own message.
    #[schema(value_type = Mode)]
    pub mode: String,
    /// Shown to the end user in the consent prompt (attended).
    #[serde(default)]
    pub technician_name: String,
    /// Shown to the end user in the consent prompt (attended).
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSession {
    #[serde(flatten)]
    pub session: SessionDto,
    /// Attended only: the code the GuruConnect agent redeems to join this very session. Shown
    /// this once.
    pub support_code: Option<String>,
    /// Attended only: when the code stops working (ISO 8601).
    pub support_code_expires_at: Option<String>,
}

/// Pre-creates a session for `agent_id`. Unattended: the machine's one live session (created
/// waiting when there is none); its agent binds to it when it registers with that agent_id.
/// Attended: a new waiting session and a support code bound to it.
#[utoipa::path(post, path = "/api/integration/v1/sessions", tag = "integration",
    security(("integration" = [])), request_body = CreateSessionRequest,
    responses((status = 201, body = CreatedSession), (status = 401, body = crate::http::error::ErrorEnvelope),
              (status = 422, body = crate::http::error::ErrorEnvelope)))]
pub async fn create_session(
    State(state): State<AppState>,
    _: Integration,
    Json(req): Json<CreateSessionRequest>,
) -> ApiResult<(StatusCode, Json<CreatedSession>)> {
    if !valid_identifier(req.agent_id.as_str()) {
        return Err(ApiError::Validation(
            "agent_id must be 1-128 characters of letters, digits and - _ . :".into(),
        ));
    }
    let created = match Mode::parse(&req.mode) {
        Some(Mode::Unattended) => CreatedSession {
            session: dto(&state, unattended(&state, &req.agent_id).await?),
            support_code: None,
            support_code_expires_at: None,
        },
        Some(Mode::Attended) => attended(&state, &req).await?,
        None => {
            return Err(ApiError::Validation(format!(
                "mode must be `unattended` or `attended`, not `{}`",
                req.mode
            )))
        }
    };
    Ok((StatusCode::CREATED, Json(created)))
}

async fn unattended(state: &AppState, agent_id: &AgentId) -> ApiResult<db::sessions::SessionRow> {
    Ok(lifecycle::get_or_create_unattended(
        state,
        agent_id,
        Source::Integration,
        None,
        Actor::Integration,
    )
    .await?)
}

async fn attended(state: &AppState, req: &CreateSessionRequest) -> ApiResult<CreatedSession> {
    let (row, _) = lifecycle::create(
        state,
        Spec {
            agent_id: &req.agent_id,
            mode: Mode::Attended,
            source: Source::Integration,
            created_by: None,
            support_code_id: None,
            agent_present: false,
            actor: Actor::Integration,
        },
    )
    .await?;
    let name = non_empty(&req.technician_name, DEFAULT_TECHNICIAN);
    let code = create_code(
        state,
        CodeRequest {
            created_by: "integration",
            actor: Actor::Integration,
            technician_name: name,
            note: req.reason.trim(),
            session_id: Some(&row.id),
        },
    )
    .await?;
    Ok(CreatedSession {
        session: dto(state, row),
        support_code_expires_at: Some(code.info.expires_at.clone()),
        support_code: Some(code.code),
    })
}

fn non_empty<'a>(value: &'a str, fallback: &'a str) -> &'a str {
    match value.trim() {
        "" => fallback,
        trimmed => trimmed,
    }
}

/// A session created through any path (the integration may watch technician sessions too).
#[utoipa::path(get, path = "/api/integration/v1/sessions/{id}", tag = "integration",
    security(("integration" = [])), params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = SessionDto), (status = 404, body = crate::http::error::ErrorEnvelope)))]
pub async fn session(
    State(state): State<AppState>,
    _: Integration,
    Path(id): Path<SessionId>,
) -> ApiResult<Json<SessionDto>> {
    let row = db::sessions::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    Ok(Json(super::sessions::dto_with_refusal(&state, row).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationViewerTokenRequest {
    /// Who will watch, for the audit trail and the other viewers' list.
    #[serde(default)]
    pub technician_name: String,
    /// The caller's own id for that person (e.g. the GuruRMM user id), for the audit trail.
    #[serde(default)]
    pub technician_id: String,
}

/// Mints a short-lived viewer token for one live session.
#[utoipa::path(post, path = "/api/integration/v1/sessions/{id}/viewer-token", tag = "integration",
    security(("integration" = [])), request_body = IntegrationViewerTokenRequest,
    params(("id" = String, Path, description = "session id")),
    responses((status = 201, body = ViewerTokenResponse), (status = 404, body = crate::http::error::ErrorEnvelope),
              (status = 409, body = crate::http::error::ErrorEnvelope)))]
pub async fn viewer_token(
    State(state): State<AppState>,
    _: Integration,
    Path(id): Path<SessionId>,
    Json(req): Json<IntegrationViewerTokenRequest>,
) -> ApiResult<(StatusCode, Json<ViewerTokenResponse>)> {
    if req.technician_name.len() > 200 || req.technician_id.len() > 128 {
        return Err(ApiError::Validation(
            "technician_name ≤ 200 and technician_id ≤ 128 characters".into(),
        ));
    }
    let row = db::sessions::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    let name = non_empty(&req.technician_name, DEFAULT_TECHNICIAN);
    let viewer = Viewer {
        subject: tokens::INTEGRATION_VIEWER_SUBJECT,
        name,
        actor: Actor::Integration,
        audit: serde_json::json!({"technician_name": name, "technician_id": req.technician_id}),
    };
    mint_viewer_token(&state, &row, viewer).await
}

/// Ends a session; its agent and viewers are disconnected and its viewer tokens revoked.
#[utoipa::path(post, path = "/api/integration/v1/sessions/{id}/end", tag = "integration",
    security(("integration" = [])), params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 404, body = crate::http::error::ErrorEnvelope),
              (status = 409, body = crate::http::error::ErrorEnvelope)))]
pub async fn end_session(
    State(state): State<AppState>,
    _: Integration,
    Path(id): Path<SessionId>,
) -> ApiResult<StatusCode> {
    let row = db::sessions::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    end_live(&state, &row, "ended_by_integration", Actor::Integration).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationCodeRequest {
    /// Shown to the end user in the consent prompt.
    pub technician_name: String,
    #[serde(default)]
    pub note: String,
}

/// A support code for an attended session the end user starts themselves (not bound to a
/// pre-created session). The code is in this response only.
#[utoipa::path(post, path = "/api/integration/v1/support-codes", tag = "integration",
    security(("integration" = [])), request_body = IntegrationCodeRequest,
    responses((status = 201, body = CreatedCode), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn support_code(
    State(state): State<AppState>,
    _: Integration,
    Json(req): Json<IntegrationCodeRequest>,
) -> ApiResult<(StatusCode, Json<CreatedCode>)> {
    let created = create_code(
        &state,
        CodeRequest {
            created_by: "integration",
            actor: Actor::Integration,
            technician_name: non_empty(&req.technician_name, DEFAULT_TECHNICIAN),
            note: req.note.trim(),
            session_id: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}
