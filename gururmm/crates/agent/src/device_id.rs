//! A stable `device_id` from the machine's OS identity: `/etc/machine-id` on Linux, the
//! `MachineGuid` registry value on Windows, the platform UUID on macOS. It is hashed (with a
//! product-specific prefix) so the raw machine id never leaves the host.

use sha2::{Digest, Sha256};

/// The derived id: 32 hex characters.
pub fn derive() -> String {
    let raw = raw_machine_id().unwrap_or_else(fallback);
    hash(&raw)
}

pub fn hash(raw: &str) -> String {
    let digest = Sha256::digest(format!("gururmm-device-v1:{}", raw.trim()).as_bytes());
    hex::encode(&digest[..16])
}

/// No OS identity available: the hostname is the best stable thing left.
fn fallback() -> String {
    format!("host:{}", sysinfo::System::host_name().unwrap_or_default())
}

#[cfg(target_os = "linux")]
fn raw_machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

#[cfg(windows)]
fn raw_machine_id() -> Option<String> {
    // `reg query` keeps this free of FFI; the value line reads `MachineGuid REG_SZ <guid>`.
    let out = std::process::Command::new("reg")
        .args([
            "query",
            r"HKLM\SOFTWARE\Microsoft\Cryptography",
            "/v",
            "MachineGuid",
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains("MachineGuid"))
        .and_then(|l| l.split_whitespace().last())
        .map(str::to_owned)
}

#[cfg(target_os = "macos")]
fn raw_machine_id() -> Option<String> {
    let out = std::process::Command::new("ioreg")
        .args(["-rd1", "-c", "IOPlatformExpertDevice"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains("IOPlatformUUID"))
        .and_then(|l| l.split('"').nth(3))
        .map(str::to_owned)
}

#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
fn raw_machine_id() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_stable_and_does_not_reveal_the_machine_id() {
        assert_eq!(derive(), derive());
        assert_eq!(derive().len(), 32);
        if let Some(raw) = raw_machine_id() {
            assert!(!derive().contains(&raw));
        }
        assert_ne!(hash("a"), hash("b"));
    }
}
