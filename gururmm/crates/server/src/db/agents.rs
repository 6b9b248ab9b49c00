//! Agents: one row per managed machine, identified by its `device_id`. Presence (`status`) is
//! written only by the socket that owns it: `connection_id` names that socket, and going
//! offline is a compare-and-set on it, so a superseded socket cannot mark a live agent offline.

use super::{like_pattern, now_ms, Db};
use crate::model::{AgentId, AgentStatus, ClientId, SiteId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentRow {
    pub id: AgentId,
    pub site_id: Option<SiteId>,
    pub device_id: String,
    pub hostname: String,
    pub os_type: String,
    pub os_version: String,
    pub arch: String,
    pub agent_version: String,
    #[sqlx(try_from = "String")]
    pub status: AgentStatus,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    pub has_key: i64,
    /// 1 once the agent has authenticated with its key (see migration 0002).
    pub key_confirmed: i64,
    /// Set while an admin's revocation stands (see migration 0005).
    pub key_revoked_at: Option<i64>,
    pub site_name: Option<String>,
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
}

/// The query behind [`AgentRow`], a literal so `concat!` can build constant queries from it.
macro_rules! select {
    () => {
        "SELECT a.id, a.site_id, a.device_id, a.hostname, a.os_type, a.os_version,
    a.arch, a.agent_version, a.status, a.created_at, a.last_seen_at,
    CASE WHEN a.api_key_hash IS NULL THEN 0 ELSE 1 END AS has_key, a.key_confirmed, a.key_revoked_at,
    s.name AS site_name, c.id AS client_id, c.name AS client_name
    FROM agents a LEFT JOIN sites s ON a.site_id = s.id LEFT JOIN clients c ON s.client_id = c.id"
    };
}

const SELECT: &str = select!();

/// An agent by its key's hash (every key authentication: sockets, the legacy endpoints).
pub const FIND_BY_KEY_HASH: &str = concat!(select!(), " WHERE a.api_key_hash = $1");

/// An agent by its device id (every enrolment).
pub const FIND_BY_DEVICE: &str = concat!(select!(), " WHERE a.device_id = $1");

/// Prefix of the placeholder `device_id` of an agent created by an admin before it connects.
pub const PENDING_DEVICE: &str = "pending:";

/// What an agent reports about itself on every authentication.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub device_id: String,
    pub hostname: String,
    pub os_type: String,
    pub os_version: String,
    pub arch: String,
    pub agent_version: String,
}

impl Identity {
    fn search_text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.hostname, self.os_type, self.os_version, self.agent_version, self.device_id
        )
        .to_lowercase()
    }
}

pub async fn find(db: &Db, id: &AgentId) -> sqlx::Result<Option<AgentRow>> {
    sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn find_by_key_hash(db: &Db, hash: &str) -> sqlx::Result<Option<AgentRow>> {
    sqlx::query_as(FIND_BY_KEY_HASH)
        .bind(hash)
        .fetch_optional(&db.pool)
        .await
}

pub async fn find_by_device(db: &Db, device_id: &str) -> sqlx::Result<Option<AgentRow>> {
    sqlx::query_as(FIND_BY_DEVICE)
        .bind(device_id)
        .fetch_optional(&db.pool)
        .await
}

/// Inserts an agent. `key_hash` set: it authenticates by key; unset: by site code + device.
pub async fn insert(
    db: &Db,
    site_id: Option<&SiteId>,
    identity: &Identity,
    key_hash: Option<&str>,
) -> sqlx::Result<AgentId> {
    let id = AgentId::new();
    let device_id = if identity.device_id.is_empty() {
        format!("{PENDING_DEVICE}{id}")
    } else {
        identity.device_id.clone()
    };
    sqlx::query(
        "INSERT INTO agents (id, site_id, device_id, hostname, os_type, os_version, arch,
            agent_version, api_key_hash, status, search_text, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'offline', $10, $11)",
    )
    .bind(&id)
    .bind(site_id)
    .bind(&device_id)
    .bind(&identity.hostname)
    .bind(&identity.os_type)
    .bind(&identity.os_version)
    .bind(&identity.arch)
    .bind(&identity.agent_version)
    .bind(key_hash)
    .bind(identity.search_text())
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(id)
}

