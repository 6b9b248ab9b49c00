//! Sessions (`connect_sessions`): the durable half of the session lifecycle. The relay's
//! in-memory registry mirrors the live ones and is rebuilt from here at start (NRC-6).

use super::{now_ms, Db};
use crate::model::{AgentId, CodeId, Mode, SessionId, SessionStatus};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: SessionId,
    pub agent_id: AgentId,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    #[sqlx(try_from = "server_kit::db::Flag")]
    pub is_managed: bool,
    pub source: String,
    #[sqlx(try_from = "String")]
    pub status: SessionStatus,
    pub created_by: Option<String>,
    pub support_code_id: Option<CodeId>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub agent_last_seen_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    pub bytes_from_agent: i64,
    pub bytes_to_agent: i64,
}

const COLUMNS: &str = "id, agent_id, mode, is_managed, source, status, created_by, support_code_id, \
    created_at, started_at, agent_last_seen_at, ended_at, end_reason, bytes_from_agent, bytes_to_agent";

/// A session about to be created.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub agent_id: &'a AgentId,
    pub mode: Mode,
    pub is_managed: bool,
    pub source: &'a str,
    pub created_by: Option<&'a str>,
    pub support_code_id: Option<&'a CodeId>,
    /// `active` when the agent is already here, `waiting` when it is yet to come.
    pub status: SessionStatus,
}

pub async fn insert(db: &Db, new: &NewSession<'_>) -> sqlx::Result<SessionRow> {
    let now = now_ms();
    let started = (new.status == SessionStatus::Active).then_some(now);
    let id = SessionId::new();
    sqlx::query(
        "INSERT INTO connect_sessions (id, agent_id, mode, is_managed, source, status, created_by,
            support_code_id, created_at, started_at, agent_last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(new.agent_id)
    .bind(new.mode.as_str())
    .bind(i64::from(new.is_managed))
    .bind(new.source)
    .bind(new.status.as_str())
    .bind(new.created_by)
    .bind(new.support_code_id)
    .bind(now)
    .bind(started)
    .execute(&db.pool)
    .await?;
    find(db, &id).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn find(db: &Db, id: &SessionId) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connect_sessions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// Sessions not yet ended: what the relay reloads at start.
pub async fn live(db: &Db) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connect_sessions WHERE status <> 'ended' ORDER BY created_at"
    ))
    .fetch_all(&db.pool)
    .await
}

/// A page of sessions, newest first; `status` filters ("live" means not ended).
pub async fn list(
    db: &Db,
    status: Option<&str>,
    agent_id: Option<&AgentId>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<SessionRow>, i64)> {
    let mut clauses = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    match status {
        Some("live") => clauses.push("status <> 'ended'".to_owned()),
        Some(s) => {
            binds.push(s.to_owned());
            clauses.push(format!("status = ${}", binds.len()));
        }
        None => {}
    }
    if let Some(agent_id) = agent_id {
        binds.push(agent_id.to_string());
        clauses.push(format!("agent_id = ${}", binds.len()));
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) FROM connect_sessions {filter}");
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for b in &binds {
        count = count.bind(b);
    }
    let (total,) = count.fetch_one(&db.pool).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM connect_sessions {filter} ORDER BY created_at DESC, id LIMIT ${} OFFSET ${}",
        binds.len() + 1,
        binds.len() + 2
    );
    let mut page = sqlx::query_as::<_, SessionRow>(&sql);
    for b in &binds {
        page = page.bind(b);
    }
    Ok((
        page.bind(limit).bind(offset).fetch_all(&db.pool).await?,
        total,
    ))
}

/// The agent bound (or rebound) to the session.
pub async fn mark_active(db: &Db, id: &SessionId) -> sqlx::Result<()> {
    let now = now_ms();
    sqlx::query(
        "UPDATE connect_sessions SET status = 'active', started_at = COALESCE(started_at, $1),
            agent_last_seen_at = $1
         WHERE id = $2 AND status <> 'ended'",
    )
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The agent left; the session waits for it to return.
pub async fn mark_agent_offline(db: &Db, id: &SessionId) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE connect_sessions SET status = 'agent_offline', agent_last_seen_at = $1
         WHERE id = $2 AND status <> 'ended'",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Ends a session once; false when it had already ended.
pub async fn end(db: &Db, id: &SessionId, reason: &str) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE connect_sessions SET status = 'ended', ended_at = $1, end_reason = $2
         WHERE id = $3 AND status <> 'ended'",
    )
    .bind(now_ms())
    .bind(reason)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(super::changed_one(&result))
}

pub async fn add_bytes(
    db: &Db,
    id: &SessionId,
    from_agent: i64,
    to_agent: i64,
) -> sqlx::Result<()> {
    if from_agent == 0 && to_agent == 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE connect_sessions SET bytes_from_agent = bytes_from_agent + $1,
            bytes_to_agent = bytes_to_agent + $2 WHERE id = $3",
    )
    .bind(from_agent)
    .bind(to_agent)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Sessions that waited too long, with their status: never-bound ones created before
/// `waiting_before`, and agent-less ones whose agent was last seen before `offline_before`.
pub async fn stale(
    db: &Db,
    waiting_before: i64,
    offline_before: i64,
) -> sqlx::Result<Vec<(SessionId, SessionStatus)>> {
    let rows: Vec<(SessionId, String)> = sqlx::query_as(
        "SELECT id, status FROM connect_sessions
         WHERE (status = 'waiting' AND created_at < $1)
            OR (status = 'agent_offline' AND COALESCE(agent_last_seen_at, created_at) < $2)",
    )
    .bind(waiting_before)
    .bind(offline_before)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|(id, status)| {
            let status =
                SessionStatus::try_from(status).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok((id, status))
        })
        .collect()
}
