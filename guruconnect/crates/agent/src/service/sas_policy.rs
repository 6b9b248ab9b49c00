//! The Windows policy that lets a service send Ctrl+Alt+Del. `SendSAS` (the viewer's
//! Ctrl+Alt+Del button) does nothing unless `SoftwareSASGeneration` under
//! `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System` allows services (bit 1;
//! bit 2 allows Ease of Access applications). `install` adds the services bit and keeps any
//! other bit an administrator set; `uninstall` leaves the policy alone, since other software
//! may rely on it.

/// Bit of `SoftwareSASGeneration` that allows services.
pub const SERVICES: u32 = 1;

/// The value to write given the current one (`None`: not set), or `None` when services are
/// already allowed.
pub fn with_services_allowed(current: Option<u32>) -> Option<u32> {
    let current = current.unwrap_or(0);
    (current & SERVICES == 0).then_some(current | SERVICES)
}

/// Makes sure services may generate the SAS; returns the value written, if any.
#[cfg(windows)]
#[allow(unsafe_code)] // RegGetValueW / RegSetKeyValueW on a local u32 of the size we pass.
pub fn ensure() -> anyhow::Result<Option<u32>> {
    use windows::core::w;
    use windows::Win32::System::Registry::{
        RegGetValueW, RegSetKeyValueW, HKEY_LOCAL_MACHINE, REG_DWORD, RRF_RT_REG_DWORD,
    };
    let key = w!("SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System");
    let name = w!("SoftwareSASGeneration");
    let mut value = 0u32;
    let mut size = std::mem::size_of::<u32>() as u32;
    // SAFETY: `value` is a u32 and `size` says so; RegGetValueW writes at most that.
    let read = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key,
            name,
            RRF_RT_REG_DWORD,
            None,
            Some((&mut value as *mut u32).cast()),
            Some(&mut size),
        )
    };
    let current = read.is_ok().then_some(value);
    let Some(new) = with_services_allowed(current) else {
        return Ok(None);
    };
    // SAFETY: the data pointer and length describe `new`, a u32 (REG_DWORD).
    let written = unsafe {
        RegSetKeyValueW(
            HKEY_LOCAL_MACHINE,
            key,
            name,
            REG_DWORD.0,
            Some((&new as *const u32).cast()),
            std::mem::size_of::<u32>() as u32,
        )
    };
    if written.is_err() {
        anyhow::bail!("setting SoftwareSASGeneration failed: {written:?}");
    }
    Ok(Some(new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_bit_is_added_and_other_bits_are_kept() {
        assert_eq!(with_services_allowed(None), Some(1));
        assert_eq!(with_services_allowed(Some(0)), Some(1));
        assert_eq!(
            with_services_allowed(Some(2)),
            Some(3),
            "Ease of Access kept"
        );
        assert_eq!(with_services_allowed(Some(1)), None, "already allowed");
        assert_eq!(with_services_allowed(Some(3)), None);
    }
}
