//! Remote control (NRC-8): the sealed GuruConnect key of each agent and the audit row of each
//! remote-control start. The launch command's state comes from `commands` (joined), so a
//! failed download or refused binary shows on the session row without a second write.

use super::{now_ms, Db};
use crate::model::{
    AgentId, CommandId, ConnectSessionId, RemoteControlId, RemoteControlMode, RemoteControlState,
    UserId,
};

/// The sealed per-machine key of `agent_id`, if one was minted.
pub async fn sealed_key(db: &Db, agent_id: &AgentId) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT key_sealed FROM connect_agent_keys WHERE agent_id = $1")
            .bind(agent_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(k,)| k))
}

/// Stores a freshly minted key unless one is already stored (a concurrent start won the race;
/// its key is then the one used). True when this call stored it.
pub async fn store_key(
    db: &Db,
    agent_id: &AgentId,
    connect_key_id: &str,
    key_prefix: &str,
    sealed: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO connect_agent_keys (agent_id, connect_key_id, key_prefix, key_sealed, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (agent_id) DO NOTHING",
    )
    .bind(agent_id)
    .bind(connect_key_id)
    .bind(key_prefix)
    .bind(sealed)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub agent_id: &'a AgentId,
    pub technician_id: &'a UserId,
    pub technician_email: &'a str,
    pub connect_session_id: &'a ConnectSessionId,
    pub mode: RemoteControlMode,
    pub command_id: Option<&'a CommandId>,
}

pub async fn insert(db: &Db, new: &NewSession<'_>) -> sqlx::Result<RemoteControlId> {
    let id = RemoteControlId::new();
    sqlx::query(
        "INSERT INTO remote_control_sessions (id, agent_id, technician_id, technician_email,
            connect_session_id, mode, status, command_id, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'started', $7, $8)",
    )
    .bind(&id)
    .bind(new.agent_id)
    .bind(new.technician_id)
    .bind(new.technician_email)
    .bind(new.connect_session_id)
    .bind(new.mode.as_str())
    .bind(new.command_id)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: RemoteControlId,
    pub agent_id: AgentId,
    pub technician_id: UserId,
    pub technician_email: String,
    pub connect_session_id: ConnectSessionId,
    #[sqlx(try_from = "String")]
    pub mode: RemoteControlMode,
    #[sqlx(try_from = "String")]
    pub status: RemoteControlState,
    pub command_id: Option<CommandId>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    /// The launch command's status (`pending`, `running`, `completed`, `failed`, …).
    pub launch_status: Option<String>,
    /// Why the launch failed, as the agent reported it.
    pub launch_error: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.agent_id, r.technician_id, r.technician_email,
    r.connect_session_id, r.mode, r.status, r.command_id, r.started_at, r.ended_at, r.end_reason,
    c.status AS launch_status,
    CASE WHEN c.status IN ('failed', 'timed_out') THEN c.stderr ELSE NULL END AS launch_error
    FROM remote_control_sessions r LEFT JOIN commands c ON c.id = r.command_id";

pub async fn list_for_agent(
    db: &Db,
    agent_id: &AgentId,
    limit: i64,
) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE r.agent_id = $1 ORDER BY r.started_at DESC, r.id LIMIT $2"
    ))
    .bind(agent_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Rows still `started`, newest first: what the reconciler checks against GuruConnect.
pub async fn started(db: &Db, limit: i64) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE r.status = 'started' ORDER BY r.started_at DESC, r.id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

pub async fn find(db: &Db, id: &RemoteControlId) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// Marks a started session ended (or failed). False when it was not `started`.
pub async fn finish(
    db: &Db,
    id: &RemoteControlId,
    status: RemoteControlState,
    reason: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE remote_control_sessions SET status = $1, ended_at = $2, end_reason = $3
         WHERE id = $4 AND status = 'started'",
    )
    .bind(status.as_str())
    .bind(now_ms())
    .bind(reason)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
