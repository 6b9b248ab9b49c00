//! The first admin. Created only by the CLI (`admin create`) or, once, on the first start of an
//! empty database; there is no HTTP route for it, so none can be reached once a user exists.

use crate::auth::password;
use crate::db::{self, users::Role, Db};

/// Credentials of a freshly created account, to print once.
pub struct CreatedAdmin {
    pub username: String,
    pub password: String,
}

/// Never shows the password, so a stray `{:?}` cannot leak it into a log.
impl std::fmt::Debug for CreatedAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedAdmin")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Creates `admin` with a random password when the database has no user at all.
pub async fn first_admin_if_empty(db: &Db) -> anyhow::Result<Option<CreatedAdmin>> {
    if db::users::count(db).await? > 0 {
        return Ok(None);
    }
    let password = password::generate();
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw)).await??;
    match db::users::create(db, "admin", "Administrator", &hash, Role::Admin).await {
        Ok(_) => Ok(Some(CreatedAdmin {
            username: "admin".into(),
            password,
        })),
        // Another instance won the race to bootstrap: nothing to print here.
        Err(db::users::CreateUserError::Exists) => Ok(None),
        Err(db::users::CreateUserError::Db(e)) => Err(e.into()),
    }
}
