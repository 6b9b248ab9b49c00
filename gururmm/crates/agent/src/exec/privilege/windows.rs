//! Windows side of running unelevated. The agent (LocalSystem as a service) starts commands
//! through its own hidden `run-unelevated` entry, which derives a restricted primary token
//! from its token — Administrators deny-only, every privilege but change-notify removed,
//! medium integrity — starts the command under it with the same standard handles, waits, and
//! exits with the command's exit code. Going through a helper process keeps the pipes,
//! timeout and tree kill of `process::run` unchanged. The account itself stays the agent's:
//! files whose ACL names that account directly are still reachable; what is gone is what
//! administrators and privileges grant.
#![allow(unsafe_code)] // Token and process calls; each states what it relies on.

use super::{windows_command_line, Args};
use windows::core::{BOOL, PWSTR};
use windows::Win32::Foundation::{CloseHandle, HANDLE};
use windows::Win32::Security::{
    CheckTokenMembership, CreateRestrictedToken, CreateWellKnownSid, GetLengthSid,
    SetTokenInformation, TokenIntegrityLevel, WinBuiltinAdministratorsSid, WinMediumLabelSid,
    DISABLE_MAX_PRIVILEGE, LUA_TOKEN, PSID, SID_AND_ATTRIBUTES, TOKEN_ADJUST_DEFAULT,
    TOKEN_ASSIGN_PRIMARY, TOKEN_DUPLICATE, TOKEN_MANDATORY_LABEL, TOKEN_QUERY, WELL_KNOWN_SID_TYPE,
};
use windows::Win32::System::Console::{
    GetStdHandle, STD_ERROR_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
};
use windows::Win32::System::SystemServices::SE_GROUP_INTEGRITY;
use windows::Win32::System::Threading::{
    CreateProcessAsUserW, GetCurrentProcess, GetExitCodeProcess, OpenProcessToken,
    WaitForSingleObject, CREATE_NO_WINDOW, CREATE_UNICODE_ENVIRONMENT, INFINITE,
    PROCESS_INFORMATION, STARTF_USESTDHANDLES, STARTUPINFOW,
};

/// Large enough for any SID (SECURITY_MAX_SID_SIZE).
const MAX_SID: usize = 68;

/// A handle closed when dropped (also the job objects of `exec::job`).
pub(crate) struct Owned(pub(crate) HANDLE);

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful Win32 call and is closed only here.
        unsafe {
            let _ = CloseHandle(self.0);
        }
    }
}

// SAFETY: a kernel handle is valid from any thread; the calls made through it (waits, job
// termination, closing) are thread-safe kernel calls that Windows synchronises itself.
unsafe impl Send for Owned {}
// SAFETY: as for Send.
unsafe impl Sync for Owned {}

/// A well-known SID in its own buffer.
struct Sid([u8; MAX_SID]);

impl Sid {
    fn well_known(kind: WELL_KNOWN_SID_TYPE) -> std::io::Result<Self> {
        let mut sid = Sid([0; MAX_SID]);
        let mut size = MAX_SID as u32;
        // SAFETY: the buffer holds `size` bytes, the largest a SID can be.
        unsafe { CreateWellKnownSid(kind, None, Some(sid.psid()), &mut size) }
            .map_err(std::io::Error::other)?;
        Ok(sid)
    }

    fn psid(&mut self) -> PSID {
        PSID(self.0.as_mut_ptr().cast())
    }
}

/// True when this process's token has the Administrators group enabled: LocalSystem and
/// elevated administrators, not a UAC-filtered admin (whose group is deny-only).
pub fn is_administrator() -> bool {
    let Ok(mut admins) = Sid::well_known(WinBuiltinAdministratorsSid) else {
        return false;
    };
    let mut member = BOOL(0);
    // SAFETY: a null token means this thread's effective token; the SID buffer is valid.
    let checked = unsafe { CheckTokenMembership(None, admins.psid(), &mut member) };
    checked.is_ok() && member.as_bool()
}

