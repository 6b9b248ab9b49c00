//! Command line: `serve` (default), `migrate`, `admin create`, `release keygen|sign|publish`.

use crate::auth::password;
use crate::bootstrap;
use crate::config::Config;
use crate::db::{self, users::Role};
use crate::server::Server;
use anyhow::Context;
use clap::{Parser, Subcommand};
use server_kit::cli::base_url;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "guruconnect-server",
    version,
    about = "GuruConnect relay server"
)]
pub struct Cli {
    /// TOML config file; environment variables override it.
    #[arg(long, short, global = true, env = "GURUCONNECT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: server_kit::cli::Overrides,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// The agent release channel: signing keys and published builds.
    Release {
        #[command(subcommand)]
        action: ReleaseAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// Create a signing key: the secret goes to FILE (mode 0600, keep it off the server), the
    /// public key is printed for the machines that verify downloads.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign an agent build where it was built (needs no server): writes the signature file
    /// `release publish` takes.
    Sign {
        /// The secret key file written by `release keygen`.
        #[arg(long, env = "GURUCONNECT_RELEASE_SIGNING_KEY_FILE")]
        signing_key: PathBuf,
        /// The built guruconnect-agent binary.
        #[arg(long)]
        file: PathBuf,
        /// Where to write the signature (JSON: sha256, signature, public_key).
        #[arg(long)]
        out: PathBuf,
    },
    /// Publish a signed agent build on the server: checks the signature file against the
    /// binary (and against `release_public_key` when it is set) and copies both in. The
    /// server never holds the signing key.
    Publish {
        #[arg(long)]
        version: String,
        /// linux-x86_64 or windows-x86_64.
        #[arg(long)]
        platform: String,
        /// The built guruconnect-agent binary.
        #[arg(long)]
        file: PathBuf,
        /// The signature file `release sign` wrote for it.
        #[arg(long)]
        signature: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create an account; the password is read from standard input (one line).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Turn off someone's two-factor sign-in (a lost phone, when no other admin can sign in to
    /// reset it on the Users page); they then sign in with their password alone.
    ResetSecondFactor {
        #[arg(long)]
        username: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    cli.overrides.apply(&mut config.bind, &mut config.data_dir);
    config.log_format.init_logging();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            db::connect(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Admin {
            action:
                AdminAction::Create {
                    username,
                    role,
                    display_name,
                },
        } => create_user(&config, &username, &role, &display_name).await,
        Command::Admin {
            action: AdminAction::ResetSecondFactor { username },
        } => reset_second_factor(&config, &username).await,
        Command::Release { action } => release(&config, action).await,
    }
}

async fn release(config: &Config, action: ReleaseAction) -> anyhow::Result<()> {
    match action {
        ReleaseAction::Keygen { out } => {
            let (secret, public) = server_kit::signing::keygen();
            server_kit::install::write_private(&out, &secret)?;
            println!(
                "signing key written to {}\npublic key: {public}",
                out.display()
            );
            Ok(())
        }
        ReleaseAction::Sign {
            signing_key,
            file,
            out,
        } => {
            let signed = crate::releases::sign_file(&signing_key, &file, &out)?;
            println!(
                "signature written to {}\nsha256 {}\nverifiers must pin public key {}",
                out.display(),
                signed.sha256,
                signed.public_key
            );
            Ok(())
        }
        ReleaseAction::Publish {
            version,
            platform,
            file,
            signature,
        } => {
            let signed = crate::releases::read_signature(&signature)?;
            let db = db::connect(config).await?;
            let row = crate::releases::publish(
                &db,
                config,
                crate::releases::Build {
                    version: &version,
                    platform: &platform,
                    binary: &file,
                },
                &signed,
            )
            .await?;
            println!(
                "published {} {} sha256 {}",
                row.platform, row.version, row.sha256
            );
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let bootstrap = config.bootstrap_admin;
    let server = Server::start(config).await?;
    if bootstrap {
        if let Some(admin) = bootstrap::first_admin_if_empty(&server.state.db).await? {
            let lines = admin.announcement("username");
            println!("{lines}");
        }
    }
    let config = &server.state.config;
    if config.shared_agent_key().is_some() {
        tracing::warn!(
            "the shared AGENT_API_KEY is enabled: DEPRECATED, mint per-machine keys instead"
        );
    }
    let url = base_url(
        config.public_url.as_deref(),
        config.tls.is_some(),
        server.addr,
    );
    println!("GuruConnect server listening on {url}  (API docs: {url}/api/docs)");
    server.run_until_signal().await
}

async fn create_user(
    config: &Config,
    username: &str,
    role: &str,
    display_name: &str,
) -> anyhow::Result<()> {
    let role = Role::parse(role).context("role must be admin or technician")?;
    anyhow::ensure!(
        crate::api::valid_username(username),
        "username must be 3-64 characters of letters, digits and . _ - @"
    );
    let pw = server_kit::cli::read_new_password(username)?;
    let db = db::connect(config).await?;
    let hash = password::hash_blocking(pw).await?;
    db::users::USERS
        .create(&db, username, display_name, &hash, role)
        .await?;
    println!("created {} {username}", role.as_str());
    Ok(())
}

async fn reset_second_factor(config: &Config, username: &str) -> anyhow::Result<()> {
    let db = db::connect(config).await?;
    let user = db::users::USERS
        .find_by_name(&db, username)
        .await?
        .with_context(|| format!("no account named {username}"))?;
    let master = server_kit::install::master_key(config.jwt_secret.as_ref(), &config.data_dir)?;
    let turned_off = crate::app::second_factors(&master)?
        .turn_off(&db, user.id.as_str())
        .await?;
    anyhow::ensure!(turned_off, "{username} has no two-factor sign-in");
    let event = db::events::Event {
        event_type: "second_factor_reset",
        actor: db::events::Actor::System,
        session_id: None,
        agent_id: None,
        ip: None,
        detail: serde_json::json!({"user_id": user.id, "by": "command line"}),
    };
    db::events::record(&db, event).await?;
    println!(
        "two-factor sign-in turned off for {username}: they sign in with their password alone"
    );
    Ok(())
}
