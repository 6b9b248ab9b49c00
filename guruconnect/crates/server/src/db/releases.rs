//! Published GuruConnect agent builds (the release channel of CONTRACT.md): one row per
//! version and platform, with the binary's SHA-256 and its ed25519 signature.

use super::{new_id, now_ms, Db};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: String,
    pub version: String,
    pub platform: String,
    /// Path of the binary under the data directory's `releases/`.
    pub url: String,
    pub sha256: String,
    pub signature: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, version, platform, url, sha256, signature, created_at";

pub struct NewRelease<'a> {
    pub version: &'a str,
    pub platform: &'a str,
    pub file: &'a str,
    pub sha256: &'a str,
    pub signature: &'a str,
}

/// Publishes a build; publishing the same version and platform again replaces it.
pub async fn upsert(db: &Db, new: &NewRelease<'_>) -> sqlx::Result<ReleaseRow> {
    sqlx::query("DELETE FROM releases WHERE version = $1 AND platform = $2")
        .bind(new.version)
        .bind(new.platform)
        .execute(&db.pool)
        .await?;
    let id = new_id();
    sqlx::query(&format!(
        "INSERT INTO releases ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&id)
    .bind(new.version)
    .bind(new.platform)
    .bind(new.file)
    .bind(new.sha256)
    .bind(new.signature)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    find(db, new.platform, new.version)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

pub async fn find(db: &Db, platform: &str, version: &str) -> sqlx::Result<Option<ReleaseRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM releases WHERE platform = $1 AND version = $2"
    ))
    .bind(platform)
    .bind(version)
    .fetch_optional(&db.pool)
    .await
}

/// The most recently published build for a platform.
pub async fn latest(db: &Db, platform: &str) -> sqlx::Result<Option<ReleaseRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM releases WHERE platform = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .bind(platform)
    .fetch_optional(&db.pool)
    .await
}
