//! What Windows tells about the machine beyond sysinfo: the console session's user (not the
//! SYSTEM account the agent runs as), whether that user is a local administrator, the time
//! zone's key name, and maker, model and serial number from the firmware's SMBIOS table.
#![allow(unsafe_code)] // WTS, NetAPI, SID and firmware-table calls; each states its contract.

use super::smbios::{self, SystemInfo};
use windows::core::{PCWSTR, PWSTR};
use windows::Win32::NetworkManagement::NetManagement::{
    NetApiBufferFree, NetUserGetLocalGroups, LG_INCLUDE_INDIRECT, LOCALGROUP_USERS_INFO_0,
    MAX_PREFERRED_LENGTH,
};
use windows::Win32::Security::{
    CreateWellKnownSid, LookupAccountSidW, WinBuiltinAdministratorsSid, PSID,
    SECURITY_MAX_SID_SIZE, SID_NAME_USE,
};
use windows::Win32::System::RemoteDesktop::{
    WTSDomainName, WTSFreeMemory, WTSGetActiveConsoleSessionId, WTSQuerySessionInformationW,
    WTSUserName, WTS_CURRENT_SERVER_HANDLE, WTS_INFO_CLASS,
};
use windows::Win32::System::SystemInformation::{GetSystemFirmwareTable, RSMB};
use windows::Win32::System::Time::{GetDynamicTimeZoneInformation, DYNAMIC_TIME_ZONE_INFORMATION};

/// `DOMAIN\user` of the console session, or empty at the logon screen.
pub fn console_user() -> String {
    // SAFETY: no preconditions.
    let session = unsafe { WTSGetActiveConsoleSessionId() };
    if session == u32::MAX {
        return String::new(); // no console session (being attached or detached)
    }
    let user = session_string(session, WTSUserName);
    if user.is_empty() {
        return user;
    }
    match session_string(session, WTSDomainName) {
        domain if domain.is_empty() => user,
        domain => format!("{domain}\\{user}"),
    }
}

fn session_string(session: u32, class: WTS_INFO_CLASS) -> String {
    let mut buffer = PWSTR::null();
    let mut bytes = 0u32;
    // SAFETY: both out-pointers are valid; on success the buffer is a NUL-terminated UTF-16
    // string owned by WTS, read once and freed with WTSFreeMemory.
    unsafe {
        if WTSQuerySessionInformationW(
            Some(WTS_CURRENT_SERVER_HANDLE),
            session,
            class,
            &mut buffer,
            &mut bytes,
        )
        .is_err()
            || buffer.is_null()
        {
            return String::new();
        }
        let text = buffer.to_string().unwrap_or_default();
        WTSFreeMemory(buffer.as_ptr().cast());
        text
    }
}

/// Whether `user` (`DOMAIN\user` or `user`) belongs, directly or through a domain group, to
/// the local Administrators group.
pub fn is_local_admin(user: &str) -> bool {
    if user.is_empty() {
        return false;
    }
    let Some(administrators) = administrators_group_name() else {
        return false;
    };
    local_groups(user)
        .iter()
        .any(|g| g.eq_ignore_ascii_case(&administrators))
}

fn local_groups(user: &str) -> Vec<String> {
    let name = wide(user);
    let mut buffer: *mut u8 = std::ptr::null_mut();
    let (mut read, mut total) = (0u32, 0u32);
    // SAFETY: `name` is NUL-terminated and outlives the call; the out-pointers are valid. On
    // success `buffer` holds `read` LOCALGROUP_USERS_INFO_0 entries allocated by NetAPI, read
    // before NetApiBufferFree releases them.
    unsafe {
        let status = NetUserGetLocalGroups(
            PCWSTR::null(),
            PCWSTR(name.as_ptr()),
            0,
            LG_INCLUDE_INDIRECT,
            &mut buffer,
            MAX_PREFERRED_LENGTH,
            &mut read,
            &mut total,
        );
        if status != 0 || buffer.is_null() {
            if !buffer.is_null() {
                NetApiBufferFree(Some(buffer.cast()));
            }
            return Vec::new();
        }
        let entries =
            std::slice::from_raw_parts(buffer.cast::<LOCALGROUP_USERS_INFO_0>(), read as usize);
        let groups = entries
            .iter()
            .filter_map(|e| e.lgrui0_name.to_string().ok())
            .collect();
        NetApiBufferFree(Some(buffer.cast()));
        groups
    }
}

/// The Administrators group's name in this system's language ("Administratoren", …).
fn administrators_group_name() -> Option<String> {
    let mut sid = [0u8; SECURITY_MAX_SID_SIZE as usize];
    let mut sid_len = SECURITY_MAX_SID_SIZE;
    let psid = PSID(sid.as_mut_ptr().cast());
    let mut name = [0u16; 256];
    let mut domain = [0u16; 256];
    let (mut name_len, mut domain_len) = (name.len() as u32, domain.len() as u32);
    let mut kind = SID_NAME_USE::default();
    // SAFETY: `sid` has room for the largest SID and its size is passed; the name buffers'
    // lengths in characters are passed and updated by the call.
    unsafe {
        CreateWellKnownSid(WinBuiltinAdministratorsSid, None, Some(psid), &mut sid_len).ok()?;
        LookupAccountSidW(
            PCWSTR::null(),
            psid,
            Some(PWSTR(name.as_mut_ptr())),
            &mut name_len,
            Some(PWSTR(domain.as_mut_ptr())),
            &mut domain_len,
            &mut kind,
        )
        .ok()?;
    }
    Some(String::from_utf16_lossy(&name[..name_len as usize]))
}

/// The time zone's registry key name, e.g. "W. Europe Standard Time".
pub fn time_zone() -> String {
    let mut info = DYNAMIC_TIME_ZONE_INFORMATION::default();
    // SAFETY: `info` is a valid, writable structure of the expected type.
    let result = unsafe { GetDynamicTimeZoneInformation(&mut info) };
    if result == u32::MAX {
        return String::new(); // TIME_ZONE_ID_INVALID
    }
    let key = &info.TimeZoneKeyName;
    let end = key.iter().position(|&c| c == 0).unwrap_or(key.len());
    String::from_utf16_lossy(&key[..end])
}

/// Maker, model and serial from the firmware's SMBIOS table.
pub fn hardware() -> SystemInfo {
    // SAFETY: asking with no buffer only returns the size needed.
    let needed = unsafe { GetSystemFirmwareTable(RSMB, 0, None) };
    if needed == 0 {
        return SystemInfo::default();
    }
    let mut buffer = vec![0u8; needed as usize];
    // SAFETY: the buffer is writable and as large as the size the first call reported.
    let written = unsafe { GetSystemFirmwareTable(RSMB, 0, Some(&mut buffer)) };
    buffer.truncate(written.min(needed) as usize);
    smbios::from_raw_smbios_data(&buffer)
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}
