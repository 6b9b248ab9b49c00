//! The first admin: created by `admin create` or, once, at the first start of an empty
//! database. There is no HTTP route that creates one, so none exists to be reached later.

use crate::db::{users::USERS, Db};
pub use server_kit::cli::FirstAdmin;

pub const BOOTSTRAP_EMAIL: &str = "admin@localhost";

/// Creates `admin@localhost` with a random password when the database has no user at all.
pub async fn first_admin_if_empty(db: &Db) -> anyhow::Result<Option<FirstAdmin>> {
    USERS.first_admin_if_empty(db, BOOTSTRAP_EMAIL).await
}
