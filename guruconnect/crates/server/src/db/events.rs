//! The audit trail (GC-11): one row per lifecycle step, with actor and target. Never holds a
//! token or key: callers pass identifiers only.

use super::{new_id, now_ms, Db};
use crate::model::{AgentId, SessionId, UserId};
use serde::Serialize;

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor {
    User(UserId),
    Agent(String),
    Integration,
    System,
}

impl Actor {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            Actor::User(id) => ("user", id.as_str()),
            Actor::Agent(id) => ("agent", id),
            Actor::Integration => ("integration", ""),
            Actor::System => ("system", ""),
        }
    }
}

/// One event to record. `detail` is a JSON object of non-secret facts.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub event_type: &'a str,
    pub actor: Actor,
    pub session_id: Option<&'a SessionId>,
    pub agent_id: Option<&'a AgentId>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct EventRow {
    pub id: String,
    pub session_id: Option<SessionId>,
    pub agent_id: Option<AgentId>,
    pub event_type: String,
    pub actor_type: String,
    pub actor_id: String,
    /// JSON object.
    pub detail: String,
    pub ip: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

pub async fn record(db: &Db, event: Event<'_>) -> sqlx::Result<()> {
    let (actor_type, actor_id) = event.actor.parts();
    sqlx::query(
        "INSERT INTO connect_session_events (id, session_id, agent_id, event_type, actor_type, actor_id, detail, ip, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(event.session_id)
    .bind(event.agent_id)
    .bind(event.event_type)
    .bind(actor_type)
    .bind(actor_id)
    .bind(event.detail.to_string())
    .bind(event.ip.unwrap_or_default())
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn for_session(db: &Db, session_id: &SessionId) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT id, session_id, agent_id, event_type, actor_type, actor_id, detail, ip, created_at
         FROM connect_session_events WHERE session_id = $1 ORDER BY created_at, id",
    )
    .bind(session_id)
    .fetch_all(&db.pool)
    .await
}

/// The cause and time of the newest `agent_auth_failed` recorded against a session (an agent
/// with the session's id and a valid key that the relay could not admit).
pub async fn latest_refusal(
    db: &Db,
    session_id: &SessionId,
) -> sqlx::Result<Option<(String, i64)>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT detail, created_at FROM connect_session_events
         WHERE session_id = $1 AND event_type = 'agent_auth_failed'
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(session_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(detail, at)| {
        let cause = serde_json::from_str::<serde_json::Value>(&detail)
            .ok()
            .and_then(|d| d["cause"].as_str().map(str::to_owned))
            .unwrap_or_default();
        (cause, at)
    }))
}

/// Events of a given type, newest first (tests and the admin audit view).
pub async fn of_type(db: &Db, event_type: &str) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(
        "SELECT id, session_id, agent_id, event_type, actor_type, actor_id, detail, ip, created_at
         FROM connect_session_events WHERE event_type = $1 ORDER BY created_at DESC LIMIT 1000",
    )
    .bind(event_type)
    .fetch_all(&db.pool)
    .await
}

/// Deletes events older than the retention window; returns how many went.
pub async fn prune(db: &Db, older_than_ms: i64) -> sqlx::Result<u64> {
    let result = sqlx::query("DELETE FROM connect_session_events WHERE created_at < $1")
        .bind(older_than_ms)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected())
}

/// What the admin audit view asks for; `None` matches everything.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub event_type: Option<String>,
    pub session_id: Option<SessionId>,
    pub agent_id: Option<AgentId>,
}

/// Events matching `filter`, newest first, a page at a time, and how many match in all.
pub async fn list(
    db: &Db,
    filter: &EventFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<EventRow>, i64)> {
    let wanted = [
        ("event_type", filter.event_type.as_deref()),
        (
            "session_id",
            filter.session_id.as_ref().map(|id| id.as_str()),
        ),
        ("agent_id", filter.agent_id.as_ref().map(|id| id.as_str())),
    ];
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    for (column, value) in wanted {
        if let Some(value) = value {
            binds.push(value);
            clauses.push(format!("{column} = ${}", binds.len()));
        }
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) FROM connect_session_events{where_sql}");
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for value in &binds {
        count = count.bind(*value);
    }
    let (total,) = count.fetch_one(&db.pool).await?;
    let page_sql = format!(
        "SELECT id, session_id, agent_id, event_type, actor_type, actor_id, detail, ip, created_at
         FROM connect_session_events{where_sql}
         ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
        binds.len() + 1,
        binds.len() + 2
    );
    let mut page = sqlx::query_as::<_, EventRow>(&page_sql);
    for value in &binds {
        page = page.bind(*value);
    }
    let rows = page.bind(limit).bind(offset).fetch_all(&db.pool).await?;
    Ok((rows, total))
}
