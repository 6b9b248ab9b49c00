//! `guruconnect-agent`: `run` joins the relay (attended with `--support-code`, unattended with a
//! per-machine key), `--test-capture` writes one PNG per display, `machine-uid` prints this
//! machine's identity. Thin: the work is in the library.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use guruconnect_agent::config::{self, Settings};
#[cfg(not(windows))]
use guruconnect_agent::service::systemd::Systemd;
use guruconnect_agent::service::{Change, ServiceSpec};
use guruconnect_agent::session::Credential;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    version,
    about = "GuruConnect agent: shares this screen with a technician"
)]
struct Cli {
    /// Write one capture per display (OUT.png, OUT-1.png, …) and exit.
    #[arg(long, value_name = "OUT.png")]
    test_capture: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Connect to the relay and share the screen.
    Run(RunArgs),
    /// Install (or update) and start the agent as a system service; safe to repeat.
    Install {
        /// Settings file the service uses (Linux; Windows reads the registry and
        /// %ProgramData%\GuruConnect\agent.toml).
        #[arg(long, default_value_os_t = config::default_path())]
        config: PathBuf,
    },
    /// Stop and remove the system service; safe to repeat.
    Uninstall,
    /// Start the installed system service; safe to repeat.
    Start,
    /// The entry the Windows service manager starts.
    #[command(hide = true)]
    ServiceRun,
    /// Print this machine's hashed identity.
    MachineUid,
    /// Print the inventory this agent reports about the machine (what the technician sees).
    Inventory,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Settings file (TOML). Default: /etc/guruconnect/agent.toml, or
    /// %ProgramData%\GuruConnect\agent.toml on Windows, when present.
    #[arg(long, env = "GURUCONNECT_AGENT_CONFIG")]
    config: Option<PathBuf>,
    /// Relay URL, ws://host:port or wss://host:port.
    #[arg(long, env = "GURUCONNECT_SERVER")]
    server: Option<String>,
    /// PEM file of certificates to trust for wss:// besides the public roots (a private CA, or
    /// the relay's self-signed certificate).
    #[arg(long, env = "GURUCONNECT_CA_CERT", value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Attended mode: the support code the end user was given; one session, then exit.
    #[arg(long, conflicts_with_all = ["agent_id", "key"])]
    support_code: Option<String>,
    /// Unattended mode: this machine's agent id.
    #[arg(long, env = "GURUCONNECT_AGENT_ID")]
    agent_id: Option<String>,
    /// Unattended mode: the per-machine key. Prefer the settings file or the environment:
    /// command lines are visible to other users.
    #[arg(long, env = "GURUCONNECT_AGENT_KEY", hide_env_values = true)]
    key: Option<String>,
    /// X11 display to share (default: $DISPLAY).
    #[arg(long)]
    display: Option<String>,
    /// Log filter, e.g. info or guruconnect_agent=debug.
    #[arg(long, env = "GURUCONNECT_LOG_LEVEL")]
    log_level: Option<String>,
    /// Directory for the daily log files (default: /var/log/guruconnect as root,
    /// ~/.local/state/guruconnect otherwise, %ProgramData%\GuruConnect\Logs on Windows).
    #[arg(long, env = "GURUCONNECT_LOG_DIR")]
    log_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(out) = cli.test_capture {
        let _guard = guruconnect_agent::logging::init("info", None);
        return test_capture(&out);
    }
    match cli.command {
        Some(Command::MachineUid) => {
            println!("{}", guruconnect_agent::identity::machine_uid()?);
            Ok(())
        }
        Some(Command::Inventory) => {
            print_inventory();
            Ok(())
        }
        Some(Command::Run(args)) => run(args),
        Some(Command::Install { config }) => install(config),
        Some(Command::Uninstall) => uninstall(),
        Some(Command::Start) => start(),
        Some(Command::ServiceRun) => service_run(),
        None => {
            eprintln!("nothing to do: try `guruconnect-agent run --help`");
            std::process::exit(2);
        }
    }
}

