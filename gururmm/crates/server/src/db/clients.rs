//! Client organisations (the MSP's customers).

use super::{is_unique_violation, now_ms, Db};
use crate::model::ClientId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: ClientId,
    pub name: String,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Filled by list queries.
    pub site_count: i64,
    pub agent_count: i64,
}

const SELECT: &str = "SELECT c.id, c.name, c.notes, c.created_at, c.updated_at,
    (SELECT COUNT(*) FROM sites s WHERE s.client_id = c.id) AS site_count,
    (SELECT COUNT(*) FROM agents a JOIN sites s ON a.site_id = s.id WHERE s.client_id = c.id) AS agent_count
    FROM clients c";

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("a client with that name already exists")]
    Exists,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn classify(e: sqlx::Error) -> WriteError {
    if is_unique_violation(&e) {
        WriteError::Exists
    } else {
        WriteError::Db(e)
    }
}

pub async fn create(db: &Db, name: &str, notes: &str) -> Result<ClientId, WriteError> {
    let id = ClientId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO clients (id, name, name_key, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(name)
    .bind(name.to_lowercase())
    .bind(notes)
    .bind(now)
    .execute(&db.pool)
    .await
    .map_err(classify)?;
    Ok(id)
}

pub async fn list(db: &Db) -> sqlx::Result<Vec<ClientRow>> {
    sqlx::query_as(&format!("{SELECT} ORDER BY c.name_key"))
        .fetch_all(&db.pool)
        .await
}

pub async fn find(db: &Db, id: &ClientId) -> sqlx::Result<Option<ClientRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// Returns false when no such client exists.
pub async fn update(db: &Db, id: &ClientId, name: &str, notes: &str) -> Result<bool, WriteError> {
    let result = sqlx::query(
        "UPDATE clients SET name = $1, name_key = $2, notes = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(name)
    .bind(name.to_lowercase())
    .bind(notes)
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await
    .map_err(classify)?;
    Ok(result.rows_affected() == 1)
}

/// Deletes the client and its sites; their agents become unassigned (not deleted).
pub async fn delete(db: &Db, id: &ClientId) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM clients WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected() == 1)
}
