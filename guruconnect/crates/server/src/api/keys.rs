//! Per-machine agent keys (GC-10), admin only: mint (plaintext shown once), list, revoke.
//! Revoking drops the machine's open socket at once.

use super::dto::AgentKeyDto;
use crate::app::AppState;
use crate::auth::secrets::{new_token, sha256_hex, AGENT_KEY_PREFIX};
use crate::auth::Admin;
use crate::db::{self, events::Actor, events::Event};
use crate::http::error::{ApiError, ApiResult, Json, Path, Query};
use crate::model::{AgentId, KeyId};
use crate::relay::{agent::valid_identifier, lifecycle::record};
use axum::extract::State;
use axum::http::StatusCode;
use guruconnect_proto::DisconnectReason;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
pub struct MintKeyRequest {
    /// The machine the key will authenticate (for GuruRMM-managed machines, its device_id).
    pub agent_id: AgentId,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MintedKey {
    /// The key itself. Shown this once; only its hash is stored.
    pub key: String,
    #[serde(flatten)]
    pub info: AgentKeyDto,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct KeyFilter {
    pub agent_id: Option<AgentId>,
}

/// Mints a key for one machine. The response is the only place the key ever appears.
pub async fn mint_key(
    state: &AppState,
    agent_id: &AgentId,
    label: &str,
    actor: Actor,
) -> ApiResult<MintedKey> {
    if !valid_identifier(agent_id.as_str()) {
        return Err(ApiError::Validation(
            "agent_id must be 1-128 characters of letters, digits and - _ . :".into(),
        ));
    }
    if label.len() > 200 {
        return Err(ApiError::Validation(
            "label must be at most 200 characters".into(),
        ));
    }
    let key = new_token(AGENT_KEY_PREFIX);
    let prefix: String = key.chars().take(AGENT_KEY_PREFIX.len() + 6).collect();
    let created_by = match &actor {
        Actor::User(id) => id.to_string(),
        Actor::Integration => "integration".into(),
        _ => String::new(),
    };
    let row = db::keys::insert(
        &state.db,
        agent_id,
        &sha256_hex(&key),
        &prefix,
        label,
        &created_by,
    )
    .await?;
    record(
        state,
        Event {
            event_type: "agent_key_minted",
            actor,
            session_id: None,
            agent_id: Some(agent_id),
            ip: None,
            detail: serde_json::json!({"key_id": row.id, "key_prefix": row.key_prefix}),
        },
    )
    .await;
    Ok(MintedKey {
        key,
        info: row.into(),
    })
}

#[utoipa::path(post, path = "/api/agent-keys", tag = "agent-keys", security(("bearer" = ["admin"])), request_body = MintKeyRequest,
    responses((status = 201, body = MintedKey), (status = 403, body = crate::http::error::ErrorEnvelope),
              (status = 422, body = crate::http::error::ErrorEnvelope)))]
pub async fn mint(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(req): Json<MintKeyRequest>,
) -> ApiResult<(StatusCode, Json<MintedKey>)> {
    let minted = mint_key(
        &state,
        &req.agent_id,
        &req.label,
        Actor::User(admin.user_id),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(minted)))
}

#[utoipa::path(get, path = "/api/agent-keys", tag = "agent-keys", security(("bearer" = ["admin"])), params(KeyFilter),
    responses((status = 200, body = Vec<AgentKeyDto>), (status = 403, body = crate::http::error::ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Query(filter): Query<KeyFilter>,
) -> ApiResult<Json<Vec<AgentKeyDto>>> {
    let rows = db::keys::list(&state.db, filter.agent_id.as_ref()).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Revokes a key and closes any socket that authenticated with it.
#[utoipa::path(delete, path = "/api/agent-keys/{id}", tag = "agent-keys", security(("bearer" = ["admin"])),
    params(("id" = String, Path, description = "key id")),
    responses((status = 204), (status = 404, body = crate::http::error::ErrorEnvelope), (status = 403, body = crate::http::error::ErrorEnvelope),
              (status = 409, body = crate::http::error::ErrorEnvelope, description = "the key was already revoked")))]
pub async fn revoke(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<KeyId>,
) -> ApiResult<StatusCode> {
    let key = db::keys::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("agent key"))?;
    if !db::keys::revoke(&state.db, &id).await? {
        return Err(ApiError::Conflict("the key was already revoked".into()));
    }
    let closed = state
        .relay
        .close_agents_with_key(&id, DisconnectReason::KeyRevoked);
    record(
        &state,
        Event {
            event_type: "agent_key_revoked",
            actor: Actor::User(admin.user_id),
            session_id: None,
            agent_id: Some(&key.agent_id),
            ip: None,
            detail: serde_json::json!({"key_id": id, "sockets_closed": closed}),
        },
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
