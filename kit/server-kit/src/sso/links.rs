//! Which provider identity is which person here. A link is made once — the first time the
//! provider vouches (`email_verified`) for an address that is an account's sign-in name — and
//! from then on the identity is recognised by its issuer and subject alone, so a later change
//! of address at the provider cannot move it to someone else's account. Each product creates
//! the table in its own migrations:
//!
//! `{prefix}sso_identities (issuer, subject, user_id → users ON DELETE CASCADE, email,
//! created_at, last_used_at, PRIMARY KEY (issuer, subject))`

use super::Identity;
use crate::db::{now_ms, Db};

#[derive(Debug, Clone)]
pub struct Links {
    table: String,
}

impl Links {
    /// The table `{prefix}sso_identities`.
    pub fn prefixed(prefix: &str) -> Self {
        Self {
            table: format!("{prefix}sso_identities"),
        }
    }

    /// The user this identity signs in as, if linked.
    pub async fn find(&self, db: &Db, identity: &Identity) -> anyhow::Result<Option<String>> {
        let sql = format!(
            "SELECT user_id FROM {} WHERE issuer = $1 AND subject = $2",
            self.table
        );
        let row: Option<(String,)> = sqlx::query_as(&sql)
            .bind(&identity.issuer)
            .bind(&identity.subject)
            .fetch_optional(&db.pool)
            .await?;
        if row.is_some() {
            let touch = format!(
                "UPDATE {} SET last_used_at = $1 WHERE issuer = $2 AND subject = $3",
                self.table
            );
            sqlx::query(&touch)
                .bind(now_ms())
                .bind(&identity.issuer)
                .bind(&identity.subject)
                .execute(&db.pool)
                .await?;
        }
        Ok(row.map(|(user,)| user))
    }

    /// The address a first link may be made by: the provider's, only when it vouches for it.
    pub fn linkable_email(identity: &Identity) -> Option<String> {
        let email = identity.email.as_deref()?.trim().to_lowercase();
        (identity.email_verified && !email.is_empty()).then_some(email)
    }

    /// Links the identity to `user_id`; false when it was linked already (to anyone).
    pub async fn link(&self, db: &Db, identity: &Identity, user_id: &str) -> anyhow::Result<bool> {
        let sql = format!(
            "INSERT INTO {} (issuer, subject, user_id, email, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (issuer, subject) DO NOTHING",
            self.table
        );
        let done = sqlx::query(&sql)
            .bind(&identity.issuer)
            .bind(&identity.subject)
            .bind(user_id)
            .bind(identity.email.clone())
            .bind(now_ms())
            .execute(&db.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
