//! Authentication routes (RMM-1): login, refresh, logout, register (disabled unless
//! configured), me. Each sign-in is a family of access tokens (`db::sign_ins`): refresh
//! rotates it, logout revokes it, and a rotated token presented again revokes it too.

use super::dto::UserDto;
use crate::app::AppState;
use crate::auth::{password, SignedIn};
use crate::db::{self, users::CreateAccountError, users::Role, users::UserRow};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json};
use crate::http::middleware::ClientIp;
use crate::model::SignInId;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use server_kit::accounts::SignInMethod;
use server_kit::accounts::{sign_in_key, PasswordRefused};
use server_kit::second_factor::{Attempt, DeviceCookie, Holder, Passed};
use server_kit::throttle::source_of;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The authenticator app's current code, or a recovery code, when the account has
    /// two-factor sign-in (a first try without it answers `second_factor_required`).
    #[serde(default)]
    pub code: Option<String>,
    /// After a good code, remember this browser for 30 days (an `HttpOnly` cookie sent only
    /// to this route) so it is not asked for a code again.
    #[serde(default)]
    pub remember_device: bool,
}

/// The remembered-browser cookie of this server.
fn device_cookie(state: &AppState) -> DeviceCookie {
    DeviceCookie {
        name: "grmm_device",
        secure: state.config.served_over_https(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub user: UserDto,
}

/// Email addresses: something@something, at most 254 characters, no whitespace.
pub fn valid_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
}

/// Exchanges email and password (and, when the account has two-factor sign-in, a code) for a
/// 24-hour access token. An unknown account, a disabled one and a wrong password get the same
/// answer after the same work; only the right password gets `second_factor_required`. Wrong
/// passwords and wrong codes are throttled alike, per address and per account with sliding
/// windows, never a permanent lockout.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse, headers(("set-cookie" = String, description = "grmm_device, when remembering the browser"))),
              (status = 401, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let key = sign_in_key(&req.email);
    let throttle = &state.throttles.login;
    let checked = db::users::USERS
        .check_password(&state.db, throttle, ip.0, &key, req.password.clone())
        .await?;
    let user = match checked {
        Ok(user) => user,
        Err(PasswordRefused::Throttled(wait)) => return Err(ApiError::rate_limited(wait)),
        Err(PasswordRefused::BadCredentials) => {
            db::audit::record(
                &state.db,
                "system",
                "login_failed",
                &format!("email:{key}"),
                serde_json::json!({"ip": ip.0}),
            )
            .await;
            return Err(ApiError::BadCredentials);
        }
    };
    let second = Attempt {
        code: req.code.as_deref(),
        device: None,
        remember: req.remember_device,
    };
    let passed = second_step(&state, &ip, &key, &user, second, &headers).await?;
    throttle.record_success(ip.0, &key);
    complete_sign_in(&state, &ip, user, passed, SignInMethod::Password).await
}

/// A sign-in that passed both steps: a new sign-in (token family) with its first token,
/// audited, the browser remembered when asked.
pub(super) async fn complete_sign_in(
    state: &AppState,
    ip: &ClientIp,
    user: UserRow,
    passed: Passed,
    method: SignInMethod,
) -> ApiResult<Response> {
    db::users::USERS.touch_login(&state.db, &user.id).await?;
    let sign_in = SignInId::new();
    let lifetime = state.config.limits.sign_in_lifetime_secs;
    let ends = server_kit::jwt::now_secs() + lifetime;
    let dto = UserDto::new(user.clone(), passed.second_factor_on());
    let (response, claims) = token_response(state, dto, &sign_in, ends)?;
    let ends_ms = i64::try_from(ends.saturating_mul(1000)).unwrap_or(i64::MAX);
    db::sign_ins::create(&state.db, &sign_in, &user.id, &claims.jti, ends_ms).await?;
    db::audit::record(
        &state.db,
        &format!("user:{}", user.id),
        "login",
        &format!("user:{}", user.id),
        serde_json::json!({"ip": ip.0, "second_factor": passed.via, "method": method}),
    )
    .await;
    let mut response = Json(response).into_response();
    if let Some(cookie) = passed.remembered.and_then(|t| device_cookie(state).set(&t)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The second factor of a sign-in whose password was right (the kit's step, which audits a
/// wrong code).
pub(super) async fn second_step(
    state: &AppState,
    ip: &ClientIp,
    key: &str,
    user: &UserRow,
    second: Attempt<'_>,
    headers: &HeaderMap,
) -> ApiResult<Passed> {
    // The remembered-browser cookie is read here, whatever the caller set.
    let device = device_cookie(state).read(headers);
    let attempt = Attempt {
        device: device.as_deref(),
        ..second
    };
    let holder = Holder {
        user: user.id.as_str(),
        role: user.role,
        throttle_key: key.to_owned(),
        ip: ip.0,
    };
    Ok(super::second_factor::accounts(state)
        .sign_in(&holder, attempt)
        .await?)
}

/// A token of `sign_in` for `user`, living the access-token lifetime but never past the
/// sign-in's end (`ends`, Unix seconds).
fn token_response(
    state: &AppState,
    user: UserDto,
    sign_in: &SignInId,
    ends: u64,
) -> ApiResult<(LoginResponse, crate::auth::jwt::AccessClaims)> {
    let now = server_kit::jwt::now_secs();
    let exp = (now + state.config.limits.access_token_ttl_secs).min(ends);
    let (token, claims) = state.tokens.sign(&user.id, sign_in, exp)?;
    let response = LoginResponse {
        token,
        token_type: "Bearer".into(),
        expires_in: exp.saturating_sub(now),
        user,
    };
    Ok((response, claims))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
}

/// Self-service registration of a technician account. Refused (403) unless the server is
/// configured with `allow_registration = true`; it never creates an admin.
///
/// Every attempt counts against the caller's address on the per-address login budget
/// (`login_failures_per_ip` per `login_window_secs`, 429 past it), so accounts can be neither
/// probed nor created at speed. An address that is taken gets 409 `registration failed`,
/// naming no account. That a registration can fail at all still tells the caller an address
/// may be taken — as signing in with the password it chose would — which is why registration
/// is off by default.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = UserDto), (status = 403, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope),
              (status = 429, body = ErrorEnvelope)))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    if !state.config.allow_registration {
        return Err(ApiError::Forbidden(
            "registration is disabled on this server",
        ));
    }
    if let Some(addr) = ip.0 {
        if let Err(wait) = state.throttles.register_ip.try_acquire(source_of(addr)) {
            return Err(ApiError::rate_limited(wait));
        }
    }
    if !valid_email(&req.email) {
        return Err(ApiError::Validation(
            "email must look like name@domain".into(),
        ));
    }
    password::check_policy(&req.password).map_err(|e| ApiError::Validation(e.to_string()))?;
    let hash = password::hash_blocking(req.password).await?;
    let created = db::users::USERS
        .create(
            &state.db,
            &req.email,
            req.display_name.trim(),
            &hash,
            Role::Technician,
        )
        .await;
    let user = match created {
        Ok(user) => user,
        Err(CreateAccountError::Exists(_)) => {
            return Err(ApiError::Conflict("registration failed".into()))
        }
        Err(CreateAccountError::Db(e)) => return Err(e.into()),
    };
    db::audit::record(
        &state.db,
        &format!("user:{}", user.id),
        "user_registered",
        &format!("user:{}", user.id),
        serde_json::json!({"ip": ip.0}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(UserDto::new(user, false))))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 401, body = ErrorEnvelope)))]
