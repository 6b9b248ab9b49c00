//! Session lifecycle steps that must keep the database, the in-memory registry and the audit
//! trail in step: create (for a support code's visit, or a machine's own session), bind, agent
//! gone, end.

use super::session::LiveSession;
use crate::app::AppState;
use crate::db::{self, events::Actor, events::Event, sessions::NewSession, sessions::SessionRow};
use crate::model::{AgentId, CodeId, Mode, SessionId, SessionStatus};
use guruconnect_proto::DisconnectReason;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Where a session came from (`connect_sessions.source`).
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Agent,
    Technician,
    SupportCode,
    Integration,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Agent => "agent",
            Source::Technician => "technician",
            Source::SupportCode => "support_code",
            Source::Integration => "gururmm",
        }
    }
}

/// Inputs to [`create`].
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    pub agent_id: &'a AgentId,
    pub mode: Mode,
    pub source: Source,
    pub created_by: Option<&'a str>,
    pub support_code_id: Option<&'a CodeId>,
    /// The agent is connecting right now (`active`) or yet to come (`waiting`).
    pub agent_present: bool,
    pub actor: Actor,
}

/// Creates a session row and its in-memory twin, and audits it.
pub async fn create(
    state: &AppState,
    spec: Spec<'_>,
) -> anyhow::Result<(SessionRow, Arc<LiveSession>)> {
    let row = db::sessions::insert(
        &state.db,
        &NewSession {
            agent_id: spec.agent_id,
            mode: spec.mode,
            is_managed: matches!(spec.source, Source::Integration),
            source: spec.source.as_str(),
            created_by: spec.created_by,
            support_code_id: spec.support_code_id,
            status: if spec.agent_present {
                SessionStatus::Active
            } else {
                SessionStatus::Waiting
            },
        },
    )
    .await?;
    let live = Arc::new(live_from_row(state, &row, spec.mode));
    state.relay.insert(live.clone());
    audit(
        state,
        "session_created",
        spec.actor,
        &row,
        serde_json::json!({"mode": row.mode, "source": row.source}),
    )
    .await;
    Ok((row, live))
}

pub fn live_from_row(state: &AppState, row: &SessionRow, mode: Mode) -> LiveSession {
    LiveSession::new(
        row.id.clone(),
        row.agent_id.clone(),
        mode,
        row.created_by.clone(),
        state.config.limits.viewer_queue_bytes,
    )
}

/// The live unattended session of `agent_id`, or a new waiting one: a machine never has two.
pub async fn get_or_create_unattended(
    state: &AppState,
    agent_id: &AgentId,
    source: Source,
    created_by: Option<&str>,
    actor: Actor,
) -> anyhow::Result<SessionRow> {
    if let Some(live) = state.relay.for_agent(agent_id) {
        if let Some(row) = db::sessions::find(&state.db, &live.id).await? {
            if row.status != SessionStatus::Ended {
                return Ok(row);
            }
        }
    }
    let (row, _) = create(
        state,
        Spec {
            agent_id,
            mode: Mode::Unattended,
            source,
            created_by,
            support_code_id: None,
            agent_present: false,
            actor,
        },
    )
    .await?;
    Ok(row)
}

/// Ends a session: database first (so the end is never lost), then every connection is closed
/// with `reason`, viewer tokens are revoked and the end is audited. False if already ended.
pub async fn end(
    state: &AppState,
    session_id: &SessionId,
    end_reason: &str,
    disconnect: DisconnectReason,
    actor: Actor,
) -> anyhow::Result<bool> {
    let ended = db::sessions::end(&state.db, session_id, end_reason).await?;
    if let Some(live) = state.relay.remove(session_id) {
        flush_bytes(state, &live).await;
        live.close_all(disconnect, end_reason);
    }
    db::tokens::revoke_viewer_tokens_for_session(&state.db, session_id).await?;
    if ended {
        if let Some(row) = db::sessions::find(&state.db, session_id).await? {
            audit(
                state,
                "session_ended",
                actor,
                &row,
                serde_json::json!({
                    "reason": end_reason,
                    "bytes_from_agent": row.bytes_from_agent,
                    "bytes_to_agent": row.bytes_to_agent,
                }),
            )
            .await;
        }
    }
    Ok(ended)
}

/// Writes the byte counters accumulated in memory to the session row.
pub async fn flush_bytes(state: &AppState, live: &LiveSession) {
    let from = live.bytes_from_agent.swap(0, Ordering::Relaxed);
    let to = live.bytes_to_agent.swap(0, Ordering::Relaxed);
    let (from, to) = (
        i64::try_from(from).unwrap_or(i64::MAX),
        i64::try_from(to).unwrap_or(i64::MAX),
    );
    if let Err(e) = db::sessions::add_bytes(&state.db, &live.id, from, to).await {
        tracing::warn!(session_id = %live.id, error = %e, "could not record session byte counts");
    }
}

/// Records an audit event about a session. Failure to audit is logged loudly, never ignored.
pub async fn audit(
    state: &AppState,
    event_type: &str,
    actor: Actor,
    row: &SessionRow,
    detail: serde_json::Value,
) {
    record(
        state,
        Event {
            event_type,
            actor,
            session_id: Some(&row.id),
            agent_id: Some(&row.agent_id),
            ip: None,
            detail,
        },
    )
    .await;
}

/// Records any audit event, logging (not swallowing) a failure.
pub async fn record(state: &AppState, event: Event<'_>) {
    let event_type = event.event_type.to_owned();
    if let Err(e) = db::events::record(&state.db, event).await {
        tracing::error!(event_type, error = %e, "audit event could not be recorded");
    }
}

/// A new attended session for a support code's visit, recorded on the code.
pub async fn attended_session(
    state: &AppState,
    code: &db::codes::CodeRow,
    agent_id: &AgentId,
) -> anyhow::Result<Arc<LiveSession>> {
    let (row, live) = create(
        state,
        Spec {
            agent_id,
            mode: Mode::Attended,
            source: Source::SupportCode,
            created_by: Some(&code.created_by),
            support_code_id: Some(&code.id),
            agent_present: true,
            actor: Actor::Agent(agent_id.to_string()),
        },
    )
    .await?;
    db::codes::attach_session(&state.db, &code.id, &row.id).await?;
    Ok(live)
}

/// The machine's live session, or a new unattended one.
pub async fn machine_session(
    state: &AppState,
    agent_id: &AgentId,
) -> anyhow::Result<Arc<LiveSession>> {
    if let Some(live) = state.relay.for_agent(agent_id) {
        return Ok(live);
    }
    let spec = Spec {
        agent_id,
        mode: Mode::Unattended,
        source: Source::Agent,
        created_by: None,
        support_code_id: None,
        agent_present: true,
        actor: Actor::Agent(agent_id.to_string()),
    };
    Ok(create(state, spec).await?.1)
}
