//! `gururmm-agent` binary: parses arguments, sets up logging and signals, runs the library.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use gururmm_agent::exec::privilege::Args;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "gururmm-agent", version = gururmm_agent::VERSION, about = "GuruRMM endpoint agent")]
struct Cli {
    /// Path of agent.toml.
    #[arg(long, short, global = true, env = "GURURMM_AGENT_CONFIG", default_value_os_t = default_config())]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Connect and serve (the default).
    Run,
    /// Validate agent.toml and exit.
    CheckConfig,
    /// Print this machine's device id.
    DeviceId,
    /// Register as the Windows service `GuruRMM` and start it; again to update and restart it
    /// (Windows only).
    Install,
    /// Stop and remove the Windows service (Windows only).
    Uninstall,
    /// Entry point used by the Windows Service Control Manager.
    #[command(hide = true)]
    Service,
    /// Runs a program under a restricted copy of this process's token and exits with its exit
    /// code: how a Windows agent starts unelevated commands (Windows only).
    #[command(hide = true)]
    RunUnelevated {
        /// The rest of the command line, passed to `program` exactly as given (cmd.exe).
        #[arg(long)]
        verbatim: Option<String>,
        program: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn default_config() -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(r"C:\ProgramData\GuruRMM\agent.toml")
    } else {
        PathBuf::from("/etc/gururmm/agent.toml")
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let result = match cli.command.as_ref().unwrap_or(&Command::Run) {
        Command::CheckConfig => gururmm_agent::config::AgentConfig::load(&cli.config)
            .map(|_| println!("{}: ok", cli.config.display()))
            .map_err(anyhow::Error::from),
        Command::DeviceId => {
            println!("{}", gururmm_agent::device_id::derive());
            Ok(())
        }
        // The service control manager owns the main thread; the agent's runtime is built
        // inside the service entry point.
        Command::Install | Command::Uninstall | Command::Service => windows_service(&cli),
        Command::Run => run(&cli),
        Command::RunUnelevated {
            verbatim,
            program,
            args,
        } => return run_unelevated(program, verbatim_or_list(verbatim, args)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Stderr for every subcommand; the agent's own runs (`run`, `service`) also write the log
/// files agent.toml's `[logging]` asks for. A config that does not load still gets the
/// default files, so a Windows service that cannot start says why somewhere.
fn init_logging(cli: &Cli) {
    use gururmm_agent::config::{AgentConfig, LoggingConfig};
    let serving = matches!(
        cli.command.as_ref().unwrap_or(&Command::Run),
        Command::Run | Command::Service
    );
    let logging = if serving {
        AgentConfig::load(&cli.config)
            .map(|c| c.logging)
            .unwrap_or_default()
    } else {
        LoggingConfig {
            file: false,
            ..LoggingConfig::default()
        }
    };
    gururmm_agent::logging::init(&logging);
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(async {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = tx.send(true);
        });
        gururmm_agent::run(&cli.config, rx).await
    })
}

#[cfg(windows)]
fn windows_service(cli: &Cli) -> anyhow::Result<()> {
    use gururmm_agent::service;
    let done = match cli.command {
        Some(Command::Install) => service::install(&cli.config)?,
        Some(Command::Uninstall) => service::uninstall()?,
        _ => return service::run_as_service(&cli.config),
    };
    println!("GuruRMM Agent: {done}");
    Ok(())
}

#[cfg(not(windows))]
fn windows_service(_cli: &Cli) -> anyhow::Result<()> {
    anyhow::bail!(
        "install, uninstall and service are for Windows; on Linux use the systemd unit in \
         gururmm/packaging/gururmm-agent.service"
    )
}

/// `run-unelevated`'s arguments: a verbatim tail, or the listed words (not both).
fn verbatim_or_list(verbatim: &Option<String>, args: &[String]) -> Result<Args, String> {
    match (verbatim, args) {
        (Some(rest), []) => Ok(Args::Verbatim(rest.clone())),
        (Some(_), _) => {
            Err("--verbatim takes the whole command line: give no other arguments".into())
        }
        (None, list) => Ok(Args::List(list.to_vec())),
    }
}

#[cfg(windows)]
fn run_unelevated(program: &str, args: Result<Args, String>) -> std::process::ExitCode {
    let args = match args {
        Ok(args) => args,
        Err(e) => {
            eprintln!("run-unelevated: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match gururmm_agent::exec::privilege::run_restricted(program, &args) {
        // Windows exit codes are 32 bits, which ExitCode cannot carry; exit passes them whole.
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("could not start {program} unelevated: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(windows))]
fn run_unelevated(_program: &str, _args: Result<Args, String>) -> std::process::ExitCode {
    eprintln!("run-unelevated is for Windows; on Unix the agent drops to commands.unelevated_user");
    std::process::ExitCode::FAILURE
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
