//! `agent.toml` (RMM-13): the seed's format, with every interval configurable. Unknown keys are
//! refused by name, and every out-of-range value is reported with the key that holds it.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub server: ServerConfig,
    #[serde(default)]
    pub agent: AgentSection,
    #[serde(default)]
    pub metrics: MetricsConfig,
    #[serde(default)]
    pub commands: CommandsConfig,
    #[serde(default)]
    pub claude: ClaudeConfig,
    #[serde(default)]
    pub watchdog: WatchdogConfig,
    #[serde(default)]
    pub update: UpdateConfig,
    #[serde(default)]
    pub remote_control: RemoteControlConfig,
    #[serde(default)]
    pub logging: LoggingConfig,
}

/// Log files besides stderr: a Windows service has no stderr to read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// Write daily log files (`gururmm-agent.YYYY-MM-DD.log`).
    pub file: bool,
    /// Where; unset: `/var/log/gururmm` as root, else `~/.local/state/gururmm`, and
    /// `%ProgramData%\GuruRMM\Logs` on Windows.
    pub directory: Option<PathBuf>,
    /// Daily files kept, today's included; older ones are removed.
    pub max_files: usize,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            file: true,
            directory: None,
            max_files: 7,
        }
    }
}

/// Native Remote Control (NRC-9): how this agent fetches and starts the GuruConnect agent.
/// Without `release_public_key`, every `remote_control_launch` is refused: the key is pinned
/// here (root-owned agent.toml), never taken from either server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemoteControlConfig {
    /// Base64 ed25519 public key of GuruConnect's release signing key
    /// (`guruconnect-server release keygen` prints it).
    pub release_public_key: Option<String>,
    /// Where verified GuruConnect agent builds are kept, by version. Unset: `guruconnect/`
    /// beside agent.toml.
    pub cache_dir: Option<PathBuf>,
    /// Largest GuruConnect agent download accepted.
    pub max_download_bytes: u64,
    /// Timeout of the whole download.
    pub download_timeout_secs: u64,
    /// PEM certificates the GuruConnect agent trusts for GuruConnect's relay (wss://) besides
    /// the public roots, passed to it as `GURUCONNECT_CA_CERT`. Unset: `server.ca_cert`, for
    /// the usual case of one private CA for both servers.
    pub ca_cert: Option<PathBuf>,
}

impl Default for RemoteControlConfig {
    fn default() -> Self {
        Self {
            release_public_key: None,
            cache_dir: None,
            max_download_bytes: 200 * 1024 * 1024,
            download_timeout_secs: 300,
            ca_cert: None,
        }
    }
}

/// Self-update trust. agent.toml is writable by the machine's administrators only, the same
/// people who could replace the binary itself; the server cannot change it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateConfig {
    /// Base64 ed25519 public key that signs releases; overrides the key built into the agent.
    pub public_key: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// `wss://host/ws` (or `ws://` on a trusted network / in tests).
    pub url: String,
    /// A per-agent key (`grmm_…`) or a site code (`WORD-WORD-NUMBER`).
    pub api_key: String,
    /// `websocket` (default) or `polling` (the legacy REST mode).
    #[serde(default = "default_mode")]
    pub mode: String,
    /// PEM certificates trusted for TLS besides the public roots: a private CA, or the
    /// server's self-signed certificate.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
}

fn default_mode() -> String {
    "websocket".into()
}

// By hand, so the key never reaches a log through `{:?}`.
impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("url", &self.url)
            .field("api_key", &"[redacted]")
            .field("mode", &self.mode)
            .field("ca_cert", &self.ca_cert)
            .finish()
    }
}

/// Connection timing (the seed hard-coded all of these).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentSection {
    pub heartbeat_interval_secs: u64,
    /// How often the network configuration is checked (sent only when it changed).
    pub network_check_interval_secs: u64,
    pub auth_timeout_secs: u64,
    /// Silence from the server after which the connection is considered dead.
    pub idle_timeout_secs: u64,
    /// Reconnect backoff: first ceiling and cap of the fully jittered exponential delay.
    pub reconnect_base_secs: u64,
    pub reconnect_cap_secs: u64,
    /// Polling mode: seconds between REST heartbeats.
    pub poll_interval_secs: u64,
    /// Overrides the derived device id (cloned VMs that share a machine id).
    pub device_id: Option<String>,
}

