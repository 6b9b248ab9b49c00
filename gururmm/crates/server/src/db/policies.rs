//! Policies: stored configuration scoped to everything (`global`), a client, a site or one
//! agent. The narrower scope wins, field by field.

use super::{now_ms, Db};
use crate::model::{AgentId, ClientId, PolicyId, SiteId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub id: PolicyId,
    pub name: String,
    pub scope: String,
    pub scope_id: Option<String>,
    pub settings_json: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, scope, scope_id, settings_json, created_at, updated_at";

pub async fn create(
    db: &Db,
    name: &str,
    scope: &str,
    scope_id: Option<&str>,
    settings: &str,
) -> sqlx::Result<PolicyId> {
    let id = PolicyId::new();
    sqlx::query(
        "INSERT INTO policies (id, name, scope, scope_id, settings_json, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(name)
    .bind(scope)
    .bind(scope_id)
    .bind(settings)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(id)
}

pub async fn list(db: &Db) -> sqlx::Result<Vec<PolicyRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM policies ORDER BY scope, name"
    ))
    .fetch_all(&db.pool)
    .await
}

pub async fn find(db: &Db, id: &PolicyId) -> sqlx::Result<Option<PolicyRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM policies WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn update(db: &Db, id: &PolicyId, name: &str, settings: &str) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE policies SET name = $1, settings_json = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(name)
    .bind(settings)
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete(db: &Db, id: &PolicyId) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM policies WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Every policy that applies to the agent, broadest first (global, client, site, agent).
pub async fn applying_to(
    db: &Db,
    agent_id: &AgentId,
    site_id: Option<&SiteId>,
    client_id: Option<&ClientId>,
) -> sqlx::Result<Vec<PolicyRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM policies
         WHERE scope = 'global'
            OR (scope = 'client' AND scope_id = $1)
            OR (scope = 'site' AND scope_id = $2)
            OR (scope = 'agent' AND scope_id = $3)
         ORDER BY CASE scope WHEN 'global' THEN 0 WHEN 'client' THEN 1 WHEN 'site' THEN 2 ELSE 3 END, updated_at"
    ))
    .bind(client_id.map_or("", ClientId::as_str))
    .bind(site_id.map_or("", SiteId::as_str))
    .bind(agent_id)
    .fetch_all(&db.pool)
    .await
}
