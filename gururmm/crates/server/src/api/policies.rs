//! Policies (RMM-10): stored configuration with a scope. Reading is for technicians; writing is
//! for admins, and every write is pushed to the connected agents it affects.

use super::dto::iso;
use crate::app::AppState;
use crate::auth::{Admin, Technician};
use crate::db::{self, policies::PolicyRow};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path};
use crate::model::{AgentId, ClientId, PolicyId, SiteId};
use axum::extract::State;
use axum::http::StatusCode;
use gururmm_protocol::AgentSettings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The settings a policy carries (absent: not set by this policy).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySettings {
    /// 1-3600.
    pub heartbeat_interval_secs: Option<u64>,
    /// 10-3600.
    pub metrics_interval_secs: Option<u64>,
}

impl From<PolicySettings> for AgentSettings {
    fn from(p: PolicySettings) -> Self {
        Self {
            heartbeat_interval_secs: p.heartbeat_interval_secs,
            metrics_interval_secs: p.metrics_interval_secs,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePolicyRequest {
    pub name: String,
    /// global, client, site or agent.
    pub scope: String,
    /// The client, site or agent id (absent for global).
    pub scope_id: Option<String>,
    pub settings: PolicySettings,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdatePolicyRequest {
    pub name: String,
    pub settings: PolicySettings,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    pub id: PolicyId,
    pub name: String,
    pub scope: String,
    pub scope_id: Option<String>,
    pub settings: PolicySettings,
    pub created_at: String,
    pub updated_at: String,
}

impl From<PolicyRow> for PolicyDto {
    fn from(p: PolicyRow) -> Self {
        Self {
            settings: serde_json::from_str(&p.settings_json).unwrap_or_default(),
            id: p.id,
            name: p.name,
            scope: p.scope,
            scope_id: p.scope_id,
            created_at: iso(p.created_at),
            updated_at: iso(p.updated_at),
        }
    }
}

fn checked(name: &str, settings: PolicySettings) -> ApiResult<(String, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::Validation("name must be 1-200 characters".into()));
    }
    let agent: AgentSettings = settings.clone().into();
    crate::policies::validate(&agent).map_err(ApiError::Validation)?;
    let json = serde_json::to_string(&settings).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((name.to_owned(), json))
}

async fn scope_exists(state: &AppState, scope: &str, id: Option<&str>) -> ApiResult<()> {
    let found = match (scope, id) {
        ("global", None) => true,
        ("client", Some(id)) => db::clients::find(&state.db, &ClientId::from(id))
            .await?
            .is_some(),
        ("site", Some(id)) => db::sites::find(&state.db, &SiteId::from(id))
            .await?
            .is_some(),
        ("agent", Some(id)) => db::agents::find(&state.db, &AgentId::from(id))
            .await?
            .is_some(),
        ("global", Some(_)) => {
            return Err(ApiError::Validation(
                "a global policy has no scope_id".into(),
            ))
        }
        ("client" | "site" | "agent", None) => {
            return Err(ApiError::Validation(format!(
                "a {scope} policy needs scope_id"
            )))
        }
        _ => {
            return Err(ApiError::Validation(
                "scope must be global, client, site or agent".into(),
            ))
        }
    };
    if found {
        Ok(())
    } else {
        Err(ApiError::NotFound("policy scope"))
    }
}

#[utoipa::path(get, path = "/api/policies", tag = "policies", security(("bearer" = [])),
    responses((status = 200, body = Vec<PolicyDto>), (status = 401, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    _t: Technician,
) -> ApiResult<Json<Vec<PolicyDto>>> {
    let rows = db::policies::list(&state.db).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/policies", tag = "policies", security(("bearer" = ["admin"])), request_body = CreatePolicyRequest,
    responses((status = 201, body = PolicyDto), (status = 403, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(req): Json<CreatePolicyRequest>,
) -> ApiResult<(StatusCode, Json<PolicyDto>)> {
    let (name, settings) = checked(&req.name, req.settings)?;
    scope_exists(&state, &req.scope, req.scope_id.as_deref()).await?;
    let id = db::policies::create(
        &state.db,
        &name,
        &req.scope,
        req.scope_id.as_deref(),
        &settings,
    )
    .await?;
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "policy_created",
        &format!("policy:{id}"),
        serde_json::json!({"scope": req.scope}),
    )
    .await;
    crate::policies::push_to_connected(&state).await;
    let row = db::policies::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/policies/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = PolicyDto), (status = 404, body = ErrorEnvelope)))]
pub async fn detail(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<PolicyId>,
) -> ApiResult<Json<PolicyDto>> {
    let row = db::policies::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    Ok(Json(row.into()))
}

#[utoipa::path(put, path = "/api/policies/{id}", tag = "policies", security(("bearer" = ["admin"])), request_body = UpdatePolicyRequest,
    params(("id" = String, Path)), responses((status = 200, body = PolicyDto), (status = 404, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn update(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<PolicyId>,
    Json(req): Json<UpdatePolicyRequest>,
) -> ApiResult<Json<PolicyDto>> {
    let (name, settings) = checked(&req.name, req.settings)?;
    if !db::policies::update(&state.db, &id, &name, &settings).await? {
        return Err(ApiError::NotFound("policy"));
    }
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "policy_updated",
        &format!("policy:{id}"),
        serde_json::json!({}),
    )
    .await;
    crate::policies::push_to_connected(&state).await;
    let row = db::policies::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("policy"))?;
    Ok(Json(row.into()))
}

#[utoipa::path(delete, path = "/api/policies/{id}", tag = "policies", security(("bearer" = ["admin"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<PolicyId>,
) -> ApiResult<StatusCode> {
    if !db::policies::delete(&state.db, &id).await? {
        return Err(ApiError::NotFound("policy"));
    }
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "policy_deleted",
        &format!("policy:{id}"),
        serde_json::json!({}),
    )
    .await;
    crate::policies::push_to_connected(&state).await;
    Ok(StatusCode::NO_CONTENT)
}
