//! Sites: physical locations of a client. Each has a site code (`WORD-WORD-NUMBER`) that agents
//! use to enrol; only its keyed hash is stored.

use super::{is_unique_violation, now_ms, Db};
use crate::model::{ClientId, SiteId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    pub id: SiteId,
    pub client_id: ClientId,
    pub name: String,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub agent_count: i64,
}

/// The query behind [`SiteRow`], a literal so `concat!` can build constant queries from it.
macro_rules! select {
    () => {
        "SELECT s.id, s.client_id, s.name, s.notes, s.created_at, s.updated_at,
    (SELECT COUNT(*) FROM agents a WHERE a.site_id = s.id) AS agent_count FROM sites s"
    };
}

const SELECT: &str = select!();

/// A site by its code's keyed hash (every site-code enrolment); public so
/// `hot_queries::hot_queries_use_an_index` plans exactly it.
pub const FIND_BY_CODE_HASH: &str = concat!(select!(), " WHERE s.site_code_hash = $1");

/// Creates a site with the given code hash. A (vanishingly unlikely) hash collision with an
/// existing site is reported so the caller can draw another code.
pub async fn create(
    db: &Db,
    client_id: &ClientId,
    name: &str,
    notes: &str,
    code_hash: &str,
) -> sqlx::Result<Option<SiteId>> {
    let id = SiteId::new();
    let result = sqlx::query(
        "INSERT INTO sites (id, client_id, name, site_code_hash, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(client_id)
    .bind(name)
    .bind(code_hash)
    .bind(notes)
    .bind(now_ms())
    .execute(&db.pool)
    .await;
    match result {
        Ok(_) => Ok(Some(id)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn list(db: &Db, client_id: Option<&ClientId>) -> sqlx::Result<Vec<SiteRow>> {
    match client_id {
        Some(client) => {
            sqlx::query_as(&format!("{SELECT} WHERE s.client_id = $1 ORDER BY s.name"))
                .bind(client)
                .fetch_all(&db.pool)
                .await
        }
        None => {
            sqlx::query_as(&format!("{SELECT} ORDER BY s.name"))
                .fetch_all(&db.pool)
                .await
        }
    }
}

pub async fn find(db: &Db, id: &SiteId) -> sqlx::Result<Option<SiteRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn find_by_code_hash(db: &Db, code_hash: &str) -> sqlx::Result<Option<SiteRow>> {
    sqlx::query_as(FIND_BY_CODE_HASH)
        .bind(code_hash)
        .fetch_optional(&db.pool)
        .await
}

pub async fn update(db: &Db, id: &SiteId, name: &str, notes: &str) -> sqlx::Result<bool> {
    let result =
        sqlx::query("UPDATE sites SET name = $1, notes = $2, updated_at = $3 WHERE id = $4")
            .bind(name)
            .bind(notes)
            .bind(now_ms())
            .bind(id)
            .execute(&db.pool)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// Replaces the site code; the old one stops working at once. Ok(false): no such site;
/// Err with a unique violation: the new hash collided (caller retries).
pub async fn set_code_hash(db: &Db, id: &SiteId, code_hash: &str) -> sqlx::Result<bool> {
    let result = sqlx::query("UPDATE sites SET site_code_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(code_hash)
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete(db: &Db, id: &SiteId) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM sites WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected() == 1)
}
