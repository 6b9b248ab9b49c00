//! The settings file and the installer's registry key hold the machine's agent key, so only
//! the machine's administrators may read or change them (changing them could send the key to
//! another relay): on Unix the file must belong to root (or the agent's own user) and have no
//! group or other permissions; on Windows `install` gives the file, its folder and the
//! registry key a protected DACL of SYSTEM and Administrators with Administrators as owner, and
//! every load refuses a file, folder or key that anybody else owns, may read, may change or may
//! take control of. The Windows decision is plain Rust over the owner and the ACEs, tested
//! everywhere; `windows.rs` reads and writes the real security descriptors.

#[cfg(windows)]
pub mod windows;

use std::path::Path;

/// Who an owner or access-control entry is, as far as the check cares.
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

/// A file's, folder's or key's owner and DACL (`None`: a NULL DACL, which lets everybody do
/// everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    pub owner: Trustee,
    pub dacl: Option<Vec<Ace>>,
}

/// Access bits that let a trustee read the contents, change them, delete or replace them, or
/// rewrite the DACL or owner (and with them everything else). Files, folders and registry keys
/// share the low bits: read data / list folder / query value (0x1), write data / add file /
/// set value (0x2), append / add subfolder / create subkey (0x4), delete child (0x40); then
/// DELETE, WRITE_DAC, WRITE_OWNER, MAXIMUM_ALLOWED, GENERIC_ALL, GENERIC_WRITE, GENERIC_READ.
pub const UNSAFE_ACCESS: u32 = 0x0000_0001
    | 0x0000_0002
    | 0x0000_0004
    | 0x0000_0040
    | 0x0001_0000
    | 0x0004_0000
    | 0x0008_0000
    | 0x0200_0000
    | 0x1000_0000
    | 0x4000_0000
    | 0x8000_0000;

/// Whether anybody but SYSTEM and Administrators owns the object or may read, change or take
/// control of it. Deny entries are not credited: a refusal here is fixed by running `install`
/// again, a wrongly trusted file leaks or redirects the key.
pub fn open_to_others(security: &Security) -> bool {
    if security.owner == Trustee::Other {
        return true; // an owner may always rewrite the DACL
    }
    let Some(aces) = &security.dacl else {
        return true;
    };
    aces.iter().any(|ace| {
        ace.kind != AceKind::Deny && ace.trustee == Trustee::Other && ace.mask & UNSAFE_ACCESS != 0
    })
}

/// Refuses a secret file others could read or change, saying how to fix it.
#[cfg(unix)]
pub fn check(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(path)?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "{} holds the agent key but is readable by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    if meta.uid() != 0 && Some(meta.uid()) != me {
        anyhow::bail!(
            "{} holds the agent key but belongs to another user (uid {}), who could change it; \
             run: chown root {}",
            path.display(),
            meta.uid(),
            path.display()
        );
    }
    Ok(())
}

/// Refuses a secret file (or its folder) others could read or change, saying how to fix it.
#[cfg(windows)]
pub fn check(path: &Path) -> anyhow::Result<()> {
    refuse_if_open(&windows::file_security(path)?, path, "holds the agent key")?;
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(folder) => refuse_if_open(
            &windows::file_security(folder)?,
            folder,
            "holds the settings file with the agent key",
        ),
        None => Ok(()),
    }
}

#[cfg(windows)]
fn refuse_if_open(security: &Security, object: &Path, holds: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !open_to_others(security),
        "{} {holds} but users other than SYSTEM and Administrators may read or change it; run \
         `guruconnect-agent install` as an administrator to restrict it",
        object.display()
    );
    Ok(())
}

