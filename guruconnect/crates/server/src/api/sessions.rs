//! Sessions: list, detail, start on an unattended machine, end, audit events, and the viewer
//! token that opens one session's viewer socket.

use super::dto::{AgentRefusal, Page, SessionDto};
use crate::app::AppState;
use crate::auth::{tokens, Principal, Technician};
use crate::db::{self, events::Actor, events::EventRow, sessions::SessionRow};
use crate::http::error::{ApiError, ApiResult, Json, Path, Query};
use crate::model::{AgentId, Mode, SessionId, SessionStatus};
use crate::relay::lifecycle::{self, Source};
use axum::extract::State;
use axum::http::StatusCode;
use guruconnect_proto::DisconnectReason;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Who may use a session: admins any; technicians unattended machines and sessions they made.
fn may_use(me: &Principal, row: &SessionRow) -> bool {
    me.is_admin()
        || row.mode == Mode::Unattended
        || row.created_by.as_deref() == Some(me.user_id.as_str())
}

pub(super) fn dto(state: &AppState, row: SessionRow) -> SessionDto {
    let live = state.relay.get(&row.id);
    let online = live.as_ref().is_some_and(|s| s.agent_online());
    let viewers = live.map(|s| s.viewer_count()).unwrap_or(0);
    SessionDto::new(row, online, u32::try_from(viewers).unwrap_or(u32::MAX))
}

/// `dto` plus, while the session waits for its agent, why the relay last refused that agent.
pub(super) async fn dto_with_refusal(state: &AppState, row: SessionRow) -> ApiResult<SessionDto> {
    let waiting = row.status.awaits_agent();
    let mut dto = dto(state, row);
    if waiting && !dto.agent_online {
        dto.agent_refused =
            db::events::latest_refusal(&state.db, &dto.id)
                .await?
                .map(|(cause, at)| AgentRefusal {
                    cause,
                    at: super::dto::iso(at),
                });
    }
    Ok(dto)
}

/// A session the caller may use, or 404 (not 403: do not confirm ids the caller cannot see).
async fn visible(state: &AppState, me: &Principal, id: &SessionId) -> ApiResult<SessionRow> {
    db::sessions::find(&state.db, id)
        .await?
        .filter(|row| may_use(me, row))
        .ok_or(ApiError::NotFound("session"))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionQuery {
    /// `live` (not ended), `waiting`, `active`, `agent_offline` or `ended`; default all.
    pub status: Option<String>,
    pub agent_id: Option<AgentId>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/api/sessions", tag = "sessions", security(("bearer" = [])), params(SessionQuery),
    responses((status = 200, body = Page<SessionDto>), (status = 401, body = crate::http::error::ErrorEnvelope)))]
pub async fn list(
    State(state): State<AppState>,
    Technician(me): Technician,
    Query(q): Query<SessionQuery>,
) -> ApiResult<Json<Page<SessionDto>>> {
    if let Some(s) = &q.status {
        if s != "live" && SessionStatus::parse(s).is_none() {
            return Err(ApiError::Validation(
                "status must be live, waiting, active, agent_offline or ended".into(),
            ));
        }
    }
    let (limit, offset, page, per_page) = super::dto::PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .limit_offset();
    let (rows, total) = db::sessions::list(
        &state.db,
        q.status.as_deref(),
        q.agent_id.as_ref(),
        limit,
        offset,
    )
    .await?;
    // Technicians do not see other technicians' attended sessions.
    let items = rows
        .into_iter()
        .filter(|r| may_use(&me, r))
        .map(|r| dto(&state, r))
        .collect();
    Ok(Json(Page {
        items,
        total,
        page,
        per_page,
    }))
}

