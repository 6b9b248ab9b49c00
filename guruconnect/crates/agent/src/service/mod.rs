//! Running as a service (GC-12): install and uninstall (idempotent) with the platform's service
//! manager, and the service lifecycle. Linux uses a systemd unit; Windows a LocalSystem service
//! "GuruConnectAgent" (the SCM glue is in `windows.rs`, compiled for Windows in CI).

pub mod lifecycle;
pub mod sas_policy;
pub mod systemd;
#[cfg(windows)]
pub mod windows;

/// What an install or uninstall did: running either twice is safe and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Installed,
    Updated,
    Unchanged,
    Removed,
    Absent,
    Started,
    AlreadyRunning,
}

/// The service to install: which program, with which arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub executable: std::path::PathBuf,
    pub arguments: Vec<String>,
}

pub const SERVICE_NAME: &str = "GuruConnectAgent";
pub const DISPLAY_NAME: &str = "GuruConnect Agent";
pub const DESCRIPTION: &str = "Lets your IT provider's technicians support this computer remotely.";
