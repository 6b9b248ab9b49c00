//! Running as a Windows service (RMM-13): `gururmm-agent service` is what the Service Control
//! Manager starts; `install` / `uninstall` register it idempotently as an auto-start
//! LocalSystem service named `GuruRMM` with SCM crash recovery. On Linux the agent runs under
//! systemd (`gururmm/packaging/gururmm-agent.service`) and needs nothing from this module.

#[cfg(windows)]
pub use windows_impl::{install, run_as_service, uninstall};

#[cfg(windows)]
mod windows_impl {
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;
    use std::time::Duration;
    use windows_service::service::{
        ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
        ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
        ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
    };
    use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
    use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
    use windows_service::{define_windows_service, service_dispatcher};

    pub const SERVICE_NAME: &str = "GuruRMM";
    const DISPLAY_NAME: &str = "GuruRMM Agent";

    /// The config path handed from `main` to the service entry point (which the SCM calls with
    /// its own arguments).
    static CONFIG: OnceLock<PathBuf> = OnceLock::new();

    define_windows_service!(ffi_service_main, service_main);

    /// Hands this process to the SCM; returns when the service stops.
    pub fn run_as_service(config: &Path) -> anyhow::Result<()> {
        let _ = CONFIG.set(config.to_path_buf());
        service_dispatcher::start(SERVICE_NAME, ffi_service_main)?;
        Ok(())
    }

    fn service_main(_arguments: Vec<OsString>) {
        if let Err(e) = serve() {
            tracing::error!(error = %format!("{e:#}"), "service failed");
        }
    }

    fn status(state: ServiceState, accept: ServiceControlAccept, code: u32) -> ServiceStatus {
        ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted: accept,
            exit_code: ServiceExitCode::Win32(code),
            checkpoint: 0,
            wait_hint: Duration::from_secs(10),
            process_id: None,
        }
    }

    fn serve() -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let handler = move |control| match control {
            ServiceControl::Stop | ServiceControl::Shutdown => {
                let _ = stop_tx.send(true);
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
            _ => ServiceControlHandlerResult::NotImplemented,
        };
        let handle = service_control_handler::register(SERVICE_NAME, handler)?;
        handle.set_service_status(status(
            ServiceState::Running,
            ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN,
            0,
        ))?;
        let config = CONFIG.get().cloned().unwrap_or_default();
        let result = tokio::runtime::Runtime::new()?.block_on(crate::run(&config, stop_rx));
        let code = u32::from(result.is_err());
        handle.set_service_status(status(
            ServiceState::Stopped,
            ServiceControlAccept::empty(),
            code,
        ))?;
        result
    }

    /// Registers (or re-registers) the service to run this executable with `config`.
    pub fn install(config: &Path) -> anyhow::Result<()> {
        let manager = ServiceManager::local_computer(
            None::<&str>,
            ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE,
        )?;
        let info = ServiceInfo {
            name: OsString::from(SERVICE_NAME),
            display_name: OsString::from(DISPLAY_NAME),
            service_type: ServiceType::OWN_PROCESS,
            start_type: ServiceStartType::AutoStart,
            error_control: ServiceErrorControl::Normal,
            executable_path: std::env::current_exe()?,
            launch_arguments: vec![
                OsString::from("--config"),
                config.as_os_str().to_owned(),
                OsString::from("service"),
            ],
            dependencies: vec![],
            account_name: None, // LocalSystem
            account_password: None,
        };
        let access =
            ServiceAccess::QUERY_STATUS | ServiceAccess::CHANGE_CONFIG | ServiceAccess::START;
        let service = match manager.open_service(SERVICE_NAME, access) {
            Ok(existing) => {
                existing.change_config(&info)?;
                existing
            }
            Err(_) => manager.create_service(&info, access)?,
        };
        // Crash recovery: restart after 5 s, 30 s, then every 60 s; reset the count daily.
        let restart = |secs| ServiceAction {
            action_type: ServiceActionType::Restart,
            delay: Duration::from_secs(secs),
        };
        service.update_failure_actions(ServiceFailureActions {
            reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(86_400)),
            reboot_msg: None,
            command: None,
            actions: Some(vec![restart(5), restart(30), restart(60)]),
        })?;
        service.set_description("GuruRMM monitoring and management agent")?;
        Ok(())
    }

    /// Stops and removes the service; succeeds when it is not installed.
    pub fn uninstall() -> anyhow::Result<()> {
        let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)?;
        let access = ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE;
        let Ok(service) = manager.open_service(SERVICE_NAME, access) else {
            return Ok(());
        };
        if service.query_status()?.current_state != ServiceState::Stopped {
            let _ = service.stop();
        }
        service.delete()?;
        Ok(())
    }
}
