//! Server configuration: a TOML file, then environment overrides, then command-line flags.
//! Secrets are `SecretString`s so neither `Debug` nor logs can print them.

mod env;

pub use server_kit::config::{ConfigError, LogFormat, TlsConfig};
use server_kit::second_factor::Policy;
use server_kit::sso::SsoConfig;
pub use server_kit::SecretString;

use server_kit::config::{check_http_url, check_origins, check_secret_length, invalid};

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything the server needs to run. Built by [`Config::load`] or, in tests, by hand.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// The URL people and agents use to reach this server, e.g. `https://connect.example.com`.
    /// Its origin is the default viewer WebSocket origin. Defaults to `http://<bind>`.
    pub public_url: Option<String>,
    /// Where the SQLite database, the signing key and logs live.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<SecretString>,
    /// HMAC key for tokens. Unset means a random per-install key kept in `data_dir`.
    pub jwt_secret: Option<SecretString>,
    pub tls: Option<TlsConfig>,
    /// Origins allowed to call the REST API from a browser (CORS). Empty: no CORS headers at all.
    pub cors_allowed_origins: Vec<String>,
    /// Origins allowed to open `/ws/viewer`. Empty: only the origin of `public_url`.
    pub viewer_allowed_origins: Vec<String>,
    /// Origins allowed to frame the viewer page (used by the viewer route only).
    pub embed_allowed_origins: Vec<String>,
    /// The built web front end (`guruconnect/web/dist`): technician UI and viewer. Unset: the
    /// server runs API-only and `/` explains how to build it.
    pub web_dir: Option<PathBuf>,
    /// Deprecated shared agent key; honoured only when `allow_shared_agent_key` is true.
    pub agent_api_key: Option<SecretString>,
    pub allow_shared_agent_key: bool,
    /// Server-to-server key for `/api/integration/v1` (GuruRMM).
    pub integration_key: Option<SecretString>,
    /// The release public key (base64 ed25519, what `release keygen` printed). When set,
    /// `release publish` refuses a build signed under any other key.
    pub release_public_key: Option<String>,
    /// Ask the end user to accept an attended session before anything streams (NRC-5).
    pub attended_consent: bool,
    /// Take the client address from `X-Forwarded-For`, its last entry, which the proxy appends
    /// (only behind a trusted reverse proxy; server-kit's `client_ip`).
    pub trust_forwarded_for: bool,
    /// Roles that must sign in with a second factor (an authenticator app), e.g. `["admin"]`.
    /// Someone of such a role without one can only set it up until they have.
    pub second_factor_roles: Vec<String>,
    /// OpenID Connect single sign-on (`[sso]`): people may also sign in at this provider.
    pub sso: Option<SsoConfig>,
    /// Create a first admin and print its password when the database has no user.
    pub bootstrap_admin: bool,
    pub log_format: LogFormat,
    pub limits: Limits,
}

