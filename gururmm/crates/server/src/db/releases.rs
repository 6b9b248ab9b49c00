//! Agent releases offered for auto-update, and the per-agent update records (`agent_updates`)
//! kept from offer until the agent reconnects reporting the new version (`completed`) or says
//! it refused the update (`failed`, with its reason).

use super::{is_unique_violation, new_id, now_ms, Db};
use crate::model::AgentId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: String,
    pub version: String,
    pub os_type: String,
    pub arch: String,
    pub download_url: String,
    pub sha256: String,
    pub signature: String,
    pub active: i64,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, version, os_type, arch, download_url, sha256, signature, active, created_at";

/// None when that version already exists for the OS and architecture.
pub async fn insert(db: &Db, r: &ReleaseRow) -> sqlx::Result<Option<String>> {
    let id = new_id();
    let result = sqlx::query(
        "INSERT INTO releases (id, version, os_type, arch, download_url, sha256, signature, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
    )
    .bind(&id)
    .bind(&r.version)
    .bind(&r.os_type)
    .bind(&r.arch)
    .bind(&r.download_url)
    .bind(&r.sha256)
    .bind(&r.signature)
    .bind(now_ms())
    .execute(&db.pool)
    .await;
    match result {
        Ok(_) => Ok(Some(id)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn list(db: &Db) -> sqlx::Result<Vec<ReleaseRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM releases ORDER BY created_at DESC"
    ))
    .fetch_all(&db.pool)
    .await
}

pub async fn active_for(db: &Db, os_type: &str, arch: &str) -> sqlx::Result<Vec<ReleaseRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM releases WHERE os_type = $1 AND arch = $2 AND active = 1"
    ))
    .bind(os_type)
    .bind(arch)
    .fetch_all(&db.pool)
    .await
}

// The hot queries (every connect of an outdated agent) are public so
// `hot_queries::hot_queries_use_an_index` plans exactly them.

/// The agent's open offer of a release.
pub const OPEN_OFFER: &str =
    "SELECT id FROM agent_updates WHERE agent_id = $1 AND release_id = $2 AND status = 'offered'";

/// Whether the agent refused a release since a time.
pub const REFUSED_SINCE: &str = "SELECT id FROM agent_updates
     WHERE agent_id = $1 AND status = 'failed' AND release_id = $2 AND failed_at >= $3
     LIMIT 1";

/// Closes the agent's open offers of the version it now runs.
pub const COMPLETE_OFFERS: &str = "UPDATE agent_updates SET status = 'completed', completed_at = $1
     WHERE agent_id = $2 AND status = 'offered' AND to_version = $3";

/// Records an offer unless one for the same release is already open; returns the open offer's
/// id (sent to the agent as `update_id`).
pub async fn record_offer(
    db: &Db,
    agent_id: &AgentId,
    release: &ReleaseRow,
    from: &str,
) -> sqlx::Result<String> {
    let open: Option<(String,)> = sqlx::query_as(OPEN_OFFER)
        .bind(agent_id)
        .bind(&release.id)
        .fetch_optional(&db.pool)
        .await?;
    if let Some((id,)) = open {
        return Ok(id);
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO agent_updates (id, agent_id, release_id, from_version, to_version, status, offered_at)
         VALUES ($1, $2, $3, $4, $5, 'offered', $6)",
    )
    .bind(&id)
    .bind(agent_id)
    .bind(&release.id)
    .bind(from)
    .bind(&release.version)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(id)
}

/// The agent refused this release at or after `since` (Unix ms).
pub async fn refused_since(
    db: &Db,
    agent_id: &AgentId,
    release_id: &str,
    since: i64,
) -> sqlx::Result<bool> {
    let row: Option<(String,)> = sqlx::query_as(REFUSED_SINCE)
        .bind(agent_id)
        .bind(release_id)
        .bind(since)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// Marks the offer `update_id` failed, but only while it is open and it is `agent_id`'s: an
/// agent can close none but its own offers. Returns the offered version when it did.
pub async fn fail_offer(
    db: &Db,
    update_id: &str,
    agent_id: &AgentId,
    reason: &str,
    message: &str,
) -> sqlx::Result<Option<String>> {
    let result = sqlx::query(
        "UPDATE agent_updates SET status = 'failed', failure_reason = $1, failure_message = $2,
             failed_at = $3
         WHERE id = $4 AND agent_id = $5 AND status = 'offered'",
    )
    .bind(reason)
    .bind(message)
    .bind(now_ms())
    .bind(update_id)
    .bind(agent_id)
    .execute(&db.pool)
    .await?;
    if result.rows_affected() != 1 {
        return Ok(None);
    }
    let row: Option<(String,)> =
        sqlx::query_as("SELECT to_version FROM agent_updates WHERE id = $1 AND agent_id = $2")
            .bind(update_id)
            .bind(agent_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(version,)| version))
}

/// Closes open offers whose target version the agent now runs. Returns how many.
pub async fn complete_offers(
    db: &Db,
    agent_id: &AgentId,
    running_version: &str,
) -> sqlx::Result<u64> {
    let result = sqlx::query(COMPLETE_OFFERS)
        .bind(now_ms())
        .bind(agent_id)
        .bind(running_version)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UpdateRow {
    pub id: String,
    pub from_version: String,
    pub to_version: String,
    pub status: String,
    pub offered_at: i64,
    pub completed_at: Option<i64>,
    pub failure_reason: Option<String>,
    pub failure_message: Option<String>,
    pub failed_at: Option<i64>,
}

pub async fn updates_for(db: &Db, agent_id: &AgentId) -> sqlx::Result<Vec<UpdateRow>> {
    sqlx::query_as(
        "SELECT id, from_version, to_version, status, offered_at, completed_at, failure_reason,
             failure_message, failed_at FROM agent_updates
         WHERE agent_id = $1 ORDER BY offered_at DESC",
    )
    .bind(agent_id)
    .fetch_all(&db.pool)
    .await
}
