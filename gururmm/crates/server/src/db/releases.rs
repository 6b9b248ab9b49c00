//! Agent releases offered for auto-update, and the per-agent update records (`agent_updates`)
//! kept from offer until the agent reconnects reporting the new version.

use super::{is_unique_violation, new_id, now_ms, Db};

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

/// Records an offer unless one for the same release is already open.
pub async fn record_offer(
    db: &Db,
    agent_id: &str,
    release: &ReleaseRow,
    from: &str,
) -> sqlx::Result<()> {
    let open: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM agent_updates WHERE agent_id = $1 AND release_id = $2 AND status = 'offered'",
    )
    .bind(agent_id)
    .bind(&release.id)
    .fetch_optional(&db.pool)
    .await?;
    if open.is_some() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO agent_updates (id, agent_id, release_id, from_version, to_version, status, offered_at)
         VALUES ($1, $2, $3, $4, $5, 'offered', $6)",
    )
    .bind(new_id())
    .bind(agent_id)
    .bind(&release.id)
    .bind(from)
    .bind(&release.version)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Closes open offers whose target version the agent now runs. Returns how many.
pub async fn complete_offers(db: &Db, agent_id: &str, running_version: &str) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "UPDATE agent_updates SET status = 'completed', completed_at = $1
         WHERE agent_id = $2 AND status = 'offered' AND to_version = $3",
    )
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
}

pub async fn updates_for(db: &Db, agent_id: &str) -> sqlx::Result<Vec<UpdateRow>> {
    sqlx::query_as(
        "SELECT id, from_version, to_version, status, offered_at, completed_at FROM agent_updates
         WHERE agent_id = $1 ORDER BY offered_at DESC",
    )
    .bind(agent_id)
    .fetch_all(&db.pool)
    .await
}
