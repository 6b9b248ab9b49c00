//! Technician authentication routes (GC-9): login, refresh, logout, me. The access token is a
//! bearer token the caller keeps in memory; the refresh token lives only in an `HttpOnly`
//! cookie on the refresh route (see `refresh_cookie`), so every tab of a browser shares one
//! sign-in without page script ever seeing a long-lived secret.

use super::dto::UserDto;
use super::refresh_cookie;
use crate::app::AppState;
use crate::auth::secrets::sha256_hex;
use crate::auth::{tokens, SignedIn};
use crate::db::{self, events::Actor, events::Event};
use crate::http::error::{ApiError, ApiResult, Json};
use crate::http::middleware::ClientIp;
use crate::relay::lifecycle::record;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use server_kit::accounts::SignInMethod;
use server_kit::accounts::{sign_in_key, PasswordRefused};
use server_kit::second_factor::{Attempt, DeviceCookie, Holder, Passed};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
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
        name: "gc_device",
        secure: refresh_cookie::secure(&state.config),
    }
}

/// A sign-in. The refresh token is not in the body: it comes as the `gc_refresh` cookie
/// (`HttpOnly`, `SameSite=Strict`, `Path=/api/auth/refresh`) and rotates on every refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: UserDto,
}

/// An empty JSON object: the credential is the `gc_refresh` cookie, nothing in the body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {}

/// Exchanges a username and password (and, when the account has two-factor sign-in, a code)
/// for tokens. The same answer and the same work for an unknown user, a disabled user and a
/// wrong password; only the right password gets `second_factor_required`. Wrong passwords and
/// wrong codes count alike against the throttle.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse, headers(("set-cookie" = String, description = "the gc_refresh cookie, and gc_device when remembering the browser"))), (status = 401, body = crate::http::error::ErrorEnvelope),
              (status = 429, body = crate::http::error::ErrorEnvelope)))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let username_key = sign_in_key(&req.username);
    let throttle = &state.throttles.login;
    let checked = db::users::USERS
        .check_password(
            &state.db,
            throttle,
            ip.0,
            &username_key,
            req.password.clone(),
        )
        .await?;
    let user = match checked {
        Ok(user) => user,
        Err(PasswordRefused::Throttled(wait)) => return Err(ApiError::rate_limited(wait)),
        Err(PasswordRefused::BadCredentials) => {
            record(
                &state,
                Event {
                    event_type: "login_failed",
                    actor: Actor::System,
                    session_id: None,
                    agent_id: None,
                    ip: ip.0.map(|i| i.to_string()),
                    detail: serde_json::json!({"username": username_key}),
                },
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
    let passed = second_step(&state, &ip, &username_key, &user, second, &headers).await?;
    throttle.record_success(ip.0, &username_key);
    complete_sign_in(&state, &ip, user, passed, SignInMethod::Password).await
}

/// A sign-in that passed both steps: tokens issued, audited, the browser remembered when asked.
pub(super) async fn complete_sign_in(
    state: &AppState,
    ip: &ClientIp,
    user: db::users::UserRow,
    passed: Passed,
    method: SignInMethod,
) -> ApiResult<Response> {
    db::users::USERS.touch_login(&state.db, &user.id).await?;
    let issued = tokens::issue_login(state, &user, None).await?;
    record(
        state,
        Event {
            event_type: "login_succeeded",
            actor: Actor::User(user.id.clone()),
            session_id: None,
            agent_id: None,
            ip: ip.0.map(|i| i.to_string()),
            detail: serde_json::json!({"second_factor": passed.via, "method": method}),
        },
    )
    .await;
    let second_factor = passed.second_factor_on();
    let mut response = signed_in(state, issued, UserDto::new(user, second_factor));
    if let Some(cookie) = passed
        .remembered
        .and_then(|token| device_cookie(state).set(&token))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The second factor of a sign-in whose password was right (the kit's step, which audits a
/// wrong code).
pub(super) async fn second_step(
    state: &AppState,
    ip: &ClientIp,
    username_key: &str,
    user: &db::users::UserRow,
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
        throttle_key: username_key.to_owned(),
        ip: ip.0,
    };
    Ok(super::second_factor::accounts(state)
        .sign_in(&holder, attempt)
        .await?)
}

/// The access token in the body, the refresh token in its cookie.
fn signed_in(state: &AppState, issued: tokens::IssuedTokens, user: UserDto) -> Response {
    let cookie = refresh_cookie::set(
        &state.config,
        &issued.refresh_token,
        state.config.limits.refresh_token_ttl_secs,
    );
    let body = TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer".into(),
        expires_in: issued.expires_in,
        user,
    };
    (refresh_cookie::headers(cookie), Json(body)).into_response()
}

/// Why a refresh was refused, told to the holder of the cookie so the page can say why the
/// sign-in ended. Each also removes the dead cookie.
#[derive(Debug, Clone, Copy)]
enum Refused {
    /// No cookie: never signed in here, or signed out (which removes it).
    NotSignedIn,
    /// Past its lifetime, or already pruned for being so.
    Expired,
    /// Signed out, revoked after a replayed token, or the account was disabled.
    Ended,
}

fn refused(state: &AppState, why: Refused) -> Response {
    let (code, detail) = match why {
        Refused::NotSignedIn => ("unauthorized", "not signed in"),
        Refused::Expired => ("session_expired", "your sign-in expired"),
        Refused::Ended => (
            "session_ended",
            "your sign-in was ended: signed out, stopped by a security check, or the account was disabled",
        ),
    };
    let envelope = crate::http::error::ErrorEnvelope {
        detail: detail.into(),
        error_code: code.into(),
        status_code: 401,
        correlation_id: crate::http::error::correlation_id(),
    };
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
        refresh_cookie::headers(refresh_cookie::clear(&state.config)),
        Json(envelope),
    )
        .into_response()
}

/// Rotates the refresh token in the `gc_refresh` cookie (its only credential): the old one is
/// spent, a new access token comes back and a new refresh token in the cookie. Presenting a
/// spent token again (a replay) revokes the whole login. Only the app's own pages may call it.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse, headers(("set-cookie" = String, description = "the rotated gc_refresh cookie"))),
              (status = 401, body = crate::http::error::ErrorEnvelope),
              (status = 403, body = crate::http::error::ErrorEnvelope)))]
