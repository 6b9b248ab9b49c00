//! The audit trail: who did what to which target (commands, keys, site codes, logins). Detail is
//! JSON chosen by the caller and never holds a secret.

use super::{new_id, now_ms, Db};

/// Writes one audit row. A failure is logged, not returned: auditing must not turn a completed
/// action into an error response, but it must not vanish silently either.
pub async fn record(
    db: &Db,
    actor: &str,
    event_type: &str,
    target: &str,
    detail: serde_json::Value,
) {
    let result = sqlx::query(
        "INSERT INTO audit_events (id, occurred_at, actor, event_type, target, detail_json)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(now_ms())
    .bind(actor)
    .bind(event_type)
    .bind(target)
    .bind(detail.to_string())
    .execute(&db.pool)
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, event_type, "writing audit event failed");
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub occurred_at: i64,
    pub actor: String,
    pub event_type: String,
    pub target: String,
    pub detail_json: String,
}

pub async fn list_for_target(db: &Db, target: &str) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "SELECT id, occurred_at, actor, event_type, target, detail_json FROM audit_events
         WHERE target = $1 ORDER BY occurred_at",
    )
    .bind(target)
    .fetch_all(&db.pool)
    .await
}
