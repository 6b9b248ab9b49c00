//! Accounts, for admins: who can sign in, and cutting one off. Disabling an account ends every
//! sign-in it has at once (its tokens are refused from the next request).

use super::dto::UserDto;
use crate::app::AppState;
use crate::auth::Admin;
use crate::db;
use crate::db::users::UserRow;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path};
use crate::model::UserId;
use axum::extract::State;
use axum::http::StatusCode;

#[utoipa::path(get, path = "/api/users", tag = "users", security(("bearer" = ["admin"])),
    responses((status = 200, body = Vec<UserDto>), (status = 401, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)))]
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

/// Disables an account: it can no longer sign in, and every token it holds stops working at
/// once. An admin cannot disable their own account.
#[utoipa::path(post, path = "/api/users/{id}/disable", tag = "users", security(("bearer" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope)))]
pub async fn disable(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<UserId>,
) -> ApiResult<StatusCode> {
    if id == admin.user_id {
        return Err(ApiError::Conflict(
            "an admin cannot disable their own account".into(),
        ));
    }
    if !db::users::USERS.set_disabled(&state.db, &id, true).await? {
        return Err(ApiError::NotFound("user"));
    }
    let ended = db::sign_ins::revoke_all(&state.db, &id, "user_disabled").await?;
    db::audit::record(
        &state.db,
        &format!("user:{}", admin.user_id),
        "user_disabled",
        &format!("user:{id}"),
        serde_json::json!({"sign_ins_ended": ended}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
