//! The Win32 `SessionHost`: which session owns the console, and starting this program there as
//! SYSTEM (our own token, duplicated, with its session id changed) on the interactive desktop.
#![allow(unsafe_code)] // Token and process calls; each states what it relies on.

use super::{quote_windows_arg as quote, SessionHost, WorkerChild, WORKER_MARKER};
use windows::core::PWSTR;
use windows::Win32::Foundation::{CloseHandle, HANDLE, WAIT_OBJECT_0};
use windows::Win32::Security::{
    DuplicateTokenEx, SecurityImpersonation, SetTokenInformation, TokenPrimary, TokenSessionId,
    TOKEN_ADJUST_DEFAULT, TOKEN_ADJUST_SESSIONID, TOKEN_ALL_ACCESS, TOKEN_ASSIGN_PRIMARY,
    TOKEN_DUPLICATE, TOKEN_QUERY,
};
use windows::Win32::System::RemoteDesktop::{ProcessIdToSessionId, WTSGetActiveConsoleSessionId};
use windows::Win32::System::Threading::{
    CreateProcessAsUserW, GetCurrentProcess, GetCurrentProcessId, GetExitCodeProcess,
    OpenProcessToken, TerminateProcess, WaitForSingleObject, CREATE_NO_WINDOW,
    CREATE_UNICODE_ENVIRONMENT, PROCESS_INFORMATION, STARTUPINFOW,
};

/// True when this process sits in session 0 and is not already the worker: it must hand the
/// work to a copy in the console session.
pub fn must_delegate() -> bool {
    if std::env::var_os(WORKER_MARKER).is_some() {
        return false;
    }
    let mut session = u32::MAX;
    // SAFETY: `session` is a valid place for the answer; the pid is our own.
    let known = unsafe { ProcessIdToSessionId(GetCurrentProcessId(), &mut session) }.is_ok();
    known && session == 0
}

/// Starts copies of this very command line.
pub struct Win32Host {
    command_line: Vec<u16>,
}

impl Win32Host {
    /// The worker runs this program with the same arguments and environment, plus the marker.
    pub fn for_this_process() -> Self {
        Self::with_args(std::env::args().skip(1).collect())
    }

    /// The worker runs this program with `args` (the service's worker runs `run`).
    pub fn with_args(args: Vec<String>) -> Self {
        // Children inherit the environment (lpEnvironment is null below).
        std::env::set_var(WORKER_MARKER, "1");
        let exe = std::env::current_exe()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "guruconnect-agent.exe".into());
        let line = std::iter::once(exe)
            .chain(args)
            .map(|a| quote(&a))
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            command_line: line.encode_utf16().chain(std::iter::once(0)).collect(),
        }
    }
}

impl SessionHost for Win32Host {
    type Child = Worker;

    fn console_session(&self) -> Option<u32> {
        // SAFETY: no preconditions; 0xFFFFFFFF means no session is attached to the console.
        let session = unsafe { WTSGetActiveConsoleSessionId() };
        (session != u32::MAX).then_some(session)
    }

    fn spawn_worker(&mut self, session: u32) -> std::io::Result<Worker> {
        let token = session_token(session)?;
        let mut desktop: Vec<u16> = "winsta0\\default\0".encode_utf16().collect();
        let startup = STARTUPINFOW {
            cb: std::mem::size_of::<STARTUPINFOW>() as u32,
            lpDesktop: PWSTR(desktop.as_mut_ptr()),
            ..Default::default()
        };
        let mut info = PROCESS_INFORMATION::default();
        let mut line = self.command_line.clone();
        // SAFETY: `token` is a primary token we own; `line` and `desktop` are NUL-terminated
        // UTF-16 buffers that outlive the call (CreateProcessAsUserW may write to `line`);
        // `startup` and `info` are valid for the call; a null environment inherits ours.
        let created = unsafe {
            CreateProcessAsUserW(
                Some(token.0),
                None,
                Some(PWSTR(line.as_mut_ptr())),
                None,
                None,
                false,
                CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW,
                None,
                None,
                &startup,
                &mut info,
            )
        };
        created.map_err(std::io::Error::other)?;
        // SAFETY: the thread handle is ours to close; we keep only the process handle.
        unsafe {
            let _ = CloseHandle(info.hThread);
        }
        Ok(Worker {
            process: OwnedHandle(info.hProcess),
        })
    }
}

/// A handle closed when dropped.
struct OwnedHandle(HANDLE);

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful Win32 call and is closed only here.
        unsafe {
            let _ = CloseHandle(self.0);
        }
    }
}

/// Our own (SYSTEM) token, duplicated as a primary token and moved to `session`.
fn session_token(session: u32) -> std::io::Result<OwnedHandle> {
    let mut own = HANDLE::default();
    let access = TOKEN_DUPLICATE
        | TOKEN_QUERY
        | TOKEN_ADJUST_DEFAULT
        | TOKEN_ADJUST_SESSIONID
        | TOKEN_ASSIGN_PRIMARY;
    // SAFETY: the pseudo-handle of the current process needs no closing; `own` receives the
    // token handle, which OwnedHandle then closes.
    unsafe { OpenProcessToken(GetCurrentProcess(), access, &mut own) }
        .map_err(std::io::Error::other)?;
    let own = OwnedHandle(own);
    let mut duplicate = HANDLE::default();
    // SAFETY: `own.0` is a valid token handle; `duplicate` receives the new one.
    unsafe {
        DuplicateTokenEx(
            own.0,
            TOKEN_ALL_ACCESS,
            None,
            SecurityImpersonation,
            TokenPrimary,
            &mut duplicate,
        )
    }
    .map_err(std::io::Error::other)?;
    let duplicate = OwnedHandle(duplicate);
    // SAFETY: TokenSessionId takes a u32; the pointer and size describe `session`. Changing a
    // token's session needs SeTcbPrivilege, which LocalSystem holds.
    unsafe {
        SetTokenInformation(
            duplicate.0,
            TokenSessionId,
            (&session as *const u32).cast(),
            std::mem::size_of::<u32>() as u32,
        )
    }
    .map_err(std::io::Error::other)?;
    Ok(duplicate)
}

pub struct Worker {
    process: OwnedHandle,
}

impl WorkerChild for Worker {
    fn exited(&mut self) -> Option<i32> {
        // SAFETY: a valid process handle; a zero timeout only polls.
        if unsafe { WaitForSingleObject(self.process.0, 0) } != WAIT_OBJECT_0 {
            return None;
        }
        let mut code = 0u32;
        // SAFETY: the process has ended; `code` receives its exit code.
        unsafe { GetExitCodeProcess(self.process.0, &mut code) }.ok()?;
        Some(code as i32)
    }

    fn kill(&mut self) {
        // SAFETY: a valid process handle with terminate access (we created the process).
        unsafe {
            let _ = TerminateProcess(self.process.0, 1);
        }
    }
}
