//! Token bookkeeping: revoked access tokens, rotating refresh tokens, issued viewer tokens.

use super::{new_id, now_ms, Db};
use crate::model::{SessionId, UserId};

pub async fn revoke_access(db: &Db, jti: &str, expires_at: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO connect_revoked_tokens (jti, expires_at, revoked_at) VALUES ($1, $2, $3)
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires_at)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn is_access_revoked(db: &Db, jti: &str) -> sqlx::Result<bool> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT jti FROM connect_revoked_tokens WHERE jti = $1")
            .bind(jti)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.is_some())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    pub id: String,
    pub user_id: UserId,
    pub family_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert_refresh(
    db: &Db,
    user_id: &UserId,
    family_id: &str,
    token_hash: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO connect_refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(family_id)
    .bind(token_hash)
    .bind(now_ms())
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn find_refresh(db: &Db, token_hash: &str) -> sqlx::Result<Option<RefreshRow>> {
    sqlx::query_as(
        "SELECT id, user_id, family_id, expires_at, used_at, revoked_at
         FROM connect_refresh_tokens WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await
}

/// Marks a refresh token used; false when someone else used it first (a replay).
pub async fn use_refresh(db: &Db, id: &str) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE connect_refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(super::changed_one(&result))
}

pub async fn revoke_family(db: &Db, family_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE connect_refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(family_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// When a login (refresh-token family) began, Unix milliseconds: its oldest token. None once
/// its tokens are gone.
pub async fn family_started(db: &Db, family_id: &str) -> sqlx::Result<Option<i64>> {
    let (started,): (Option<i64>,) =
        sqlx::query_as("SELECT MIN(created_at) FROM connect_refresh_tokens WHERE family_id = $1")
            .bind(family_id)
            .fetch_one(&db.pool)
            .await?;
    Ok(started)
}

pub async fn is_family_revoked(db: &Db, family_id: &str) -> sqlx::Result<bool> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM connect_refresh_tokens WHERE family_id = $1 AND revoked_at IS NOT NULL LIMIT 1",
    )
    .bind(family_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}

pub async fn insert_viewer(
    db: &Db,
    jti: &str,
    session_id: &SessionId,
    user_id: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO connect_viewer_tokens (jti, session_id, user_id, issued_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(jti)
    .bind(session_id)
    .bind(user_id)
    .bind(now_ms())
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// True when the viewer token was issued by this server for this session and is not revoked.
pub async fn viewer_token_valid(db: &Db, jti: &str, session_id: &SessionId) -> sqlx::Result<bool> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT jti FROM connect_viewer_tokens WHERE jti = $1 AND session_id = $2 AND revoked_at IS NULL",
    )
    .bind(jti)
    .bind(session_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}

pub async fn revoke_viewer_tokens_for_session(db: &Db, session_id: &SessionId) -> sqlx::Result<()> {
    sqlx::query("UPDATE connect_viewer_tokens SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(session_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Forgets bookkeeping for tokens that have expired anyway.
pub async fn prune_expired(db: &Db) -> sqlx::Result<()> {
    let now = now_ms();
    for table in [
        "connect_revoked_tokens",
        "connect_refresh_tokens",
        "connect_viewer_tokens",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE expires_at < $1"))
            .bind(now)
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}