/// Registry (Windows installer) < settings file < environment and flags.
fn settings(args: &RunArgs) -> anyhow::Result<Settings> {
    let flags = Settings {
        server: args.server.clone(),
        ca_cert: args.ca_cert.clone(),
        agent_id: args.agent_id.clone(),
        key: args.key.clone(),
        display: args.display.clone(),
        log_level: args.log_level.clone(),
        log_dir: args.log_dir.clone(),
        ..Settings::default()
    };
    Ok(config::load(args.config.as_deref())?.overlay(flags))
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let settings = settings(&args)?;
    let _guard = guruconnect_agent::logging::init_from(&settings);
    // Started in session 0 (by a service such as the GuruRMM agent): the work runs in the
    // console's session, where the desktop is.
    #[cfg(windows)]
    if guruconnect_agent::desktop::windows::must_delegate() {
        use guruconnect_agent::desktop::{supervise, windows::Win32Host};
        let one_shot = args.support_code.is_some();
        std::process::exit(supervise(Win32Host::for_this_process(), one_shot, || false));
    }
    let (session, platform) = guruconnect_agent::run::session_from(&settings, args.support_code)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let shutdown = guruconnect_agent::run::on_signals();
        match session.credential {
            Credential::SupportCode(_) => {
                guruconnect_agent::run::attended(&session, &platform, &shutdown).await
            }
            Credential::AgentKey(_) => {
                guruconnect_agent::run::unattended(&session, &platform, &shutdown).await;
                Ok(())
            }
        }
    })
}

fn report(change: Change) {
    let what = match change {
        Change::Installed => "installed and started",
        Change::Updated => "updated and restarted",
        Change::Unchanged => "already installed; started",
        Change::Removed => "stopped and removed",
        Change::Absent => "not installed; nothing to do",
        Change::Started => "started",
        Change::AlreadyRunning => "already running",
    };
    println!("{}: {what}", guruconnect_agent::service::DISPLAY_NAME);
}

#[cfg(windows)]
fn install(_config: PathBuf) -> anyhow::Result<()> {
    let spec = ServiceSpec {
        executable: std::env::current_exe()?,
        arguments: vec!["service-run".into()],
    };
    report(guruconnect_agent::service::windows::install(&spec)?);
    Ok(())
}

#[cfg(windows)]
fn uninstall() -> anyhow::Result<()> {
    report(guruconnect_agent::service::windows::uninstall()?);
    Ok(())
}

#[cfg(windows)]
fn start() -> anyhow::Result<()> {
    report(guruconnect_agent::service::windows::start()?);
    Ok(())
}

#[cfg(windows)]
fn service_run() -> anyhow::Result<()> {
    guruconnect_agent::service::windows::dispatch(guruconnect_agent::run::service_work)
}

#[cfg(not(windows))]
fn install(config: PathBuf) -> anyhow::Result<()> {
    let config = std::path::absolute(config)?;
    anyhow::ensure!(
        config.exists(),
        "{} does not exist: write the settings file first (server, agent_id, key)",
        config.display()
    );
    let spec = ServiceSpec {
        executable: std::env::current_exe()?,
        arguments: vec![
            "run".into(),
            "--config".into(),
            config.display().to_string(),
        ],
    };
    report(Systemd::system().install(&spec)?);
    Ok(())
}

#[cfg(not(windows))]
fn uninstall() -> anyhow::Result<()> {
    report(Systemd::system().uninstall()?);
    Ok(())
}

#[cfg(not(windows))]
fn start() -> anyhow::Result<()> {
    report(Systemd::system().start()?);
    Ok(())
}

#[cfg(not(windows))]
fn service_run() -> anyhow::Result<()> {
    anyhow::bail!("service-run is for the Windows service manager; on Linux systemd runs `run`")
}

/// The inventory as the relay would get it; the desktop's user and idle time when the screen
/// can be opened.
fn print_inventory() {
    use guruconnect_agent::inventory::{self, DesktopUser, Labels};
    let user = match guruconnect_agent::platform::Platform::default().capturer() {
        Ok(mut capturer) => DesktopUser {
            name: capturer.session_user(),
            idle_seconds: capturer.idle_seconds(),
        },
        Err(_) => DesktopUser::default(),
    };
    println!("{:#?}", inventory::collect(&Labels::default(), &user));
}

fn test_capture(out: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut capturer = guruconnect_agent::platform::Platform::default()
        .capturer()
        .context("opening the screen (on X11: is $DISPLAY set?)")?;
    for path in guruconnect_agent::snapshot::capture_all(capturer.as_mut(), out)? {
        println!("{}", path.display());
    }
    Ok(())
}
