//! Machines (`connect_machines`): identity, presence, inventory, labels, and the `?q=` search.

use super::{new_id, now_ms, Db};
use crate::model::{AgentId, MachineStatus};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MachineRow {
    pub id: String,
    pub agent_id: AgentId,
    pub machine_uid: Option<String>,
    pub hostname: String,
    #[sqlx(try_from = "server_kit::db::Flag")]
    pub is_persistent: bool,
    #[sqlx(try_from = "String")]
    pub status: MachineStatus,
    pub agent_version: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub os_name: String,
    pub os_version: String,
    pub os_arch: String,
    pub cpu_model: String,
    pub cpu_cores: i64,
    pub ram_bytes: i64,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub private_ips: String,
    pub mac_addresses: String,
    pub external_ip: String,
    pub logged_on_user: String,
    pub idle_seconds: i64,
    pub time_zone: String,
    pub uptime_seconds: i64,
    #[sqlx(try_from = "server_kit::db::Flag")]
    pub user_is_local_admin: bool,
    pub inventory_updated_at: Option<i64>,
    pub organization: String,
    pub site: String,
    pub department: String,
    pub device_type: String,
    pub tags: String,
}

const COLUMNS: &str = "id, agent_id, machine_uid, hostname, is_persistent, status, agent_version, \
    first_seen_at, last_seen_at, os_name, os_version, os_arch, cpu_model, cpu_cores, ram_bytes, \
    manufacturer, model, serial_number, private_ips, mac_addresses, external_ip, logged_on_user, \
    idle_seconds, time_zone, uptime_seconds, user_is_local_admin, inventory_updated_at, \
    organization, site, department, device_type, tags";

/// Inventory and labels as reported by the agent (GC-14), already length-checked by the proto.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub hostname: String,
    pub os_name: String,
    pub os_version: String,
    pub os_arch: String,
    pub cpu_model: String,
    pub cpu_cores: i64,
    pub ram_bytes: i64,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub private_ips: Vec<String>,
    pub mac_addresses: Vec<String>,
    pub logged_on_user: String,
    pub idle_seconds: i64,
    pub time_zone: String,
    pub uptime_seconds: i64,
    pub user_is_local_admin: bool,
    pub agent_version: String,
    pub organization: String,
    pub site: String,
    pub department: String,
    pub device_type: String,
    pub tags: Vec<String>,
}

/// Values that join a comma-separated column; commas inside a value would split it, so they go.
fn join(values: &[String]) -> String {
    values
        .iter()
        .map(|v| v.replace(',', " ").trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn find_by_agent_id(db: &Db, agent_id: &AgentId) -> sqlx::Result<Option<MachineRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connect_machines WHERE agent_id = $1"
    ))
    .bind(agent_id)
    .fetch_optional(&db.pool)
    .await
}

/// The agent id a machine is best known by: of every agent id registered from this hardware,
/// a persistent one before an attended visit's, then the most recently seen.
pub async fn find_by_machine_uid(db: &Db, machine_uid: &str) -> sqlx::Result<Option<MachineRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connect_machines WHERE machine_uid = $1
         ORDER BY is_persistent DESC, last_seen_at DESC, agent_id LIMIT 1"
    ))
    .bind(machine_uid)
    .fetch_optional(&db.pool)
    .await
}

/// What a registering agent tells about itself.
#[derive(Debug, Clone)]
pub struct Registration<'a> {
    pub agent_id: &'a AgentId,
    pub machine_uid: &'a str,
    pub hostname: &'a str,
    pub agent_version: &'a str,
    pub persistent: bool,
    pub external_ip: &'a str,
}

