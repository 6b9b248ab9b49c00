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
pub mod sign_ins;
pub mod sites;
pub mod users;
pub mod watchdog;

use crate::config::Config;
use server_kit::db::Store;
pub use server_kit::db::{changed_one, is_unique_violation, new_id, now_ms, Backend, Db};

/// Opens the configured database (by default `gururmm.db` in the data dir) and applies pending
/// migrations.
pub async fn connect(config: &Config) -> anyhow::Result<Db> {
    Db::open(Store {
        database_url: config.database_url.as_ref().map(|url| url.expose()),
        sqlite_file: &config.data_dir.join("gururmm.db"),
        migrations: migrate::MIGRATIONS,
        migration_lock: 4752520001,
    })
    .await
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
