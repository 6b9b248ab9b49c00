//! Reads and sets the owners and DACLs of the settings file, its folder and the installer's
//! registry key (`HKLM\SOFTWARE\GuruConnect`) through the Win32 security API.
#![allow(unsafe_code)] // Named-security-info, SDDL and ACE walking; each call states its contract.

use super::{Ace, AceKind, Security, Trustee};
use anyhow::Context;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use windows::core::PCWSTR;
use windows::Win32::Foundation::{LocalFree, HLOCAL};
use windows::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, GetNamedSecurityInfoW,
    SetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT, SE_OBJECT_TYPE, SE_REGISTRY_KEY,
};
use windows::Win32::Security::{
    AclSizeInformation, GetAce, GetAclInformation, GetSecurityDescriptorDacl,
    GetSecurityDescriptorOwner, IsWellKnownSid, WinBuiltinAdministratorsSid, WinLocalSystemSid,
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_SIZE_INFORMATION, DACL_SECURITY_INFORMATION,
    INHERIT_ONLY_ACE, OWNER_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, PSID,
};
use windows::Win32::System::SystemServices::{ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE};

/// The registry key as the named-security API spells it.
pub const REGISTRY_KEY: &str = r"MACHINE\SOFTWARE\GuruConnect";
/// Owned by Administrators, full control for SYSTEM and Administrators, nothing inherited
/// from the parent.
const PRIVATE_FILE: &str = "O:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)";
/// The same for a folder, passed on to what is created in it.
const PRIVATE_FOLDER: &str = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
const PRIVATE_KEY: &str = "O:BAD:P(A;CI;KA;;;SY)(A;CI;KA;;;BA)";

/// Frees a LocalAlloc'd security descriptor when dropped.
struct LocalDescriptor(PSECURITY_DESCRIPTOR);

impl Drop for LocalDescriptor {
    fn drop(&mut self) {
        if !self.0 .0.is_null() {
            // SAFETY: the descriptor came from an API that allocates with LocalAlloc and is
            // freed exactly once, here.
            unsafe {
                let _ = LocalFree(Some(HLOCAL(self.0 .0)));
            }
        }
    }
}

fn wide(text: &std::ffi::OsStr) -> Vec<u16> {
    text.encode_wide().chain(std::iter::once(0)).collect()
}

pub fn file_security(path: &Path) -> anyhow::Result<Security> {
    security(path.as_os_str(), SE_FILE_OBJECT)
        .with_context(|| format!("reading the permissions of {}", path.display()))
}

pub fn registry_security() -> anyhow::Result<Security> {
    security(REGISTRY_KEY.as_ref(), SE_REGISTRY_KEY)
        .with_context(|| format!("reading the permissions of {REGISTRY_KEY}"))
}

/// Gives the settings file (when it exists), its folder and the registry key (when it
/// exists) SYSTEM-and-Administrators-only DACLs.
pub fn restrict_all(settings_file: &Path) -> anyhow::Result<()> {
    if let Some(folder) = settings_file.parent() {
        std::fs::create_dir_all(folder)?;
        set(folder.as_os_str(), SE_FILE_OBJECT, PRIVATE_FOLDER)
            .with_context(|| format!("restricting {}", folder.display()))?;
    }
    if settings_file.exists() {
        set(settings_file.as_os_str(), SE_FILE_OBJECT, PRIVATE_FILE)
            .with_context(|| format!("restricting {}", settings_file.display()))?;
    }
    if registry_security().is_ok() {
        set(REGISTRY_KEY.as_ref(), SE_REGISTRY_KEY, PRIVATE_KEY)
            .with_context(|| format!("restricting {REGISTRY_KEY}"))?;
    }
    Ok(())
}

fn security(name: &std::ffi::OsStr, object: SE_OBJECT_TYPE) -> anyhow::Result<Security> {
    let name = wide(name);
    let mut owner = PSID::default();
    let mut acl: *mut ACL = std::ptr::null_mut();
    let mut descriptor = PSECURITY_DESCRIPTOR::default();
    // SAFETY: `name` is NUL-terminated; the out-pointers are valid. `owner` and `acl` point
    // into the descriptor, which stays alive (LocalDescriptor) until both have been read.
    let status = unsafe {
        GetNamedSecurityInfoW(
            PCWSTR(name.as_ptr()),
            object,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            Some(&mut owner),
            None,
            Some(&mut acl),
            None,
            &mut descriptor,
        )
    };
    let _descriptor = LocalDescriptor(descriptor);
    anyhow::ensure!(status.is_ok(), "GetNamedSecurityInfoW failed: {status:?}");
    // SAFETY: `owner` is null or a valid SID inside the live descriptor.
    let owner = if owner.0.is_null() {
        Trustee::Other
    } else {
        unsafe { trustee(owner) }
    };
    // A NULL DACL: everybody may do everything.
    let dacl = if acl.is_null() {
        None
    } else {
        // SAFETY: `acl` is a valid DACL inside the live descriptor.
        Some(unsafe { entries(acl) }?)
    };
    Ok(Security { owner, dacl })
}

