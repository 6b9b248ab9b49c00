//! Server configuration: a TOML file, then `GURURMM_*` environment overrides, then command-line
//! flags. Secrets are [`SecretString`]s, so `{:?}` of the whole config prints none of them.

mod env;
#[cfg(test)]
mod tests;

pub use server_kit::config::{ConfigError, LogFormat, TlsConfig};
pub use server_kit::SecretString;

use server_kit::config::{check_http_url, check_origins, check_secret_length, invalid};
use server_kit::second_factor::Policy;
use server_kit::sso::SsoConfig;

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub bind: SocketAddr,
    /// External URL, e.g. `https://rmm.example.com`. Defaults to `http://<bind>`.
    pub public_url: Option<String>,
    /// Where the SQLite database and the install's master key live.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<SecretString>,
    /// Serve HTTPS and `wss://` with this PEM certificate chain and key. Unset: plain HTTP (for
    /// loopback, or behind a TLS-terminating proxy).
    pub tls: Option<TlsConfig>,
    /// Token signing key (>= 32 characters). Unset: a random per-install key in `data_dir`.
    pub jwt_secret: Option<SecretString>,
    /// Origins allowed to call the API from a browser. Empty: no CORS headers at all.
    pub cors_allowed_origins: Vec<String>,
    /// Take the client address from `X-Forwarded-For`, its last entry, which the proxy appends
    /// (only behind a trusted proxy; server-kit's `client_ip`).
    pub trust_forwarded_for: bool,
    /// Roles that must sign in with a second factor (an authenticator app), e.g. `["admin"]`.
    /// Someone of such a role without one can only set it up until they have.
    pub second_factor_roles: Vec<String>,
    /// OpenID Connect single sign-on (`[sso]`): people may also sign in at this provider.
    pub sso: Option<SsoConfig>,
    /// Create a first admin and print its password when the database has no user.
    pub bootstrap_admin: bool,
    /// Open `POST /api/auth/register` to anyone. Off by default, as in the seed.
    pub allow_registration: bool,
    pub log_format: LogFormat,
    /// The dashboard's built assets (`npm run build` in `gururmm/web` writes `dist/`). The
    /// default is relative to the working directory, so a server started from the repository
    /// root serves it; when the directory has no `index.html` the server says so in its log
    /// and answers only the API.
    pub dashboard_dir: PathBuf,
    /// Origins the dashboard may embed in frames (`frame-src` of its CSP). Empty: none. The
    /// GuruConnect viewer's origin goes here once the dashboard embeds it.
    pub dashboard_frame_src: Vec<String>,
    pub limits: Limits,
    pub alerts: AlertsConfig,
    /// The GuruConnect integration (Native Remote Control). Off until `connect.url` and
    /// `connect.integration_key` are both set.
    pub connect: ConnectConfig,
}

/// How this server reaches GuruConnect (CONTRACT.md, integration contract v1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectConfig {
    /// GuruConnect's base URL as this server reaches it, e.g. `https://connect.example.com`
    /// (`GURURMM_CONNECT_URL`).
    pub url: Option<String>,
    /// The integration key GuruConnect holds as its `integration_key` (at least 32 characters;
    /// `GURURMM_CONNECT_INTEGRATION_KEY`). Never logged.
    pub integration_key: Option<SecretString>,
    /// GuruConnect's URL as technicians' browsers reach it (the viewer links and the dashboard's
    /// `frame-src`). Unset: `url`.
    pub public_url: Option<String>,
    /// The relay URL the GuruConnect agent connects to (`--server`). Unset: `public_url` with
    /// `http` turned into `ws` (`https` into `wss`).
    pub agent_server_url: Option<String>,
    /// Seconds between capability refreshes (also retried on the next use after a failure).
    pub capabilities_refresh_secs: u64,
    /// Timeout of each call to GuruConnect.
    pub request_timeout_secs: u64,
    /// Remote-control sessions one technician may start per minute.
    pub sessions_per_minute: u32,
    /// Seconds the RMM agent has to download, verify and start the GuruConnect agent.
    pub launch_timeout_secs: u64,
    /// GuruConnect's release public key (base64 ed25519, `guruconnect-server release keygen`
    /// prints it; `GURURMM_CONNECT_RELEASE_PUBLIC_KEY`). Only shown to technicians in the
    /// enrolment instructions, so agents pin it at install (`[remote_control]
    /// release_public_key`); agents never take it from the server.
    pub release_public_key: Option<String>,
    /// PEM file of the private CA that issued GuruConnect's certificate
    /// (`GURURMM_CONNECT_CA_CERT`). This server trusts it for its integration calls, and the
    /// enrolment instructions install it on each machine as `[remote_control] ca_cert`, so the
    /// GuruConnect agents the RMM agent launches trust the relay. Unset: GuruConnect has a
    /// public certificate (or plain HTTP on a trusted network) and nothing is needed.
    pub ca_cert: Option<PathBuf>,
}

