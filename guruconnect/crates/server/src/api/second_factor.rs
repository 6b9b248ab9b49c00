//! Two-factor sign-in, managed by the person it protects (set up, confirm, new recovery codes,
//! turn off) and reset by an admin for someone who lost their phone. The sign-in's part is in
//! `auth::login`; the rules live in `server_kit::second_factor`.

use crate::app::AppState;
use crate::auth::{Admin, Principal, SignedIn};
use crate::db::{self, events::Actor, events::Event};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Path};
use crate::http::middleware::ClientIp;
use crate::model::UserId;
use crate::relay::lifecycle::record;
use axum::extract::State;
use axum::http::StatusCode;
use server_kit::accounts::sign_in_key;
use server_kit::second_factor::{
    Accounts, CodeRequest, FactorAudit, Holder, RecoveryCodes, Refusal, SecondFactorSetup,
    SecondFactorStatus,
};
use std::net::IpAddr;

/// The kit's steps, with this server's stores and the holder of the token.
pub(super) fn accounts(state: &AppState) -> Accounts<'_, AppState> {
    Accounts {
        factors: &state.second_factors,
        db: &state.db,
        policy: &state.second_factor_policy,
        throttle: &state.throttles.login,
        audit: state,
    }
}

/// Second-factor events go to the audit log as the person's own.
impl FactorAudit for AppState {
    async fn record(&self, user: &str, action: &'static str, ip: Option<IpAddr>) {
        let event = Event {
            event_type: action,
            actor: Actor::User(UserId::from(user)),
            session_id: None,
            agent_id: None,
            ip: ip.map(|i| i.to_string()),
            detail: serde_json::json!({}),
        };
        record(self, event).await;
    }
}

fn holder<'a>(me: &'a Principal, ip: &ClientIp) -> Holder<'a> {
    Holder {
        user: me.user_id.as_str(),
        role: me.role,
        throttle_key: sign_in_key(&me.username),
        ip: ip.0,
    }
}

/// Whether two-factor sign-in is on for the signed-in person.
#[utoipa::path(get, path = "/api/auth/second-factor", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = SecondFactorStatus), (status = 401, body = ErrorEnvelope)))]
pub async fn status(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedIn(me): SignedIn,
) -> ApiResult<Json<SecondFactorStatus>> {
    Ok(Json(accounts(&state).status(&holder(&me, &ip)).await?))
}

/// Starts setting up an authenticator app (again, if a set-up was left unfinished). Nothing
/// changes for sign-ins until a code from the app confirms it. Needs a sign-in from the last
/// 15 minutes (403 `recent_sign_in_required`).
#[utoipa::path(post, path = "/api/auth/second-factor/setup", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = SecondFactorSetup), (status = 401, body = ErrorEnvelope),
              (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn setup(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedIn(me): SignedIn,
) -> ApiResult<Json<SecondFactorSetup>> {
    let holder = holder(&me, &ip);
    let started_ms = db::tokens::family_started(&state.db, &me.family).await?;
    let signed_in_at = started_ms.map_or(0, |ms| u64::try_from(ms / 1000).unwrap_or(0));
    let accounts = accounts(&state);
    Ok(Json(
        accounts.set_up(&holder, &me.username, signed_in_at).await?,
    ))
}

/// Turns two-factor sign-in on with the app's current code; answers the recovery codes.
#[utoipa::path(post, path = "/api/auth/second-factor/confirm", tag = "auth", security(("bearer" = [])),
    request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn confirm(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedIn(me): SignedIn,
    Json(req): Json<CodeRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(
        accounts(&state)
            .confirm(&holder(&me, &ip), &req.code)
            .await?,
    ))
}

/// A new set of recovery codes, replacing the old; takes a current authenticator code.
#[utoipa::path(post, path = "/api/auth/second-factor/recovery-codes", tag = "auth", security(("bearer" = [])),
    request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn recovery_codes(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedIn(me): SignedIn,
    Json(req): Json<CodeRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    Ok(Json(
        accounts(&state)
            .renew_codes(&holder(&me, &ip), &req.code)
            .await?,
    ))
}

/// Turns two-factor sign-in off (takes a current code or a recovery code); refused when the
/// person's role must use it. Remembered browsers are forgotten.
#[utoipa::path(post, path = "/api/auth/second-factor/off", tag = "auth", security(("bearer" = [])),
    request_body = CodeRequest,
    responses((status = 204), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn off(
    State(state): State<AppState>,
    ip: ClientIp,
    SignedIn(me): SignedIn,
    Json(req): Json<CodeRequest>,
) -> ApiResult<StatusCode> {
    accounts(&state)
        .turn_off(&holder(&me, &ip), &req.code)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a person's second factor (they lost their phone and their recovery codes); they
/// set it up again at their next sign-in if their role must use one. Not one's own: that takes
/// a current code (`/api/auth/second-factor/off`), so a stolen admin token cannot shed it.
#[utoipa::path(post, path = "/api/users/{id}/second-factor/reset", tag = "users", security(("bearer" = ["admin"])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 204), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn reset(
    State(state): State<AppState>,
    ip: ClientIp,
    Admin(admin): Admin,
    Path(id): Path<UserId>,
) -> ApiResult<StatusCode> {
    if id == admin.user_id {
        return Err(ApiError::Conflict(
            "turn your own two-factor sign-in off on the Security page (it takes a current code)"
                .into(),
        ));
    }
    if db::users::USERS.find(&state.db, &id).await?.is_none() {
        return Err(ApiError::NotFound("user"));
    }
    if !state
        .second_factors
        .turn_off(&state.db, id.as_str())
        .await?
    {
        return Err(Refusal::NotOn.into());
    }
    let event = Event {
        event_type: "second_factor_reset",
        actor: Actor::User(admin.user_id),
        session_id: None,
        agent_id: None,
        ip: ip.0.map(|i| i.to_string()),
        detail: serde_json::json!({"user_id": id}),
    };
    record(&state, event).await;
    Ok(StatusCode::NO_CONTENT)
}
