//! Single sign-on routes (`server_kit::sso`): the login page asks whether SSO is on, the
//! browser goes to the provider through `start` and comes back to `callback`, which leaves a
//! one-time ticket and returns to the login page; the page's `finish` turns the ticket into a
//! sign-in like a password would, asking for the account's second factor when it has one.
//! SSO never creates accounts: an identity signs in only as the account it is linked to.

use super::auth::{complete_sign_in, second_step, LoginResponse};
use crate::app::AppState;
use crate::db::{self, users::UserRow};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Json, Query};
use crate::http::middleware::ClientIp;
use crate::model::UserId;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use server_kit::accounts::SignInMethod;
use server_kit::second_factor::Attempt;
use server_kit::sso::{Callback, Identity, Links, SsoCookies, SsoError};
use utoipa::ToSchema;

/// Where the dashboard's sign-in form is.
const LOGIN_PAGE: &str = "/login";

fn cookies(state: &AppState) -> SsoCookies {
    SsoCookies {
        pending: "grmm_sso",
        ticket: "grmm_sso_ticket",
        secure: state.config.served_over_https(),
    }
}

/// Whether the login page offers single sign-on, and what its button says.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoOptions {
    pub enabled: bool,
    /// The provider's name for the button, e.g. `Microsoft`.
    pub name: Option<String>,
}

/// How the sign-in page starts a single sign-on.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct StartQuery {
    /// Ask the provider for its sign-in form even when it remembers someone (after a refusal,
    /// to sign in there as another account).
    #[serde(default)]
    pub sign_in_again: bool,
}

/// What the login page sends to finish a single sign-on: nothing, or the second factor.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SsoFinishRequest {
    /// The authenticator's code or a recovery code, when the answer was
    /// `second_factor_required`.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub remember_device: bool,
}

/// Whether single sign-on is configured (for the login page).
#[utoipa::path(get, path = "/api/auth/sso", tag = "auth", responses((status = 200, body = SsoOptions)))]
pub async fn options(State(state): State<AppState>) -> Json<SsoOptions> {
    Json(SsoOptions {
        enabled: state.sso.is_some(),
        name: state.sso.as_ref().map(|s| s.display_name().to_owned()),
    })
}

/// Sends the browser to the identity provider (303), with the flow's secrets in a sealed
/// cookie; when SSO is off or the provider cannot be reached, back to the login page with
/// `sso_error`.
#[utoipa::path(get, path = "/api/auth/sso/start", tag = "auth",
    params(StartQuery),
    responses((status = 303, description = "to the identity provider, or to the login page with sso_error",
        headers(("location" = String), ("set-cookie" = String, description = "grmm_sso, the sealed flow")))))]
pub async fn start(State(state): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    let Some(sso) = &state.sso else {
        return back_with(&state, None, &SsoError::NotConfigured).await;
    };
    match sso.begin(q.sign_in_again).await {
        Ok(started) => {
            let mut response = Redirect::to(&started.location).into_response();
            if let Some(cookie) = cookies(&state).set_pending(&started.pending) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(e) => back_with(&state, None, &e).await,
    }
}

/// Where the identity provider sends the browser back. A verified identity linked to an
/// account leaves a one-time ticket cookie and returns to the login page with `sso=finish`;
/// anything else returns there with `sso_error=<reason>` (audited).
#[utoipa::path(get, path = "/api/auth/sso/callback", tag = "auth",
    params(("code" = Option<String>, Query), ("state" = Option<String>, Query),
           ("iss" = Option<String>, Query), ("error" = Option<String>, Query)),
    responses((status = 303, description = "to the login page: sso=finish, or sso_error=<reason>",
        headers(("location" = String), ("set-cookie" = String, description = "grmm_sso_ticket, and grmm_sso cleared")))))]