impl Default for ConnectConfig {
    fn default() -> Self {
        Self {
            url: None,
            integration_key: None,
            public_url: None,
            agent_server_url: None,
            capabilities_refresh_secs: 300,
            request_timeout_secs: 15,
            sessions_per_minute: 10,
            launch_timeout_secs: 300,
            release_public_key: None,
            ca_cert: None,
        }
    }
}

impl ConnectConfig {
    /// The PEM text of `ca_cert`: certificates only, or None when it holds none.
    pub fn ca_pem(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.ca_cert.as_ref()?).ok()?;
        let mut pem = String::new();
        let mut inside = false;
        for line in text.lines().map(str::trim) {
            inside |= line == "-----BEGIN CERTIFICATE-----";
            if inside {
                pem.push_str(line);
                pem.push('\n');
            }
            inside &= line != "-----END CERTIFICATE-----";
        }
        (!pem.is_empty()).then_some(pem)
    }

    /// True when both the URL and the key are set.
    pub fn is_configured(&self) -> bool {
        self.url.is_some() && self.integration_key.is_some()
    }

    /// GuruConnect's public origin (browser-facing), without a trailing slash.
    pub fn public_base(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .or(self.url.as_ref())
            .map(|u| u.trim_end_matches('/').to_owned())
    }

    /// The relay URL handed to the GuruConnect agent.
    pub fn agent_server(&self) -> Option<String> {
        if let Some(url) = &self.agent_server_url {
            return Some(url.trim_end_matches('/').to_owned());
        }
        let base = self.public_base()?;
        Some(if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base
        })
    }

    /// The origin part of the public URL (what the dashboard's CSP `frame-src` names).
    pub fn public_origin(&self) -> Option<String> {
        let base = self.public_base()?;
        let (scheme, rest) = base.split_once("://")?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        Some(format!("{scheme}://{host}"))
    }
}

/// Alert thresholds (RMM-10).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// An agent offline longer than this gets an `agent_offline` alert.
    pub offline_after_secs: u64,
    pub cpu_percent: f64,
    pub memory_percent: f64,
    /// Applies to the fullest disk.
    pub disk_percent: f64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            offline_after_secs: 300,
            cpu_percent: 95.0,
            memory_percent: 90.0,
            disk_percent: 90.0,
        }
    }
}

