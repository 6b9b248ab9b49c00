//! Native Remote Control, the endpoint's half (NRC-9): on a `remote_control_launch` command,
//! ensure the GuruConnect agent build the server named is here and genuine, then start it for
//! the session.
//!
//! Supply chain: the build is downloaded (bounded size, timeout) into memory, and only when its
//! SHA-256 matches **and** the ed25519 signature over that digest verifies against the
//! GuruConnect release key pinned in agent.toml (`remote_control.release_public_key`, never
//! taken from a server) is it written to the cache, executable. A cached build is verified
//! again before every launch. Anything else is refused with a log line and a failed command
//! result naming why; nothing is run.
//!
//! Launch (CONTRACT.md "Launching the GuruConnect agent"):
//! - unattended: `guruconnect-agent run --server <ws url> --agent-id <device_id>`, the
//!   per-machine key in `GURUCONNECT_AGENT_KEY` (never on the command line); if the agent
//!   started for that id (by this process, or by it before a restart: `launched.rs`) is still
//!   running, no second one is started;
//! - attended: `guruconnect-agent run --server <ws url> --support-code <code>`;
//! - both: `remote_control.ca_cert` (default `server.ca_cert`) in `GURUCONNECT_CA_CERT`, so a
//!   relay with a private CA's certificate is trusted.
//!
//! The child is detached (its own process group on Unix; a detached process without a console
//! on Windows) with its output appended to `guruconnect-agent.log` in the cache directory.

use crate::config::RemoteControlConfig;
use crate::exec::refused;
use crate::launched::Launched;
use crate::updater::{self, UpdateError};
use ed25519_dalek::VerifyingKey;
use gururmm_protocol::{CommandResult, RemoteControlLaunch, RemoteControlMode};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// This machine's platform name on GuruConnect's release channel, if it has one.
pub fn this_platform() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("linux-x86_64"),
        ("windows", "x86_64") => Some("windows-x86_64"),
        _ => None,
    }
}

const BINARY: &str = if cfg!(windows) {
    "guruconnect-agent.exe"
} else {
    "guruconnect-agent"
};

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(
        "no GuruConnect release public key is pinned (remote_control.release_public_key in \
         agent.toml); refusing to download or run a GuruConnect agent"
    )]
    NoPinnedKey,
    #[error("the command is for GuruConnect agent id `{asked}`, but this machine is `{ours}`")]
    WrongMachine { asked: String, ours: String },
    #[error("the release is for {asked}, but this machine is {ours}")]
    WrongPlatform { asked: String, ours: String },
    #[error("release version `{0}` is not a plain version name")]
    BadVersion(String),
    #[error(
        "{0} mode needs its secret (per-machine key or support code), and the command has none"
    )]
    MissingSecret(&'static str),
    #[error("download failed: {0}")]
    Download(String),
    #[error("download is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// The SHA-256 or the signature does not match: the file is refused and never run.
    #[error("{0}")]
    Verification(UpdateError),
    #[error("cannot store the verified build: {0}")]
    Store(std::io::Error),
    #[error("cannot start the GuruConnect agent: {0}")]
    Spawn(std::io::Error),
}

/// Starts GuruConnect agents and remembers the ones it started.
#[derive(Debug)]
pub struct Launcher {
    config: RemoteControlConfig,
    device_id: String,
    cache_dir: PathBuf,
    http: reqwest::Client,
    /// The agents started, remembered across this process's restarts.
    launched: Launched,
}

impl Launcher {
    pub fn new(
        config: RemoteControlConfig,
        device_id: String,
        state_dir: &Path,
        trust: &crate::trust::Trust,
    ) -> Self {
        let cache_dir = config
            .cache_dir
            .clone()
            .unwrap_or_else(|| state_dir.join("guruconnect"));
        // Builds come from GuruConnect: trust its CA (remote_control.ca_cert) besides the
        // RMM server's. The file was checked when agent.toml was loaded.
        let relay = crate::trust::Trust::load(config.ca_cert.as_deref()).unwrap_or_default();
        let http = trust
            .and(&relay)
            .http()
            .timeout(Duration::from_secs(config.download_timeout_secs))
            .build()
            .unwrap_or_default();
        Self {
            config,
            device_id,
            launched: Launched::new(&cache_dir),
            cache_dir,
            http,
        }
    }

    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// The pid of the unattended agent started for `agent_id` (by this process or before its
    /// restart), while it runs.
    pub fn running_pid(&self, agent_id: &str) -> Option<u32> {
        self.launched.running_pid(agent_id)
    }

    /// Stops every agent this process started (tests; an agent uninstall).
    pub fn stop_all(&self) {
        self.launched.stop_all();
    }

    /// Runs remote-control launch `id`; always one result.
    pub async fn run(&self, id: uuid::Uuid, launch: &RemoteControlLaunch) -> CommandResult {
        match self.launch(launch).await {
            Ok(message) => {
                tracing::info!(session_id = %launch.session_id, version = %launch.release.version, "{message}");
                CommandResult {
                    id,
                    exit_code: 0,
                    stdout: message,
                    stderr: String::new(),
                    duration_ms: 0,
                    timed_out: false,
                    truncated: false,
                }
            }
            Err(e) => {
                let reason = format!(
                    "refused to run guruconnect-agent {} for session {}: {e}; nothing was run",
                    launch.release.version, launch.session_id
                );
                tracing::error!(session_id = %launch.session_id, version = %launch.release.version,
                    url = %launch.release.download_url, "{reason}");
                refused(id, reason)
            }
        }
    }

