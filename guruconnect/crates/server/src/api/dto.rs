//! Shapes the API returns: explicit DTOs (never database rows), timestamps as RFC 3339.

use crate::db::{
    codes::CodeRow,
    keys::AgentKeyRow,
    machines::{GroupRow, MachineRow},
    sessions::SessionRow,
    users::UserRow,
};
use crate::model::{
    AgentId, CodeId, CodeStatus, KeyId, MachineStatus, Mode, SessionId, SessionStatus, UserId,
};
use serde::Serialize;
pub use server_kit::http::{iso, iso_opt, PageParams};
use utoipa::ToSchema;

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// `admin` or `technician`.
    pub role: String,
    pub disabled: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
    /// Two-factor sign-in is on: signing in takes an authenticator code.
    pub second_factor: bool,
}

impl UserDto {
    /// `second_factor`: whether the account's authenticator is on.
    pub fn new(u: UserRow, second_factor: bool) -> Self {
        Self {
            second_factor,
            role: u.role.as_str().to_owned(),
            id: u.id,
            username: u.sign_in_name,
            display_name: u.display_name,
            disabled: u.disabled,
            created_at: iso(u.created_at),
            last_login_at: iso_opt(u.last_login_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MachineDto {
    pub agent_id: AgentId,
    pub hostname: String,
    pub online: bool,
    pub is_persistent: bool,
    pub agent_version: String,
    pub first_seen_at: String,
    pub last_seen_at: String,
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
    pub external_ip: String,
    pub logged_on_user: String,
    pub idle_seconds: i64,
    pub time_zone: String,
    pub uptime_seconds: i64,
    pub user_is_local_admin: bool,
    pub inventory_updated_at: Option<String>,
    pub organization: String,
    pub site: String,
    pub department: String,
    pub device_type: String,
    pub tags: Vec<String>,
    /// The machine's live session, when it has one: its unattended session, or else an
    /// attended visit (support code) the caller may join.
    pub session_id: Option<SessionId>,
    /// Viewers connected to that session right now.
    pub viewers: u32,
}

impl MachineDto {
    pub fn new(m: MachineRow, session_id: Option<SessionId>, viewers: u32) -> Self {
        Self {
            online: m.status == MachineStatus::Online,
            private_ips: split(&m.private_ips),
            mac_addresses: split(&m.mac_addresses),
            tags: split(&m.tags),
            first_seen_at: iso(m.first_seen_at),
            last_seen_at: iso(m.last_seen_at),
            inventory_updated_at: iso_opt(m.inventory_updated_at),
            agent_id: m.agent_id,
            hostname: m.hostname,
            is_persistent: m.is_persistent,
            agent_version: m.agent_version,
            os_name: m.os_name,
            os_version: m.os_version,
            os_arch: m.os_arch,
            cpu_model: m.cpu_model,
            cpu_cores: m.cpu_cores,
            ram_bytes: m.ram_bytes,
            manufacturer: m.manufacturer,
            model: m.model,
            serial_number: m.serial_number,
            external_ip: m.external_ip,
            logged_on_user: m.logged_on_user,
            idle_seconds: m.idle_seconds,
            time_zone: m.time_zone,
            uptime_seconds: m.uptime_seconds,
            user_is_local_admin: m.user_is_local_admin,
            organization: m.organization,
            site: m.site,
            department: m.department,
            device_type: m.device_type,
            session_id,
            viewers,
        }
    }
}

/// One company among the machines a search matches.
#[derive(Debug, Serialize, ToSchema)]
pub struct MachineGroupDto {
    /// The company label (`organization`); empty for machines without one.
    pub organization: String,
    pub total: i64,
    pub online: i64,
}

impl From<GroupRow> for MachineGroupDto {
    fn from(g: GroupRow) -> Self {
        Self {
            organization: g.organization,
            total: g.total,
            online: g.online,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub id: SessionId,
    pub agent_id: AgentId,
    pub mode: Mode,
    pub is_managed: bool,
    /// `agent`, `technician`, `support_code` or `gururmm`.
    pub source: String,
    pub status: SessionStatus,
    pub created_by: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    pub bytes_from_agent: i64,
    pub bytes_to_agent: i64,
    pub agent_online: bool,
    pub viewers: u32,
    /// Single-session reads only, while the session waits for its agent: the relay's last
    /// refusal of an agent that had this session's agent id and a valid key but could not be
    /// admitted (e.g. `machine identity does not match this agent`: the id is bound to other
    /// hardware). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub agent_refused: Option<AgentRefusal>,
}

/// Why the relay turned away the agent a session is waiting for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentRefusal {
    /// The cause in words, as GuruConnect's audit trail records it.
    pub cause: String,
    pub at: String,
}

impl SessionDto {
    pub fn new(s: SessionRow, agent_online: bool, viewers: u32) -> Self {
        Self {
            created_at: iso(s.created_at),
            started_at: iso_opt(s.started_at),
            ended_at: iso_opt(s.ended_at),
            id: s.id,
            agent_id: s.agent_id,
            mode: s.mode,
            is_managed: s.is_managed,
            source: s.source,
            status: s.status,
            created_by: s.created_by,
            end_reason: s.end_reason,
            bytes_from_agent: s.bytes_from_agent,
            bytes_to_agent: s.bytes_to_agent,
            agent_online,
            viewers,
            agent_refused: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentKeyDto {
    pub id: KeyId,
    pub agent_id: AgentId,
    /// The key's first characters, to tell keys apart. Never the key.
    pub key_prefix: String,
    pub label: String,
    pub created_by: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<AgentKeyRow> for AgentKeyDto {
    fn from(k: AgentKeyRow) -> Self {
        Self {
            created_at: iso(k.created_at),
            last_used_at: iso_opt(k.last_used_at),
            revoked_at: iso_opt(k.revoked_at),
            id: k.id,
            agent_id: k.agent_id,
            key_prefix: k.key_prefix,
            label: k.label,
            created_by: k.created_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportCodeDto {
    pub id: CodeId,
    /// Last two digits only; the full code is shown once, at creation.
    pub code_hint: String,
    pub created_by: String,
    pub technician_name: String,
    pub note: String,
    pub status: CodeStatus,
    pub created_at: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub session_id: Option<SessionId>,
}

impl From<CodeRow> for SupportCodeDto {
    fn from(c: CodeRow) -> Self {
        Self {
            created_at: iso(c.created_at),
            expires_at: iso(c.expires_at),
            used_at: iso_opt(c.used_at),
            id: c.id,
            code_hint: c.code_hint,
            created_by: c.created_by,
            technician_name: c.technician_name,
            note: c.note,
            status: c.status,
            session_id: c.session_id,
        }
    }
}
