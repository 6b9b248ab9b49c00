//! The machine's identity: a hash of the operating system's own machine id (Linux
//! `/etc/machine-id`, Windows `MachineGuid`), so reinstalls and portable runs of the agent map to
//! the same machine record and the raw id never leaves the machine.

use sha2::{Digest, Sha256};

/// Domain separation, so this hash matches no other use of the same id.
const CONTEXT: &str = "guruconnect machine_uid v1:";

/// `machine_uid` from the platform's machine id.
pub fn machine_uid() -> anyhow::Result<String> {
    Ok(hash_machine_id(&platform_machine_id()?))
}

pub fn hash_machine_id(raw: &str) -> String {
    let digest = Sha256::digest(format!("{CONTEXT}{}", raw.trim().to_lowercase()));
    hex::encode(&digest[..16])
}

#[cfg(target_os = "linux")]
fn platform_machine_id() -> anyhow::Result<String> {
    use anyhow::Context;
    for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
        if let Ok(id) = std::fs::read_to_string(path) {
            if !id.trim().is_empty() {
                return Ok(id);
            }
        }
    }
    Err(anyhow::anyhow!("no machine id")).context("reading /etc/machine-id")
}

/// `HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid`, set at Windows setup.
#[cfg(windows)]
#[allow(unsafe_code)] // RegGetValueW into a local buffer of the size we pass.
fn platform_machine_id() -> anyhow::Result<String> {
    use windows::core::w;
    use windows::Win32::System::Registry::{RegGetValueW, HKEY_LOCAL_MACHINE, RRF_RT_REG_SZ};
    let mut buffer = [0u16; 128];
    let mut bytes = (buffer.len() * 2) as u32;
    // SAFETY: `buffer` holds `bytes` bytes; RegGetValueW writes at most that many.
    let status = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            w!("SOFTWARE\\Microsoft\\Cryptography"),
            w!("MachineGuid"),
            RRF_RT_REG_SZ,
            None,
            Some(buffer.as_mut_ptr().cast()),
            Some(&mut bytes),
        )
    };
    if status.is_err() {
        anyhow::bail!("reading MachineGuid from the registry failed: {status:?}");
    }
    let len = buffer.iter().position(|c| *c == 0).unwrap_or(buffer.len());
    Ok(String::from_utf16_lossy(&buffer[..len]))
}

#[cfg(not(any(target_os = "linux", windows)))]
fn platform_machine_id() -> anyhow::Result<String> {
    anyhow::bail!("machine id not implemented on this platform yet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_normalised_and_does_not_reveal_the_id() {
        let a = hash_machine_id("0123456789ABCDEF0123456789abcdef\n");
        assert_eq!(a, hash_machine_id("0123456789abcdef0123456789abcdef"));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("0123456789abcdef"));
        assert_ne!(a, hash_machine_id("another machine"));
    }
}
