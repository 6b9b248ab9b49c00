//! The audit trail: who did what to which target (commands, keys, site codes, logins). Detail is
//! JSON chosen by the caller and never holds a key, site code, token or password the server
//! issues or checks. It does hold a sent command's text verbatim (`command_sent`), so a secret
//! a technician types into a command ends up here too.

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

/// Filters of the audit list; each one set must match exactly.
#[derive(Debug, Default)]
pub struct AuditFilter {
    /// `event_type`, e.g. `login`.
    pub action: Option<String>,
    /// e.g. `agent:<id>`.
    pub target: Option<String>,
}

/// The audit list's two queries and their text parameters: the total, and one page, newest
/// first (ties by id, so pages never overlap), whose limit and offset follow the parameters.
/// Public so `hot_queries::hot_queries_use_an_index` plans exactly what runs.
pub fn list_sql(filter: &AuditFilter) -> (String, String, Vec<&str>) {
    let mut clauses = Vec::new();
    let mut binds: Vec<&str> = Vec::new();
    for (column, value) in [("event_type", &filter.action), ("target", &filter.target)] {
        if let Some(value) = value {
            binds.push(value);
            clauses.push(format!("{column} = ${}", binds.len()));
        }
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let count = format!("SELECT COUNT(*) FROM audit_events{where_sql}");
    let n = binds.len();
    let page = format!(
        "SELECT id, occurred_at, actor, event_type, target, detail_json FROM audit_events{where_sql}
         ORDER BY occurred_at DESC, id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    (count, page, binds)
}

/// One page of rows, newest first, and the total count.
pub async fn list(
    db: &Db,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AuditRow>, i64)> {
    let (count_sql, page_sql, binds) = list_sql(filter);
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for b in &binds {
        count = count.bind(*b);
    }
    let (total,) = count.fetch_one(&db.pool).await?;
    let mut page = sqlx::query_as::<_, AuditRow>(&page_sql);
    for b in &binds {
        page = page.bind(*b);
    }
    let rows = page.bind(limit).bind(offset).fetch_all(&db.pool).await?;
    Ok((rows, total))
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
