//! Windows: the "GuruConnectAgent" LocalSystem service through `windows-service` — install
//! (auto-start, restart on crash), uninstall, and the `service-run` entry the SCM launches.
//! The lifecycle itself is `lifecycle::run`, reported here through the SCM status handle.

use super::lifecycle::{self, State, StatusSink, StopFlag};
use super::{Change, ServiceSpec, DESCRIPTION, DISPLAY_NAME, SERVICE_NAME};
use std::ffi::{OsStr, OsString};
use std::time::Duration;
use windows_service::service::{
    ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
    ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
    ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{
    self, ServiceControlHandlerResult, ServiceStatusHandle,
};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

/// The work the service does until stopped; set by the binary before `dispatch`.
static WORK: std::sync::OnceLock<fn(&StopFlag) -> anyhow::Result<()>> = std::sync::OnceLock::new();

define_windows_service!(ffi_service_main, service_main);

/// Hands the process to the SCM (the `service-run` entry); returns when the service stops.
pub fn dispatch(work: fn(&StopFlag) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let _ = WORK.set(work);
    service_dispatcher::start(SERVICE_NAME, ffi_service_main)?;
    Ok(())
}

fn service_main(_arguments: Vec<OsString>) {
    let stop = StopFlag::default();
    let on_control = stop.clone();
    let handler = move |control| match control {
        ServiceControl::Stop | ServiceControl::Shutdown => {
            on_control.stop();
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    };
    let Ok(handle) = service_control_handler::register(SERVICE_NAME, handler) else {
        return;
    };
    let mut sink = Scm {
        handle,
        checkpoint: 0,
    };
    let work = WORK.get().copied();
    let _ = lifecycle::run(&mut sink, &stop, |flag| match work {
        Some(work) => work(flag),
        None => anyhow::bail!("service started without its work"),
    });
}

/// Reports lifecycle states to the SCM.
struct Scm {
    handle: ServiceStatusHandle,
    checkpoint: u32,
}

impl StatusSink for Scm {
    fn report(&mut self, state: State) -> anyhow::Result<()> {
        let pending = Duration::from_secs(10);
        let (current_state, controls_accepted, exit_code, wait_hint) = match state {
            State::StartPending => (
                ServiceState::StartPending,
                ServiceControlAccept::empty(),
                0,
                pending,
            ),
            State::Running => (
                ServiceState::Running,
                ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN,
                0,
                Duration::ZERO,
            ),
            State::StopPending => (
                ServiceState::StopPending,
                ServiceControlAccept::empty(),
                0,
                pending,
            ),
            State::Stopped { exit_code } => (
                ServiceState::Stopped,
                ServiceControlAccept::empty(),
                exit_code,
                Duration::ZERO,
            ),
        };
        let is_pending = matches!(state, State::StartPending | State::StopPending);
        self.checkpoint = if is_pending { self.checkpoint + 1 } else { 0 };
        self.handle.set_service_status(ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state,
            controls_accepted,
            exit_code: ServiceExitCode::Win32(exit_code),
            checkpoint: self.checkpoint,
            wait_hint,
            process_id: None,
        })?;
        Ok(())
    }
}

/// Creates or updates the service (LocalSystem, auto-start, restarts after a crash) and starts it.
pub fn install(spec: &ServiceSpec) -> anyhow::Result<Change> {
    let manager = ServiceManager::local_computer(
        None::<&str>,
        ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE,
    )?;
    let info = ServiceInfo {
        name: SERVICE_NAME.into(),
        display_name: DISPLAY_NAME.into(),
        service_type: ServiceType::OWN_PROCESS,
        start_type: ServiceStartType::AutoStart,
        error_control: ServiceErrorControl::Normal,
        executable_path: spec.executable.clone(),
        launch_arguments: spec.arguments.iter().map(OsString::from).collect(),
        dependencies: Vec::new(),
        account_name: None, // LocalSystem
        account_password: None,
    };
    let access = ServiceAccess::QUERY_STATUS
        | ServiceAccess::START
        | ServiceAccess::STOP
        | ServiceAccess::CHANGE_CONFIG
        | ServiceAccess::QUERY_CONFIG;
    let (service, change) = match manager.open_service(SERVICE_NAME, access) {
        Ok(service) => {
            service.change_config(&info)?;
            (service, Change::Updated)
        }
        Err(_) => (manager.create_service(&info, access)?, Change::Installed),
    };
    service.set_description(DESCRIPTION)?;
    let restart_after = |secs| ServiceAction {
        action_type: ServiceActionType::Restart,
        delay: Duration::from_secs(secs),
    };
    service.update_failure_actions(ServiceFailureActions {
        reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(24 * 3600)),
        reboot_msg: None,
        command: None,
        actions: Some(vec![restart_after(5), restart_after(10), restart_after(60)]),
    })?;
    // The settings file and the registry key hold the agent key: SYSTEM and Administrators
    // only, before the service reads them (a load refuses anything looser).
    crate::secret_file::windows::restrict_all(&crate::config::default_path())?;
    let running = service.query_status()?.current_state == ServiceState::Running;
    match (running, change) {
        // The new binary or arguments take effect only in a new process.
        (true, Change::Updated) => restart(&service)?,
        (true, _) => {}
        (false, _) => start_service(&service)?,
    }
    // Without this policy the viewer's Ctrl+Alt+Del (SendSAS) is silently ignored. A failure
    // does not undo the install: everything else works, and the log says what is missing.
    match super::sas_policy::ensure() {
        Ok(Some(value)) => tracing::info!(
            value,
            "allowed services to send Ctrl+Alt+Del (SoftwareSASGeneration)"
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "Ctrl+Alt+Del from viewers will not work"),
    }
    Ok(change)
}