/// Refreshes what the agent reported about itself (and binds a placeholder device id).
pub async fn update_identity(db: &Db, id: &AgentId, identity: &Identity) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE agents SET device_id = $1, hostname = $2, os_type = $3, os_version = $4, arch = $5,
            agent_version = $6, search_text = $7, last_seen_at = $8 WHERE id = $9",
    )
    .bind(&identity.device_id)
    .bind(&identity.hostname)
    .bind(&identity.os_type)
    .bind(&identity.os_version)
    .bind(&identity.arch)
    .bind(&identity.agent_version)
    .bind(identity.search_text())
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Sets a new key, not yet confirmed by use.
pub async fn set_key_hash(db: &Db, id: &AgentId, hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET api_key_hash = $1, key_confirmed = 0 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Records that the agent authenticated with its key.
pub async fn confirm_key(db: &Db, id: &AgentId) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET key_confirmed = 1 WHERE id = $1 AND key_confirmed = 0")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// True when an enrolment credential may (re-)enrol this device: it never had a key, or its
/// issued key was never used — and an admin has not revoked its key.
pub fn enrollable(agent: &AgentRow) -> bool {
    agent.key_revoked_at.is_none() && (agent.has_key == 0 || agent.key_confirmed == 0)
}

/// An admin's rotation: the new key replaces the old one and lifts a revocation.
/// `key_confirmed` is kept, so a device that had used its key stays closed to enrolment
/// credentials while its new key is on the way. False when no such agent.
pub async fn rotate_key(db: &Db, id: &AgentId, hash: &str) -> sqlx::Result<bool> {
    let result =
        sqlx::query("UPDATE agents SET api_key_hash = $1, key_revoked_at = NULL WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&db.pool)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// An admin's revocation: the key is dropped and the device cannot enrol again until a key is
/// rotated in. False when no such agent.
pub async fn revoke_key(db: &Db, id: &AgentId) -> sqlx::Result<bool> {
    let result =
        sqlx::query("UPDATE agents SET api_key_hash = NULL, key_revoked_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&db.pool)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// The SHA-256 of the agent's current key, if it has one.
pub async fn key_hash(db: &Db, id: &AgentId) -> sqlx::Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT api_key_hash FROM agents WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.and_then(|r| r.0))
}

pub async fn set_online(db: &Db, id: &AgentId, connection_id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE agents SET status = 'online', connection_id = $1, last_seen_at = $2 WHERE id = $3",
    )
    .bind(connection_id)
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The `connection_id` that stands for a polling agent's presence: it has no socket, so it is
/// online while its REST heartbeats keep coming (`limits.polling_presence_secs`).
pub const POLLING_CONNECTION: &str = "legacy-poll";

/// Records a polling heartbeat. An offline agent comes online; one a socket owns keeps its
/// socket's presence. True when the agent was offline before this heartbeat.
pub async fn polled(db: &Db, id: &AgentId) -> sqlx::Result<bool> {
    let came_online = sqlx::query(
        "UPDATE agents SET status = 'online', connection_id = $1, last_seen_at = $2
         WHERE id = $3 AND connection_id IS NULL",
    )
    .bind(POLLING_CONNECTION)
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1;
    if !came_online {
        touch(db, id).await?;
    }
    Ok(came_online)
}

/// Polling agents silent since before a cutoff go offline (every reaper pass); public so
/// `hot_queries::hot_queries_use_an_index` plans exactly this query.
pub const EXPIRE_POLLED: &str = "UPDATE agents SET status = 'offline', connection_id = NULL
     WHERE connection_id = $1 AND last_seen_at < $2";

/// Polling agents whose last heartbeat is older than `cutoff_ms` go offline. Returns how many.
pub async fn expire_polled(db: &Db, cutoff_ms: i64) -> sqlx::Result<u64> {
    let result = sqlx::query(EXPIRE_POLLED)
        .bind(POLLING_CONNECTION)
        .bind(cutoff_ms)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected())
}

/// Marks the agent offline only if `connection_id` still owns it. True when it did.
pub async fn set_offline(db: &Db, id: &AgentId, connection_id: &str) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE agents SET status = 'offline', connection_id = NULL, last_seen_at = $1
         WHERE id = $2 AND connection_id = $3",
    )
    .bind(now_ms())
    .bind(id)
    .bind(connection_id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// At start no socket exists yet, so nobody is online.
pub async fn mark_all_offline(db: &Db) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE agents SET status = 'offline', connection_id = NULL WHERE status = 'online'",
    )
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn touch(db: &Db, id: &AgentId) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET last_seen_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Filters of the agents list. Every `q` term must match (AND), case-insensitively.
#[derive(Debug, Default)]
pub struct ListFilter {
    pub q: Option<String>,
    pub status: Option<String>,
    pub site_id: Option<SiteId>,
    pub client_id: Option<ClientId>,
    /// Exact `os_type` as agents report it (`windows`, `linux`, `macos`).
    pub os_type: Option<String>,
    pub unassigned: bool,
    pub sort: SortKey,
    pub descending: bool,
}

/// Columns the agents list can be ordered by. A closed set, so no request text reaches SQL.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Hostname,
    Status,
    Os,
    Version,
    Client,
    Site,
    LastSeen,
    Created,
}