/// Creates the machine row, or refreshes it, and marks it online.
pub async fn register_online(db: &Db, reg: &Registration<'_>) -> sqlx::Result<MachineRow> {
    let now = now_ms();
    let updated = sqlx::query(
        "UPDATE connect_machines SET machine_uid = $1, hostname = $2, agent_version = $3,
            is_persistent = CASE WHEN $4 = 1 THEN 1 ELSE is_persistent END, status = 'online', last_seen_at = $5, external_ip = $6
         WHERE agent_id = $7",
    )
    .bind(reg.machine_uid)
    .bind(reg.hostname)
    .bind(reg.agent_version)
    .bind(i64::from(reg.persistent))
    .bind(now)
    .bind(reg.external_ip)
    .bind(reg.agent_id)
    .execute(&db.pool)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO connect_machines (id, agent_id, machine_uid, hostname, is_persistent, status,
                agent_version, first_seen_at, last_seen_at, external_ip, search_text)
             VALUES ($1, $2, $3, $4, $5, 'online', $6, $7, $7, $8, $9)",
        )
        .bind(new_id())
        .bind(reg.agent_id)
        .bind(reg.machine_uid)
        .bind(reg.hostname)
        .bind(i64::from(reg.persistent))
        .bind(reg.agent_version)
        .bind(now)
        .bind(reg.external_ip)
        .bind(reg.hostname.to_lowercase())
        .execute(&db.pool)
        .await?;
    }
    refresh_search_text(db, reg.agent_id).await?;
    find_by_agent_id(db, reg.agent_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

pub async fn set_offline(db: &Db, agent_id: &AgentId) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE connect_machines SET status = 'offline', last_seen_at = $1 WHERE agent_id = $2",
    )
    .bind(now_ms())
    .bind(agent_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// At start no socket is open, so no machine is online.
pub async fn mark_all_offline(db: &Db) -> sqlx::Result<()> {
    sqlx::query("UPDATE connect_machines SET status = 'offline' WHERE status = 'online'")
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn update_inventory(db: &Db, agent_id: &AgentId, inv: &Inventory) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE connect_machines SET hostname = $1, os_name = $2, os_version = $3, os_arch = $4,
            cpu_model = $5, cpu_cores = $6, ram_bytes = $7, manufacturer = $8, model = $9,
            serial_number = $10, private_ips = $11, mac_addresses = $12, logged_on_user = $13,
            idle_seconds = $14, time_zone = $15, uptime_seconds = $16, user_is_local_admin = $17,
            agent_version = CASE WHEN $18 = '' THEN agent_version ELSE $18 END,
            organization = $19, site = $20, department = $21, device_type = $22, tags = $23,
            inventory_updated_at = $24, last_seen_at = $24
         WHERE agent_id = $25",
    )
    .bind(&inv.hostname)
    .bind(&inv.os_name)
    .bind(&inv.os_version)
    .bind(&inv.os_arch)
    .bind(&inv.cpu_model)
    .bind(inv.cpu_cores)
    .bind(inv.ram_bytes)
    .bind(&inv.manufacturer)
    .bind(&inv.model)
    .bind(&inv.serial_number)
    .bind(join(&inv.private_ips))
    .bind(join(&inv.mac_addresses))
    .bind(&inv.logged_on_user)
    .bind(inv.idle_seconds)
    .bind(&inv.time_zone)
    .bind(inv.uptime_seconds)
    .bind(i64::from(inv.user_is_local_admin))
    .bind(&inv.agent_version)
    .bind(&inv.organization)
    .bind(&inv.site)
    .bind(&inv.department)
    .bind(&inv.device_type)
    .bind(join(&inv.tags))
    .bind(now_ms())
    .bind(agent_id)
    .execute(&db.pool)
    .await?;
    refresh_search_text(db, agent_id).await
}

/// Recomputes the lower-cased blob `?q=` terms match against.
async fn refresh_search_text(db: &Db, agent_id: &AgentId) -> sqlx::Result<()> {
    let Some(m) = find_by_agent_id(db, agent_id).await? else {
        return Ok(());
    };
    let text = [
        m.agent_id.as_str(),
        &m.hostname,
        &m.os_name,
        &m.os_version,
        &m.os_arch,
        &m.cpu_model,
        &m.manufacturer,
        &m.model,
        &m.serial_number,
        &m.private_ips,
        &m.mac_addresses,
        &m.external_ip,
        &m.logged_on_user,
        &m.time_zone,
        &m.agent_version,
        &m.organization,
        &m.site,
        &m.department,
        &m.device_type,
        &m.tags,
    ]
    .join(" ")
    .to_lowercase();
    sqlx::query("UPDATE connect_machines SET search_text = $1 WHERE agent_id = $2")
        .bind(text)
        .bind(agent_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// One `?q=` term: free text across every attribute, or scoped to a field (`os:win`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub columns: &'static [&'static str],
    pub needle: String,
}

/// Parses a search string into AND-ed terms. Unknown `field:` prefixes are searched as text.
pub fn parse_query(q: &str) -> Vec<Term> {
    q.split_whitespace()
        .take(16)
        .filter_map(|raw| {
            let (columns, needle): (&'static [&'static str], &str) = match raw.split_once(':') {
                Some((field, value)) if !value.is_empty() => match field.to_lowercase().as_str() {
                    "os" => (&["os_name", "os_version"], value),
                    "user" => (&["logged_on_user"], value),
                    "ip" => (&["private_ips", "external_ip"], value),
                    "host" | "hostname" => (&["hostname"], value),
                    "company" | "org" | "organization" => (&["organization"], value),
                    "site" => (&["site"], value),
                    "tag" => (&["tags"], value),
                    "serial" => (&["serial_number"], value),
                    "mac" => (&["mac_addresses"], value),
                    _ => (&["search_text"], raw),
                },
                _ => (&["search_text"], raw),
            };
            let needle = needle.to_lowercase();
            (!needle.is_empty()).then_some(Term { columns, needle })
        })
        .collect()
}

