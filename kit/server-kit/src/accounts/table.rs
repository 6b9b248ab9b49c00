//! The accounts table both products keep (`users`): one row per person who signs in, found by
//! the name they sign in with — GuruConnect's username, GuruRMM's email address — compared
//! without case or surrounding blanks through a lower-cased key column beside it.

use super::Role;
use crate::cli::FirstAdmin;
use crate::db::{changed_one, is_unique_violation, now_ms, Db};
use crate::throttle::LoginThrottle;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::time::Duration;

/// One account as stored. `Id` is the product's user id type.
#[derive(Debug, Clone)]
pub struct Account<Id> {
    pub id: Id,
    /// What the person signs in with, as they wrote it when the account was made.
    pub sign_in_name: String,
    pub password_hash: String,
    pub role: Role,
    pub display_name: String,
    pub disabled: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

/// Why an account could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("an account with that {0} already exists")]
    Exists(&'static str),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Which column of `users` holds the sign-in name (the key column is its name with `_key`).
/// A closed list: the name is written into SQL, so it can only ever be one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInColumn {
    Username,
    Email,
}

impl SignInColumn {
    pub const fn as_str(self) -> &'static str {
        match self {
            SignInColumn::Username => "username",
            SignInColumn::Email => "email",
        }
    }
}

/// Why a password sign-in's first step did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRefused {
    /// Too many failures from this address or for this account: wait this long.
    Throttled(Duration),
    /// No such account, a disabled one, or a wrong password: the caller cannot tell which.
    BadCredentials,
}

/// The `users` table of one product, by its sign-in column.
#[derive(Debug)]
pub struct AccountTable<Id> {
    name_column: &'static str,
    ids: PhantomData<fn() -> Id>,
}

