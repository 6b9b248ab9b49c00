//! Storage: one `sqlx::AnyPool` over SQLite (default: a file in the data dir, WAL) or
//! PostgreSQL. Queries are written once in the SQL both accept (`$n` parameters, BIGINT times
//! and flags, TEXT ids); each table family has its own module.

pub mod agents;
pub mod alerts;
pub mod audit;
pub mod clients;
pub mod commands;
pub mod metrics;
mod migrate;
pub mod policies;
pub mod registration_tokens;
pub mod releases;
pub mod remote_control;
pub mod sites;
pub mod users;
pub mod watchdog;

use crate::config::Config;
use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::sync::Once;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

static DRIVERS: Once = Once::new();

impl Db {
    /// Connects to the configured database and applies pending migrations.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let (url, backend) = match config.database_url.as_ref().map(|u| u.expose()) {
            Some(url) if url.starts_with("postgres") => (url.to_owned(), Backend::Postgres),
            Some(url) if url.starts_with("sqlite:") => (url.to_owned(), Backend::Sqlite),
            Some(_) => anyhow::bail!("database_url must start with postgres:// or sqlite:"),
            None => {
                std::fs::create_dir_all(&config.data_dir)
                    .with_context(|| format!("creating {}", config.data_dir.display()))?;
                let file = config.data_dir.join("gururmm.db");
                (
                    format!("sqlite://{}?mode=rwc", file.display()),
                    Backend::Sqlite,
                )
            }
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers beside the writer. busy_timeout: writers queue, not fail.
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
}

/// Unix milliseconds: the storage form of every timestamp.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `%term%` for LIKE, with LIKE's wildcards in the term escaped (used with `ESCAPE '\'`).
pub fn like_pattern(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
