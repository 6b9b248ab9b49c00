//! The command log and queue. Every transition is a compare-and-set on `status`, so two
//! deliverers (an API send racing a reconnect flush) cannot both deliver one command, a late
//! result cannot overwrite a timeout, and an agent cannot complete another agent's command.
//!
//! ```text
//! pending --claim--> running --result--> completed | failed | timed_out
//!    |                  |--deadline passed--> timed_out
//!    |                  '--send failed--> pending (delivered again: next sweep or reconnect)
//!    '--cancel--> cancelled
//! ```

use super::{now_ms, Db};
use crate::model::{AgentId, CommandId, CommandStatus, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommandRow {
    pub id: CommandId,
    pub agent_id: AgentId,
    pub created_by: Option<UserId>,
    pub command_type: String,
    pub command: String,
    pub timeout_seconds: i64,
    #[sqlx(try_from = "server_kit::db::Flag")]
    pub elevated: bool,
    #[sqlx(try_from = "String")]
    pub status: CommandStatus,
    pub exit_code: Option<i64>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub duration_ms: Option<i64>,
    #[sqlx(try_from = "server_kit::db::Flag")]
    pub truncated: bool,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// The columns of [`CommandRow`], a literal so `concat!` can build constant queries from it.
macro_rules! columns {
    () => {
        "id, agent_id, created_by, command_type, command, timeout_seconds, elevated, status,
        exit_code, stdout, stderr, duration_ms, truncated, created_at, sent_at, completed_at"
    };
}

/// A new pending command, bound by [`insert_query`]; a literal for `concat!` like `columns!`.
macro_rules! insert_sql {
    () => {
        "INSERT INTO commands (id, agent_id, created_by, command_type, command, timeout_seconds,
            elevated, status, truncated, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8)"
    };
}

// The hot queries are public constants so `hot_queries::hot_queries_use_an_index` asks the
// planner about exactly what runs.

/// The commands list: most recent first.
pub const RECENT: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM commands ORDER BY created_at DESC LIMIT $1"
);

/// One agent's commands (the agent page's terminal): most recent first.
pub const RECENT_FOR_AGENT: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM commands WHERE agent_id = $1 ORDER BY created_at DESC LIMIT $2"
);

/// The agent's queue, oldest first (every connect and every sweep); commands queued in the
/// same millisecond keep their order by id (server-kit's ids sort in the order they were made).
pub const PENDING_FOR_AGENT: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM commands WHERE agent_id = $1 AND status = 'pending' ORDER BY created_at, id"
);

/// Agents marked online with pending commands (the sweep, every reaper pass).
pub const AGENTS_WITH_PENDING_ONLINE: &str =
    "SELECT DISTINCT c.agent_id FROM commands c JOIN agents a ON a.id = c.agent_id
     WHERE c.status = 'pending' AND a.status = 'online'";

/// Running commands past their deadline (every reaper pass).
pub const TIME_OUT_OVERDUE: &str = "UPDATE commands SET status = 'timed_out', completed_at = $1,
        stderr = 'no result from the agent before the deadline'
     WHERE status = 'running' AND deadline_at < $1 RETURNING id, agent_id";

#[derive(Debug, Clone)]
pub struct NewCommand<'a> {
    pub agent_id: &'a AgentId,
    pub created_by: Option<&'a UserId>,
    pub command_type: &'a str,
    pub command: &'a str,
    pub timeout_seconds: i64,
    pub elevated: bool,
}

/// Stores a new pending command and returns it as stored (one round trip).
pub async fn insert(db: &Db, new: &NewCommand<'_>) -> sqlx::Result<CommandRow> {
    insert_query(
        concat!(insert_sql!(), " RETURNING ", columns!()),
        &CommandId::new(),
        new,
    )
    .fetch_one(&db.pool)
    .await
}

/// [`insert`] under an id chosen beforehand (a row elsewhere names the command first).
pub async fn insert_as(db: &Db, id: &CommandId, new: &NewCommand<'_>) -> sqlx::Result<()> {
    insert_query::<(i32,)>(concat!(insert_sql!(), " RETURNING 1"), id, new)
        .fetch_one(&db.pool)
        .await?;
    Ok(())
}

fn insert_query<'q, T>(
    sql: &'q str,
    id: &'q CommandId,
    new: &'q NewCommand<'_>,
) -> sqlx::query::QueryAs<'q, sqlx::Any, T, sqlx::any::AnyArguments<'q>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    sqlx::query_as(sql)
        .bind(id)
        .bind(new.agent_id)
        .bind(new.created_by)
        .bind(new.command_type)
        .bind(new.command)
        .bind(new.timeout_seconds)
        .bind(i64::from(new.elevated))
        .bind(now_ms())
}