    async fn launch(&self, launch: &RemoteControlLaunch) -> Result<String, LaunchError> {
        let key = match &self.config.release_public_key {
            Some(text) => updater::parse_key(text).map_err(|_| LaunchError::NoPinnedKey)?,
            None => return Err(LaunchError::NoPinnedKey),
        };
        if launch.agent_id != self.device_id {
            return Err(LaunchError::WrongMachine {
                asked: launch.agent_id.clone(),
                ours: self.device_id.clone(),
            });
        }
        let ours = this_platform().unwrap_or("an unsupported platform");
        if launch.release.platform != ours {
            return Err(LaunchError::WrongPlatform {
                asked: launch.release.platform.clone(),
                ours: ours.to_owned(),
            });
        }
        let secret = match launch.mode {
            RemoteControlMode::Unattended => launch.agent_key.as_deref(),
            RemoteControlMode::Attended => launch.support_code.as_deref(),
        }
        .filter(|s| !s.is_empty())
        .ok_or(LaunchError::MissingSecret(launch.mode.as_str()))?;
        if launch.mode == RemoteControlMode::Unattended {
            if let Some(pid) = self.running_pid(&launch.agent_id) {
                return Ok(format!(
                    "guruconnect-agent for {} is already running (pid {pid}); it joins session {}",
                    launch.agent_id, launch.session_id
                ));
            }
        }
        let binary = self.ensure(launch, &key).await?;
        let child = self.spawn(&binary, launch, secret)?;
        let pid = child.id();
        match launch.mode {
            RemoteControlMode::Unattended => self.launched.unattended(&launch.agent_id, child),
            RemoteControlMode::Attended => self.launched.attended(child),
        }
        Ok(format!(
            "started guruconnect-agent {} ({}) pid {pid} for session {}",
            launch.release.version,
            launch.mode.as_str(),
            launch.session_id
        ))
    }

    /// The verified build's path: the cached one if it still verifies, else a fresh download.
    async fn ensure(
        &self,
        launch: &RemoteControlLaunch,
        key: &VerifyingKey,
    ) -> Result<PathBuf, LaunchError> {
        let release = &launch.release;
        let version = &release.version;
        let plain = !version.is_empty()
            && version != "."
            && version != ".."
            && version.len() <= 64
            && version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'));
        if !plain {
            return Err(LaunchError::BadVersion(version.clone()));
        }
        let dir = self.cache_dir.join(version);
        let path = dir.join(BINARY);
        if let Ok(cached) = std::fs::read(&path) {
            match updater::verify_signed(&cached, &release.sha256, &release.signature, key) {
                Ok(()) => return Ok(path),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e,
                        "cached GuruConnect agent does not verify; removing it and downloading again");
                    std::fs::remove_file(&path).map_err(LaunchError::Store)?;
                }
            }
        }
        let bytes = self.download(&release.download_url, release.size).await?;
        updater::verify_signed(&bytes, &release.sha256, &release.signature, key)
            .map_err(LaunchError::Verification)?;
        store_executable(&dir, &path, &bytes).map_err(LaunchError::Store)?;
        Ok(path)
    }

    async fn download(&self, url: &str, announced: Option<u64>) -> Result<Vec<u8>, LaunchError> {
        let limit = self.config.max_download_bytes;
        if announced.is_some_and(|size| size > limit) {
            return Err(LaunchError::TooLarge { limit });
        }
        let err = |e: reqwest::Error| LaunchError::Download(updater::describe_download_error(e));
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(err)?
            .error_for_status()
            .map_err(err)?;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(LaunchError::TooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(err)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(LaunchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn spawn(
        &self,
        binary: &Path,
        launch: &RemoteControlLaunch,
        secret: &str,
    ) -> Result<Child, LaunchError> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.cache_dir.join("guruconnect-agent.log"))
            .map_err(LaunchError::Spawn)?;
        let log_err = log.try_clone().map_err(LaunchError::Spawn)?;
        let mut command = std::process::Command::new(binary);
        command
            .arg("run")
            .arg("--server")
            .arg(&launch.server_url)
            .env_remove("GURUCONNECT_AGENT_KEY")
            .env_remove("GURUCONNECT_CA_CERT")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        match launch.mode {
            RemoteControlMode::Unattended => {
                command
                    .arg("--agent-id")
                    .arg(&launch.agent_id)
                    .env("GURUCONNECT_AGENT_KEY", secret);
            }
            RemoteControlMode::Attended => {
                command.arg("--support-code").arg(secret);
            }
        }
        if let Some(ca) = &self.config.ca_cert {
            command.env("GURUCONNECT_CA_CERT", ca);
        }
        detach(&mut command);
        // The binary was just written: see `is_text_busy`.
        let mut attempt = 0;
        loop {
            match command.spawn() {
                Err(e) if crate::exec::process::is_text_busy(&e) && attempt < 10 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other.map_err(LaunchError::Spawn),
            }
        }
    }
}

#[cfg(unix)]
fn detach(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // Its own process group: a signal to the RMM agent's group (a service restart) does not
    // take the remote session down with it.
    command.process_group(0);
}

#[cfg(windows)]
fn detach(command: &mut std::process::Command) {
    use std::os::windows::process::CommandExt;
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
}

#[cfg(not(any(unix, windows)))]
fn detach(_command: &mut std::process::Command) {}

/// Writes verified bytes to `path` (via a temp file and a rename), executable by the owner
/// only; the directory is private too.
fn store_executable(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o700);
        if let Some(parent) = dir.parent() {
            std::fs::set_permissions(parent, private.clone())?;
        }
        std::fs::set_permissions(dir, private)?;
    }
    let staged = dir.join(format!(".{BINARY}.partial"));
    let _ = std::fs::remove_file(&staged);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o700);
    }
    let mut file = options.open(&staged)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&staged, path)
}
