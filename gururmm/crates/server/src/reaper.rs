//! Background upkeep: the server-side command timeout (running commands past their deadline
//! become `timed_out`, the seed had no such enforcement), re-delivery of commands still pending
//! for connected agents, retention of metrics and watchdog events, polling agents' presence
//! (offline once their heartbeats stop), the agent-offline alert rule, and remote-control rows
//! kept in step with GuruConnect (`connect::reconcile`).

use crate::app::AppState;
use crate::db;
use std::time::{Duration, Instant};

/// Retention runs at most this often; deadlines are checked every `reaper_interval_ms`.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_millis(
        state.config.limits.reaper_interval_ms,
    ));
    let mut last_retention: Option<Instant> = None;
    let mut last_reconcile: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match db::commands::time_out_overdue(&state.db).await {
            Ok(overdue) if overdue.is_empty() => {}
            Ok(overdue) => {
                tracing::warn!(count = overdue.len(), "commands timed out without a result");
                for (id, agent_id) in overdue {
                    state.command_feed.changed(&id, &agent_id);
                }
            }
            Err(e) => tracing::error!(error = %e, "enforcing command deadlines failed"),
        }
        match crate::delivery::redeliver(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                count = n,
                "pending commands re-delivered to connected agents"
            ),
            Err(e) => tracing::error!(error = ?e, "re-delivering pending commands failed"),
        }
        expire_polling_agents(&state).await;
        if let Err(e) = crate::alerting::check_offline(&state).await {
            tracing::error!(error = ?e, "checking offline agents failed");
        }
        if last_reconcile.is_none_or(|t| t.elapsed() >= crate::connect::reconcile::SWEEP_EVERY) {
            last_reconcile = Some(Instant::now());
            crate::connect::reconcile::sweep(&state).await;
        }
        if last_retention.is_none_or(|t| t.elapsed() >= RETENTION_EVERY) {
            last_retention = Some(Instant::now());
            retention(&state).await;
        }
    }
}

/// A polling agent has no socket whose end would mark it offline: silence past
/// `polling_presence_secs` does.
async fn expire_polling_agents(state: &AppState) {
    let secs = i64::try_from(state.config.limits.polling_presence_secs).unwrap_or(i64::MAX / 1000);
    match db::agents::expire_polled(&state.db, db::now_ms() - secs * 1000).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "polling agents went silent; now offline"),
        Err(e) => tracing::error!(error = %e, "expiring silent polling agents failed"),
    }
}

/// Deletes metrics samples older than `metrics_retention_days` and watchdog events older than
/// `watchdog_retention_days` (by the server's clock when each was recorded), and sign-ins that
/// ended more than a day ago, and remembered browsers past their 30 days. Public so tests can run one pass instead of waiting for the
/// hourly one.
pub async fn retention(state: &AppState) {
    let day_ms = 24 * 3600 * 1000;
    let limits = &state.config.limits;
    let now = db::now_ms();
    let metrics_cutoff = now - i64::try_from(limits.metrics_retention_days).unwrap_or(0) * day_ms;
    let watchdog_cutoff = now - i64::try_from(limits.watchdog_retention_days).unwrap_or(0) * day_ms;
    if let Err(e) = db::metrics::prune(&state.db, metrics_cutoff).await {
        tracing::error!(error = %e, "metrics retention failed");
    }
    if let Err(e) = db::watchdog::prune(&state.db, watchdog_cutoff).await {
        tracing::error!(error = %e, "watchdog retention failed");
    }
    if let Err(e) = db::sign_ins::prune(&state.db, now - day_ms).await {
        tracing::error!(error = %e, "sign-in retention failed");
    }
    if let Err(e) = state.second_factors.forget_expired_devices(&state.db).await {
        tracing::error!(error = %e, "remembered-browser retention failed");
    }
}
