//! Effective agent settings from policies (RMM-10), sent in `auth_response` and pushed as a
//! `settings` message to connected agents whenever a policy changes.

use crate::app::AppState;
use crate::db;
use crate::model::AgentId;
use crate::ws::Outbound;
use gururmm_protocol::{encode, AgentSettings, ServerMessage};

/// Checks a policy's settings; the same ranges the agent enforces on its own config.
pub fn validate(settings: &AgentSettings) -> Result<(), String> {
    if let Some(v) = settings.heartbeat_interval_secs {
        if !(1..=3600).contains(&v) {
            return Err("heartbeat_interval_secs must be 1-3600".into());
        }
    }
    if let Some(v) = settings.metrics_interval_secs {
        if !(10..=3600).contains(&v) {
            return Err("metrics_interval_secs must be 10-3600".into());
        }
    }
    Ok(())
}

/// The merged settings for one agent; None when no policy applies.
pub async fn effective(
    state: &AppState,
    agent_id: &AgentId,
) -> anyhow::Result<Option<AgentSettings>> {
    let Some(agent) = db::agents::find(&state.db, agent_id).await? else {
        return Ok(None);
    };
    let rows = db::policies::applying_to(
        &state.db,
        agent_id,
        agent.site_id.as_ref(),
        agent.client_id.as_ref(),
    )
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut merged = AgentSettings::default();
    for row in rows {
        let Ok(s) = serde_json::from_str::<AgentSettings>(&row.settings_json) else {
            tracing::error!(policy_id = %row.id, "stored policy settings do not parse; skipped");
            continue;
        };
        merged.heartbeat_interval_secs =
            s.heartbeat_interval_secs.or(merged.heartbeat_interval_secs);
        merged.metrics_interval_secs = s.metrics_interval_secs.or(merged.metrics_interval_secs);
    }
    Ok(Some(merged))
}

/// Sends every connected agent its current settings.
pub async fn push_to_connected(state: &AppState) {
    for agent_id in state.registry.agent_ids() {
        let Some(live) = state.registry.get(&agent_id) else {
            continue;
        };
        match effective(state, &agent_id).await {
            Ok(settings) => {
                let message = ServerMessage::Settings(settings.unwrap_or_default());
                let _ = live.tx.try_send(Outbound::message(encode(&message)));
            }
            Err(e) => tracing::error!(%agent_id, error = ?e, "computing policy settings failed"),
        }
    }
}
