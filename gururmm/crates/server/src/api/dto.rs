//! Shapes the API returns: explicit DTOs built from rows (never rows themselves), timestamps as
//! RFC 3339.

use super::launch_summary::{public_view, LaunchSummary};
use crate::db::{
    agents::AgentRow, clients::ClientRow, commands::CommandRow, sites::SiteRow, users::Role,
    users::UserRow,
};
use crate::model::{AgentId, AgentStatus, ClientId, CommandId, CommandStatus, SiteId, UserId};
use serde::Serialize;
pub use server_kit::http::{iso, iso_opt, PageParams};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// A disabled account cannot sign in, and none of its tokens work.
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
            role: u.role,
            disabled: u.disabled,
            id: u.id,
            email: u.sign_in_name,
            display_name: u.display_name,
            created_at: iso(u.created_at),
            last_login_at: iso_opt(u.last_login_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientDto {
    pub id: ClientId,
    pub name: String,
    pub notes: String,
    pub site_count: i64,
    pub agent_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ClientRow> for ClientDto {
    fn from(c: ClientRow) -> Self {
        Self {
            id: c.id,
            name: c.name,
            notes: c.notes,
            site_count: c.site_count,
            agent_count: c.agent_count,
            created_at: iso(c.created_at),
            updated_at: iso(c.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteDto {
    pub id: SiteId,
    pub client_id: ClientId,
    pub name: String,
    pub notes: String,
    pub agent_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<SiteRow> for SiteDto {
    fn from(s: SiteRow) -> Self {
        Self {
            id: s.id,
            client_id: s.client_id,
            name: s.name,
            notes: s.notes,
            agent_count: s.agent_count,
            created_at: iso(s.created_at),
            updated_at: iso(s.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDto {
    pub id: AgentId,
    pub hostname: String,
    pub device_id: String,
    pub os_type: String,
    pub os_version: String,
    pub arch: String,
    pub agent_version: String,
    /// `online` while the agent's socket is open, else `offline`.
    pub status: AgentStatus,
    pub site_id: Option<SiteId>,
    pub site_name: Option<String>,
    pub client_id: Option<ClientId>,
    pub client_name: Option<String>,
    /// True when the agent authenticates with its own `grmm_` key.
    pub has_key: bool,
    pub created_at: String,
    pub last_seen_at: Option<String>,
}

impl From<AgentRow> for AgentDto {
    fn from(a: AgentRow) -> Self {
        Self {
            id: a.id,
            hostname: a.hostname,
            device_id: a.device_id,
            os_type: a.os_type,
            os_version: a.os_version,
            arch: a.arch,
            agent_version: a.agent_version,
            status: a.status,
            site_id: a.site_id,
            site_name: a.site_name,
            client_id: a.client_id,
            client_name: a.client_name,
            has_key: a.has_key != 0,
            created_at: iso(a.created_at),
            last_seen_at: iso_opt(a.last_seen_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandDto {
    pub id: CommandId,
    pub agent_id: AgentId,
    pub created_by: Option<UserId>,
    pub command_type: String,
    /// The command as typed. For a `remote_control_launch`, a one-line description of the
    /// remote-control event instead; its stored form (release, signature, sealed secret) is
    /// for the agent only and never returned.
    pub command: String,
    /// Set for a `remote_control_launch` whose details could be read.
    pub remote_control: Option<LaunchSummary>,
    pub timeout_seconds: i64,
    pub elevated: bool,
    pub status: CommandStatus,
    pub exit_code: Option<i64>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub duration_ms: Option<i64>,
    pub truncated: bool,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub completed_at: Option<String>,
}

impl From<CommandRow> for CommandDto {
    fn from(c: CommandRow) -> Self {
        let (command, remote_control) = public_view(&c.command_type, c.command);
        Self {
            id: c.id,
            agent_id: c.agent_id,
            created_by: c.created_by,
            command_type: c.command_type,
            command,
            remote_control,
            timeout_seconds: c.timeout_seconds,
            elevated: c.elevated,
            status: c.status,
            exit_code: c.exit_code,
            stdout: c.stdout,
            stderr: c.stderr,
            duration_ms: c.duration_ms,
            truncated: c.truncated,
            created_at: iso(c.created_at),
            sent_at: iso_opt(c.sent_at),
            completed_at: iso_opt(c.completed_at),
        }
    }
}
