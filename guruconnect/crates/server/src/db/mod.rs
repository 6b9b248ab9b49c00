//! Storage: one `sqlx::AnyPool` over SQLite (the embedded default: a file in the data dir, WAL)
//! or PostgreSQL. Queries are written once in the SQL both understand; each table's queries live
//! in its own submodule.

pub mod codes;
pub mod events;
pub mod keys;
pub mod machines;
mod migrate;
pub mod releases;
pub mod sessions;
pub mod tokens;
pub mod users;

use crate::config::Config;
use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyQueryResult};
use sqlx::{AnyPool, Executor};
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

static INSTALL_DRIVERS: Once = Once::new();

impl Db {
    /// Connects to the configured database and applies pending migrations.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        INSTALL_DRIVERS.call_once(sqlx::any::install_default_drivers);
        let (url, backend) = match &config.database_url {
            Some(url) if url.expose().starts_with("postgres") => {
                (url.expose().to_owned(), Backend::Postgres)
            }
            Some(url) if url.expose().starts_with("sqlite:") => {
                (url.expose().to_owned(), Backend::Sqlite)
            }
            Some(_) => anyhow::bail!("database_url must start with postgres:// or sqlite:"),
            None => {
                std::fs::create_dir_all(&config.data_dir)
                    .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
                let file = config.data_dir.join("guruconnect.db");
                (
                    format!("sqlite://{}?mode=rwc", file.display()),
                    Backend::Sqlite,
                )
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
        migrate::run(&db).await.context("applying migrations")?;
        Ok(db)
    }

    /// SQLite's journal mode, for tests and diagnostics.
    pub async fn sqlite_journal_mode(&self) -> anyhow::Result<String> {
        let row: (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.0)
    }
}

/// Milliseconds since the Unix epoch: the storage format of every timestamp.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A fresh random identifier.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// True when the statement changed exactly one row (used for compare-and-set updates).
pub fn changed_one(result: &AnyQueryResult) -> bool {
    result.rows_affected() == 1
}

/// True when `err` is a unique-constraint violation on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}