#[cfg(not(any(unix, windows)))]
pub fn check(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Refuses the installer's registry key when others could read or change it (Windows only).
#[cfg(windows)]
pub fn check_registry() -> anyhow::Result<()> {
    let security = windows::registry_security()?;
    anyhow::ensure!(
        !open_to_others(&security),
        "{} holds the agent key but users other than SYSTEM and Administrators may read or \
         change it; run `guruconnect-agent install` as an administrator to restrict it",
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

    fn owned_by(owner: Trustee, aces: &[Ace]) -> Security {
        Security {
            owner,
            dacl: Some(aces.to_vec()),
        }
    }

    const FILE_ALL_ACCESS: u32 = 0x001f_01ff;
    const FILE_GENERIC_READ: u32 = 0x0012_0089;
    const FILE_GENERIC_WRITE: u32 = 0x0012_0116;
    const KEY_READ: u32 = 0x0002_0019;
    const KEY_SET_VALUE: u32 = 0x0000_0002;
    const WRITE_DAC: u32 = 0x0004_0000;
    const WRITE_OWNER: u32 = 0x0008_0000;
    const DELETE: u32 = 0x0001_0000;
    const FILE_DELETE_CHILD: u32 = 0x0000_0040;
    const READ_CONTROL_AND_SYNCHRONIZE: u32 = 0x0012_0000;
    const GENERIC_READ: u32 = 0x8000_0000;

    fn private() -> Vec<Ace> {
        vec![
            ace(AceKind::Allow, Trustee::System, FILE_ALL_ACCESS),
            ace(AceKind::Allow, Trustee::Administrators, FILE_ALL_ACCESS),
        ]
    }

    #[test]
    fn system_and_administrators_only_and_owned_by_them_is_private() {
        assert!(!open_to_others(&owned_by(
            Trustee::Administrators,
            &private()
        )));
        assert!(!open_to_others(&owned_by(Trustee::System, &private())));
    }

    #[test]
    fn another_owner_is_not_private_whatever_the_dacl_says() {
        // A user who created the folder before install still owns it and may rewrite its DACL.
        assert!(open_to_others(&owned_by(Trustee::Other, &private())));
    }

    #[test]
    fn others_who_may_read_change_or_take_control_make_it_not_private() {
        // %ProgramData%'s inherited "BUILTIN\Users: read & execute", and worse.
        for mask in [
            FILE_GENERIC_READ,
            KEY_READ,
            GENERIC_READ,
            FILE_ALL_ACCESS,
            FILE_GENERIC_WRITE,
            KEY_SET_VALUE,
            WRITE_DAC,
            WRITE_OWNER,
            DELETE,
            FILE_DELETE_CHILD,
        ] {
            let mut aces = private();
            aces.push(ace(AceKind::Allow, Trustee::Other, mask));
            assert!(
                open_to_others(&owned_by(Trustee::Administrators, &aces)),
                "{mask:#x}"
            );
        }
        let object = [ace(AceKind::Other, Trustee::Other, FILE_GENERIC_READ)];
        assert!(
            open_to_others(&owned_by(Trustee::Administrators, &object)),
            "unknown entry kinds count"
        );
    }

    #[test]
    fn others_with_harmless_rights_or_denied_do_not_count() {
        let mut aces = private();
        aces.push(ace(
            AceKind::Allow,
            Trustee::Other,
            READ_CONTROL_AND_SYNCHRONIZE,
        ));
        aces.push(ace(AceKind::Deny, Trustee::Other, FILE_ALL_ACCESS));
        assert!(!open_to_others(&owned_by(Trustee::Administrators, &aces)));
    }

    #[test]
    fn a_null_dacl_lets_everybody_in_and_an_empty_one_nobody() {
        let null = Security {
            owner: Trustee::Administrators,
            dacl: None,
        };
        assert!(open_to_others(&null));
        assert!(!open_to_others(&owned_by(Trustee::Administrators, &[])));
    }

    #[cfg(unix)]
    #[test]
    fn a_private_file_of_another_user_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let me = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m));
        if me.as_ref().ok() != Some(&0) {
            eprintln!("skipped: needs root to give a file to another user");
            return;
        }
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, "key = \"k\"\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        check(&path).expect("root's own 0600 file");
        std::os::unix::fs::chown(&path, Some(65534), None).expect("chown nobody");
        let error = check(&path).expect_err("nobody's file").to_string();
        assert!(error.contains("belongs to another user"), "{error}");
    }
}
