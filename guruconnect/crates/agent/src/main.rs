//! `guruconnect-agent`: `run` joins the relay (attended with `--support-code`, unattended with a
//! per-machine key), `--test-capture` writes one PNG per display, `machine-uid` prints this
//! machine's identity. Thin: the work is in the library.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use guruconnect_agent::platform::Platform;
use guruconnect_agent::session::{Credential, SessionConfig};

#[derive(Parser)]
#[command(
    version,
    about = "GuruConnect agent: shares this screen with a technician"
)]
struct Cli {
    /// Write one capture per display (OUT.png, OUT-1.png, …) and exit.
    #[arg(long, value_name = "OUT.png")]
    test_capture: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Connect to the relay and share the screen.
    Run(RunArgs),
    /// Print this machine's hashed identity.
    MachineUid,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Relay URL, ws://host:port or wss://host:port.
    #[arg(long, env = "GURUCONNECT_SERVER")]
    server: String,
    /// Attended mode: the support code the end user was given; one session, then exit.
    #[arg(long, conflicts_with_all = ["agent_id", "key"])]
    support_code: Option<String>,
    /// Unattended mode: this machine's agent id.
    #[arg(long, env = "GURUCONNECT_AGENT_ID", requires = "key")]
    agent_id: Option<String>,
    /// Unattended mode: the per-machine key (prefer the environment variable: command lines
    /// are visible to other users).
    #[arg(long, env = "GURUCONNECT_AGENT_KEY", hide_env_values = true)]
    key: Option<String>,
    /// X11 display to share (default: $DISPLAY).
    #[arg(long)]
    display: Option<String>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(out) = cli.test_capture {
        return test_capture(&out);
    }
    match cli.command {
        Some(Command::MachineUid) => {
            println!("{}", guruconnect_agent::identity::machine_uid()?);
            Ok(())
        }
        Some(Command::Run(args)) => run(args),
        None => {
            eprintln!("nothing to do: try `guruconnect-agent run --help`");
            std::process::exit(2);
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let credential = match (args.support_code, args.key) {
        (Some(code), _) => Credential::SupportCode(code),
        (None, Some(key)) if args.agent_id.is_some() => Credential::AgentKey(key),
        _ => anyhow::bail!("give --support-code CODE, or --agent-id ID with a key"),
    };
    let config = SessionConfig {
        server: args.server,
        credential,
        agent_id: args.agent_id.unwrap_or_default(),
        machine_uid: guruconnect_agent::identity::machine_uid()?,
        hostname: hostname(),
        labels: Default::default(),
    };
    let platform = Platform {
        x11_display: args.display,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match config.credential {
            Credential::SupportCode(_) => {
                guruconnect_agent::run::attended(&config, &platform).await
            }
            Credential::AgentKey(_) => guruconnect_agent::run::unattended(&config, &platform).await,
        }
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(target_os = "linux")]
fn test_capture(out: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut capturer = guruconnect_agent::capture::x11::X11Capturer::connect(None)
        .context("connecting to the X server ($DISPLAY)")?;
    for path in guruconnect_agent::snapshot::capture_all(&mut capturer, out)? {
        println!("{}", path.display());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn test_capture(_out: &std::path::Path) -> anyhow::Result<()> {
    anyhow::bail!("screen capture is not implemented on this platform yet")
}
