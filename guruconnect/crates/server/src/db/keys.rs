//! Per-machine agent keys (GC-10): only the SHA-256 of each key is stored.

use super::{now_ms, Db};
use crate::model::{AgentId, KeyId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentKeyRow {
    pub id: KeyId,
    pub agent_id: AgentId,
    pub key_prefix: String,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, agent_id, key_prefix, label, created_by, created_at, last_used_at, revoked_at";

pub async fn insert(
    db: &Db,
    agent_id: &AgentId,
    key_hash: &str,
    key_prefix: &str,
    label: &str,
    created_by: &str,
) -> sqlx::Result<AgentKeyRow> {
    let row = AgentKeyRow {
        id: KeyId::new(),
        agent_id: agent_id.to_owned(),
        key_prefix: key_prefix.to_owned(),
        label: label.to_owned(),
        created_by: created_by.to_owned(),
        created_at: now_ms(),
        last_used_at: None,
        revoked_at: None,
    };
    sqlx::query(
        "INSERT INTO connect_agent_keys (id, agent_id, key_hash, key_prefix, label, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(&row.agent_id)
    .bind(key_hash)
    .bind(&row.key_prefix)
    .bind(&row.label)
    .bind(&row.created_by)
    .bind(row.created_at)
    .execute(&db.pool)
    .await?;
    Ok(row)
}

/// The live (unrevoked) key with this hash.
pub async fn find_active_by_hash(db: &Db, key_hash: &str) -> sqlx::Result<Option<AgentKeyRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connect_agent_keys WHERE key_hash = $1 AND revoked_at IS NULL"
    ))
    .bind(key_hash)
    .fetch_optional(&db.pool)
    .await
}

pub async fn find(db: &Db, id: &KeyId) -> sqlx::Result<Option<AgentKeyRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connect_agent_keys WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn list(db: &Db, agent_id: Option<&AgentId>) -> sqlx::Result<Vec<AgentKeyRow>> {
    match agent_id {
        Some(agent_id) => {
            sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM connect_agent_keys WHERE agent_id = $1 ORDER BY created_at DESC"
        ))
            .bind(agent_id)
            .fetch_all(&db.pool)
            .await
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM connect_agent_keys ORDER BY created_at DESC LIMIT 1000"
            ))
            .fetch_all(&db.pool)
            .await
        }
    }
}

/// Revokes one key; false when it was unknown or already revoked.
pub async fn revoke(db: &Db, id: &KeyId) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE connect_agent_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(super::changed_one(&result))
}

/// Revokes every key of a machine; returns the revoked ids.
pub async fn revoke_all_for_agent(db: &Db, agent_id: &AgentId) -> sqlx::Result<Vec<KeyId>> {
    let ids: Vec<(KeyId,)> = sqlx::query_as(
        "SELECT id FROM connect_agent_keys WHERE agent_id = $1 AND revoked_at IS NULL",
    )
    .bind(agent_id)
    .fetch_all(&db.pool)
    .await?;
    sqlx::query(
        "UPDATE connect_agent_keys SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(agent_id)
    .execute(&db.pool)
    .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

pub async fn touch(db: &Db, id: &KeyId) -> sqlx::Result<()> {
    sqlx::query("UPDATE connect_agent_keys SET last_used_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