/// SYSTEM, Administrators or somebody else.
///
/// # Safety
/// `sid` must point to a valid SID.
unsafe fn trustee(sid: PSID) -> Trustee {
    // SAFETY: the caller vouches for the SID.
    unsafe {
        if IsWellKnownSid(sid, WinLocalSystemSid).as_bool() {
            Trustee::System
        } else if IsWellKnownSid(sid, WinBuiltinAdministratorsSid).as_bool() {
            Trustee::Administrators
        } else {
            Trustee::Other
        }
    }
}

/// The entries of `acl` that apply to the object itself.
///
/// # Safety
/// `acl` must point to a valid ACL that outlives the call.
unsafe fn entries(acl: *const ACL) -> anyhow::Result<Vec<Ace>> {
    let mut size = ACL_SIZE_INFORMATION::default();
    // SAFETY: `size` is the structure AclSizeInformation asks for, with its size.
    unsafe {
        GetAclInformation(
            acl,
            (&mut size as *mut ACL_SIZE_INFORMATION).cast(),
            std::mem::size_of::<ACL_SIZE_INFORMATION>() as u32,
            AclSizeInformation,
        )?;
    }
    let mut aces = Vec::new();
    for index in 0..size.AceCount {
        let mut entry: *mut core::ffi::c_void = std::ptr::null_mut();
        // SAFETY: `index` is below the entry count; GetAce points `entry` at the entry inside
        // `acl`. Every ACE begins with ACE_HEADER; allowed and denied entries continue with the
        // mask and the SID (ACCESS_ALLOWED_ACE's layout, shared by ACCESS_DENIED_ACE), and
        // every other kind at least with the mask.
        unsafe {
            GetAce(acl, index, &mut entry)?;
            let header = &*(entry as *const ACE_HEADER);
            if u32::from(header.AceFlags) & INHERIT_ONLY_ACE.0 != 0 {
                continue;
            }
            let ace = &*(entry as *const ACCESS_ALLOWED_ACE);
            let kind = match u32::from(header.AceType) {
                ACCESS_ALLOWED_ACE_TYPE => AceKind::Allow,
                ACCESS_DENIED_ACE_TYPE => AceKind::Deny,
                _ => AceKind::Other,
            };
            let trustee = if kind == AceKind::Other {
                Trustee::Other // the SID sits elsewhere in object entries
            } else {
                trustee(PSID((&ace.SidStart as *const u32).cast_mut().cast()))
            };
            aces.push(Ace {
                kind,
                trustee,
                mask: ace.Mask,
            });
        }
    }
    Ok(aces)
}

fn set(name: &std::ffi::OsStr, object: SE_OBJECT_TYPE, sddl: &str) -> anyhow::Result<()> {
    let name = wide(name);
    let sddl = wide(sddl.as_ref());
    let mut descriptor = PSECURITY_DESCRIPTOR::default();
    // SAFETY: `sddl` is NUL-terminated; the descriptor is allocated by the call and freed by
    // LocalDescriptor after the DACL inside it has been applied.
    unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            PCWSTR(sddl.as_ptr()),
            SDDL_REVISION_1,
            &mut descriptor,
            None,
        )?;
    }
    let descriptor = LocalDescriptor(descriptor);
    let (mut present, mut defaulted) = (Default::default(), Default::default());
    let mut owner_defaulted = Default::default();
    let mut acl: *mut ACL = std::ptr::null_mut();
    let mut owner = PSID::default();
    // SAFETY: `descriptor` is valid; the out-pointers are valid. `name` is NUL-terminated and
    // `owner` and `acl` point into the live descriptor while SetNamedSecurityInfoW copies them.
    // Administrators may make their group the owner (it carries SE_GROUP_OWNER).
    let status = unsafe {
        GetSecurityDescriptorDacl(descriptor.0, &mut present, &mut acl, &mut defaulted)?;
        GetSecurityDescriptorOwner(descriptor.0, &mut owner, &mut owner_defaulted)?;
        SetNamedSecurityInfoW(
            PCWSTR(name.as_ptr()),
            object,
            OWNER_SECURITY_INFORMATION
                | DACL_SECURITY_INFORMATION
                | PROTECTED_DACL_SECURITY_INFORMATION,
            Some(owner),
            None,
            Some(acl),
            None,
        )
    };
    anyhow::ensure!(status.is_ok(), "SetNamedSecurityInfoW failed: {status:?}");
    Ok(())
}
