//! The first admin: created by `admin create` or, once, at the first start of an empty
//! database. There is no HTTP route that creates one, so none exists to be reached later.

use crate::auth::password;
use crate::db::{self, users::Role, Db};

#[derive(Debug)]
pub struct CreatedAdmin {
    pub email: String,
    pub password: String,
}

pub const BOOTSTRAP_EMAIL: &str = "admin@localhost";

pub async fn first_admin_if_empty(db: &Db) -> anyhow::Result<Option<CreatedAdmin>> {
    if db::users::count(db).await? > 0 {
        return Ok(None);
    }
    let password = password::generate();
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&pw)).await??;
    match db::users::create(db, BOOTSTRAP_EMAIL, "Administrator", &hash, Role::Admin).await {
        Ok(_) => Ok(Some(CreatedAdmin {
            email: BOOTSTRAP_EMAIL.into(),
            password,
        })),
        Err(db::users::CreateUserError::Exists) => Ok(None),
        Err(db::users::CreateUserError::Db(e)) => Err(e.into()),
    }
}