impl Default for AgentSection {
    fn default() -> Self {
        Self {
            heartbeat_interval_secs: 30,
            network_check_interval_secs: 30,
            auth_timeout_secs: 10,
            idle_timeout_secs: 90,
            reconnect_base_secs: 1,
            reconnect_cap_secs: 300,
            poll_interval_secs: 30,
            device_id: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// 10-3600, default 60.
    pub interval_seconds: u64,
    pub collect_cpu: bool,
    pub collect_memory: bool,
    pub collect_disk: bool,
    pub collect_network: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            interval_seconds: 60,
            collect_cpu: true,
            collect_memory: true,
            collect_disk: true,
            collect_network: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommandsConfig {
    /// Used when a command names no timeout.
    pub default_timeout_secs: u64,
    /// Upper bound on any command's timeout.
    pub max_timeout_secs: u64,
    /// Cap on each of stdout and stderr.
    pub max_output_bytes: usize,
    /// Interpreter for `python` commands.
    pub python: String,
    /// Interpreter for `script` commands (the script text goes to a temp file passed as the
    /// last argument). Unset: `script` commands fail with a clear message.
    pub script_interpreter: Option<Vec<String>>,
    /// Unix: the account unelevated commands run as when the agent runs as root (default
    /// `nobody`). Windows runs them under a restricted token instead and ignores this.
    pub unelevated_user: Option<String>,
}

impl Default for CommandsConfig {
    fn default() -> Self {
        Self {
            default_timeout_secs: 300,
            max_timeout_secs: 3600,
            max_output_bytes: 256 * 1024,
            python: if cfg!(windows) { "python" } else { "python3" }.into(),
            script_interpreter: None,
            unelevated_user: None,
        }
    }
}

/// The `claude_task` executor (RMM-9). Off unless configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaudeConfig {
    pub enabled: bool,
    /// The CLI to run; the task text is passed as its last argument.
    pub cli: String,
    /// Arguments before the task text.
    pub args: Vec<String>,
    /// Tasks run here or in a subdirectory, never elsewhere.
    pub working_directory: PathBuf,
    pub max_tasks_per_hour: usize,
    pub max_concurrent: usize,
    pub default_timeout_secs: u64,
    pub max_timeout_secs: u64,
}

impl Default for ClaudeConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            cli: "claude".into(),
            args: vec!["-p".into()],
            working_directory: if cfg!(windows) {
                PathBuf::from(r"C:\Shares\test")
            } else {
                PathBuf::from("/srv/gururmm/claude")
            },
            max_tasks_per_hour: 10,
            max_concurrent: 2,
            default_timeout_secs: 300,
            max_timeout_secs: 600,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchdogConfig {
    pub enabled: bool,
    pub check_interval_seconds: u64,
    pub services: Vec<WatchedService>,
}

impl Default for WatchdogConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            check_interval_seconds: 30,
            services: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchedService {
    pub name: String,
    /// Only `restart` for now.
    #[serde(default = "default_action")]
    pub action: String,
    #[serde(default = "default_max_restarts")]
    pub max_restarts: u32,
    #[serde(default = "default_cooldown")]
    pub restart_cooldown_seconds: u64,
}

fn default_action() -> String {
    "restart".into()
}
fn default_max_restarts() -> u32 {
    3
}
fn default_cooldown() -> u64 {
    60
}

/// A configuration problem, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.into(),
    }
}

fn in_range(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!("must be between {min} and {max} (got {value})"),
        ))
    }
}