pub async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(_empty): Json<RefreshRequest>,
) -> ApiResult<Response> {
    if !refresh_cookie::same_origin(&headers) {
        return Err(ApiError::Forbidden(
            "sign-in can only be renewed from GuruConnect's own pages",
        ));
    }
    let Some(token) = refresh_cookie::read(&headers) else {
        return Ok(refused(&state, Refused::NotSignedIn));
    };
    // Expired tokens are pruned from the database, so an unknown token is most likely one
    // that expired (the cookie outlives it on purpose).
    let Some(row) = db::tokens::find_refresh(&state.db, &sha256_hex(&token)).await? else {
        return Ok(refused(&state, Refused::Expired));
    };
    if row.revoked_at.is_some() {
        return Ok(refused(&state, Refused::Ended));
    }
    if row.expires_at <= db::now_ms() {
        return Ok(refused(&state, Refused::Expired));
    }
    if !db::tokens::use_refresh(&state.db, &row.id).await? {
        db::tokens::revoke_family(&state.db, &row.family_id).await?;
        record(
            &state,
            Event {
                event_type: "refresh_token_replayed",
                actor: Actor::User(row.user_id.clone()),
                session_id: None,
                agent_id: None,
                ip: None,
                detail: serde_json::json!({"family": row.family_id}),
            },
        )
        .await;
        return Ok(refused(&state, Refused::Ended));
    }
    let Some(user) = db::users::USERS
        .find(&state.db, &row.user_id)
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(refused(&state, Refused::Ended));
    };
    let issued = tokens::issue_login(&state, &user, Some(row.family_id)).await?;
    let user = super::users::user_dto(&state, user).await?;
    Ok(signed_in(&state, issued, user))
}

/// Ends this login: the access token and every refresh token of the login stop working, and
/// the browser drops the refresh cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn logout(State(state): State<AppState>, SignedIn(me): SignedIn) -> ApiResult<Response> {
    db::tokens::revoke_access(
        &state.db,
        &me.jti,
        i64::try_from(me.exp).unwrap_or(i64::MAX) * 1000,
    )
    .await?;
    db::tokens::revoke_family(&state.db, &me.family).await?;
    record(
        &state,
        Event {
            event_type: "logout",
            actor: Actor::User(me.user_id.clone()),
            session_id: None,
            agent_id: None,
            ip: None,
            detail: serde_json::json!({}),
        },
    )
    .await;
    let cookies = refresh_cookie::headers(refresh_cookie::clear(&state.config));
    Ok((StatusCode::NO_CONTENT, cookies).into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserDto), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn me(State(state): State<AppState>, SignedIn(me): SignedIn) -> ApiResult<Json<UserDto>> {
    let user = db::users::USERS
        .find(&state.db, &me.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(super::users::user_dto(&state, user).await?))
}
