//! Metrics samples (time series), the latest per-agent state (network + last sample), and
//! retention.

use super::{new_id, now_ms, Db};
use crate::model::AgentId;
use gururmm_protocol::{MetricsReport, NetworkState};

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Stores one sample and makes it the agent's latest.
pub async fn insert(db: &Db, agent_id: &AgentId, report: &MetricsReport) -> sqlx::Result<()> {
    let now = now_ms();
    let (disk_used, disk_total) = report.disks.iter().fold((0u64, 0u64), |(u, t), d| {
        (
            u.saturating_add(d.used_bytes),
            t.saturating_add(d.total_bytes),
        )
    });
    let has_disks = !report.disks.is_empty();
    sqlx::query(
        "INSERT INTO metrics (id, agent_id, recorded_at, sampled_at, cpu_percent, memory_used_bytes,
            memory_total_bytes, disk_used_bytes, disk_total_bytes, network_rx_bytes, network_tx_bytes, disks_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new_id())
    .bind(agent_id)
    .bind(now)
    .bind(report.timestamp_ms)
    .bind(report.cpu_percent.map(f64::from))
    .bind(report.memory.as_ref().map(|m| to_i64(m.used_bytes)))
    .bind(report.memory.as_ref().map(|m| to_i64(m.total_bytes)))
    .bind(has_disks.then(|| to_i64(disk_used)))
    .bind(has_disks.then(|| to_i64(disk_total)))
    .bind(report.network.as_ref().map(|n| to_i64(n.rx_bytes)))
    .bind(report.network.as_ref().map(|n| to_i64(n.tx_bytes)))
    .bind(serde_json::to_string(&report.disks).unwrap_or_else(|_| "[]".into()))
    .execute(&db.pool)
    .await?;
    upsert_state(db, agent_id).await?;
    sqlx::query(
        "UPDATE agent_state SET metrics_json = $1, metrics_updated_at = $2, uptime_seconds = $3
         WHERE agent_id = $4",
    )
    .bind(serde_json::to_string(report).unwrap_or_else(|_| "{}".into()))
    .bind(now)
    .bind(to_i64(report.uptime_seconds))
    .bind(agent_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

async fn upsert_state(db: &Db, agent_id: &AgentId) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO agent_state (agent_id) VALUES ($1) ON CONFLICT (agent_id) DO NOTHING")
        .bind(agent_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Stores the network state when its hash differs from the stored one. True when it changed.
pub async fn set_network(db: &Db, agent_id: &AgentId, state: &NetworkState) -> sqlx::Result<bool> {
    upsert_state(db, agent_id).await?;
    let result = sqlx::query(
        "UPDATE agent_state SET network_hash = $1, network_json = $2, network_updated_at = $3
         WHERE agent_id = $4 AND network_hash <> $1",
    )
    .bind(&state.hash)
    .bind(serde_json::to_string(&state.interfaces).unwrap_or_else(|_| "[]".into()))
    .bind(now_ms())
    .bind(agent_id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StateRow {
    pub network_hash: String,
    pub network_json: String,
    pub network_updated_at: Option<i64>,
    pub metrics_json: String,
    pub metrics_updated_at: Option<i64>,
    pub uptime_seconds: i64,
}

pub async fn state(db: &Db, agent_id: &AgentId) -> sqlx::Result<Option<StateRow>> {
    sqlx::query_as(
        "SELECT network_hash, network_json, network_updated_at, metrics_json, metrics_updated_at,
            uptime_seconds FROM agent_state WHERE agent_id = $1",
    )
    .bind(agent_id)
    .fetch_optional(&db.pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SampleRow {
    pub recorded_at: i64,
    pub sampled_at: i64,
    pub cpu_percent: Option<f64>,
    pub memory_used_bytes: Option<i64>,
    pub memory_total_bytes: Option<i64>,
    pub disk_used_bytes: Option<i64>,
    pub disk_total_bytes: Option<i64>,
    pub network_rx_bytes: Option<i64>,
    pub network_tx_bytes: Option<i64>,
}

/// An agent's newest samples since a time (the agent page's charts); public so
/// `hot_queries::hot_queries_use_an_index` plans exactly this query.
pub const HISTORY: &str =
    "SELECT recorded_at, sampled_at, cpu_percent, memory_used_bytes, memory_total_bytes,
        disk_used_bytes, disk_total_bytes, network_rx_bytes, network_tx_bytes
     FROM metrics WHERE agent_id = $1 AND recorded_at >= $2
     ORDER BY recorded_at DESC LIMIT $3";

/// The newest `limit` samples recorded since `since_ms`, returned oldest first. Newest, not
/// oldest: when the window holds more than `limit`, a chart must end at "now".
pub async fn history(
    db: &Db,
    agent_id: &AgentId,
    since_ms: i64,
    limit: i64,
) -> sqlx::Result<Vec<SampleRow>> {
    let mut rows: Vec<SampleRow> = sqlx::query_as(HISTORY)
        .bind(agent_id)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.reverse();
    Ok(rows)
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Summary {
    pub samples: i64,
    pub agents_reporting: i64,
    pub avg_cpu_percent: Option<f64>,
    pub max_cpu_percent: Option<f64>,
    pub avg_memory_percent: Option<f64>,
    pub avg_disk_percent: Option<f64>,
}

/// Aggregates over samples recorded since `since_ms`. Averages are cast to DOUBLE PRECISION
/// because PostgreSQL's AVG of a BIGINT is NUMERIC, which the Any driver cannot carry.
pub async fn summary(db: &Db, since_ms: i64) -> sqlx::Result<Summary> {
    sqlx::query_as(
        "SELECT COUNT(*) AS samples, COUNT(DISTINCT agent_id) AS agents_reporting,
            CAST(AVG(cpu_percent) AS DOUBLE PRECISION) AS avg_cpu_percent,
            CAST(MAX(cpu_percent) AS DOUBLE PRECISION) AS max_cpu_percent,
            CAST(AVG(CASE WHEN memory_total_bytes > 0
                THEN 100.0 * memory_used_bytes / memory_total_bytes END) AS DOUBLE PRECISION) AS avg_memory_percent,
            CAST(AVG(CASE WHEN disk_total_bytes > 0
                THEN 100.0 * disk_used_bytes / disk_total_bytes END) AS DOUBLE PRECISION) AS avg_disk_percent
         FROM metrics WHERE recorded_at >= $1",
    )
    .bind(since_ms)
    .fetch_one(&db.pool)
    .await
}

/// Retention (hourly): public so `hot_queries::hot_queries_use_an_index` plans exactly it.
pub const PRUNE: &str = "DELETE FROM metrics WHERE recorded_at < $1";

/// Deletes samples older than `cutoff_ms`.
pub async fn prune(db: &Db, cutoff_ms: i64) -> sqlx::Result<u64> {
    let result = sqlx::query(PRUNE).bind(cutoff_ms).execute(&db.pool).await?;
    Ok(result.rows_affected())
}