pub async fn me(State(state): State<AppState>, SignedIn(me): SignedIn) -> ApiResult<Json<UserDto>> {
    let user = db::users::USERS
        .find(&state.db, &me.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(super::users::user_dto(&state, user).await?))
}

/// Exchanges the sign-in's current access token for a fresh one (the one it replaces keeps
/// working for a minute, for requests already on their way). The account is re-read: a
/// disabled or deleted user cannot refresh, and no token outlives its sign-in
/// (`limits.sign_in_lifetime_secs`). A token that was already exchanged — a copy someone else
/// holds — revokes the whole sign-in: both its holders have to sign in again.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorEnvelope)))]
pub async fn refresh(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> ApiResult<Json<LoginResponse>> {
    let user = db::users::USERS
        .find(&state.db, &me.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let sign_in = db::sign_ins::find(&state.db, &me.sign_in)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let ends = u64::try_from(sign_in.expires_at / 1000).unwrap_or(0);
    let user = super::users::user_dto(&state, user).await?;
    let (response, claims) = token_response(&state, user, &me.sign_in, ends)?;
    let rotated = sign_in.current_jti == me.jti
        && db::sign_ins::rotate(&state.db, &me.sign_in, &me.jti, &claims.jti).await?;
    if !rotated {
        crate::auth::reused(&state, &me.sign_in, &me.user_id).await?;
        return Err(ApiError::Unauthorized);
    }
    Ok(Json(response))
}

/// Signs out: every token of this sign-in stops working at once.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorEnvelope)))]
pub async fn logout(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> ApiResult<StatusCode> {
    db::sign_ins::revoke(&state.db, &me.sign_in, "signed_out").await?;
    db::audit::record(
        &state.db,
        &format!("user:{}", me.user_id),
        "logout",
        &format!("user:{}", me.user_id),
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
