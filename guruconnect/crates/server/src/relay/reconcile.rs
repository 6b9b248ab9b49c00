//! Keeping memory and database in step over time: at start, live sessions are reloaded from the
//! database so agents and viewers can rejoin them (NRC-6); afterwards a reaper ends sessions
//! that waited too long, expires support codes and prunes old audit rows and token records.

use super::lifecycle;
use crate::app::AppState;
use crate::db::{self, events::Actor};
use crate::model::{Mode, SessionStatus};
use guruconnect_proto::DisconnectReason;
use std::sync::Arc;
use std::time::Duration;

/// Rebuilds the registry from the database after a (re)start.
pub async fn on_start(state: &AppState) -> anyhow::Result<()> {
    db::machines::mark_all_offline(&state.db).await?;
    let mut restored = 0;
    for row in db::sessions::live(&state.db).await? {
        let mode = row.mode;
        if mode == Mode::Attended {
            // An attended agent spent its code and cannot re-authenticate: end it clearly.
            lifecycle::end(
                state,
                &row.id,
                "server_restart",
                DisconnectReason::ServerShutdown,
                Actor::System,
            )
            .await?;
            continue;
        }
        if row.status == SessionStatus::Active {
            db::sessions::mark_agent_offline(&state.db, &row.id).await?;
        }
        state
            .relay
            .insert(Arc::new(lifecycle::live_from_row(state, &row, mode)));
        restored += 1;
    }
    if restored > 0 {
        tracing::info!(
            restored,
            "live sessions restored; waiting for agents to rebind"
        );
    }
    Ok(())
}

/// One reaper pass.
pub async fn reap(state: &AppState) -> anyhow::Result<()> {
    let limits = &state.config.limits;
    let now = db::now_ms();
    let waiting_before = now - (limits.waiting_session_ttl_secs as i64) * 1000;
    let offline_before = now - (limits.agent_rebind_grace_secs as i64) * 1000;
    for (id, status) in db::sessions::stale(&state.db, waiting_before, offline_before).await? {
        let reason = if status == SessionStatus::Waiting {
            "never_bound"
        } else {
            "agent_timeout"
        };
        lifecycle::end(
            state,
            &id,
            reason,
            DisconnectReason::SessionEnded,
            Actor::System,
        )
        .await?;
    }
    for live in state.relay.all() {
        lifecycle::flush_bytes(state, &live).await;
    }
    db::codes::expire_old(&state.db).await?;
    db::tokens::prune_expired(&state.db).await?;
    state
        .second_factors
        .forget_expired_devices(&state.db)
        .await?;
    let retention_ms = (limits.audit_retention_days as i64) * 24 * 3600 * 1000;
    db::events::prune(&state.db, now - retention_ms).await?;
    Ok(())
}

/// Runs [`reap`] every `reaper_interval_ms` until shutdown.
pub async fn run_reaper(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_millis(
        state.config.limits.reaper_interval_ms,
    ));
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = ticker.tick() => {
                if let Err(e) = reap(&state).await {
                    tracing::error!(error = ?e, "reaper pass failed");
                }
            }
        }
    }
}