impl SortKey {
    pub const NAMES: &'static str =
        "hostname, status, os, version, client, site, last_seen or created";

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "hostname" => Self::Hostname,
            "status" => Self::Status,
            "os" => Self::Os,
            "version" => Self::Version,
            "client" => Self::Client,
            "site" => Self::Site,
            "last_seen" => Self::LastSeen,
            "created" => Self::Created,
            _ => return None,
        })
    }

    /// The ORDER BY expression. NULLs are folded to a value so SQLite and PostgreSQL, which
    /// order NULLs differently, return the same pages.
    fn column(self) -> &'static str {
        match self {
            Self::Hostname => "a.hostname",
            Self::Status => "a.status",
            Self::Os => "a.os_type",
            Self::Version => "a.agent_version",
            Self::Client => "COALESCE(c.name, '')",
            Self::Site => "COALESCE(s.name, '')",
            Self::LastSeen => "COALESCE(a.last_seen_at, 0)",
            Self::Created => "a.created_at",
        }
    }
}

/// The agents list's two queries and their text parameters: the total, and one page (whose
/// limit and offset follow the parameters). Public so `hot_queries::hot_queries_use_an_index`
/// plans exactly what runs.
#[derive(Debug, Clone)]
pub struct ListSql {
    pub count: String,
    pub page: String,
    pub binds: Vec<String>,
}

pub fn list_sql(filter: &ListFilter) -> ListSql {
    let mut clauses: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut push = |clause: &str, value: String| {
        binds.push(value);
        clauses.push(clause.replace('?', &format!("${}", binds.len())));
    };
    for term in filter.q.iter().flat_map(|q| q.split_whitespace()).take(8) {
        push("a.search_text LIKE ? ESCAPE '\\'", like_pattern(term));
    }
    if let Some(status) = &filter.status {
        push("a.status = ?", status.clone());
    }
    if let Some(site) = &filter.site_id {
        push("a.site_id = ?", site.to_string());
    }
    if let Some(client) = &filter.client_id {
        push("s.client_id = ?", client.to_string());
    }
    if let Some(os) = &filter.os_type {
        push("a.os_type = ?", os.clone());
    }
    if filter.unassigned {
        clauses.push("a.site_id IS NULL".into());
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let n = binds.len();
    let dir = if filter.descending { "DESC" } else { "ASC" };
    // Ties (same status, same OS…) are broken by hostname then id, so pages never overlap.
    let order = match filter.sort {
        SortKey::Hostname => format!("a.hostname {dir}, a.id {dir}"),
        key => format!("{} {dir}, a.hostname, a.id", key.column()),
    };
    ListSql {
        count: format!(
            "SELECT COUNT(*) FROM agents a LEFT JOIN sites s ON a.site_id = s.id{where_sql}"
        ),
        page: format!(
            "{SELECT}{where_sql} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        binds,
    }
}

pub async fn list(
    db: &Db,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<AgentRow>, i64)> {
    let sql = list_sql(filter);
    let mut count = sqlx::query_as::<_, (i64,)>(&sql.count);
    for b in &sql.binds {
        count = count.bind(b);
    }
    let (total,) = count.fetch_one(&db.pool).await?;
    let mut page = sqlx::query_as::<_, AgentRow>(&sql.page);
    for b in &sql.binds {
        page = page.bind(b);
    }
    let rows = page.bind(limit).bind(offset).fetch_all(&db.pool).await?;
    Ok((rows, total))
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub total: i64,
    pub online: i64,
    pub offline: i64,
    pub unassigned: i64,
}

pub async fn stats(db: &Db) -> sqlx::Result<Stats> {
    let (total, online, unassigned): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*),
            COALESCE(SUM(CASE WHEN status = 'online' THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN site_id IS NULL THEN 1 ELSE 0 END), 0)
         FROM agents",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(Stats {
        total,
        online,
        offline: total - online,
        unassigned,
    })
}

/// Hostnames of the given agents (unknown ids are absent), for lists that name machines.
pub async fn hostnames(
    db: &Db,
    ids: &[&AgentId],
) -> sqlx::Result<std::collections::HashMap<AgentId, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, hostname FROM agents WHERE id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (AgentId, String)>(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(&db.pool).await?.into_iter().collect())
}

pub async fn delete(db: &Db, id: &AgentId) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM agents WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Moves the agent to `site_id` (None: unassigned). False when no such agent.
pub async fn move_to(db: &Db, id: &AgentId, site_id: Option<&SiteId>) -> sqlx::Result<bool> {
    let result = sqlx::query("UPDATE agents SET site_id = $1 WHERE id = $2")
        .bind(site_id)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected() == 1)
}
