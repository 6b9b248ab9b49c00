//! The first admin: created by `admin create` or, once, at the first start of an empty
//! database. There is no HTTP route that creates one, so none exists to be reached later.

use crate::auth::password;
use crate::db::{self, users::Role, Db};
pub use server_kit::cli::FirstAdmin;

pub const BOOTSTRAP_EMAIL: &str = "admin@localhost";

/// Creates `admin@localhost` with a random password when the database has no user at all.
pub async fn first_admin_if_empty(db: &Db) -> anyhow::Result<Option<FirstAdmin>> {
    if db::users::USERS.count(db).await? > 0 {
        return Ok(None);
    }
    let password = password::generate();
    let hash = password::hash_blocking(password.clone()).await?;
    match db::users::USERS
        .create(db, BOOTSTRAP_EMAIL, "Administrator", &hash, Role::Admin)
        .await
    {
        Ok(_) => Ok(Some(FirstAdmin {
            login: BOOTSTRAP_EMAIL.into(),
            password,
        })),
        // Another instance won the race to bootstrap: nothing to print here.
        Err(db::users::CreateAccountError::Exists(_)) => Ok(None),
        Err(db::users::CreateAccountError::Db(e)) => Err(e.into()),
    }
}
