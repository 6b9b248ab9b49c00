//! The application state every handler shares, and how it is built from a `Config`.

use crate::auth::jwt::TokenKeys;
use crate::auth::secrets::hmac_hex;
use crate::auth::throttle::SlidingWindow;
use crate::config::Config;
use crate::db::Db;
use crate::relay::Registry;
use server_kit::intake::Waiting;
use server_kit::second_factor::{Policy, SecondFactors, Tables};
use server_kit::sso::{Links, Sso};
use server_kit::throttle::{LoginLimits, LoginThrottle, SystemClock};
use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Cheap to clone; everything lives behind one `Arc`.
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppInner>);

#[derive(Debug)]
pub struct AppInner {
    pub config: Config,
    pub db: Db,
    pub tokens: TokenKeys,
    /// Key for the HMAC that stores support codes.
    pub code_key: Vec<u8>,
    pub throttles: Throttles,
    /// Authenticator codes, recovery codes and remembered browsers of technicians.
    pub second_factors: SecondFactors,
    /// The roles that must sign in with a second factor.
    pub second_factor_policy: Policy,
    /// Single sign-on at the configured OpenID Connect provider, and who is linked to it.
    pub sso: Option<Sso>,
    pub sso_links: Links,
    pub relay: Registry,
    /// Sockets still waiting to authenticate (bounded; see `server_kit::intake`).
    pub unauthenticated: Waiting,
    /// Cancelled when the server shuts down; long-lived tasks watch it.
    pub shutdown: CancellationToken,
    /// Every upgraded socket's task, so shutdown can wait for their last database writes
    /// (a departure, an audit row) before it closes the pool.
    pub sockets: TaskTracker,
}

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// The failure counters behind login and support-code throttling.
#[derive(Debug)]
pub struct Throttles {
    pub login: LoginThrottle,
    pub code_ip: SlidingWindow<IpAddr>,
    pub code_global: SlidingWindow<()>,
}

impl Throttles {
    fn new(config: &Config) -> Self {
        let l = &config.limits;
        let login = Duration::from_secs(l.login_window_secs);
        let code = Duration::from_secs(l.code_window_secs);
        Self {
            login: LoginThrottle::new(
                LoginLimits {
                    window: login,
                    per_ip: l.login_failures_per_ip,
                    per_account: l.login_failures_per_user,
                    global: l.login_failures_global,
                },
                Arc::new(SystemClock),
            ),
            code_ip: SlidingWindow::new(code, l.code_failures_per_ip),
            code_global: SlidingWindow::new(code, l.code_failures_global),
        }
    }
}

impl AppState {
    /// Connects storage, loads keys and rebuilds the relay's view of live sessions.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = crate::db::connect(&config).await?;
        let master = server_kit::install::master_key(config.jwt_secret.as_ref(), &config.data_dir)?;
        let state = AppState(Arc::new(AppInner {
            tokens: TokenKeys::derive(&master),
            code_key: hmac_hex(&master, "guruconnect/support-code/v1").into_bytes(),
            throttles: Throttles::new(&config),
            second_factors: second_factors(&master)?,
            second_factor_policy: config.second_factor_policy()?,
            sso: sso(&config, &master)?,
            sso_links: Links::prefixed("connect_"),
            relay: Registry::default(),
            unauthenticated: Waiting::new(
                config.limits.unauthenticated_sockets_per_address,
                config.limits.unauthenticated_sockets,
            ),
            shutdown: CancellationToken::new(),
            sockets: TaskTracker::new(),
            config,
            db,
        }));
        crate::relay::reconcile::on_start(&state).await?;
        Ok(state)
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
    SecondFactors::new(master, Tables::prefixed("connect_"), "GuruConnect", "gcdv_")
}
