//! Watchdog events reported by agents (the seed logged them and never stored them).

use super::{new_id, now_ms, Db};
use crate::model::AgentId;
use gururmm_protocol::WatchdogEvent;

pub async fn insert(db: &Db, agent_id: &AgentId, event: &WatchdogEvent) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO watchdog_events (id, agent_id, service, event, message, occurred_at, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(agent_id)
    .bind(&event.service)
    .bind(&event.event)
    .bind(&event.message)
    .bind(event.timestamp_ms)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub service: String,
    pub event: String,
    pub message: String,
    pub occurred_at: i64,
    pub recorded_at: i64,
}

// The hot queries are public so `hot_queries::hot_queries_use_an_index` plans exactly them.

/// An agent's events, newest first (the agent page).
pub const LIST: &str =
    "SELECT id, service, event, message, occurred_at, recorded_at FROM watchdog_events
     WHERE agent_id = $1 ORDER BY recorded_at DESC LIMIT $2";

/// Retention (hourly).
pub const PRUNE: &str = "DELETE FROM watchdog_events WHERE recorded_at < $1";

pub async fn list(db: &Db, agent_id: &AgentId, limit: i64) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(LIST)
        .bind(agent_id)
        .bind(limit)
        .fetch_all(&db.pool)
        .await
}

pub async fn prune(db: &Db, cutoff_ms: i64) -> sqlx::Result<u64> {
    let result = sqlx::query(PRUNE).bind(cutoff_ms).execute(&db.pool).await?;
    Ok(result.rows_affected())
}
