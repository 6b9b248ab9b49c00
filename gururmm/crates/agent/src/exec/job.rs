//! Windows: a command's whole process tree in one job object, so a timeout ends every process
//! it started. Windows has no process groups; `taskkill /T` walks parent ids, which miss a
//! grandchild whose parent already exited. A job is inherited by every process created inside
//! it, so the child is started suspended, put in its job, and only then resumed: nothing it
//! starts can be created before it is in the job.
#![allow(unsafe_code)] // Job and thread calls; each states what it relies on.

use super::privilege::Owned;
use windows::Win32::Foundation::HANDLE;
use windows::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
};
use windows::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, TerminateJobObject,
};
use windows::Win32::System::Threading::{
    OpenThread, ResumeThread, CREATE_NO_WINDOW, CREATE_SUSPENDED, THREAD_SUSPEND_RESUME,
};

/// Creation flags for a child that [`Job::adopt`] takes in: suspended, and without a console
/// window (a service has no desktop to show one on).
pub const CREATION_FLAGS: u32 = CREATE_SUSPENDED.0 | CREATE_NO_WINDOW.0;

/// The job holding one command's processes. Closing it does not end them (a command may
/// leave a program running on purpose, as on Unix); [`Job::terminate`] does.
pub struct Job(Owned);

impl Job {
    /// Puts `child`, started with [`CREATION_FLAGS`], in a new job and resumes it. The child
    /// is killed when it cannot be resumed, since it would otherwise sit suspended forever.
    pub fn adopt(child: &mut tokio::process::Child) -> std::io::Result<Self> {
        let adopted = Self::assign(child).and_then(|job| {
            resume(child.id().unwrap_or(0))?;
            Ok(job)
        });
        if adopted.is_err() {
            let _ = child.start_kill();
        }
        adopted
    }

    fn assign(child: &tokio::process::Child) -> std::io::Result<Self> {
        let process = child
            .raw_handle()
            .ok_or_else(|| std::io::Error::other("the command ended before it started"))?;
        // SAFETY: no security attributes and no name: a private, unnamed job we own.
        let job = Owned(unsafe { CreateJobObjectW(None, None) }.map_err(std::io::Error::other)?);
        // SAFETY: both handles are live: the job just created, the child's process handle
        // owned by `child`, which the caller keeps alive.
        unsafe { AssignProcessToJobObject(job.0, HANDLE(process)) }
            .map_err(std::io::Error::other)?;
        Ok(Self(job))
    }

    /// Ends every process in the job with `exit_code`.
    pub fn terminate(&self, exit_code: u32) -> std::io::Result<()> {
        // SAFETY: the job handle is live for as long as `self`.
        unsafe { TerminateJobObject(self.0 .0, exit_code) }.map_err(std::io::Error::other)
    }
}

/// Resumes the threads of the suspended process `pid` (a new process has one).
fn resume(pid: u32) -> std::io::Result<()> {
    // SAFETY: a thread snapshot of the system; we own the handle it returns.
    let snapshot = Owned(
        unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) }.map_err(std::io::Error::other)?,
    );
    let mut entry = THREADENTRY32 {
        dwSize: std::mem::size_of::<THREADENTRY32>() as u32,
        ..Default::default()
    };
    let mut resumed = 0;
    // SAFETY: `entry` is a THREADENTRY32 whose dwSize says so, as the walk requires.
    let mut more = unsafe { Thread32First(snapshot.0, &mut entry) }.is_ok();
    while more {
        if entry.th32OwnerProcessID == pid {
            // SAFETY: a thread id from the snapshot; we own the handle OpenThread returns.
            let thread = Owned(
                unsafe { OpenThread(THREAD_SUSPEND_RESUME, false, entry.th32ThreadID) }
                    .map_err(std::io::Error::other)?,
            );
            // SAFETY: a live thread handle opened with THREAD_SUSPEND_RESUME.
            if unsafe { ResumeThread(thread.0) } == u32::MAX {
                return Err(std::io::Error::last_os_error());
            }
            resumed += 1;
        }
        // SAFETY: as for Thread32First.
        more = unsafe { Thread32Next(snapshot.0, &mut entry) }.is_ok();
    }
    if resumed == 0 {
        return Err(std::io::Error::other(format!(
            "no thread of process {pid} to resume"
        )));
    }
    Ok(())
}
