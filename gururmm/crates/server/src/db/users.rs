//! User accounts (technicians and admins).

use super::{is_unique_violation, now_ms, Db};
use crate::model::UserId;
pub use server_kit::accounts::Role;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub display_name: String,
    pub disabled: i64,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

impl UserRow {
    /// Anything but `admin` is treated as the lesser role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Technician)
    }
}

const COLUMNS: &str =
    "id, email, password_hash, role, display_name, disabled, created_at, last_login_at";

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("an account with that email already exists")]
    Exists,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub async fn count(db: &Db) -> sqlx::Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await?;
    Ok(n)
}

pub async fn create(
    db: &Db,
    email: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
) -> Result<UserRow, CreateUserError> {
    let row = UserRow {
        id: UserId::new(),
        email: email.trim().to_owned(),
        password_hash: password_hash.to_owned(),
        role: role.as_str().to_owned(),
        display_name: display_name.to_owned(),
        disabled: 0,
        created_at: now_ms(),
        last_login_at: None,
    };
    let result = sqlx::query(
        "INSERT INTO users (id, email, email_key, password_hash, role, display_name, disabled, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(&row.id)
    .bind(&row.email)
    .bind(row.email.to_lowercase())
    .bind(&row.password_hash)
    .bind(&row.role)
    .bind(&row.display_name)
    .bind(row.created_at)
    .execute(&db.pool)
    .await;
    match result {
        Ok(_) => Ok(row),
        Err(e) if is_unique_violation(&e) => Err(CreateUserError::Exists),
        Err(e) => Err(e.into()),
    }
}

pub async fn find_by_email(db: &Db, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email_key = $1"))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await
}

pub async fn find(db: &Db, id: &UserId) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn touch_login(db: &Db, id: &UserId) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn list(db: &Db) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users ORDER BY email_key"))
        .fetch_all(&db.pool)
        .await
}

/// Disables (or re-enables) an account; false when no such account exists.
pub async fn set_disabled(db: &Db, id: &UserId, disabled: bool) -> sqlx::Result<bool> {
    let result = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(super::changed_one(&result))
}