/// The `run-unelevated` entry: runs `program args…` under a restricted copy of this process's
/// token with this process's standard handles, and returns its exit code.
pub fn run_restricted(program: &str, args: &Args) -> std::io::Result<i32> {
    let token = restricted_token()?;
    let mut line: Vec<u16> = windows_command_line(program, args)
        .encode_utf16()
        .chain(std::iter::once(0))
        .collect();
    // SAFETY: GetStdHandle has no preconditions; the handles stay owned by this process.
    let (input, output, error) = unsafe {
        (
            GetStdHandle(STD_INPUT_HANDLE).map_err(std::io::Error::other)?,
            GetStdHandle(STD_OUTPUT_HANDLE).map_err(std::io::Error::other)?,
            GetStdHandle(STD_ERROR_HANDLE).map_err(std::io::Error::other)?,
        )
    };
    let startup = STARTUPINFOW {
        cb: std::mem::size_of::<STARTUPINFOW>() as u32,
        dwFlags: STARTF_USESTDHANDLES,
        hStdInput: input,
        hStdOutput: output,
        hStdError: error,
        ..Default::default()
    };
    let mut info = PROCESS_INFORMATION::default();
    // SAFETY: `token` is a primary token we own; `line` is a NUL-terminated UTF-16 buffer that
    // outlives the call (CreateProcessAsUserW may write to it); the standard handles were
    // inherited by this process as inheritable (that is how it received them) and pass on;
    // a null environment inherits ours.
    unsafe {
        CreateProcessAsUserW(
            Some(token.0),
            None,
            Some(PWSTR(line.as_mut_ptr())),
            None,
            None,
            true,
            CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
            None,
            None,
            &startup,
            &mut info,
        )
    }
    .map_err(std::io::Error::other)?;
    let process = Owned(info.hProcess);
    drop(Owned(info.hThread));
    let mut code = 0u32;
    // SAFETY: `process` is a live process handle we own; `code` receives the exit code.
    unsafe {
        WaitForSingleObject(process.0, INFINITE);
        GetExitCodeProcess(process.0, &mut code).map_err(std::io::Error::other)?;
    }
    // NTSTATUS-style codes (0xC000…) come back negative, as Windows shells show them.
    Ok(code as i32)
}

/// This process's token, restricted: Administrators deny-only, privileges removed (LUA),
/// integrity lowered to medium so it cannot write to objects labelled high or system.
fn restricted_token() -> std::io::Result<Owned> {
    let mut own = HANDLE::default();
    // SAFETY: our own process pseudo-handle; `own` receives a handle we then own.
    unsafe {
        OpenProcessToken(
            GetCurrentProcess(),
            TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT,
            &mut own,
        )
    }
    .map_err(std::io::Error::other)?;
    let own = Owned(own);
    let mut admins = Sid::well_known(WinBuiltinAdministratorsSid)?;
    let disable = [SID_AND_ATTRIBUTES {
        Sid: admins.psid(),
        Attributes: 0,
    }];
    let mut restricted = HANDLE::default();
    // SAFETY: `own` is a valid token with TOKEN_DUPLICATE; `disable` outlives the call.
    unsafe {
        CreateRestrictedToken(
            own.0,
            DISABLE_MAX_PRIVILEGE | LUA_TOKEN,
            Some(&disable),
            None,
            None,
            &mut restricted,
        )
    }
    .map_err(std::io::Error::other)?;
    let restricted = Owned(restricted);
    let mut medium = Sid::well_known(WinMediumLabelSid)?;
    let label = TOKEN_MANDATORY_LABEL {
        Label: SID_AND_ATTRIBUTES {
            Sid: medium.psid(),
            Attributes: SE_GROUP_INTEGRITY as u32,
        },
    };
    // SAFETY: `label` points at a live SID; the length covers the structure and the SID.
    unsafe {
        let length =
            std::mem::size_of::<TOKEN_MANDATORY_LABEL>() as u32 + GetLengthSid(medium.psid());
        SetTokenInformation(
            restricted.0,
            TokenIntegrityLevel,
            std::ptr::from_ref(&label).cast(),
            length,
        )
    }
    .map_err(std::io::Error::other)?;
    Ok(restricted)
}