/// Lifetimes, timeouts and rate limits. Defaults are production values; tests shorten them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub viewer_token_ttl_secs: u64,
    pub support_code_ttl_secs: u64,
    /// Seconds a WebSocket may stay open without authenticating.
    pub auth_timeout_secs: u64,
    /// Agent and viewer sockets that may wait to authenticate at once, from one client
    /// address and in all; each is read under a 64 KiB budget until it has.
    pub unauthenticated_sockets_per_address: usize,
    pub unauthenticated_sockets: usize,
    /// Seconds of silence after which a socket is closed.
    pub idle_timeout_secs: u64,
    pub ping_interval_secs: u64,
    /// Seconds a session waits for its unattended agent to come back before it ends.
    pub agent_rebind_grace_secs: u64,
    /// Seconds a pre-created session waits for its agent's first registration.
    pub waiting_session_ttl_secs: u64,
    pub reaper_interval_ms: u64,
    /// Frames queued per viewer before it is considered lagging.
    pub viewer_queue_messages: usize,
    /// Bytes queued per viewer before it is considered lagging.
    pub viewer_queue_bytes: usize,
    pub audit_retention_days: u64,
    /// Failed logins per client address per window.
    pub login_failures_per_ip: u32,
    /// Failed logins per username from one address per window (see server-kit's
    /// `LoginThrottle` for how the account-wide and server-wide budgets hold).
    pub login_failures_per_user: u32,
    /// Failed logins across the server per window; past it only addresses an account signed
    /// in from before get through.
    pub login_failures_global: u32,
    pub login_window_secs: u64,
    /// Failed support-code redemptions per address per window, and globally.
    pub code_failures_per_ip: u32,
    pub code_failures_global: u32,
    pub code_window_secs: u64,
    /// Messages per second a viewer may send before it is disconnected.
    pub viewer_messages_per_sec: u32,
    /// Seconds the end user has to answer the consent prompt before it counts as declined.
    pub consent_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 24 * 3600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            viewer_token_ttl_secs: 300,
            support_code_ttl_secs: 600,
            auth_timeout_secs: 10,
            unauthenticated_sockets_per_address: 32,
            unauthenticated_sockets: 512,
            idle_timeout_secs: 60,
            ping_interval_secs: 15,
            agent_rebind_grace_secs: 300,
            waiting_session_ttl_secs: 900,
            reaper_interval_ms: 30_000,
            viewer_queue_messages: 16,
            viewer_queue_bytes: 16 * 1024 * 1024,
            audit_retention_days: 90,
            login_failures_per_ip: 20,
            login_failures_per_user: 10,
            login_failures_global: 100,
            login_window_secs: 900,
            code_failures_per_ip: 10,
            code_failures_global: 100,
            code_window_secs: 60,
            viewer_messages_per_sec: 2000,
            consent_timeout_secs: 60,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8443)),
            public_url: None,
            data_dir: PathBuf::from("data/guruconnect"),
            database_url: None,
            jwt_secret: None,
            tls: None,
            cors_allowed_origins: Vec::new(),
            viewer_allowed_origins: Vec::new(),
            embed_allowed_origins: Vec::new(),
            web_dir: None,
            agent_api_key: None,
            allow_shared_agent_key: false,
            integration_key: None,
            release_public_key: None,
            attended_consent: true,
            trust_forwarded_for: false,
            second_factor_roles: Vec::new(),
            sso: None,
            bootstrap_admin: true,
            log_format: LogFormat::Text,
            limits: Limits::default(),
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

    /// Checks values whose types alone do not make them valid.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let limits = &self.limits;
        if limits.support_code_ttl_secs == 0 || limits.support_code_ttl_secs > 600 {
            return Err(invalid(
                "limits.support_code_ttl_secs",
                "must be between 1 and 600 (support codes live at most ten minutes)",
            ));
        }
        if limits.viewer_token_ttl_secs == 0 || limits.viewer_token_ttl_secs > 900 {
            return Err(invalid(
                "limits.viewer_token_ttl_secs",
                "must be between 1 and 900",
            ));
        }
        if limits.consent_timeout_secs == 0 || limits.consent_timeout_secs > 600 {
            return Err(invalid(
                "limits.consent_timeout_secs",
                "must be between 1 and 600",
            ));
        }
        if limits.viewer_queue_messages < 4 {
            return Err(invalid(
                "limits.viewer_queue_messages",
                "must be at least 4",
            ));
        }
        server_kit::intake::check_limits(
            limits.unauthenticated_sockets_per_address,
            limits.unauthenticated_sockets,
        )?;
        check_http_url("public_url", self.public_url.as_deref())?;
        check_origins("cors_allowed_origins", &self.cors_allowed_origins)?;
        check_origins("viewer_allowed_origins", &self.viewer_allowed_origins)?;
        check_origins("embed_allowed_origins", &self.embed_allowed_origins)?;
        check_secret_length("jwt_secret", self.jwt_secret.as_ref())?;
        if let Some(key) = &self.release_public_key {
            if !server_kit::signing::valid_public_key(key) {
                return Err(invalid(
                    "release_public_key",
                    "must be the base64 ed25519 public key `release keygen` printed",
                ));
            }
        }
        self.second_factor_policy()?;
        if let Some(sso) = &self.sso {
            sso.check()?;
        }
        check_secret_length("integration_key", self.integration_key.as_ref())
    }

    /// Who must sign in with a second factor (`second_factor_roles`).
    pub fn second_factor_policy(&self) -> Result<Policy, ConfigError> {
        Policy::from_words(&self.second_factor_roles)
    }

    /// The URL printed for people and used to derive the viewer origin.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.tls.is_some() { "https" } else { "http" };
                format!("{scheme}://{}", self.bind)
            }
        }
    }

    /// Origins allowed on `/ws/viewer`.
    pub fn viewer_origins(&self) -> Vec<String> {
        if self.viewer_allowed_origins.is_empty() {
            vec![self.public_url()]
        } else {
            self.viewer_allowed_origins.clone()
        }
    }

    /// The shared agent key, only when explicitly enabled.
    pub fn shared_agent_key(&self) -> Option<&SecretString> {
        self.agent_api_key
            .as_ref()
            .filter(|_| self.allow_shared_agent_key)
    }
}

#[cfg(test)]
mod tests;
