//! Embedded migrations, applied at start in order, once each. The checksum of each applied
//! migration is recorded, so an edited migration stops the server instead of silently diverging.

use super::{now_ms, Backend, Db};
use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/0001_initial.sql"),
    ),
    (
        2,
        "agent_key_confirmed",
        include_str!("../../migrations/0002_agent_key_confirmed.sql"),
    ),
    (
        3,
        "dashboard_indexes",
        include_str!("../../migrations/0003_dashboard_indexes.sql"),
    ),
    (
        4,
        "remote_control",
        include_str!("../../migrations/0004_remote_control.sql"),
    ),
    (
        5,
        "agent_key_revocation",
        include_str!("../../migrations/0005_agent_key_revocation.sql"),
    ),
    (
        6,
        "audit_indexes",
        include_str!("../../migrations/0006_audit_indexes.sql"),
    ),
    (
        7,
        "hot_query_indexes",
        include_str!("../../migrations/0007_hot_query_indexes.sql"),
    ),
    (
        8,
        "update_failures",
        include_str!("../../migrations/0008_update_failures.sql"),
    ),
    (
        9,
        "offline_alert_sweep_index",
        include_str!("../../migrations/0009_offline_alert_sweep_index.sql"),
    ),
];

pub async fn run(db: &Db) -> anyhow::Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL,
            checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&db.pool)
    .await?;
    for &(version, name, sql) in MIGRATIONS {
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        let mut tx = db.pool.begin().await?;
        if db.backend == Backend::Postgres {
            // Two servers starting at once must not both apply a migration.
            sqlx::query("SELECT pg_advisory_xact_lock(4752520001)")
                .execute(&mut *tx)
                .await?;
        }
        let applied: Option<(String,)> =
            sqlx::query_as("SELECT checksum FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        match applied {
            Some((existing,)) if existing == checksum => continue,
            Some(_) => bail!("migration {version} ({name}) changed after it was applied"),
            None => {}
        }
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("migration {version} ({name})"))?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(version)
        .bind(name)
        .bind(checksum)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "migration applied");
    }
    Ok(())
}
