//! Applies the embedded migrations in order, once each, recording a checksum so an edited
//! migration is caught instead of silently diverging. The SQL itself is idempotent as well.

use super::{Backend, Db};
use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "machine_identity",
        sql: include_str!("../../migrations/0002_machine_identity.sql"),
    },
];

pub async fn run(db: &Db) -> anyhow::Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&db.pool)
    .await?;

    for migration in MIGRATIONS {
        let checksum = hex::encode(Sha256::digest(migration.sql.as_bytes()));
        let mut tx = db.pool.begin().await?;
        if db.backend == Backend::Postgres {
            // Two servers starting together must not apply the same migration twice.
            sqlx::query("SELECT pg_advisory_xact_lock(7261730001)")
                .execute(&mut *tx)
                .await?;
        }
        let applied: Option<(String,)> =
            sqlx::query_as("SELECT checksum FROM schema_migrations WHERE version = $1")
                .bind(migration.version)
                .fetch_optional(&mut *tx)
                .await?;
        match applied {
            Some((existing,)) if existing == checksum => continue,
            Some(_) => bail!(
                "migration {} ({}) changed after it was applied",
                migration.version,
                migration.name
            ),
            None => {}
        }
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("migration {} ({})", migration.version, migration.name))?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(checksum)
        .bind(super::now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "migration applied"
        );
    }
    Ok(())
}
