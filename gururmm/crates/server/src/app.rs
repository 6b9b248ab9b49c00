//! The state every handler shares, and how it is built from a `Config`.

use crate::auth::jwt::TokenKeys;
use crate::auth::seal::Sealer;
use crate::auth::secrets::hmac_hex;
use crate::auth::throttle::{Clock, SlidingWindow, SystemClock};
use crate::command_feed::{CommandFeed, STREAMS_PER_USER};
use crate::config::Config;
use crate::connect::Connect;
use crate::db::Db;
use crate::model::UserId;
use crate::ws::Registry;
use server_kit::intake::Waiting;
use server_kit::second_factor::{Policy, SecondFactors, Tables};
use server_kit::sso::{Links, Sso};
use server_kit::throttle::{LoginLimits, LoginThrottle};
use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Cheap to clone: one `Arc`.
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppInner>);

#[derive(Debug)]
pub struct AppInner {
    pub config: Config,
    pub db: Db,
    pub tokens: TokenKeys,
    /// HMAC key for site codes, derived from the install's master key.
    pub code_key: Vec<u8>,
    pub throttles: Throttles,
    /// Authenticator codes, recovery codes and remembered browsers of dashboard users.
    pub second_factors: SecondFactors,
    /// The roles that must sign in with a second factor.
    pub second_factor_policy: Policy,
    /// Single sign-on at the configured OpenID Connect provider, and who is linked to it.
    pub sso: Option<Sso>,
    pub sso_links: Links,
    pub registry: Registry,
    /// Sockets still waiting to authenticate (bounded; see `server_kit::intake`).
    pub unauthenticated: Waiting,
    /// The GuruConnect integration, when configured.
    pub connect: Option<Arc<Connect>>,
    /// Seals GuruConnect keys and launch secrets at rest (see `auth::seal`).
    pub sealer: Sealer,
    /// Command changes for the dashboards' event streams.
    pub command_feed: CommandFeed,
    /// Cancelled at shutdown; background tasks watch it.
    pub shutdown: CancellationToken,
}

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

#[derive(Debug)]
pub struct Throttles {
    pub login: LoginThrottle,
    /// Registration attempts per address, on the per-address login budget.
    pub register_ip: SlidingWindow<IpAddr>,
    pub site_code_ip: SlidingWindow<IpAddr>,
    /// Command submissions per user (the seed had none).
    pub commands_user: SlidingWindow<UserId>,
    /// Remote-control starts per user.
    pub remote_control_user: SlidingWindow<UserId>,
}

impl Throttles {
    fn new(config: &Config, clock: Arc<dyn Clock>) -> Self {
        let l = &config.limits;
        let login = Duration::from_secs(l.login_window_secs);
        let site_code = Duration::from_secs(l.site_code_window_secs);
        let minute = Duration::from_secs(60);
        let rc_per_minute = config.connect.sessions_per_minute;
        Self {
            login: LoginThrottle::new(
                LoginLimits {
                    window: login,
                    per_ip: l.login_failures_per_ip,
                    per_account: l.login_failures_per_user,
                    global: l.login_failures_global,
                },
                clock.clone(),
            ),
            register_ip: SlidingWindow::with_clock(login, l.login_failures_per_ip, clock.clone()),
            site_code_ip: SlidingWindow::with_clock(
                site_code,
                l.site_code_failures_per_ip,
                clock.clone(),
            ),
            commands_user: SlidingWindow::with_clock(minute, l.commands_per_minute, clock.clone()),
            remote_control_user: SlidingWindow::with_clock(minute, rc_per_minute, clock),
        }
    }
}

impl AppState {
    /// Connects storage (applying migrations), loads keys, and resets presence: after a start
    /// no socket exists yet, so no agent is online.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`AppState::build`] with the throttles reading `clock` (tests slide their windows).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let db = crate::db::connect(&config).await?;
        crate::db::agents::mark_all_offline(&db).await?;
        let master = server_kit::install::master_key(config.jwt_secret.as_ref(), &config.data_dir)?;
        let connect = Connect::from_config(&config.connect)?.map(Arc::new);
        Ok(AppState(Arc::new(AppInner {
            connect,
            sealer: Sealer::derive(&master, "gururmm/connect-secrets/v1")?,
            tokens: TokenKeys::derive(&master),
            code_key: hmac_hex(&master, "gururmm/site-code/v1").into_bytes(),
            throttles: Throttles::new(&config, clock),
            second_factors: second_factors(&master)?,
            second_factor_policy: config.second_factor_policy()?,
            sso: sso(&config, &master)?,
            sso_links: Links::prefixed(""),
            registry: Registry::default(),
            unauthenticated: Waiting::new(
                config.limits.unauthenticated_sockets_per_address,
                config.limits.unauthenticated_sockets,
            ),
            command_feed: CommandFeed::new(STREAMS_PER_USER),
            shutdown: CancellationToken::new(),
            config,
            db,
        })))
    }
}

/// The configured single sign-on, if any.
fn sso(config: &Config, master: &[u8]) -> anyhow::Result<Option<Sso>> {
    config
        .sso
        .clone()
        .map(|sso| Sso::new(sso, &config.public_url(), master))
        .transpose()
}

/// This server's second-factor store (also the command line's, for an admin's reset).
pub fn second_factors(master: &[u8]) -> anyhow::Result<SecondFactors> {
    SecondFactors::new(master, Tables::prefixed(""), "GuruRMM", "grdv_")
}
