//! A throwaway PostgreSQL database per test, dropped when the test ends.
//!
//! Both products' integration suites give every test an empty database of its own on the
//! cluster `scripts/postgres-test.sh` starts. Left behind, each costs about 13 MB of data and WAL,
//! well over a gigabyte per suite on a disk a CI build is already filling; so each one is
//! dropped as soon as its test lets go of it.

use sqlx::Connection;
use std::sync::{Mutex, OnceLock};

/// An empty database on a test PostgreSQL server; dropped (connections and all) with this value.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates `<prefix>_<random>` through `admin_url` (a superuser's URL to any database).
    ///
    /// Panics with the server's answer when it cannot: a test without its database cannot run.
    pub async fn create(admin_url: &str, prefix: &str) -> Self {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("connect to the test PostgreSQL server: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        let _ = conn.close().await;
        let url = format!("{}/{name}", server_url(admin_url));
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }

    /// The URL a server under test connects with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    /// Hands the database to the dropping thread and returns at once. Waiting here would stall
    /// the test's runtime, and with it any connection its server was opening: PostgreSQL's drop
    /// waits for every backend, including one stuck in authentication, for up to its 60 s
    /// `authentication_timeout`.
    fn drop(&mut self) {
        let doomed = (self.admin_url.clone(), self.name.clone());
        if dropper().send(doomed).is_err() {
            eprintln!(
                "scratch-db: the dropping thread is gone; {} stays",
                self.name
            );
        }
    }
}

/// The one thread per process that drops databases, one at a time, in the order they were let
/// go of. Databases still queued when the test process exits stay until the cluster is deleted
/// (`scripts/postgres-test.sh stop`): at most the last few tests' worth.
fn dropper() -> std::sync::mpsc::Sender<(String, String)> {
    static DROPPER: OnceLock<Mutex<std::sync::mpsc::Sender<(String, String)>>> = OnceLock::new();
    let sender = DROPPER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<(String, String)>();
        std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => return eprintln!("scratch-db: no runtime to drop databases with: {e}"),
            };
            for (admin_url, name) in receiver {
                if let Err(e) = runtime.block_on(drop_database(&admin_url, &name)) {
                    eprintln!("scratch-db: could not drop {name}: {e}");
                }
            }
        });
        Mutex::new(sender)
    });
    sender.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// `DROP DATABASE … WITH (FORCE)` ends the connections a server under test still holds.
async fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    conn.close().await
}

/// `postgres://user:pw@host:port/db?opts` without its database (and options): the server.
fn server_url(admin_url: &str) -> &str {
    admin_url
        .rsplit_once('/')
        .map(|(server, _)| server)
        .unwrap_or(admin_url)
}

#[cfg(test)]
mod tests;
