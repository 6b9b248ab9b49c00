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

/// Windows' ERROR_SERVICE_DATABASE_LOCKED: the service manager is busy (starting services at
/// boot, another installer); it clears within seconds.
pub const SERVICE_DATABASE_LOCKED: i32 = 1055;
/// How many times a start refused as "database locked" is tried again, and how long apart.
const START_RETRIES: u32 = 20;
const START_RETRY_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// How long to wait before trying a failed service start again (`attempt` counts from 1), or
/// `None` when the failure is not one that passes by itself.
pub fn start_retry_delay(os_error: Option<i32>, attempt: u32) -> Option<std::time::Duration> {
    (os_error == Some(SERVICE_DATABASE_LOCKED) && attempt <= START_RETRIES)
        .then_some(START_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_locked_service_database_is_waited_out_and_not_forever() {
        assert!(start_retry_delay(Some(SERVICE_DATABASE_LOCKED), 1).is_some());
        assert!(start_retry_delay(Some(SERVICE_DATABASE_LOCKED), START_RETRIES).is_some());
        assert_eq!(
            start_retry_delay(Some(SERVICE_DATABASE_LOCKED), START_RETRIES + 1),
            None
        );
        // ERROR_SERVICE_DISABLED, ERROR_ACCESS_DENIED, no OS error at all.
        for other in [Some(1058), Some(5), None] {
            assert_eq!(start_retry_delay(other, 1), None, "{other:?}");
        }
    }
}
