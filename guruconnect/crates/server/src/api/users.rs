//! Account management (admin only): list, create, disable.

use super::dto::UserDto;
use crate::app::AppState;
use crate::auth::{password, Admin};
use crate::db::users::UserRow;
use crate::db::{self, events::Actor, events::Event, users::CreateAccountError, users::Role};
use crate::http::error::{ApiError, ApiResult, Json, Path};
use crate::model::UserId;
use crate::relay::lifecycle::record;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    /// `admin` or `technician`.
    pub role: String,
}

/// Usernames: 3–64 characters of letters, digits and `._-@`.
pub fn valid_username(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

#[utoipa::path(get, path = "/api/users", tag = "users", security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<UserDto>), (status = 401, body = crate::http::error::ErrorEnvelope),
              (status = 403, body = crate::http::error::ErrorEnvelope)))]
pub async fn list(State(state): State<AppState>, _admin: Admin) -> ApiResult<Json<Vec<UserDto>>> {
    let users = db::users::USERS.list(&state.db).await?;
    let on = state.second_factors.enabled_users(&state.db).await?;
    let dtos = users.into_iter().map(|u| {
        let second_factor = on.contains(u.id.as_str());
        UserDto::new(u, second_factor)
    });
    Ok(Json(dtos.collect()))
}

/// A user as the API shows them, with whether their second factor is on.
pub(super) async fn user_dto(state: &AppState, user: UserRow) -> ApiResult<UserDto> {
    let status = state
        .second_factors
        .status(&state.db, user.id.as_str())
        .await?;
    Ok(UserDto::new(user, status.enabled))
}

#[utoipa::path(post, path = "/api/users", tag = "users", security(("bearer" = ["admin"])), request_body = CreateUserRequest,
    responses((status = 201, body = UserDto), (status = 409, body = crate::http::error::ErrorEnvelope),
              (status = 422, body = crate::http::error::ErrorEnvelope), (status = 403, body = crate::http::error::ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(req): Json<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    if !valid_username(&req.username) {
        return Err(ApiError::Validation(
            "username must be 3-64 characters of letters, digits and . _ - @".into(),
        ));
    }
    let role = Role::parse(&req.role)
        .ok_or_else(|| ApiError::Validation("role must be admin or technician".into()))?;
    password::check_policy(&req.password).map_err(|e| ApiError::Validation(e.to_string()))?;
    let hash = password::hash_blocking(req.password).await?;
    let user = match db::users::USERS
        .create(
            &state.db,
            &req.username,
            req.display_name.trim(),
            &hash,
            role,
        )
        .await
    {
        Ok(user) => user,
        Err(CreateAccountError::Exists(_)) => {
            return Err(ApiError::Conflict(
                "a user with that name already exists".into(),
            ))
        }
        Err(CreateAccountError::Db(e)) => return Err(e.into()),
    };
    record(
        &state,
        Event {
            event_type: "user_created",
            actor: Actor::User(admin.user_id),
            session_id: None,
            agent_id: None,
            ip: None,
            detail: serde_json::json!({"user_id": user.id, "role": role.as_str()}),
        },
    )
    .await;
    Ok((StatusCode::CREATED, Json(UserDto::new(user, false))))
}

/// Disables an account; its tokens stop working at once. An admin cannot disable themself.
#[utoipa::path(delete, path = "/api/users/{id}", tag = "users", security(("bearer" = ["admin"])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 204), (status = 404, body = crate::http::error::ErrorEnvelope), (status = 403, body = crate::http::error::ErrorEnvelope),
              (status = 409, body = crate::http::error::ErrorEnvelope)))]
pub async fn disable(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<UserId>,
) -> ApiResult<StatusCode> {
    if id == admin.user_id {
        return Err(ApiError::Conflict(
            "you cannot disable your own account".into(),
        ));
    }
    if !db::users::USERS.set_disabled(&state.db, &id, true).await? {
        return Err(ApiError::NotFound("user"));
    }
    record(
        &state,
        Event {
            event_type: "user_disabled",
            actor: Actor::User(admin.user_id),
            session_id: None,
            agent_id: None,
            ip: None,
            detail: serde_json::json!({"user_id": id}),
        },
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