/// The lookup form of a sign-in name: `Bob@Example.com ` and `bob@example.com` are one account.
pub fn sign_in_key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl<Id> AccountTable<Id>
where
    Id: From<String> + AsRef<str>,
{
    pub const fn new(column: SignInColumn) -> Self {
        Self {
            name_column: column.as_str(),
            ids: PhantomData,
        }
    }

    /// Every read starts here; `WHERE`/`ORDER BY` follow.
    fn select(&self) -> String {
        format!(
            "SELECT id, {} AS sign_in_name, password_hash, role, display_name, disabled, \
             created_at, last_login_at FROM users",
            self.name_column
        )
    }

    pub async fn count(&self, db: &Db) -> sqlx::Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&db.pool)
            .await?;
        Ok(n)
    }

    /// Makes an enabled account; the name is stored trimmed.
    pub async fn create(
        &self,
        db: &Db,
        sign_in_name: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Account<Id>, CreateAccountError> {
        let account = Account {
            id: Id::from(crate::ids::fresh()),
            sign_in_name: sign_in_name.trim().to_owned(),
            password_hash: password_hash.to_owned(),
            role,
            display_name: display_name.to_owned(),
            disabled: false,
            created_at: now_ms(),
            last_login_at: None,
        };
        let column = self.name_column;
        let result = sqlx::query(&format!(
            "INSERT INTO users (id, {column}, {column}_key, password_hash, role, display_name, disabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)"
        ))
        .bind(account.id.as_ref())
        .bind(&account.sign_in_name)
        .bind(sign_in_key(sign_in_name))
        .bind(&account.password_hash)
        .bind(role.as_str())
        .bind(&account.display_name)
        .bind(account.created_at)
        .execute(&db.pool)
        .await;
        match result {
            Ok(_) => Ok(account),
            Err(e) if is_unique_violation(&e) => Err(CreateAccountError::Exists(column)),
            Err(e) => Err(e.into()),
        }
    }

    /// The account signed in to with `name` (any case, blanks around it ignored).
    pub async fn find_by_name(&self, db: &Db, name: &str) -> sqlx::Result<Option<Account<Id>>> {
        let column = self.name_column;
        let row = sqlx::query(&format!("{} WHERE {column}_key = $1", self.select()))
            .bind(sign_in_key(name))
            .fetch_optional(&db.pool)
            .await?;
        row.map(|r| self.decode(&r)).transpose()
    }

    pub async fn find(&self, db: &Db, id: &Id) -> sqlx::Result<Option<Account<Id>>> {
        let row = sqlx::query(&format!("{} WHERE id = $1", self.select()))
            .bind(id.as_ref())
            .fetch_optional(&db.pool)
            .await?;
        row.map(|r| self.decode(&r)).transpose()
    }

    /// Every account, by sign-in name.
    pub async fn list(&self, db: &Db) -> sqlx::Result<Vec<Account<Id>>> {
        let column = self.name_column;
        let rows = sqlx::query(&format!("{} ORDER BY {column}_key", self.select()))
            .fetch_all(&db.pool)
            .await?;
        rows.iter().map(|r| self.decode(r)).collect()
    }

    /// Disables (or re-enables) an account; false when no such account exists.
    pub async fn set_disabled(&self, db: &Db, id: &Id, disabled: bool) -> sqlx::Result<bool> {
        let result = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(id.as_ref())
            .execute(&db.pool)
            .await?;
        Ok(changed_one(&result))
    }

    pub async fn touch_login(&self, db: &Db, id: &Id) -> sqlx::Result<()> {
        sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id.as_ref())
            .execute(&db.pool)
            .await?;
        Ok(())
    }

    /// The first step of a password sign-in, the same in both consoles: throttled per address
    /// and account; an unknown account, a disabled one and a wrong password cost the same
    /// work (a dummy hash is checked when there is nothing to check) and get the same refusal,
    /// counted as a failure. The caller records the success once its second step passes.
    pub async fn check_password(
        &self,
        db: &Db,
        throttle: &LoginThrottle,
        ip: Option<IpAddr>,
        name: &str,
        password: String,
    ) -> anyhow::Result<Result<Account<Id>, PasswordRefused>> {
        let key = sign_in_key(name);
        if let Some(wait) = throttle.wait(ip, &key) {
            return Ok(Err(PasswordRefused::Throttled(wait)));
        }
        let account = self.find_by_name(db, &key).await?.filter(|a| !a.disabled);
        let stored = account.as_ref().map(|a| a.password_hash.clone());
        let verified = crate::password::verify_blocking(password, stored).await?;
        match account.filter(|_| verified) {
            Some(account) => Ok(Ok(account)),
            None => {
                throttle.record_failure(ip, &key);
                Ok(Err(PasswordRefused::BadCredentials))
            }
        }
    }

    /// Makes the first admin, `login` with a random password, when there is no account at all
    /// (the first start of an empty database). None when there are accounts, or when another
    /// instance starting at the same moment made it first.
    pub async fn first_admin_if_empty(
        &self,
        db: &Db,
        login: &str,
    ) -> anyhow::Result<Option<FirstAdmin>> {
        if self.count(db).await? > 0 {
            return Ok(None);
        }
        let password = crate::password::generate();
        let hash = crate::password::hash_blocking(password.clone()).await?;
        match self
            .create(db, login, "Administrator", &hash, Role::Admin)
            .await
        {
            Ok(_) => Ok(Some(FirstAdmin {
                login: login.to_owned(),
                password,
            })),
            Err(CreateAccountError::Exists(_)) => Ok(None),
            Err(CreateAccountError::Db(e)) => Err(e.into()),
        }
    }

    fn decode(&self, row: &AnyRow) -> sqlx::Result<Account<Id>> {
        let role: String = row.try_get("role")?;
        Ok(Account {
            id: Id::from(row.try_get::<String, _>("id")?),
            sign_in_name: row.try_get("sign_in_name")?,
            password_hash: row.try_get("password_hash")?,
            // The CHECK constraint admits only the two roles; anything else is the lesser one
            // rather than trusted.
            role: Role::parse(&role).unwrap_or(Role::Technician),
            display_name: row.try_get("display_name")?,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            created_at: row.try_get("created_at")?,
            last_login_at: row.try_get("last_login_at")?,
        })
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
