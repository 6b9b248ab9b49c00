//! Maps an agent's `AgentStatus` (GC-14) onto the stored inventory columns.

use crate::db::machines::Inventory;
use guruconnect_proto::AgentStatus;

fn clamp(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub fn from_status(s: &AgentStatus) -> Inventory {
    Inventory {
        hostname: s.hostname.clone(),
        os_name: s.os_name.clone(),
        os_version: s.os_version.clone(),
        os_arch: s.os_arch.clone(),
        cpu_model: s.cpu_model.clone(),
        cpu_cores: i64::from(s.cpu_cores),
        ram_bytes: clamp(s.ram_bytes),
        manufacturer: s.manufacturer.clone(),
        model: s.model.clone(),
        serial_number: s.serial_number.clone(),
        private_ips: s.addresses.iter().map(|a| a.ip.clone()).collect(),
        mac_addresses: s
            .addresses
            .iter()
            .map(|a| a.mac.clone())
            .filter(|m| !m.is_empty())
            .collect(),
        logged_on_user: s.logged_on_user.clone(),
        idle_seconds: i64::from(s.idle_seconds),
        time_zone: s.time_zone.clone(),
        uptime_seconds: clamp(s.uptime_seconds),
        user_is_local_admin: s.user_is_local_admin,
        agent_version: s.agent_version.clone(),
        organization: s.organization.clone(),
        site: s.site.clone(),
        department: s.department.clone(),
        device_type: s.device_type.clone(),
        tags: s.tags.clone(),
    }
}
