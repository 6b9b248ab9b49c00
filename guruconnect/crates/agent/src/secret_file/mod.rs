//! The settings file and the installer's registry key hold the machine's agent key, so only
//! the machine's administrators may read them: on Unix the file's mode must be 0600 (or
//! stricter); on Windows `install` gives the file, its folder and the registry key a protected
//! DACL of SYSTEM and Administrators, and every load refuses one that lets anybody else read.
//! The Windows decision is plain Rust over the ACEs, tested everywhere; `windows.rs` reads and
//! writes the real DACLs.

#[cfg(windows)]
pub mod windows;

use std::path::Path;

/// Who an access-control entry is for, as far as the check cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trustee {
    System,
    Administrators,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AceKind {
    Allow,
    Deny,
    /// Object, callback and other allow-like entries: counted as allowing.
    Other,
}

/// One entry of a DACL that applies to the object itself (inherit-only entries are left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ace {
    pub kind: AceKind,
    pub trustee: Trustee,
    pub mask: u32,
}

/// Access bits that let a trustee read the contents: FILE_READ_DATA (files) and
/// KEY_QUERY_VALUE (registry keys) are both bit 0; then GENERIC_ALL, GENERIC_READ and
/// MAXIMUM_ALLOWED.
pub const READ_ACCESS: u32 = 0x0000_0001 | 0x1000_0000 | 0x8000_0000 | 0x0200_0000;

/// Whether anybody but SYSTEM and Administrators may read. `None` is a NULL DACL, which
/// grants everybody everything. Deny entries are not credited: a refusal here is fixed by
/// running `install` again, a wrongly trusted file leaks the key.
pub fn readable_by_others(dacl: Option<&[Ace]>) -> bool {
    let Some(aces) = dacl else {
        return true;
    };
    aces.iter().any(|ace| {
        ace.kind != AceKind::Deny && ace.trustee == Trustee::Other && ace.mask & READ_ACCESS != 0
    })
}

/// Refuses a secret file others can read, saying how to fix it.
#[cfg(unix)]
pub fn check(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "{} holds the agent key but is readable by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

/// Refuses a secret file others can read, saying how to fix it.
#[cfg(windows)]
pub fn check(path: &Path) -> anyhow::Result<()> {
    let dacl = windows::file_dacl(path)?;
    anyhow::ensure!(
        !readable_by_others(dacl.as_deref()),
        "{} holds the agent key but users other than SYSTEM and Administrators may read it; \
         run `guruconnect-agent install` as an administrator to restrict it",
        path.display()
    );
    Ok(())
}

#[cfg(not(any(unix, windows)))]
pub fn check(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Refuses the installer's registry key when others can read it (Windows only).
#[cfg(windows)]
pub fn check_registry() -> anyhow::Result<()> {
    let dacl = windows::registry_dacl()?;
    anyhow::ensure!(
        !readable_by_others(dacl.as_deref()),
        "{} holds the agent key but users other than SYSTEM and Administrators may read it; \
         run `guruconnect-agent install` as an administrator to restrict it",
        windows::REGISTRY_KEY
    );
    Ok(())
}

#[cfg(not(windows))]
pub fn check_registry() -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ace(kind: AceKind, trustee: Trustee, mask: u32) -> Ace {
        Ace {
            kind,
            trustee,
            mask,
        }
    }

    const FILE_ALL_ACCESS: u32 = 0x001f_01ff;
    const FILE_GENERIC_READ: u32 = 0x0012_0089;
    const KEY_READ: u32 = 0x0002_0019;
    const WRITE_DAC: u32 = 0x0004_0000;
    const GENERIC_READ: u32 = 0x8000_0000;

    #[test]
    fn system_and_administrators_only_is_private() {
        let dacl = [
            ace(AceKind::Allow, Trustee::System, FILE_ALL_ACCESS),
            ace(AceKind::Allow, Trustee::Administrators, FILE_ALL_ACCESS),
        ];
        assert!(!readable_by_others(Some(&dacl)));
    }

    #[test]
    fn the_default_programdata_grant_to_users_is_not() {
        // %ProgramData%'s inherited "BUILTIN\Users: read & execute".
        for mask in [FILE_GENERIC_READ, KEY_READ, GENERIC_READ, FILE_ALL_ACCESS] {
            let dacl = [
                ace(AceKind::Allow, Trustee::System, FILE_ALL_ACCESS),
                ace(AceKind::Allow, Trustee::Other, mask),
            ];
            assert!(readable_by_others(Some(&dacl)), "{mask:#x}");
        }
        let object = [ace(AceKind::Other, Trustee::Other, FILE_GENERIC_READ)];
        assert!(
            readable_by_others(Some(&object)),
            "unknown entry kinds count"
        );
    }

    #[test]
    fn others_without_read_access_or_denied_do_not_count() {
        let dacl = [
            ace(AceKind::Allow, Trustee::Administrators, FILE_ALL_ACCESS),
            ace(AceKind::Allow, Trustee::Other, WRITE_DAC),
            ace(AceKind::Deny, Trustee::Other, FILE_ALL_ACCESS),
        ];
        assert!(!readable_by_others(Some(&dacl)));
    }

    #[test]
    fn a_null_dacl_lets_everybody_read() {
        assert!(readable_by_others(None));
        assert!(
            !readable_by_others(Some(&[])),
            "an empty DACL lets nobody in"
        );
    }
}