/// Timeouts, retention and rate limits. Defaults are production values; tests shorten them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub access_token_ttl_secs: u64,
    /// How long one sign-in lasts however often its token is refreshed; then the user signs in
    /// again.
    pub sign_in_lifetime_secs: u64,
    /// Seconds a new agent socket has to authenticate.
    pub auth_timeout_secs: u64,
    /// Agent sockets that may wait to authenticate at once, from one client
    /// address and in all; each is read under a 64 KiB budget until it has.
    pub unauthenticated_sockets_per_address: usize,
    pub unauthenticated_sockets: usize,
    /// Seconds of silence after which an agent socket is closed (the seed's 90 s).
    pub idle_timeout_secs: u64,
    pub ping_interval_secs: u64,
    /// Timeout of a command when the request names none.
    pub command_default_timeout_secs: u64,
    pub command_max_timeout_secs: u64,
    /// Extra seconds the server waits past a command's own timeout before marking it
    /// `timed_out` (the agent reports its own timeout first).
    pub command_grace_secs: u64,
    /// Commands one user may submit per minute.
    pub commands_per_minute: u32,
    /// How often the reaper enforces command deadlines and re-sends pending commands of
    /// connected agents (retention runs at most hourly).
    pub reaper_interval_ms: u64,
    /// How often an open command event stream checks that its user is still enabled.
    pub stream_user_recheck_secs: u64,
    pub metrics_retention_days: u64,
    pub watchdog_retention_days: u64,
    /// Failed logins per address per window; also the address's budget of registration
    /// attempts when registration is open.
    pub login_failures_per_ip: u32,
    pub login_failures_per_user: u32,
    /// Failed logins across the server per window; past it only addresses an account signed
    /// in from before get through (password spraying; server-kit's `LoginThrottle`).
    pub login_failures_global: u32,
    pub login_window_secs: u64,
    /// Failed site-code authentications per address per window (site codes are short).
    pub site_code_failures_per_ip: u32,
    pub site_code_window_secs: u64,
    /// Messages queued toward one agent before sends are refused.
    pub agent_queue: usize,
    /// Messages one agent may send per second on average (token bucket refill rate).
    pub agent_messages_per_sec: u32,
    /// Messages one agent may send in a burst (bucket size): a reconnecting agent flushing its
    /// stored results must fit. Beyond it the socket is closed.
    pub agent_message_burst: u32,
    /// Seconds a polling (REST heartbeat) agent stays online after its last heartbeat; keep it
    /// above the agents' `poll_interval_secs` (30 s by default).
    pub polling_presence_secs: u64,
    /// Seconds after an agent refused a release (`update_result`) before that release is
    /// offered to it again; a newer release is offered at once. 0: on every connect.
    pub update_retry_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 24 * 3600,
            sign_in_lifetime_secs: 7 * 24 * 3600,
            auth_timeout_secs: 10,
            unauthenticated_sockets_per_address: 32,
            unauthenticated_sockets: 512,
            idle_timeout_secs: 90,
            ping_interval_secs: 30,
            command_default_timeout_secs: 300,
            command_max_timeout_secs: 3600,
            command_grace_secs: 30,
            commands_per_minute: 30,
            reaper_interval_ms: 5_000,
            stream_user_recheck_secs: 30,
            metrics_retention_days: 30,
            watchdog_retention_days: 90,
            login_failures_per_ip: 20,
            login_failures_per_user: 10,
            login_failures_global: 100,
            login_window_secs: 900,
            site_code_failures_per_ip: 20,
            site_code_window_secs: 300,
            agent_queue: 256,
            agent_messages_per_sec: 50,
            agent_message_burst: 500,
            polling_presence_secs: 120,
            update_retry_secs: 24 * 3600,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3001)),
            public_url: None,
            data_dir: PathBuf::from("data/gururmm"),
            database_url: None,
            tls: None,
            jwt_secret: None,
            cors_allowed_origins: Vec::new(),
            trust_forwarded_for: false,
            second_factor_roles: Vec::new(),
            sso: None,
            bootstrap_admin: true,
            allow_registration: false,
            log_format: LogFormat::Text,
            dashboard_dir: PathBuf::from("gururmm/web/dist"),
            dashboard_frame_src: Vec::new(),
            limits: Limits::default(),
            alerts: AlertsConfig::default(),
            connect: ConnectConfig::default(),
        }
    }
}

