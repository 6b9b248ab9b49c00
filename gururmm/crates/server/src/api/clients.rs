//! Clients (RMM-2): the MSP's customer organisations.

use super::dto::{ClientDto, SiteDto};
use crate::app::AppState;
use crate::auth::{Admin, Technician};
use crate::db::{self, clients::WriteError};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path};
use crate::model::ClientId;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientRequest {
    pub name: String,
    #[serde(default)]
    pub notes: String,
}

fn validated(req: &ClientRequest) -> ApiResult<(String, String)> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::Validation("name must be 1-200 characters".into()));
    }
    Ok((name.to_owned(), req.notes.chars().take(4000).collect()))
}

fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::Exists => ApiError::Conflict(e.to_string()),
        WriteError::Db(e) => e.into(),
    }
}

#[utoipa::path(get, path = "/api/clients", tag = "clients", security(("bearer" = [])),
    responses((status = 200, body = Vec<ClientDto>), (status = 401, body = ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    _t: Technician,
) -> ApiResult<Json<Vec<ClientDto>>> {
    let rows = db::clients::list(&state.db).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/clients", tag = "clients", security(("bearer" = [])), request_body = ClientRequest,
    responses((status = 201, body = ClientDto), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    _t: Technician,
    Json(req): Json<ClientRequest>,
) -> ApiResult<(StatusCode, Json<ClientDto>)> {
    let (name, notes) = validated(&req)?;
    let id = db::clients::create(&state.db, &name, &notes)
        .await
        .map_err(write_error)?;
    let row = db::clients::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/clients/{id}", tag = "clients", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ClientDto), (status = 404, body = ErrorEnvelope)))]
pub async fn detail(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<ClientId>,
) -> ApiResult<Json<ClientDto>> {
    let row = db::clients::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    Ok(Json(row.into()))
}

#[utoipa::path(put, path = "/api/clients/{id}", tag = "clients", security(("bearer" = [])), request_body = ClientRequest,
    params(("id" = String, Path)), responses((status = 200, body = ClientDto), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope, description = "another client has that name")))]
pub async fn update(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<ClientId>,
    Json(req): Json<ClientRequest>,
) -> ApiResult<Json<ClientDto>> {
    let (name, notes) = validated(&req)?;
    if !db::clients::update(&state.db, &id, &name, &notes)
        .await
        .map_err(write_error)?
    {
        return Err(ApiError::NotFound("client"));
    }
    let row = db::clients::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    Ok(Json(row.into()))
}

/// Deletes the client and its sites; its agents become unassigned rather than disappear.
#[utoipa::path(delete, path = "/api/clients/{id}", tag = "clients", security(("bearer" = ["admin"])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<ClientId>,
) -> ApiResult<StatusCode> {
    if !db::clients::delete(&state.db, &id).await? {
        return Err(ApiError::NotFound("client"));
    }
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "client_deleted",
        &format!("client:{id}"),
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/clients/{id}/sites", tag = "clients", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Vec<SiteDto>), (status = 404, body = ErrorEnvelope)))]
pub async fn sites(
    State(state): State<AppState>,
    _t: Technician,
    Path(id): Path<ClientId>,
) -> ApiResult<Json<Vec<SiteDto>>> {
    db::clients::find(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let rows = db::sites::list(&state.db, Some(&id)).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
