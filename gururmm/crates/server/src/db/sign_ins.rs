//! Sign-ins (`sign_ins`): the family a user's access tokens belong to, which refresh rotates
//! and which sign-out, reuse of a rotated token or disabling the user revoke.

use super::Db;
use crate::model::{SignInId, UserId};
use server_kit::db::now_ms;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignInRow {
    pub id: SignInId,
    pub user_id: UserId,
    pub current_jti: String,
    pub previous_jti: Option<String>,
    /// Unix milliseconds of the last refresh.
    pub rotated_at: Option<i64>,
    /// Unix milliseconds of the sign-in itself (refreshes do not move it).
    pub created_at: i64,
    /// Unix milliseconds; no token of the family lives past it.
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// How long the token a refresh replaced keeps working: long enough for requests already on
/// their way, far shorter than the token's own lifetime.
pub const PREVIOUS_GRACE_MS: i64 = 60_000;

/// What a token of a sign-in is worth now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The sign-in's current token, or the one it just replaced.
    Good,
    /// The sign-in is revoked or over.
    Ended,
    /// A token the sign-in has moved past: someone else holds a copy of it.
    Reused,
}

impl SignInRow {
    /// What a token with `jti` of this sign-in is worth at `now_ms`.
    pub fn standing(&self, jti: &str, now_ms: i64) -> Standing {
        if self.revoked_at.is_some() || now_ms >= self.expires_at {
            return Standing::Ended;
        }
        let just_replaced = self.previous_jti.as_deref() == Some(jti)
            && self
                .rotated_at
                .is_some_and(|at| now_ms < at + PREVIOUS_GRACE_MS);
        if self.current_jti == jti || just_replaced {
            Standing::Good
        } else {
            Standing::Reused
        }
    }
}

const COLUMNS: &str =
    "id, user_id, current_jti, previous_jti, rotated_at, created_at, expires_at, revoked_at";

pub async fn create(
    db: &Db,
    id: &SignInId,
    user_id: &UserId,
    jti: &str,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sign_ins (id, user_id, current_jti, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(jti)
    .bind(now_ms())
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn find(db: &Db, id: &SignInId) -> sqlx::Result<Option<SignInRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM sign_ins WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// Moves the family from `current` to `next`; false when `current` is no longer its current
/// token (another refresh won) or the family is revoked.
pub async fn rotate(db: &Db, id: &SignInId, current: &str, next: &str) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE sign_ins SET previous_jti = current_jti, current_jti = $1, rotated_at = $4
         WHERE id = $2 AND current_jti = $3 AND revoked_at IS NULL",
    )
    .bind(next)
    .bind(id)
    .bind(current)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(super::changed_one(&result))
}

pub async fn revoke(db: &Db, id: &SignInId, reason: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sign_ins SET revoked_at = $1, revoked_reason = $2
         WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(reason)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Revokes every sign-in of `user_id`; returns how many were live.
pub async fn revoke_all(db: &Db, user_id: &UserId, reason: &str) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "UPDATE sign_ins SET revoked_at = $1, revoked_reason = $2
         WHERE user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(reason)
    .bind(user_id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected())
}

/// Deletes sign-ins that ended (expired or revoked) before `before` (Unix milliseconds); a
/// token of a deleted sign-in is refused just as a revoked one is.
pub async fn prune(db: &Db, before: i64) -> sqlx::Result<u64> {
    let result = sqlx::query("DELETE FROM sign_ins WHERE expires_at < $1 OR revoked_at < $1")
        .bind(before)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rotated_at: Option<i64>, revoked_at: Option<i64>) -> SignInRow {
        SignInRow {
            id: SignInId::from("s"),
            user_id: UserId::from("u"),
            current_jti: "current".into(),
            previous_jti: Some("previous".into()),
            rotated_at,
            created_at: 0,
            expires_at: 1_000_000,
            revoked_at,
        }
    }

    #[test]
    fn the_replaced_token_works_for_its_grace_then_counts_as_reused() {
        let rotated = row(Some(1_000), None);
        assert_eq!(rotated.standing("current", 900_000), Standing::Good);
        assert_eq!(
            rotated.standing("previous", 1_000 + PREVIOUS_GRACE_MS - 1),
            Standing::Good
        );
        assert_eq!(
            rotated.standing("previous", 1_000 + PREVIOUS_GRACE_MS),
            Standing::Reused
        );
        assert_eq!(rotated.standing("older", 2_000), Standing::Reused);
    }

    #[test]
    fn a_revoked_or_expired_sign_in_has_no_good_token() {
        assert_eq!(
            row(Some(1_000), Some(5)).standing("current", 2_000),
            Standing::Ended
        );
        assert_eq!(
            row(Some(1_000), None).standing("current", 1_000_000),
            Standing::Ended
        );
    }
}
