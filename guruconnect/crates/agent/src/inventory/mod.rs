//! What the agent tells the server about its machine (GC-14): sent on connect and refreshed
//! periodically. Everything is best effort — a field the platform will not tell us stays empty.

pub mod os;
pub mod smbios;
#[cfg(target_os = "linux")]
pub mod unix_user;
#[cfg(windows)]
pub mod windows;

use guruconnect_proto as proto;
use std::net::IpAddr;

/// Installer labels (GC-17), carried through from the agent's configuration.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    pub organization: String,
    pub site: String,
    pub department: String,
    pub device_type: String,
    pub tags: Vec<String>,
}

/// Who uses the desktop the agent shares, as its capturer sees it.
#[derive(Debug, Clone, Default)]
pub struct DesktopUser {
    /// The signed-in user (`DOMAIN\user` on Windows); empty at a login screen.
    pub name: String,
    /// Seconds since that user last touched keyboard or mouse, when the platform tells.
    pub idle_seconds: Option<u32>,
}

/// Collects the inventory now.
pub fn collect(labels: &Labels, user: &DesktopUser) -> proto::AgentStatus {
    use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
    let system = System::new_with_specifics(
        RefreshKind::nothing()
            .with_memory(MemoryRefreshKind::nothing().with_ram())
            .with_cpu(CpuRefreshKind::nothing()),
    );
    let hardware = hardware();
    let (os_name, os_version) = os::current();
    proto::AgentStatus {
        hostname: System::host_name().unwrap_or_default(),
        os_name,
        os_version,
        os_arch: std::env::consts::ARCH.into(),
        cpu_model: system
            .cpus()
            .first()
            .map(|c| c.brand().trim().to_owned())
            .unwrap_or_default(),
        cpu_cores: system.cpus().len() as u32,
        ram_bytes: system.total_memory(),
        manufacturer: hardware.manufacturer,
        model: hardware.product,
        serial_number: hardware.serial,
        addresses: private_addresses(),
        logged_on_user: user.name.clone(),
        idle_seconds: user.idle_seconds.unwrap_or(0),
        time_zone: time_zone(),
        uptime_seconds: System::uptime(),
        agent_version: env!("CARGO_PKG_VERSION").into(),
        user_is_local_admin: is_local_admin(&user.name),
        organization: labels.organization.clone(),
        site: labels.site.clone(),
        department: labels.department.clone(),
        device_type: labels.device_type.clone(),
        tags: labels.tags.clone(),
    }
}

/// Private (RFC 1918 / unique-local) addresses with their interface and MAC; loopback,
/// link-local and public addresses are left out.
fn private_addresses() -> Vec<proto::NetworkAddress> {
    let networks = sysinfo::Networks::new_with_refreshed_list();
    let mut addresses = Vec::new();
    for (name, data) in &networks {
        let mac = data.mac_address().to_string();
        for net in data.ip_networks() {
            if is_private(net.addr) {
                addresses.push(proto::NetworkAddress {
                    interface_name: name.clone(),
                    ip: net.addr.to_string(),
                    mac: if mac == "00:00:00:00:00:00" {
                        String::new()
                    } else {
                        mac.clone()
                    },
                });
            }
        }
    }
    addresses.sort_by(|a, b| a.ip.cmp(&b.ip));
    addresses
}

pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

#[cfg(target_os = "linux")]
fn hardware() -> smbios::SystemInfo {
    // product_serial is readable by root only; as a user agent it stays empty.
    let read = |f: &str| {
        std::fs::read_to_string(format!("/sys/class/dmi/id/{f}"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    smbios::SystemInfo {
        manufacturer: read("sys_vendor"),
        product: read("product_name"),
        serial: read("product_serial"),
    }
}

#[cfg(windows)]
fn hardware() -> smbios::SystemInfo {
    windows::hardware()
}

#[cfg(not(any(target_os = "linux", windows)))]
fn hardware() -> smbios::SystemInfo {
    smbios::SystemInfo::default()
}

#[cfg(target_os = "linux")]
fn is_local_admin(user: &str) -> bool {
    unix_user::is_admin(user)
}

#[cfg(windows)]
fn is_local_admin(user: &str) -> bool {
    windows::is_local_admin(user)
}

#[cfg(not(any(target_os = "linux", windows)))]
fn is_local_admin(_: &str) -> bool {
    false
}

#[cfg(target_os = "linux")]
fn time_zone() -> String {
    if let Ok(tz) = std::env::var("TZ") {
        return tz.trim_start_matches(':').to_owned();
    }
    if let Ok(tz) = std::fs::read_to_string("/etc/timezone") {
        return tz.trim().to_owned();
    }
    std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|p| {
            let p = p.to_string_lossy().into_owned();
            p.split_once("zoneinfo/").map(|(_, zone)| zone.to_owned())
        })
        .unwrap_or_default()
}

#[cfg(windows)]
fn time_zone() -> String {
    windows::time_zone()
}

#[cfg(not(any(target_os = "linux", windows)))]
fn time_zone() -> String {
    std::env::var("TZ").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_private_addresses_count() {
        for (ip, private) in [
            ("10.1.2.3", true),
            ("172.16.0.9", true),
            ("192.168.1.1", true),
            ("8.8.8.8", false),
            ("127.0.0.1", false),
            ("169.254.1.1", false),
            ("fd12::1", true),
            ("fe80::1", false),
            ("2001:db8::1", false),
        ] {
            assert_eq!(is_private(ip.parse().expect("ip")), private, "{ip}");
        }
    }

    #[test]
    fn this_machine_reports_the_basics() {
        let status = collect(
            &Labels {
                site: "HQ".into(),
                ..Labels::default()
            },
            &DesktopUser {
                name: "root".into(),
                idle_seconds: Some(7),
            },
        );
        assert!(status.cpu_cores > 0);
        assert!(status.ram_bytes > 0);
        assert!(!status.os_name.is_empty());
        assert_eq!(status.os_arch, std::env::consts::ARCH);
        assert_eq!((status.site.as_str(), status.idle_seconds), ("HQ", 7));
        assert_eq!(status.logged_on_user, "root");
        assert!(status.user_is_local_admin, "root administers the machine");
        assert_eq!(
            status.hostname,
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .expect("kernel hostname")
                .trim()
        );
        assert!(status.uptime_seconds > 0);
    }
}
