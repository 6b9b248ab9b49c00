//! Support codes (`connect_support_codes`): stored as keyed hashes, redeemed once.

use super::{now_ms, Db};
use crate::model::{CodeId, CodeStatus, SessionId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub id: CodeId,
    pub code_hint: String,
    pub created_by: String,
    pub technician_name: String,
    pub note: String,
    #[sqlx(try_from = "String")]
    pub status: CodeStatus,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub session_id: Option<SessionId>,
}

const COLUMNS: &str = "id, code_hint, created_by, technician_name, note, status, created_at, \
    expires_at, used_at, session_id";

pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub code_hint: &'a str,
    pub created_by: &'a str,
    pub technician_name: &'a str,
    pub note: &'a str,
    pub expires_at: i64,
    /// Set for a code minted for a pre-created session (integration): redeeming it binds the
    /// agent to that session instead of a new one.
    pub session_id: Option<&'a SessionId>,
}

pub async fn insert(db: &Db, new: &NewCode<'_>) -> sqlx::Result<CodeRow> {
    let id = CodeId::new();
    sqlx::query(
        "INSERT INTO connect_support_codes (id, code_hash, code_hint, created_by, technician_name, note,
            status, created_at, expires_at, session_id)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9)",
    )
    .bind(&id)
    .bind(new.code_hash)
    .bind(new.code_hint)
    .bind(new.created_by)
    .bind(new.technician_name)
    .bind(new.note)
    .bind(now_ms())
    .bind(new.expires_at)
    .bind(new.session_id)
    .execute(&db.pool)
    .await?;
    find(db, &id).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn find(db: &Db, id: &CodeId) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connect_support_codes WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// Claims a pending, unexpired code by its hash. Exactly one caller can win a code: the
/// compare-and-set UPDATE is the single-use guarantee, even under concurrent redemptions.
pub async fn claim(db: &Db, code_hash: &str) -> sqlx::Result<Option<CodeRow>> {
    let now = now_ms();
    let candidate: Option<(CodeId,)> = sqlx::query_as(
        "SELECT id FROM connect_support_codes WHERE code_hash = $1 AND status = 'pending' AND expires_at > $2",
    )
    .bind(code_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    let Some((id,)) = candidate else {
        return Ok(None);
    };
    let result = sqlx::query(
        "UPDATE connect_support_codes SET status = 'used', used_at = $1
         WHERE id = $2 AND status = 'pending' AND expires_at > $1",
    )
    .bind(now)
    .bind(&id)
    .execute(&db.pool)
    .await?;
    if !super::changed_one(&result) {
        return Ok(None);
    }
    find(db, &id).await
}

pub async fn attach_session(db: &Db, id: &CodeId, session_id: &SessionId) -> sqlx::Result<()> {
    sqlx::query("UPDATE connect_support_codes SET session_id = $1 WHERE id = $2")
        .bind(session_id)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Codes newest first; `created_by` limits the list to one technician's codes.
pub async fn list(db: &Db, created_by: Option<&str>) -> sqlx::Result<Vec<CodeRow>> {
    match created_by {
        Some(user) => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM connect_support_codes WHERE created_by = $1 ORDER BY created_at DESC LIMIT 200"
        ))
        .bind(user)
        .fetch_all(&db.pool)
        .await,
        None => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM connect_support_codes ORDER BY created_at DESC LIMIT 200"
        ))
        .fetch_all(&db.pool)
        .await,
    }
}

pub async fn cancel(db: &Db, id: &CodeId) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE connect_support_codes SET status = 'cancelled' WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(super::changed_one(&result))
}

pub async fn expire_old(db: &Db) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "UPDATE connect_support_codes SET status = 'expired' WHERE status = 'pending' AND expires_at <= $1",
    )
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected())
}
