//! Alerts: at most one unresolved alert per agent and kind; conditions that clear resolve it.

use super::{now_ms, Db};
use crate::model::{AgentId, AlertId, AlertStatus};

pub const AGENT_OFFLINE: &str = "agent_offline";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: AlertId,
    pub agent_id: Option<AgentId>,
    pub kind: String,
    pub severity: String,
    pub message: String,
    #[sqlx(try_from = "String")]
    pub status: AlertStatus,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

const COLUMNS: &str = "id, agent_id, kind, severity, message, status, created_at, resolved_at";

/// Opens an alert unless one of this kind is already unresolved for the agent. True if opened.
pub async fn open(
    db: &Db,
    agent_id: &AgentId,
    kind: &str,
    severity: &str,
    message: &str,
) -> sqlx::Result<bool> {
    let existing: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM alerts WHERE agent_id = $1 AND kind = $2 AND status <> 'resolved'",
    )
    .bind(agent_id)
    .bind(kind)
    .fetch_optional(&db.pool)
    .await?;
    if existing.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO alerts (id, agent_id, kind, severity, message, status, created_at)
         VALUES ($1, $2, $3, $4, $5, 'open', $6)",
    )
    .bind(AlertId::new())
    .bind(agent_id)
    .bind(kind)
    .bind(severity)
    .bind(message)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(true)
}

/// Resolves the agent's unresolved alert of `kind`, if any.
pub async fn resolve_kind(db: &Db, agent_id: &AgentId, kind: &str) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "UPDATE alerts SET status = 'resolved', resolved_at = $1
         WHERE agent_id = $2 AND kind = $3 AND status <> 'resolved'",
    )
    .bind(now_ms())
    .bind(agent_id)
    .bind(kind)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected())
}

/// Moves an alert to `status` (acknowledged or resolved). False when not found or already resolved.
pub async fn set_status(db: &Db, id: &AlertId, status: AlertStatus) -> sqlx::Result<bool> {
    let resolved_at = (status == AlertStatus::Resolved).then(now_ms);
    let result = sqlx::query(
        "UPDATE alerts SET status = $1, resolved_at = $2 WHERE id = $3 AND status <> 'resolved'",
    )
    .bind(status.as_str())
    .bind(resolved_at)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find(db: &Db, id: &AlertId) -> sqlx::Result<Option<AlertRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// The alerts list: newest first, of one status or (`status = None`) the unresolved ones, and
/// optionally of one agent. Returns the SQL and its text parameters (the limit follows them).
/// Public so `hot_queries::hot_queries_use_an_index` plans exactly this query.
pub fn list_sql(status: Option<AlertStatus>, agent_id: Option<&str>) -> (String, Vec<&str>) {
    let mut clauses = Vec::new();
    let mut binds: Vec<&str> = Vec::new();
    match status {
        Some(s) => {
            binds.push(s.as_str());
            clauses.push(format!("status = ${}", binds.len()));
        }
        // A list, not `<> 'resolved'`: resolved alerts pile up forever, and only equality
        // lets the status index skip them.
        None => clauses.push("status IN ('open', 'acknowledged')".to_owned()),
    }
    if let Some(a) = agent_id {
        binds.push(a);
        clauses.push(format!("agent_id = ${}", binds.len()));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM alerts WHERE {} ORDER BY created_at DESC LIMIT ${}",
        clauses.join(" AND "),
        binds.len() + 1
    );
    (sql, binds)
}

/// Newest first. `status = None` lists unresolved ones (open and acknowledged).
pub async fn list(
    db: &Db,
    status: Option<AlertStatus>,
    agent_id: Option<&AgentId>,
    limit: i64,
) -> sqlx::Result<Vec<AlertRow>> {
    let (sql, binds) = list_sql(status, agent_id.map(AgentId::as_str));
    let mut query = sqlx::query_as(&sql);
    for b in binds {
        query = query.bind(b);
    }
    query.bind(limit).fetch_all(&db.pool).await
}

/// Agents offline since before a cutoff with no unresolved offline alert (every reaper pass).
/// A list, not `<> 'resolved'`, as in [`list_sql`]: only equality lets
/// `alerts_kind_status_idx` skip the resolved alerts that pile up forever.
pub const OFFLINE_WITHOUT_ALERT: &str = "SELECT a.id, a.hostname FROM agents a
     WHERE a.status = 'offline' AND a.last_seen_at IS NOT NULL AND a.last_seen_at < $1
       AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.agent_id = a.id
                       AND x.kind = 'agent_offline' AND x.status IN ('open', 'acknowledged'))";

/// Agents offline since before `cutoff_ms` that have no unresolved offline alert yet.
pub async fn offline_without_alert(
    db: &Db,
    cutoff_ms: i64,
) -> sqlx::Result<Vec<(AgentId, String)>> {
    sqlx::query_as(OFFLINE_WITHOUT_ALERT)
        .bind(cutoff_ms)
        .fetch_all(&db.pool)
        .await
}
