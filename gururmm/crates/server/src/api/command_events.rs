//! `GET /api/commands/events`: every change of a command, pushed as a server-sent event so the
//! dashboard shows results as they arrive instead of polling. Events:
//! - `ready` once, when the stream is live (the page then stops polling fast);
//! - `command` with the command as `GET /api/commands` lists it, on every change;
//! - `resync` when this stream fell behind: the page reloads its lists.
//!
//! The stream ends at the access token's expiry, within `limits.stream_user_recheck_secs` of its
//! user being disabled or deleted, and at shutdown; the page opens a new one with its current
//! token. The events are rendered once for all streams (`command_feed::render`).

use crate::app::AppState;
use crate::auth::jwt::now_secs;
use crate::auth::{Principal, Technician};
use crate::command_feed::{Rendered, Subscription};
use crate::db;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope, Query};
use crate::model::AgentId;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};

/// Comments sent while nothing changes, so proxies and the browser keep the stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One event of the stream, as Server-Sent Events are modelled in OpenAPI (one object per
/// event): its name and its data, which is text.
#[derive(Debug, ToSchema)]
pub struct CommandStreamEvent {
    /// `ready` (data `live`) once the stream is live; `command` (data: the command as JSON,
    /// a `CommandListItem`) on every change; `resync` (data `reload`) when the stream fell
    /// behind and the lists must be read again.
    pub event: StreamEventName,
    pub data: String,
}

/// The names of the stream's events.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum StreamEventName {
    Ready,
    Command,
    Resync,
}

impl CommandStreamEvent {
    fn new(event: StreamEventName, data: &str) -> Self {
        Self {
            event,
            data: data.to_owned(),
        }
    }
}

impl From<CommandStreamEvent> for Event {
    fn from(e: CommandStreamEvent) -> Self {
        let name = match e.event {
            StreamEventName::Ready => "ready",
            StreamEventName::Command => "command",
            StreamEventName::Resync => "resync",
        };
        Event::default().event(name).data(e.data)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventsQuery {
    /// Only this agent's commands.
    pub agent_id: Option<AgentId>,
}

#[utoipa::path(get, path = "/api/commands/events", tag = "commands", security(("bearer" = [])),
    params(EventsQuery),
    responses((status = 200, content_type = "text/event-stream", body = CommandStreamEvent,
        description = "`ready`, then a `command` event per change (its data a `CommandListItem` as JSON); `resync` asks for a reload"),
        (status = 401, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn events(
    State(state): State<AppState>,
    Technician(me): Technician,
    Query(q): Query<EventsQuery>,
) -> ApiResult<(
    [(HeaderName, HeaderValue); 1],
    Sse<impl Stream<Item = Result<Event, Infallible>>>,
)> {
    // The token check allows a few seconds past expiry; a stream would end at once.
    if me.expires_at <= now_secs() {
        return Err(ApiError::Unauthorized);
    }
    let subscription = state
        .command_feed
        .subscribe(&me.user_id)
        .ok_or(ApiError::RateLimited {
            retry_after_secs: KEEP_ALIVE.as_secs(),
        })?;
    let feed = Feed {
        state,
        me,
        agent_id: q.agent_id,
        subscription,
        ready_sent: false,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    // Reverse proxies that buffer responses (nginx) would hold the events back without this.
    let unbuffered = (
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    Ok((
        [unbuffered],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)),
    ))
}

/// One open stream.
struct Feed {
    state: AppState,
    me: Principal,
    agent_id: Option<AgentId>,
    subscription: Subscription,
    ready_sent: bool,
}

impl Feed {
    /// The next event to send; None ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if !self.ready_sent {
            self.ready_sent = true;
            return Some(CommandStreamEvent::new(StreamEventName::Ready, "live").into());
        }
        let expires = Duration::from_secs(self.me.expires_at.saturating_sub(now_secs()));
        let deadline = tokio::time::Instant::now() + expires;
        let every = self.state.config.limits.stream_user_recheck_secs;
        let mut recheck = tokio::time::interval(Duration::from_secs(every));
        recheck.tick().await;
        loop {
            let received = tokio::select! {
                _ = self.state.shutdown.cancelled() => return None,
                _ = tokio::time::sleep_until(deadline) => return None,
                _ = recheck.tick() => {
                    if !self.user_still_allowed().await {
                        return None;
                    }
                    continue;
                }
                received = self.subscription.rx.recv() => received,
            };
            match received.as_deref() {
                Ok(Rendered::Command { agent_id, json }) => {
                    if self.agent_id.as_ref().is_none_or(|a| a == agent_id) {
                        return Some(
                            CommandStreamEvent::new(StreamEventName::Command, json).into(),
                        );
                    }
                }
                Ok(Rendered::Resync) | Err(RecvError::Lagged(_)) => return Some(resync()),
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The user row is read again: a disabled or deleted user's stream stops.
    async fn user_still_allowed(&self) -> bool {
        matches!(db::users::USERS.find(&self.state.db, &self.me.user_id).await,
            Ok(Some(user)) if !user.disabled)
    }
}

fn resync() -> Event {
    CommandStreamEvent::new(StreamEventName::Resync, "reload").into()
}