impl AgentConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })
    }

    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("agent.toml"),
            message: e.to_string(),
        })?;
        config.validate()?;
        if config.remote_control.ca_cert.is_none() {
            config.remote_control.ca_cert = config.server.ca_cert.clone();
        }
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.server;
        if !(s.url.starts_with("wss://") || s.url.starts_with("ws://")) {
            return Err(invalid("server.url", "must start with wss:// (or ws://)"));
        }
        if s.api_key.trim().is_empty() {
            return Err(invalid(
                "server.api_key",
                "must be a grmm_ key or a site code",
            ));
        }
        if s.mode != "websocket" && s.mode != "polling" {
            return Err(invalid("server.mode", "must be websocket or polling"));
        }
        if let Err(why) = crate::trust::Trust::load(s.ca_cert.as_deref()) {
            return Err(invalid("server.ca_cert", why));
        }
        if let Err(why) = crate::trust::Trust::load(self.remote_control.ca_cert.as_deref()) {
            return Err(invalid("remote_control.ca_cert", why));
        }
        let a = &self.agent;
        in_range(
            "agent.heartbeat_interval_secs",
            a.heartbeat_interval_secs,
            1,
            3600,
        )?;
        in_range(
            "agent.network_check_interval_secs",
            a.network_check_interval_secs,
            1,
            86_400,
        )?;
        in_range("agent.auth_timeout_secs", a.auth_timeout_secs, 1, 300)?;
        in_range("agent.idle_timeout_secs", a.idle_timeout_secs, 5, 3600)?;
        in_range("agent.reconnect_base_secs", a.reconnect_base_secs, 1, 3600)?;
        in_range(
            "agent.reconnect_cap_secs",
            a.reconnect_cap_secs,
            a.reconnect_base_secs,
            86_400,
        )?;
        in_range("agent.poll_interval_secs", a.poll_interval_secs, 1, 3600)?;
        in_range(
            "metrics.interval_seconds",
            self.metrics.interval_seconds,
            10,
            3600,
        )?;
        let c = &self.commands;
        in_range("commands.max_timeout_secs", c.max_timeout_secs, 1, 86_400)?;
        in_range(
            "commands.default_timeout_secs",
            c.default_timeout_secs,
            1,
            c.max_timeout_secs,
        )?;
        let cap = gururmm_protocol::MAX_OUTPUT_BYTES as u64;
        in_range(
            "commands.max_output_bytes",
            c.max_output_bytes as u64,
            1024,
            cap,
        )?;
        if c.script_interpreter.as_ref().is_some_and(Vec::is_empty) {
            return Err(invalid(
                "commands.script_interpreter",
                "must name a program",
            ));
        }
        if c.unelevated_user
            .as_deref()
            .is_some_and(|u| u.trim().is_empty())
        {
            return Err(invalid("commands.unelevated_user", "must name an account"));
        }
        let cl = &self.claude;
        in_range(
            "claude.max_timeout_secs",
            cl.max_timeout_secs,
            1,
            crate::exec::claude::MAX_TIMEOUT_SECS,
        )?;
        in_range(
            "claude.default_timeout_secs",
            cl.default_timeout_secs,
            1,
            cl.max_timeout_secs,
        )?;
        in_range(
            "claude.max_tasks_per_hour",
            cl.max_tasks_per_hour as u64,
            1,
            10,
        )?;
        in_range("claude.max_concurrent", cl.max_concurrent as u64, 1, 2)?;
        in_range(
            "watchdog.check_interval_seconds",
            self.watchdog.check_interval_seconds,
            5,
            3600,
        )?;
        let rc = &self.remote_control;
        if let Some(key) = &rc.release_public_key {
            if crate::updater::parse_key(key).is_err() {
                return Err(invalid(
                    "remote_control.release_public_key",
                    "must be a base64 ed25519 public key (32 bytes), as `guruconnect-server \
                     release keygen` prints it",
                ));
            }
        }
        in_range(
            "remote_control.max_download_bytes",
            rc.max_download_bytes,
            1024,
            1024 * 1024 * 1024,
        )?;
        in_range(
            "remote_control.download_timeout_secs",
            rc.download_timeout_secs,
            1,
            3600,
        )?;
        let lg = &self.logging;
        if lg
            .directory
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return Err(invalid("logging.directory", "must name a directory"));
        }
        in_range("logging.max_files", lg.max_files as u64, 1, 366)?;
        for (i, svc) in self.watchdog.services.iter().enumerate() {
            if !is_service_name(&svc.name) {
                return Err(invalid(
                    &format!("watchdog.services[{i}].name"),
                    "must be a service name (letters, digits, @ . _ : - and \\), not starting with -",
                ));
            }
            if svc.action != "restart" {
                return Err(invalid(
                    &format!("watchdog.services[{i}].action"),
                    "must be restart",
                ));
            }
        }
        Ok(())
    }
}

/// A warning when agent.toml, which holds `server.api_key`, can be read by every account on
/// the machine, including the one unelevated commands run as. None when it is private (or on
/// Windows, where ProgramData's ACL decides).
pub fn exposure_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        (mode & 0o004 != 0).then(|| {
            format!(
                "{} (mode {:o}) is readable by every user and holds server.api_key; chmod 600 it",
                path.display(),
                mode & 0o777
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// A systemd unit or Windows service name: never empty, never an option to the tool.
fn is_service_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@._:-\\".contains(c))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
