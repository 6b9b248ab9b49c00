//! `gururmm-agent` binary: parses arguments, sets up logging and signals, runs the library.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "gururmm-agent", version, about = "GuruRMM endpoint agent")]
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
}

fn default_config() -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(r"C:\ProgramData\GuruRMM\agent.toml")
    } else {
        PathBuf::from("/etc/gururmm/agent.toml")
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let result = match cli.command.unwrap_or(Command::Run) {
        Command::CheckConfig => gururmm_agent::config::AgentConfig::load(&cli.config)
            .map(|_| println!("{}: ok", cli.config.display()))
            .map_err(anyhow::Error::from),
        Command::DeviceId => {
            println!("{}", gururmm_agent::device_id::derive());
            Ok(())
        }
        Command::Run => {
            let (tx, rx) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = tx.send(true);
            });
            gururmm_agent::run(&cli.config, rx).await
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
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