pub async fn find(db: &Db, id: &CommandId) -> sqlx::Result<Option<CommandRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM commands WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// Most recent first; optionally one agent's.
pub async fn list(
    db: &Db,
    agent_id: Option<&AgentId>,
    limit: i64,
) -> sqlx::Result<Vec<CommandRow>> {
    match agent_id {
        Some(agent) => {
            sqlx::query_as(RECENT_FOR_AGENT)
                .bind(agent)
                .bind(limit)
                .fetch_all(&db.pool)
                .await
        }
        None => sqlx::query_as(RECENT).bind(limit).fetch_all(&db.pool).await,
    }
}

/// The agent's queue, oldest first.
pub async fn pending_for_agent(db: &Db, agent_id: &AgentId) -> sqlx::Result<Vec<CommandRow>> {
    sqlx::query_as(PENDING_FOR_AGENT)
        .bind(agent_id)
        .fetch_all(&db.pool)
        .await
}

/// Agents marked online that have pending commands (the delivery sweep). Polling agents are
/// among them; the sweep only acts on those with a socket in this process.
pub async fn agents_with_pending_online(db: &Db) -> sqlx::Result<Vec<AgentId>> {
    let rows: Vec<(AgentId,)> = sqlx::query_as(AGENTS_WITH_PENDING_ONLINE)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// pending -> running, on `connection_id`, with its deadline. True for the one caller that won.
pub async fn claim(
    db: &Db,
    id: &CommandId,
    connection_id: &str,
    grace_secs: i64,
) -> sqlx::Result<bool> {
    let now = now_ms();
    let result = sqlx::query(
        "UPDATE commands SET status = 'running', sent_at = $1, connection_id = $2,
            deadline_at = $1 + (timeout_seconds + $3) * 1000
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(now)
    .bind(connection_id)
    .bind(grace_secs)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// running -> pending for a command whose send on `connection_id` failed. Returns its agent's
/// id when it was returned.
pub async fn unclaim(
    db: &Db,
    id: &CommandId,
    connection_id: &str,
) -> sqlx::Result<Option<AgentId>> {
    let agent: Option<(AgentId,)> = sqlx::query_as(
        "UPDATE commands SET status = 'pending', sent_at = NULL, deadline_at = NULL, connection_id = NULL
         WHERE id = $1 AND status = 'running' AND connection_id = $2 RETURNING agent_id",
    )
    .bind(id)
    .bind(connection_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(agent.map(|(agent_id,)| agent_id))
}

/// What an agent reported.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    pub exit_code: i64,
    pub stdout: &'a str,
    pub stderr: &'a str,
    pub duration_ms: i64,
    pub timed_out: bool,
    pub truncated: bool,
}

/// running -> completed/failed/timed_out, only for the agent the command was sent to.
pub async fn complete(
    db: &Db,
    id: &CommandId,
    agent_id: &AgentId,
    outcome: &Outcome<'_>,
) -> sqlx::Result<bool> {
    let status = if outcome.timed_out {
        CommandStatus::TimedOut
    } else if outcome.exit_code == 0 {
        CommandStatus::Completed
    } else {
        CommandStatus::Failed
    };
    let result = sqlx::query(
        "UPDATE commands SET status = $1, exit_code = $2, stdout = $3, stderr = $4,
            duration_ms = $5, truncated = $6, completed_at = $7
         WHERE id = $8 AND agent_id = $9 AND status = 'running'",
    )
    .bind(status.as_str())
    .bind(outcome.exit_code)
    .bind(outcome.stdout)
    .bind(outcome.stderr)
    .bind(outcome.duration_ms)
    .bind(i64::from(outcome.truncated))
    .bind(now_ms())
    .bind(id)
    .bind(agent_id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Server-side timeout: running commands past their deadline become `timed_out`. Returns
/// each one's (id, agent id).
pub async fn time_out_overdue(db: &Db) -> sqlx::Result<Vec<(CommandId, AgentId)>> {
    sqlx::query_as(TIME_OUT_OVERDUE)
        .bind(now_ms())
        .fetch_all(&db.pool)
        .await
}

/// pending -> cancelled. False when the command is not pending (any more).
pub async fn cancel(db: &Db, id: &CommandId) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE commands SET status = 'cancelled', completed_at = $1 WHERE id = $2 AND status = 'pending'",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}
