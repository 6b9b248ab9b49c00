//! Attended consent (NRC-5): before an attended session streams, the agent asks its user with
//! the technician's name and reason; the relay lets nothing through until the answer is
//! Accept, and ends the session on Decline or when no answer comes in time. Every step is an
//! audit event (`consent_requested`, `consent_accepted`, `consent_declined`, `consent_timed_out`).

use super::lifecycle;
use super::session::{Consent, LiveSession};
use crate::app::AppState;
use crate::db::{self, events::Actor};
use crate::model::{AgentId, Mode};
use bytes::Bytes;
use guruconnect_proto::{self as proto, envelope::Payload, DisconnectReason};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Extra time the relay gives an agent past the prompt's own timeout (its answer travels).
const ANSWER_GRACE: Duration = Duration::from_secs(5);

/// What a newly bound agent's session needs: consent for attended sessions when enabled.
pub fn needed(state: &AppState, mode: Mode) -> Consent {
    if mode == Mode::Attended && state.config.attended_consent {
        Consent::Pending
    } else {
        Consent::NotRequired
    }
}

/// Who asks and why, as the end user will read it.
pub struct Asker {
    pub technician_name: String,
    pub reason: String,
}

/// Sends the request to the agent and starts the relay's own deadline.
pub async fn ask(
    state: &AppState,
    session: &Arc<LiveSession>,
    agent_tx: &mpsc::Sender<Bytes>,
    agent_id: &AgentId,
    asker: Asker,
) {
    let timeout = state.config.limits.consent_timeout_secs;
    let request = proto::ConsentRequest {
        session_id: session.id.to_string(),
        technician_name: asker.technician_name.clone(),
        reason: asker.reason.clone(),
        timeout_seconds: u32::try_from(timeout).unwrap_or(u32::MAX),
    };
    let _ = agent_tx.try_send(proto::encode_payload(Payload::ConsentRequest(request)));
    record(
        state,
        session,
        agent_id,
        Actor::System,
        "consent_requested",
        serde_json::json!({"technician_name": asker.technician_name, "reason": asker.reason}),
    )
    .await;
    let (state, session, agent_id) = (state.clone(), session.clone(), agent_id.to_owned());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(timeout) + ANSWER_GRACE).await;
        if session.consent_answered(false) {
            refuse(
                &state,
                &session,
                &agent_id,
                Actor::System,
                "consent_timed_out",
            )
            .await;
        }
    });
}

/// The agent's answer. Only the first answer to a pending request counts.
pub async fn answered(
    state: &AppState,
    session: &LiveSession,
    agent_id: &AgentId,
    response: &proto::ConsentResponse,
) {
    if response.session_id != session.id.as_str() || !session.consent_answered(response.accepted) {
        return;
    }
    let actor = Actor::Agent(agent_id.to_string());
    if response.accepted {
        record(
            state,
            session,
            agent_id,
            actor,
            "consent_accepted",
            serde_json::json!({}),
        )
        .await;
        return;
    }
    let event = match response.timed_out {
        true => "consent_timed_out",
        false => "consent_declined",
    };
    refuse(state, session, agent_id, actor, event).await;
}

async fn refuse(
    state: &AppState,
    session: &LiveSession,
    agent_id: &AgentId,
    actor: Actor,
    event: &str,
) {
    record(
        state,
        session,
        agent_id,
        actor.clone(),
        event,
        serde_json::json!({}),
    )
    .await;
    let detail = match event {
        "consent_timed_out" => "the user did not answer the consent prompt",
        _ => "the user declined the session",
    };
    if let Err(e) = lifecycle::end(
        state,
        &session.id,
        event,
        DisconnectReason::ConsentDeclined,
        actor,
    )
    .await
    {
        tracing::error!(session_id = %session.id, error = %e, "could not end a declined session");
    }
    tracing::info!(session_id = %session.id, %agent_id, detail, "session refused by its user");
}

async fn record(
    state: &AppState,
    session: &LiveSession,
    agent_id: &AgentId,
    actor: Actor,
    event_type: &str,
    detail: serde_json::Value,
) {
    lifecycle::record(
        state,
        db::events::Event {
            event_type,
            actor,
            session_id: Some(&session.id),
            agent_id: Some(agent_id),
            ip: None,
            detail,
        },
    )
    .await;
}