pub async fn callback(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Query(answer): Query<Callback>,
) -> ApiResult<Response> {
    let Some(sso) = &state.sso else {
        return Ok(back_with(&state, ip.0, &SsoError::NotConfigured).await);
    };
    if let Err(busy) = sso.admit(ip.0) {
        return Ok(back_with(&state, ip.0, &busy).await);
    }
    let pending = cookies(&state).read_pending(&headers);
    let identity = match sso.finish(pending.as_deref(), &answer).await {
        Ok(identity) => identity,
        Err(e) => return Ok(back_with(&state, ip.0, &e).await),
    };
    let user = match person(&state, &identity).await? {
        Ok(user) => user,
        Err(e) => return Ok(back_with(&state, ip.0, &e).await),
    };
    let Some(ticket) = sso.tickets.issue(user.id.as_str()) else {
        let busy = SsoError::ProviderUnavailable("too many sign-ins at once".into());
        return Ok(back_with(&state, ip.0, &busy).await);
    };
    let c = cookies(&state);
    let mut response = Redirect::to(&format!("{LOGIN_PAGE}?sso=finish")).into_response();
    for cookie in [c.clear_pending(), c.set_ticket(&ticket)]
        .into_iter()
        .flatten()
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The account an identity signs in as: its link, or — the first time — the account whose
/// email is the address the provider vouches for, which is then linked (audited).
async fn person(state: &AppState, identity: &Identity) -> ApiResult<Result<UserRow, SsoError>> {
    let linked = match state.sso_links.find(&state.db, identity).await? {
        Some(id) => db::users::find(&state.db, &UserId::from(id)).await?,
        None => None,
    };
    let user = match linked {
        Some(user) => user,
        None => {
            let Some(email) = Links::linkable_email(identity) else {
                return Ok(Err(SsoError::NoAccount));
            };
            let Some(user) = db::users::find_by_email(&state.db, &email).await? else {
                return Ok(Err(SsoError::NoAccount));
            };
            if user.disabled != 0 {
                return Ok(Err(SsoError::AccountDisabled));
            }
            if state
                .sso_links
                .link(&state.db, identity, user.id.as_str())
                .await?
            {
                let detail =
                    serde_json::json!({"issuer": identity.issuer, "subject": identity.subject});
                let actor = format!("user:{}", user.id);
                db::audit::record(&state.db, &actor, "sso_linked", &actor, detail).await;
            }
            user
        }
    };
    Ok(if user.disabled != 0 {
        Err(SsoError::AccountDisabled)
    } else {
        Ok(user)
    })
}

/// Back to the login page with the reason, audited (the provider's own words go to the log,
/// not to the browser).
async fn back_with(state: &AppState, ip: Option<std::net::IpAddr>, why: &SsoError) -> Response {
    if let (Some(sso), false) = (&state.sso, matches!(why, SsoError::TooManyFailures(_))) {
        sso.failed(ip);
    }
    if why.is_noise() {
        tracing::info!(reason = why.code(), "single sign-on refused: {why}");
    } else {
        tracing::warn!(reason = why.code(), "single sign-on refused: {why}");
        let detail = serde_json::json!({"reason": why.code(), "ip": ip});
        db::audit::record(&state.db, "system", "sso_failed", "sso", detail).await;
    }
    let c = cookies(state);
    let mut response =
        Redirect::to(&format!("{LOGIN_PAGE}?sso_error={}", why.code())).into_response();
    if let Some(cookie) = c.clear_pending() {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Turns the ticket the callback left into a sign-in, exactly as a password sign-in ends
/// (`second_factor_required` first when the account has a second factor; the ticket stays good
/// for that until it expires). Only the app's own pages may call it.
#[utoipa::path(post, path = "/api/auth/sso/finish", tag = "auth", request_body = SsoFinishRequest,
    responses((status = 200, body = LoginResponse, headers(("set-cookie" = String, description = "grmm_sso_ticket cleared; grmm_device when remembering the browser"))),
              (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
              (status = 429, body = ErrorEnvelope)))]
pub async fn finish(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Json(req): Json<SsoFinishRequest>,
) -> ApiResult<Response> {
    if !server_kit::http::same_origin(&headers) {
        return Err(ApiError::Forbidden(
            "single sign-on can only be finished from GuruRMM's own pages",
        ));
    }
    let sso = state.sso.as_ref().ok_or(ApiError::SsoTicket)?;
    let ticket = cookies(&state)
        .read_ticket(&headers)
        .ok_or(ApiError::SsoTicket)?;
    let holder = sso.tickets.holder(&ticket).ok_or(ApiError::SsoTicket)?;
    let user = db::users::find(&state.db, &UserId::from(holder))
        .await?
        .filter(|u| u.disabled == 0)
        .ok_or(ApiError::SsoTicket)?;
    let key = user.email.to_lowercase();
    if let Some(wait) = state.throttles.login.wait(ip.0, &key) {
        return Err(ApiError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let second = Attempt {
        code: req.code.as_deref(),
        device: None,
        remember: req.remember_device,
    };
    let passed = second_step(&state, &ip, &key, &user, second, &headers).await?;
    if !sso.tickets.spend(&ticket) {
        return Err(ApiError::SsoTicket);
    }
    let mut response =
        complete_sign_in(&state, &ip, user, passed, SignInMethod::SingleSignOn).await?;
    if let Some(cookie) = cookies(&state).clear_ticket() {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
