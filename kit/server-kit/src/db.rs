//! Storage both servers open alike: one `sqlx::AnyPool` over SQLite (the embedded default, a
//! file in the data dir, WAL) or PostgreSQL, and embedded migrations applied at start in
//! order, once each, with a recorded checksum so an edited migration stops the server instead
//! of silently diverging. Each product keeps its migrations and its queries.

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::sync::Once;
use std::time::Duration;

/// Which database a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool and the backend behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// One embedded migration: SQL both backends accept, applied once.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Where a product's data lives and how its schema is made.
#[derive(Debug, Clone, Copy)]
pub struct Store<'a> {
    /// `postgres://…` or `sqlite:…`; None means the embedded default, `sqlite_file`.
    pub database_url: Option<&'a str>,
    pub sqlite_file: &'a Path,
    pub migrations: &'a [Migration],
    /// PostgreSQL advisory lock taken while migrating, so two servers starting together never
    /// apply one migration twice; each product has its own.
    pub migration_lock: i64,
}

static INSTALL_DRIVERS: Once = Once::new();

impl Db {
    /// Connects and applies pending migrations.
    pub async fn open(store: Store<'_>) -> anyhow::Result<Self> {
        INSTALL_DRIVERS.call_once(sqlx::any::install_default_drivers);
        let (url, backend) = match store.database_url {
            Some(url) if url.starts_with("postgres") => (url.to_owned(), Backend::Postgres),
            Some(url) if url.starts_with("sqlite:") => (url.to_owned(), Backend::Sqlite),
            Some(_) => bail!("database_url must start with postgres:// or sqlite:"),
            None => {
                if let Some(dir) = store.sqlite_file.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating data dir {}", dir.display()))?;
                }
                let file = store.sqlite_file.display();
                (format!("sqlite://{file}?mode=rwc"), Backend::Sqlite)
            }
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; busy_timeout queues writers
                        // instead of failing them.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .context("connecting to the database")?;
        let db = Self { pool, backend };
        db.migrate(store.migrations, store.migration_lock)
            .await
            .context("applying migrations")?;
        Ok(db)
    }

    async fn migrate(&self, migrations: &[Migration], lock: i64) -> anyhow::Result<()> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL,
                checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for m in migrations {
            let checksum = hex::encode(Sha256::digest(m.sql.as_bytes()));
            let mut tx = self.pool.begin().await?;
            if self.backend == Backend::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(lock)
                    .execute(&mut *tx)
                    .await?;
            }
            let applied: Option<(String,)> =
                sqlx::query_as("SELECT checksum FROM schema_migrations WHERE version = $1")
                    .bind(m.version)
                    .fetch_optional(&mut *tx)
                    .await?;
            match applied {
                Some((existing,)) if existing == checksum => continue,
                Some(_) => bail!(
                    "migration {} ({}) changed after it was applied",
                    m.version,
                    m.name
                ),
                None => {}
            }
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("migration {} ({})", m.version, m.name))?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(checksum)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!(version = m.version, name = m.name, "migration applied");
        }
        Ok(())
    }

    /// SQLite's journal mode, for tests and diagnostics.
    pub async fn sqlite_journal_mode(&self) -> anyhow::Result<String> {
        let row: (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.0)
    }
}

/// Milliseconds since the Unix epoch: the storage form of every timestamp.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A fresh identifier for a row without an id type of its own: the same UUID v7 text as
/// [`id_type!`](crate::id_type)'s, so rows made in the same millisecond sort as made.
pub fn new_id() -> String {
    crate::ids::fresh()
}

/// A yes/no column as both backends store it (`BIGINT` 0 or 1). Rows read it as a `bool`:
/// `#[sqlx(try_from = "server_kit::db::Flag")] pub elevated: bool`; anything but 0 is yes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        <i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value).map(|v| Flag(v != 0))
    }
}

/// True when the statement changed exactly one row (compare-and-set updates).
pub fn changed_one(result: &AnyQueryResult) -> bool {
    result.rows_affected() == 1
}

/// True when `err` is a unique-constraint violation on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests;