/// Escapes LIKE wildcards so a user's `%` or `_` matches literally.
fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The WHERE clause for every term (and, when given, one exact company) with its bind values.
fn filter(terms: &[Term], organization: Option<&str>) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    for term in terms {
        let ors: Vec<String> = term
            .columns
            .iter()
            .map(|column| {
                binds.push(like_pattern(&term.needle));
                format!("LOWER({column}) LIKE ${} ESCAPE '\\'", binds.len())
            })
            .collect();
        clauses.push(format!("({})", ors.join(" OR ")));
    }
    if let Some(organization) = organization {
        binds.push(organization.to_owned());
        clauses.push(format!("organization = ${}", binds.len()));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, binds)
}

/// A page of machines matching every term (and the exact company, when given), ordered by
/// company then hostname, and the total.
pub async fn search(
    db: &Db,
    terms: &[Term],
    organization: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<MachineRow>, i64)> {
    let (filter, binds) = filter(terms, organization);
    let count_sql = format!("SELECT COUNT(*) FROM connect_machines {filter}");
    let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
    for b in &binds {
        count = count.bind(b);
    }
    let (total,) = count.fetch_one(&db.pool).await?;

    let page_sql = format!(
        "SELECT {COLUMNS} FROM connect_machines {filter}
         ORDER BY LOWER(organization), organization, LOWER(hostname), agent_id LIMIT ${} OFFSET ${}",
        binds.len() + 1,
        binds.len() + 2
    );
    let mut page = sqlx::query_as::<_, MachineRow>(&page_sql);
    for b in &binds {
        page = page.bind(b);
    }
    let rows = page.bind(limit).bind(offset).fetch_all(&db.pool).await?;
    Ok((rows, total))
}

/// Removes the rows of earlier attended visits from this hardware (agent ids no installer
/// configured), now that `agent_id` speaks for it: one machine, not a trail of ghosts.
pub async fn delete_visits(db: &Db, machine_uid: &str, agent_id: &AgentId) -> sqlx::Result<u64> {
    let result = sqlx::query(
        "DELETE FROM connect_machines WHERE machine_uid = $1 AND agent_id <> $2 AND is_persistent = 0",
    )
    .bind(machine_uid)
    .bind(agent_id)
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected())
}

/// One company's machines among those a search matches.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupRow {
    pub organization: String,
    pub total: i64,
    pub online: i64,
}

/// Every company with its machine and online counts among the machines matching every term,
/// in the order of [`search`] (so a page's groups come in the same order).
pub async fn groups(db: &Db, terms: &[Term]) -> sqlx::Result<Vec<GroupRow>> {
    let (filter, binds) = filter(terms, None);
    let sql = format!(
        "SELECT organization, COUNT(*) AS total,
                SUM(CASE WHEN status = 'online' THEN 1 ELSE 0 END) AS online
         FROM connect_machines {filter}
         GROUP BY organization ORDER BY LOWER(organization), organization"
    );
    let mut query = sqlx::query_as::<_, GroupRow>(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    query.fetch_all(&db.pool).await
}

pub async fn delete(db: &Db, agent_id: &AgentId) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM connect_machines WHERE agent_id = $1")
        .bind(agent_id)
        .execute(&db.pool)
        .await?;
    Ok(super::changed_one(&result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_terms_scope_to_their_columns() {
        let terms = parse_query("os:Windows acme user:Bob");
        assert_eq!(terms[0].columns, &["os_name", "os_version"]);
        assert_eq!(terms[0].needle, "windows");
        assert_eq!(terms[1].columns, &["search_text"]);
        assert_eq!(terms[2].columns, &["logged_on_user"]);
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn unknown_fields_search_the_whole_term() {
        let terms = parse_query("weird:thing");
        assert_eq!(terms[0].needle, "weird:thing");
    }
}
