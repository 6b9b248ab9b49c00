//! Single sign-on routes (`server_kit::sso`): the login page asks whether SSO is on, the
//! browser goes to the provider through `start` and comes back to `callback`, which leaves a
//! one-time ticket and returns to the login page; the page's `finish` turns the ticket into a
//! sign-in like a password would, asking for the account's second factor when it has one.
//! SSO never creates accounts: an identity signs in only as the account it is linked to. The
//! steps are the kit's ([`SsoSite`]); this file documents the routes and audits.

use super::auth::{complete_sign_in, second_step, TokenResponse};
use super::refresh_cookie;
use crate::app::AppState;
use crate::db::events::{Actor, Event};
use crate::db::users::USERS;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Query};
use crate::http::middleware::ClientIp;
use crate::model::UserId;
use crate::relay::lifecycle::record;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use server_kit::accounts::{sign_in_key, SignInMethod};
use server_kit::second_factor::Attempt;
use server_kit::sso::{
    Callback, SsoCookies, SsoError, SsoFinishRequest, SsoOptions, SsoSite, StartQuery,
};

fn site(state: &AppState) -> SsoSite<'_, UserId> {
    SsoSite {
        sso: state.sso.as_ref(),
        links: &state.sso_links,
        accounts: &USERS,
        db: &state.db,
        cookies: SsoCookies {
            pending: "gc_sso",
            ticket: "gc_sso_ticket",
            secure: refresh_cookie::secure(&state.config),
        },
        login_page: "/",
    }
}

/// Whether single sign-on is configured (for the login page).
#[utoipa::path(get, path = "/api/auth/sso", tag = "auth", responses((status = 200, body = SsoOptions)))]
pub async fn options(State(state): State<AppState>) -> Json<SsoOptions> {
    Json(site(&state).options())
}

/// Sends the browser to the identity provider (303), with the flow's secrets in a sealed
/// cookie; when SSO is off or the provider cannot be reached, back to the login page with
/// `sso_error`.
#[utoipa::path(get, path = "/api/auth/sso/start", tag = "auth",
    params(StartQuery),
    responses((status = 303, description = "to the identity provider, or to the login page with sso_error",
        headers(("location" = String), ("set-cookie" = String, description = "gc_sso, the sealed flow")))))]
pub async fn start(State(state): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    match site(&state).start(q.sign_in_again).await {
        Ok(to_provider) => to_provider,
        Err(why) => refused(&state, None, &why).await,
    }
}

/// Where the identity provider sends the browser back. A verified identity linked to an
/// account leaves a one-time ticket cookie and returns to the login page with `sso=finish`;
/// anything else returns there with `sso_error=<reason>` (audited).
#[utoipa::path(get, path = "/api/auth/sso/callback", tag = "auth",
    params(("code" = Option<String>, Query), ("state" = Option<String>, Query),
           ("iss" = Option<String>, Query), ("error" = Option<String>, Query)),
    responses((status = 303, description = "to the login page: sso=finish, or sso_error=<reason>",
        headers(("location" = String), ("set-cookie" = String, description = "gc_sso_ticket, and gc_sso cleared")))))]
pub async fn callback(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Query(answer): Query<Callback>,
) -> ApiResult<Response> {
    let arrival = site(&state).arrive(ip.0, &headers, &answer).await?;
    if let Some((user, identity)) = arrival.linked {
        let detail = serde_json::json!({"issuer": identity.issuer, "subject": identity.subject});
        record(&state, event("sso_linked", Actor::User(user), None, detail)).await;
    }
    match arrival.outcome {
        Ok(to_finish) => Ok(to_finish),
        Err(why) => Ok(refused(&state, ip.0, &why).await),
    }
}

/// Back to the login page with the reason, audited unless it is noise.
async fn refused(state: &AppState, ip: Option<std::net::IpAddr>, why: &SsoError) -> Response {
    if !why.is_noise() {
        let detail = serde_json::json!({"reason": why.code()});
        record(state, event("sso_failed", Actor::System, ip, detail)).await;
    }
    site(state).refused(ip, why)
}

fn event(
    event_type: &'static str,
    actor: Actor,
    ip: Option<std::net::IpAddr>,
    detail: serde_json::Value,
) -> Event<'static> {
    Event {
        event_type,
        actor,
        session_id: None,
        agent_id: None,
        ip: ip.map(|i| i.to_string()),
        detail,
    }
}

/// Turns the ticket the callback left into a sign-in, exactly as a password sign-in ends
/// (`second_factor_required` first when the account has a second factor; the ticket stays good
/// for that until it expires). Only the app's own pages may call it.
#[utoipa::path(post, path = "/api/auth/sso/finish", tag = "auth", request_body = SsoFinishRequest,
    responses((status = 200, body = TokenResponse, headers(("set-cookie" = String, description = "the gc_refresh cookie; gc_sso_ticket cleared"))),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 429, body = ErrorEnvelope)))]
pub async fn finish(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(req): Json<SsoFinishRequest>,
) -> ApiResult<Response> {
    if !refresh_cookie::same_origin(&headers) {
        return Err(ApiError::Forbidden(
            "single sign-on can only be finished from GuruConnect's own pages",
        ));
    }
    let site = site(&state);
    let (ticket, user) = site.ticket(&headers).await?.ok_or(ApiError::SsoTicket)?;
    let key = sign_in_key(&user.sign_in_name);
    if let Some(wait) = state.throttles.login.wait(ip.0, &key) {
        return Err(ApiError::rate_limited(wait));
    }
    let second = Attempt {
        code: req.code.as_deref(),
        device: None,
        remember: req.remember_device,
    };
    let passed = second_step(&state, &ip, &key, &user, second, &headers).await?;
    if !site.spend(&ticket) {
        return Err(ApiError::SsoTicket);
    }
    let response = complete_sign_in(&state, &ip, user, passed, SignInMethod::SingleSignOn).await?;
    Ok(site.signed_in(response))
}
