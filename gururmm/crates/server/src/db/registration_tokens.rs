//! Registration tokens: enrol new devices into one site like a site code, but with a use limit,
//! an expiry and revocation. 256-bit, stored as SHA-256, shown once.

use super::{now_ms, Db};
use crate::model::{SiteId, TokenId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: TokenId,
    pub site_id: SiteId,
    pub description: String,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<i64>,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, site_id, description, max_uses, uses, expires_at, created_by, created_at, revoked_at";

#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub site_id: &'a SiteId,
    pub description: &'a str,
    pub max_uses: Option<i64>,
    pub expires_at: Option<i64>,
    pub created_by: &'a UserId,
    pub token_hash: &'a str,
}

pub async fn insert(db: &Db, t: &NewToken<'_>) -> sqlx::Result<TokenId> {
    let id = TokenId::new();
    sqlx::query(
        "INSERT INTO registration_tokens (id, token_hash, site_id, description, max_uses, uses,
            expires_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)",
    )
    .bind(&id)
    .bind(t.token_hash)
    .bind(t.site_id)
    .bind(t.description)
    .bind(t.max_uses)
    .bind(t.expires_at)
    .bind(t.created_by)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(id)
}

pub async fn find(db: &Db, id: &TokenId) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registration_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn list(db: &Db) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registration_tokens ORDER BY created_at DESC"
    ))
    .fetch_all(&db.pool)
    .await
}

/// The token with this hash if it is neither revoked nor expired (uses are checked on consume).
pub async fn find_usable(db: &Db, hash: &str) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM registration_tokens
         WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
    ))
    .bind(hash)
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await
}

/// Spends one use, atomically. False when the token is used up, revoked or expired.
pub async fn consume(db: &Db, id: &TokenId) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE registration_tokens SET uses = uses + 1
         WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
           AND (max_uses IS NULL OR uses < max_uses)",
    )
    .bind(id)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn revoke(db: &Db, id: &TokenId) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE registration_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Revokes every token of the site that is not revoked yet. Returns how many.
pub async fn revoke_for_site(db: &Db, site_id: &SiteId) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "UPDATE registration_tokens SET revoked_at = $1 WHERE site_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(site_id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected())
}
