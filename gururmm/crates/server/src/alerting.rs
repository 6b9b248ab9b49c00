//! Alert rules (RMM-10): an agent offline longer than `alerts.offline_after_secs` (checked by
//! the reaper, resolved when it reconnects), and CPU / memory / disk above their thresholds in
//! a metrics sample (resolved by the first sample below them).

use crate::app::AppState;
use crate::db::{self, alerts::AGENT_OFFLINE};
use crate::model::AgentId;
use gururmm_protocol::MetricsReport;

/// Opens offline alerts for agents silent past the threshold.
pub async fn check_offline(state: &AppState) -> anyhow::Result<()> {
    let secs = i64::try_from(state.config.alerts.offline_after_secs).unwrap_or(i64::MAX / 1000);
    let cutoff = db::now_ms() - secs * 1000;
    for (agent_id, hostname) in db::alerts::offline_without_alert(&state.db, cutoff).await? {
        let message = format!("{hostname} has been offline for more than {secs} s");
        if db::alerts::open(&state.db, &agent_id, AGENT_OFFLINE, "critical", &message).await? {
            tracing::warn!(%agent_id, "alert: agent offline");
        }
    }
    Ok(())
}

pub async fn on_connected(state: &AppState, agent_id: &AgentId) -> anyhow::Result<()> {
    db::alerts::resolve_kind(&state.db, agent_id, AGENT_OFFLINE).await?;
    Ok(())
}

fn percent(used: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| used as f64 * 100.0 / total as f64)
}

/// Evaluates the thresholds against one sample.
pub async fn on_metrics(
    state: &AppState,
    agent_id: &AgentId,
    report: &MetricsReport,
) -> anyhow::Result<()> {
    let t = &state.config.alerts;
    let disk = report
        .disks
        .iter()
        .filter_map(|d| percent(d.used_bytes, d.total_bytes).map(|p| (p, d.mount.as_str())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let checks = [
        (
            "cpu_high",
            report.cpu_percent.map(f64::from).map(|p| (p, "CPU")),
            t.cpu_percent,
        ),
        (
            "memory_high",
            report
                .memory
                .as_ref()
                .and_then(|m| percent(m.used_bytes, m.total_bytes))
                .map(|p| (p, "memory")),
            t.memory_percent,
        ),
        ("disk_high", disk, t.disk_percent),
    ];
    for (kind, value, threshold) in checks {
        let Some((value, what)) = value else { continue };
        if value >= threshold {
            let message = format!("{what} at {value:.0}% (threshold {threshold:.0}%)");
            db::alerts::open(&state.db, agent_id, kind, "warning", &message).await?;
        } else {
            db::alerts::resolve_kind(&state.db, agent_id, kind).await?;
        }
    }
    Ok(())
}
