//! The first admin. Created only by the CLI (`admin create`) or, once, on the first start of an
//! empty database; there is no HTTP route for it, so none can be reached once a user exists.

use crate::auth::password;
use crate::db::{self, users::Role, Db};
pub use server_kit::cli::FirstAdmin;

const BOOTSTRAP_USERNAME: &str = "admin";

/// Creates `admin` with a random password when the database has no user at all.
pub async fn first_admin_if_empty(db: &Db) -> anyhow::Result<Option<FirstAdmin>> {
    if db::users::USERS.count(db).await? > 0 {
        return Ok(None);
    }
    let password = password::generate();
    let hash = password::hash_blocking(password.clone()).await?;
    match db::users::USERS
        .create(db, BOOTSTRAP_USERNAME, "Administrator", &hash, Role::Admin)
        .await
    {
        Ok(_) => Ok(Some(FirstAdmin {
            login: BOOTSTRAP_USERNAME.into(),
            password,
        })),
        // Another instance won the race to bootstrap: nothing to print here.
        Err(db::users::CreateAccountError::Exists(_)) => Ok(None),
        Err(db::users::CreateAccountError::Db(e)) => Err(e.into()),
    }
}