impl Config {
    /// Reads `path` (when given), applies environment overrides, then validates.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => server_kit::config::read_toml(path)?,
            None => Self::default(),
        };
        env::apply_overrides(&mut config, |name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        let positive = [
            ("limits.access_token_ttl_secs", l.access_token_ttl_secs),
            ("limits.sign_in_lifetime_secs", l.sign_in_lifetime_secs),
            ("limits.auth_timeout_secs", l.auth_timeout_secs),
            ("limits.idle_timeout_secs", l.idle_timeout_secs),
            ("limits.ping_interval_secs", l.ping_interval_secs),
            (
                "limits.command_default_timeout_secs",
                l.command_default_timeout_secs,
            ),
            ("limits.reaper_interval_ms", l.reaper_interval_ms),
            (
                "limits.stream_user_recheck_secs",
                l.stream_user_recheck_secs,
            ),
            ("limits.polling_presence_secs", l.polling_presence_secs),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(invalid(key, "must be greater than 0"));
            }
        }
        server_kit::intake::check_limits(
            l.unauthenticated_sockets_per_address,
            l.unauthenticated_sockets,
        )?;
        if l.command_default_timeout_secs > l.command_max_timeout_secs {
            return Err(invalid(
                "limits.command_default_timeout_secs",
                "must not exceed limits.command_max_timeout_secs",
            ));
        }
        for (key, value) in [
            ("alerts.cpu_percent", self.alerts.cpu_percent),
            ("alerts.memory_percent", self.alerts.memory_percent),
            ("alerts.disk_percent", self.alerts.disk_percent),
        ] {
            if !(value > 0.0 && value <= 100.0) {
                return Err(invalid(key, "must be a percentage above 0 and at most 100"));
            }
        }
        if l.agent_messages_per_sec == 0 {
            return Err(invalid(
                "limits.agent_messages_per_sec",
                "must be at least 1",
            ));
        }
        if l.agent_queue == 0 {
            return Err(invalid("limits.agent_queue", "must be at least 1"));
        }
        check_http_url("public_url", self.public_url.as_deref())?;
        check_origins("cors_allowed_origins", &self.cors_allowed_origins)?;
        check_origins("dashboard_frame_src", &self.dashboard_frame_src)?;
        self.validate_connect()?;
        self.second_factor_policy()?;
        if let Some(sso) = &self.sso {
            sso.check()?;
        }
        check_secret_length("jwt_secret", self.jwt_secret.as_ref())
    }

    /// Who must sign in with a second factor (`second_factor_roles`).
    pub fn second_factor_policy(&self) -> Result<Policy, ConfigError> {
        Policy::from_words(&self.second_factor_roles)
    }

    fn validate_connect(&self) -> Result<(), ConfigError> {
        let c = &self.connect;
        check_http_url("connect.url", c.url.as_deref())?;
        check_http_url("connect.public_url", c.public_url.as_deref())?;
        if let Some(url) = &c.agent_server_url {
            if !(url.starts_with("ws://") || url.starts_with("wss://")) {
                return Err(invalid(
                    "connect.agent_server_url",
                    "must start with wss:// (or ws://)",
                ));
            }
        }
        if let Some(key) = &c.integration_key {
            if key.expose().len() < 32 {
                return Err(invalid(
                    "connect.integration_key",
                    "must be at least 32 characters (GuruConnect refuses shorter keys)",
                ));
            }
        }
        if let Some(key) = &c.release_public_key {
            if !server_kit::signing::valid_public_key(key) {
                return Err(invalid(
                    "connect.release_public_key",
                    "must be the base64 ed25519 public key `guruconnect-server release keygen` printed",
                ));
            }
        }
        if let Some(path) = &c.ca_cert {
            if c.ca_pem().is_none() {
                return Err(invalid(
                    "connect.ca_cert",
                    &format!("{} is not a readable PEM certificate file", path.display()),
                ));
            }
        }
        if c.url.is_some() != c.integration_key.is_some() {
            return Err(invalid(
                "connect.url",
                "connect.url and connect.integration_key must be set together",
            ));
        }
        if c.capabilities_refresh_secs == 0 || c.request_timeout_secs == 0 {
            return Err(invalid(
                "connect.capabilities_refresh_secs",
                "connect.capabilities_refresh_secs and connect.request_timeout_secs must be greater than 0",
            ));
        }
        if c.sessions_per_minute == 0 || c.launch_timeout_secs == 0 {
            return Err(invalid(
                "connect.sessions_per_minute",
                "connect.sessions_per_minute and connect.launch_timeout_secs must be greater than 0",
            ));
        }
        Ok(())
    }

    /// `dashboard_frame_src` as configured, or GuruConnect's public origin when it is unset and
    /// the integration is configured (so the embedded viewer works without a second setting).
    pub fn effective_frame_src(&self) -> Vec<String> {
        if !self.dashboard_frame_src.is_empty() {
            return self.dashboard_frame_src.clone();
        }
        match (self.connect.is_configured(), self.connect.public_origin()) {
            (true, Some(origin)) => vec![origin],
            _ => Vec::new(),
        }
    }

    /// Whether people reach the dashboard over HTTPS (this server's TLS, or a proxy's named by
    /// `public_url`): its cookies are then `Secure`.
    pub fn served_over_https(&self) -> bool {
        self.tls.is_some() || self.public_url().starts_with("https://")
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }
}
