//! The watchdog's Windows side: the Service Control Manager through its API (the
//! `windows-service` crate) rather than parsing `sc.exe` output, which is localised.

use super::ServiceManager;
use windows_service::service::{ServiceAccess, ServiceState};
use windows_service::service_manager::{ServiceManager as Manager, ServiceManagerAccess};

/// The local Service Control Manager.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scm;

/// The Win32 error itself when there is one: `windows_service::Error` shows only "IO error in
/// winapi call", and the event the technician reads must say what failed.
fn io(e: windows_service::Error) -> std::io::Error {
    match e {
        windows_service::Error::Winapi(inner) => inner,
        other => std::io::Error::other(other),
    }
}

fn open(name: &str, access: ServiceAccess) -> std::io::Result<windows_service::service::Service> {
    let manager =
        Manager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT).map_err(io)?;
    manager.open_service(name, access).map_err(io)
}

impl ServiceManager for Scm {
    fn is_running(&self, name: &str) -> std::io::Result<bool> {
        let status = open(name, ServiceAccess::QUERY_STATUS)?
            .query_status()
            .map_err(io)?;
        Ok(status.current_state != ServiceState::Stopped)
    }

    fn restart(&self, name: &str) -> std::io::Result<()> {
        crate::service::start_when_unlocked(&open(name, ServiceAccess::START)?).map_err(io)
    }
}
