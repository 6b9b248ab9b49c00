//! Command line: `serve` (default), `migrate`, `admin create`, `release keygen|sign`.

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
#[command(name = "gururmm-server", version, about = "GuruRMM server")]
pub struct Cli {
    /// TOML config file; environment variables override it.
    #[arg(long, short, global = true, env = "GURURMM_CONFIG")]
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
    /// Sign agent builds for auto-update.
    Release {
        #[command(subcommand)]
        action: ReleaseAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// Create a signing key: the secret goes to FILE (mode 0600; keep it off the server), the
    /// public key is printed for the agents to pin (agent.toml `[update] public_key`, or
    /// `GURURMM_UPDATE_PUBLIC_KEY` when building the agent).
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Hash and sign an agent build; prints the JSON body for `POST /api/releases`.
    Sign {
        /// The secret key file written by `release keygen`.
        #[arg(long, env = "GURURMM_RELEASE_SIGNING_KEY_FILE")]
        signing_key: PathBuf,
        #[arg(long)]
        version: String,
        /// windows, linux, macos (as the agents report it).
        #[arg(long)]
        os_type: String,
        /// x86_64, aarch64, ...
        #[arg(long)]
        arch: String,
        /// Where agents will download this exact file.
        #[arg(long)]
        download_url: String,
        /// The built gururmm-agent binary.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create an account; the password is read from standard input (one line).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Turn off someone's two-factor sign-in (a lost phone, when no other admin can sign in to
    /// reset it on the Users page); they then sign in with their password alone.
    ResetSecondFactor {
        #[arg(long)]
        email: String,
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
                    email,
                    role,
                    display_name,
                },
        } => create_user(&config, &email, &role, &display_name).await,
        Command::Admin {
            action: AdminAction::ResetSecondFactor { email },
        } => reset_second_factor(&config, &email).await,
        Command::Release { action } => release(action),
    }
}

fn release(action: ReleaseAction) -> anyhow::Result<()> {
    match action {
        ReleaseAction::Keygen { out } => {
            let (secret, public) = crate::signing::keygen();
            server_kit::install::write_private(&out, &secret)?;
            println!(
                "signing key written to {}\npublic key: {public}",
                out.display()
            );
            Ok(())
        }
        ReleaseAction::Sign {
            signing_key,
            version,
            os_type,
            arch,
            download_url,
            file,
        } => {
            let secret = std::fs::read_to_string(&signing_key)
                .with_context(|| format!("reading {}", signing_key.display()))?;
            let key = crate::signing::signing_key(&secret)?;
            let binary =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let signed = crate::signing::sign(&binary, &key);
            let body = serde_json::json!({
                "version": version, "os_type": os_type, "arch": arch,
                "download_url": download_url, "sha256": signed.sha256,
                "signature": signed.signature,
            });
            println!("{body:#}");
            eprintln!(
                "signed {} ({} bytes); agents must pin public key {}",
                file.display(),
                binary.len(),
                signed.public_key
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
            let lines = admin.announcement("email");
            println!("{lines}");
        }
    }
    let config = &server.state.config;
    let url = base_url(
        config.public_url.as_deref(),
        config.tls.is_some(),
        server.addr,
    );
    println!("GuruRMM server listening on {url}  (API docs: {url}/api/docs, agents: {url}/ws)");
    server.run_until_signal().await
}

async fn create_user(
    config: &Config,
    email: &str,
    role: &str,
    display_name: &str,
) -> anyhow::Result<()> {
    let role = Role::parse(role).context("role must be admin or technician")?;
    anyhow::ensure!(
        crate::api::valid_email(email),
        "email must look like name@domain (at most 254 characters)"
    );
    let pw = server_kit::cli::read_new_password(email)?;
    let db = db::connect(config).await?;
    let hash = password::hash_blocking(pw).await?;
    db::users::USERS
        .create(&db, email, display_name, &hash, role)
        .await?;
    println!("created {} {email}", role.as_str());
    Ok(())
}

async fn reset_second_factor(config: &Config, email: &str) -> anyhow::Result<()> {
    let db = db::connect(config).await?;
    let user = db::users::USERS
        .find_by_name(&db, email)
        .await?
        .with_context(|| format!("no account with the email {email}"))?;
    let master = server_kit::install::master_key(config.jwt_secret.as_ref(), &config.data_dir)?;
    let turned_off = crate::app::second_factors(&master)?
        .turn_off(&db, user.id.as_str())
        .await?;
    anyhow::ensure!(turned_off, "{email} has no two-factor sign-in");
    let target = format!("user:{}", user.id);
    let detail = serde_json::json!({"by": "command line"});
    db::audit::record(&db, "system", "second_factor_reset", &target, detail).await;
    println!("two-factor sign-in turned off for {email}: they sign in with their password alone");
    Ok(())
}
