//! Support codes (GC-8 attended): create (≥ 20 bits, single use, ≤ 10 minutes), list, cancel.
//! Technicians see and cancel their own codes; admins see all.

use super::dto::SupportCodeDto;
use crate::app::AppState;
use crate::auth::secrets::{hmac_hex, new_support_code};
use crate::auth::Technician;
use crate::db::{self, events::Actor, events::Event};
use crate::http::error::{ApiError, ApiResult, Json, Path};
use crate::model::{CodeId, SessionId};
use crate::relay::lifecycle::record;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CreateCodeRequest {
    /// Shown to the end user in the consent prompt; defaults to the technician's name.
    #[serde(default)]
    pub technician_name: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCode {
    /// The code to read to the end user. Shown this once.
    pub code: String,
    #[serde(flatten)]
    pub info: SupportCodeDto,
}

/// Who asks for a code, and for which pre-created session (integration only).
pub struct CodeRequest<'a> {
    pub created_by: &'a str,
    pub actor: Actor,
    pub technician_name: &'a str,
    pub note: &'a str,
    pub session_id: Option<&'a SessionId>,
}

pub async fn create_code(state: &AppState, req: CodeRequest<'_>) -> ApiResult<CreatedCode> {
    let CodeRequest {
        created_by,
        actor,
        technician_name,
        note,
        session_id,
    } = req;
    if technician_name.len() > 200 || note.len() > 500 {
        return Err(ApiError::Validation(
            "technician_name ≤ 200 and note ≤ 500 characters".into(),
        ));
    }
    let expires_at = db::now_ms() + (state.config.limits.support_code_ttl_secs as i64) * 1000;
    // Collisions among live codes are astronomically rare but possible: retry on the unique hash.
    for _ in 0..5 {
        let code = new_support_code();
        let hint = code[code.len() - 2..].to_owned();
        let inserted = db::codes::insert(
            &state.db,
            &db::codes::NewCode {
                code_hash: &hmac_hex(&state.code_key, &code),
                code_hint: &hint,
                created_by,
                technician_name,
                note,
                expires_at,
                session_id,
            },
        )
        .await;
        match inserted {
            Ok(row) => {
                record(
                    state,
                    Event {
                        event_type: "support_code_created",
                        actor: actor.clone(),
                        session_id,
                        agent_id: None,
                        ip: None,
                        detail: serde_json::json!({"code_id": row.id}),
                    },
                )
                .await;
                return Ok(CreatedCode {
                    code,
                    info: row.into(),
                });
            }
            Err(e) if db::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Internal(anyhow::anyhow!(
        "could not allocate a unique support code"
    )))
}

#[utoipa::path(post, path = "/api/codes", tag = "support-codes", security(("bearer" = [])), request_body = CreateCodeRequest,
    responses((status = 201, body = CreatedCode), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Technician(me): Technician,
    Json(req): Json<CreateCodeRequest>,
) -> ApiResult<(StatusCode, Json<CreatedCode>)> {
    let fallback = if me.display_name.is_empty() {
        me.username.clone()
    } else {
        me.display_name.clone()
    };
    let name = req
        .technician_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(fallback);
    let created = create_code(
        &state,
        CodeRequest {
            created_by: me.user_id.as_str(),
            actor: Actor::User(me.user_id.clone()),
            technician_name: name.trim(),
            note: req.note.trim(),
            session_id: None,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/codes", tag = "support-codes", security(("bearer" = [])),
    responses((status = 200, body = Vec<SupportCodeDto>), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    Technician(me): Technician,
) -> ApiResult<Json<Vec<SupportCodeDto>>> {
    let scope = (!me.is_admin()).then_some(me.user_id.as_str());
    let rows = db::codes::list(&state.db, scope).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(delete, path = "/api/codes/{id}", tag = "support-codes", security(("bearer" = [])),
    params(("id" = String, Path, description = "support code id")),
    responses((status = 204), (status = 404, body = crate::http::error::ErrorEnvelope), (status = 409, body = crate::http::error::ErrorEnvelope)))]
pub async fn cancel(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<CodeId>,
) -> ApiResult<StatusCode> {
    let row = db::codes::find(&state.db, &id)
        .await?
        .filter(|c| me.is_admin() || c.created_by == me.user_id.as_str())
        .ok_or(ApiError::NotFound("support code"))?;
    if !db::codes::cancel(&state.db, &row.id).await? {
        return Err(ApiError::Conflict(format!(
            "the code is already {}",
            row.status
        )));
    }
    record(
        &state,
        Event {
            event_type: "support_code_cancelled",
            actor: Actor::User(me.user_id),
            session_id: None,
            agent_id: None,
            ip: None,
            detail: serde_json::json!({"code_id": id}),
        },
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
