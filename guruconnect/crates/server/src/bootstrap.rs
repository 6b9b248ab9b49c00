//! The first admin. Created only by the CLI (`admin create`) or, once, on the first start of an
//! empty database; there is no HTTP route for it, so none can be reached once a user exists.

use crate::db::{users::USERS, Db};
pub use server_kit::cli::FirstAdmin;

pub const BOOTSTRAP_USERNAME: &str = "admin";

/// Creates `admin` with a random password when the database has no user at all.
pub async fn first_admin_if_empty(db: &Db) -> anyhow::Result<Option<FirstAdmin>> {
    USERS.first_admin_if_empty(db, BOOTSTRAP_USERNAME).await
}