#[utoipa::path(get, path = "/api/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = SessionDto), (status = 404, body = crate::http::error::ErrorEnvelope)))]
pub async fn detail(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<SessionId>,
) -> ApiResult<Json<SessionDto>> {
    let row = visible(&state, &me, &id).await?;
    Ok(Json(dto_with_refusal(&state, row).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StartSessionRequest {
    pub agent_id: AgentId,
}

/// Starts (or returns) the session of an unattended machine, ready for a viewer token.
#[utoipa::path(post, path = "/api/sessions", tag = "sessions", security(("bearer" = [])), request_body = StartSessionRequest,
    responses((status = 200, body = SessionDto), (status = 404, body = crate::http::error::ErrorEnvelope)))]
pub async fn start(
    State(state): State<AppState>,
    Technician(me): Technician,
    Json(req): Json<StartSessionRequest>,
) -> ApiResult<Json<SessionDto>> {
    let machine = db::machines::find_by_agent_id(&state.db, &req.agent_id)
        .await?
        .filter(|m| m.is_persistent)
        .ok_or(ApiError::NotFound("unattended machine"))?;
    let row = lifecycle::get_or_create_unattended(
        &state,
        &machine.agent_id,
        Source::Technician,
        Some(me.user_id.as_str()),
        Actor::User(me.user_id.clone()),
    )
    .await?;
    Ok(Json(dto(&state, row)))
}

/// Ends a session: viewers and agent are disconnected and its viewer tokens revoked.
#[utoipa::path(post, path = "/api/sessions/{id}/end", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 404, body = crate::http::error::ErrorEnvelope), (status = 409, body = crate::http::error::ErrorEnvelope)))]
pub async fn end(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<SessionId>,
) -> ApiResult<StatusCode> {
    let row = visible(&state, &me, &id).await?;
    end_live(&state, &row, "ended_by_technician", Actor::User(me.user_id)).await
}

/// Ends a session that has not ended yet (409 otherwise): the step both the technician and
/// the integration routes take.
pub(super) async fn end_live(
    state: &AppState,
    row: &SessionRow,
    reason: &str,
    actor: Actor,
) -> ApiResult<StatusCode> {
    if row.status == SessionStatus::Ended {
        return Err(ApiError::Conflict("the session has already ended".into()));
    }
    lifecycle::end(
        state,
        &row.id,
        reason,
        DisconnectReason::SessionEnded,
        actor,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/sessions/{id}/events", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, body = Vec<EventRow>), (status = 404, body = crate::http::error::ErrorEnvelope)))]
pub async fn events(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<SessionId>,
) -> ApiResult<Json<Vec<EventRow>>> {
    visible(&state, &me, &id).await?;
    Ok(Json(db::events::for_session(&state.db, &id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewerTokenResponse {
    /// Present it as the `SessionRequest.viewer_token` on `/ws/viewer`. Opens this session only.
    pub token: String,
    pub session_id: SessionId,
    /// Unix seconds.
    pub expires_at: u64,
    /// Path of the viewer WebSocket on this server.
    pub ws_path: String,
}

/// Mints a short-lived token that opens this one session's viewer socket.
#[utoipa::path(post, path = "/api/sessions/{id}/viewer-token", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "session id")),
    responses((status = 201, body = ViewerTokenResponse), (status = 404, body = crate::http::error::ErrorEnvelope),
              (status = 409, body = crate::http::error::ErrorEnvelope)))]
pub async fn viewer_token(
    State(state): State<AppState>,
    Technician(me): Technician,
    Path(id): Path<SessionId>,
) -> ApiResult<(StatusCode, Json<ViewerTokenResponse>)> {
    let row = visible(&state, &me, &id).await?;
    let name = if me.display_name.is_empty() {
        me.username.clone()
    } else {
        me.display_name.clone()
    };
    let viewer = Viewer {
        subject: me.user_id.as_str(),
        name: &name,
        actor: Actor::User(me.user_id.clone()),
        audit: serde_json::json!({}),
    };
    mint_viewer_token(&state, &row, viewer).await
}

/// Who a viewer token is for, and what its audit row adds.
pub(super) struct Viewer<'a> {
    pub subject: &'a str,
    pub name: &'a str,
    pub actor: Actor,
    pub audit: serde_json::Value,
}

/// Mints a viewer token for a live session (409 once it has ended) and audits it: the step
/// both the technician and the integration routes take.
pub(super) async fn mint_viewer_token(
    state: &AppState,
    row: &SessionRow,
    viewer: Viewer<'_>,
) -> ApiResult<(StatusCode, Json<ViewerTokenResponse>)> {
    if row.status == SessionStatus::Ended || state.relay.get(&row.id).is_none() {
        return Err(ApiError::Conflict("the session has ended".into()));
    }
    let issued = tokens::issue_viewer(state, &row.id, viewer.subject, viewer.name).await?;
    let mut detail = viewer.audit;
    detail["jti"] = issued.jti.clone().into();
    detail["expires_at"] = issued.expires_at.into();
    lifecycle::audit(state, "viewer_token_issued", viewer.actor, row, detail).await;
    Ok((
        StatusCode::CREATED,
        Json(ViewerTokenResponse {
            token: issued.token,
            session_id: row.id.clone(),
            expires_at: issued.expires_at,
            ws_path: "/ws/viewer".into(),
        }),
    ))
}