/// How long a stopping service may take before a restart gives up.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

fn restart(service: &windows_service::service::Service) -> anyhow::Result<()> {
    let _ = service.stop(); // already stopping is fine
    let deadline = std::time::Instant::now() + STOP_TIMEOUT;
    while service.query_status()?.current_state != ServiceState::Stopped {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the service did not stop within {STOP_TIMEOUT:?}; restart it by hand"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    start_service(service)
}

/// Starts `service`, waiting out a service database that is busy for a moment (boot, another
/// installer) instead of failing the install.
fn start_service(service: &windows_service::service::Service) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match service.start(&[] as &[&OsStr]) {
            Ok(()) => return Ok(()),
            Err(windows_service::Error::Winapi(e)) => e,
            Err(other) => return Err(other.into()),
        };
        match super::start_retry_delay(error.raw_os_error(), attempt) {
            Some(delay) => std::thread::sleep(delay),
            None => return Err(anyhow::Error::new(error).context("starting the service")),
        }
    }
}

/// Starts the installed service; safe to repeat.
pub fn start() -> anyhow::Result<Change> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)?;
    let access = ServiceAccess::QUERY_STATUS | ServiceAccess::START;
    let service = manager
        .open_service(SERVICE_NAME, access)
        .map_err(|_| anyhow::anyhow!("{SERVICE_NAME} is not installed: run `install` first"))?;
    if matches!(
        service.query_status()?.current_state,
        ServiceState::Running | ServiceState::StartPending
    ) {
        return Ok(Change::AlreadyRunning);
    }
    start_service(&service)?;
    Ok(Change::Started)
}

/// Stops and deletes the service; nothing to do when it is not installed.
pub fn uninstall() -> anyhow::Result<Change> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)?;
    let access = ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE;
    let Ok(service) = manager.open_service(SERVICE_NAME, access) else {
        return Ok(Change::Absent);
    };
    if service.query_status()?.current_state != ServiceState::Stopped {
        let _ = service.stop(); // already stopping is fine
    }
    service.delete()?;
    Ok(Change::Removed)
}
