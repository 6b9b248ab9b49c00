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
use server_kit::db::Store;
pub use server_kit::db::{changed_one, is_unique_violation, new_id, now_ms, Backend, Db};

/// Opens the configured database (by default `guruconnect.db` in the data dir) and applies pending
/// migrations.
pub async fn connect(config: &Config) -> anyhow::Result<Db> {
    Db::open(Store {
        database_url: config.database_url.as_ref().map(|url| url.expose()),
        sqlite_file: &config.data_dir.join("guruconnect.db"),
        migrations: migrate::MIGRATIONS,
        migration_lock: 7261730001,
    })
    .await
}
