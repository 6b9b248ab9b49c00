//! Running as a Windows service (RMM-13): `gururmm-agent service` is what the Service Control
//! Manager starts; `install` registers (or updates) and starts it as an auto-start
//! LocalSystem service named `GuruRMM` with SCM crash recovery, `uninstall` stops and removes
//! it; both are safe to repeat. On Linux the agent runs under
//! systemd (`gururmm/packaging/gururmm-agent.service`) and needs nothing from this module.

#[cfg(windows)]
pub use windows_impl::{install, run_as_service, start_when_unlocked, uninstall};

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

    /// Registers (or re-registers) the service to run this executable with `config`, then
    /// starts it (restarting a running one, so an updated registration takes effect). The
    /// configuration must load: a service that fails at every boot helps nobody.
    pub fn install(config: &Path) -> anyhow::Result<&'static str> {
        let config = std::path::absolute(config)?;
        crate::config::AgentConfig::load(&config)
            .map_err(|e| anyhow::anyhow!("not installing with {}: {e}", config.display()))?;
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
                config.into_os_string(),
                OsString::from("service"),
            ],
            dependencies: vec![],
            account_name: None, // LocalSystem
            account_password: None,
        };
        let access = ServiceAccess::QUERY_STATUS
            | ServiceAccess::CHANGE_CONFIG
            | ServiceAccess::START
            | ServiceAccess::STOP;
        let (service, existed) = match manager.open_service(SERVICE_NAME, access) {
            Ok(existing) => {
                existing.change_config(&info)?;
                (existing, true)
            }
            Err(_) => (manager.create_service(&info, access)?, false),
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
        stop_and_wait(&service)?;
        start(&service)?;
        Ok(if existed {
            "updated and restarted"
        } else {
            "installed and started"
        })
    }

    /// Starts `service`, waiting out a service database that is briefly locked (right after
    /// boot, or while another installer runs).
    fn start(service: &windows_service::service::Service) -> anyhow::Result<()> {
        start_when_unlocked(service)
            .map_err(|e| anyhow::Error::new(e).context("starting the service"))
    }

    /// `service.start()`, retried for up to 10 s while the service database is locked
    /// (ERROR_SERVICE_DATABASE_LOCKED): the watchdog's restarts need the same patience.
    pub fn start_when_unlocked(
        service: &windows_service::service::Service,
    ) -> Result<(), windows_service::Error> {
        const DATABASE_LOCKED: i32 = 1055;
        let mut attempt = 1;
        loop {
            match service.start::<&str>(&[]) {
                Err(windows_service::Error::Winapi(e))
                    if e.raw_os_error() == Some(DATABASE_LOCKED) && attempt < 20 =>
                {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(500));
                }
                done => return done,
            }
        }
    }

    /// Stops `service` unless stopped, and waits (30 s at most) until it is.
    fn stop_and_wait(service: &windows_service::service::Service) -> anyhow::Result<()> {
        if service.query_status()?.current_state == ServiceState::Stopped {
            return Ok(());
        }
        let _ = service.stop();
        for _ in 0..150 {
            if service.query_status()?.current_state == ServiceState::Stopped {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        anyhow::bail!("{SERVICE_NAME} did not stop within 30 s")
    }

    /// Stops and removes the service; nothing to do when it is not installed.
    pub fn uninstall() -> anyhow::Result<&'static str> {
        let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)?;
        let access = ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE;
        let Ok(service) = manager.open_service(SERVICE_NAME, access) else {
            return Ok("not installed; nothing to do");
        };
        stop_and_wait(&service)?;
        service.delete()?;
        Ok("stopped and removed")
    }
}
