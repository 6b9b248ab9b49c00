//! The agent's settings: a TOML file (and, on Windows, the installer's registry values), then
//! environment variables and command-line flags on top. Keys are secrets: never printed by
//! `Debug`, and a key file readable by other users is refused.

use crate::inventory::Labels;
use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One layer of settings; later layers override earlier ones field by field.
#[derive(Deserialize, Default, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Relay URL, ws:// or wss://.
    pub server: Option<String>,
    /// PEM certificates trusted for `wss://` besides the public roots: a private CA, or the
    /// relay's self-signed certificate.
    pub ca_cert: Option<PathBuf>,
    pub agent_id: Option<String>,
    /// The per-machine key (`api_key` is the earlier agent's name for it).
    #[serde(alias = "api_key")]
    pub key: Option<String>,
    /// X11 display to share.
    pub display: Option<String>,
    /// tracing filter, e.g. "info" or "guruconnect_agent=debug".
    pub log_level: Option<String>,
    pub log_dir: Option<PathBuf>,
    #[serde(default)]
    pub labels: LabelSettings,
}

#[derive(Deserialize, Default, Clone, PartialEq, Debug)]
#[serde(deny_unknown_fields)]
pub struct LabelSettings {
    pub organization: Option<String>,
    pub site: Option<String>,
    pub department: Option<String>,
    pub device_type: Option<String>,
    pub tags: Option<Vec<String>>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("server", &self.server)
            .field("ca_cert", &self.ca_cert)
            .field("agent_id", &self.agent_id)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("display", &self.display)
            .field("log_level", &self.log_level)
            .field("log_dir", &self.log_dir)
            .field("labels", &self.labels)
            .finish()
    }
}

impl Settings {
    /// `self` with every field `over` sets replaced.
    pub fn overlay(self, over: Settings) -> Settings {
        Settings {
            server: over.server.or(self.server),
            ca_cert: over.ca_cert.or(self.ca_cert),
            agent_id: over.agent_id.or(self.agent_id),
            key: over.key.or(self.key),
            display: over.display.or(self.display),
            log_level: over.log_level.or(self.log_level),
            log_dir: over.log_dir.or(self.log_dir),
            labels: LabelSettings {
                organization: over.labels.organization.or(self.labels.organization),
                site: over.labels.site.or(self.labels.site),
                department: over.labels.department.or(self.labels.department),
                device_type: over.labels.device_type.or(self.labels.device_type),
                tags: over.labels.tags.or(self.labels.tags),
            },
        }
    }

    pub fn labels(&self) -> Labels {
        let l = &self.labels;
        Labels {
            organization: l.organization.clone().unwrap_or_default(),
            site: l.site.clone().unwrap_or_default(),
            department: l.department.clone().unwrap_or_default(),
            device_type: l.device_type.clone().unwrap_or_default(),
            tags: l.tags.clone().unwrap_or_default(),
        }
    }

    /// Reads a TOML settings file (unchecked: `load` decides what must be private).
    pub fn from_file(path: &Path) -> anyhow::Result<Settings> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    fn is_empty(&self) -> bool {
        self.server.is_none() && self.key.is_none() && self.agent_id.is_none()
    }
}

/// The installer's registry values overlaid with the settings file: `explicit` when given (it
/// must exist), otherwise the default path when present. When either holds the agent key,
/// both must be private to the machine's administrators: whoever can read them has the key,
/// and whoever can change them can send it to a relay of their choosing.
pub fn load(explicit: Option<&Path>) -> anyhow::Result<Settings> {
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => Some(default_path()).filter(|p| p.exists()),
    };
    let file = match &path {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    let registry = from_registry();
    if file.key.is_some() || registry.key.is_some() {
        if let Some(path) = &path {
            crate::secret_file::check(path)?;
        }
        if !registry.is_empty() {
            crate::secret_file::check_registry()?;
        }
    }
    Ok(registry.overlay(file))
}

/// Where the settings file is looked for when `--config` is not given.
pub fn default_path() -> PathBuf {
    if cfg!(windows) {
        program_data().join("GuruConnect").join("agent.toml")
    } else {
        PathBuf::from("/etc/guruconnect/agent.toml")
    }
}

/// Where logs go unless `log_dir` says otherwise: the system log directory for a system
/// service, the user's state directory otherwise.
pub fn default_log_dir() -> PathBuf {
    if cfg!(windows) {
        return program_data().join("GuruConnect").join("Logs");
    }
    if is_root() {
        return PathBuf::from("/var/log/guruconnect");
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    state.join("guruconnect")
}

/// %ProgramData% as the shell knows it. The environment variable is not used: a service and
/// the administrator's shell that installed it must agree on where the settings live, and
/// their environments are built differently (under Wine they even disagree).
#[cfg(windows)]
#[allow(unsafe_code)] // SHGetKnownFolderPath's string, freed with CoTaskMemFree.
fn program_data() -> PathBuf {
    use windows::Win32::System::Com::CoTaskMemFree;
    use windows::Win32::UI::Shell::{FOLDERID_ProgramData, SHGetKnownFolderPath, KF_FLAG_DEFAULT};
    // SAFETY: the GUID is a static; on success the returned string is NUL-terminated, owned by
    // us, read once and freed with CoTaskMemFree as the API requires.
    let known = unsafe {
        SHGetKnownFolderPath(&FOLDERID_ProgramData, KF_FLAG_DEFAULT, None).map(|path| {
            let text = path.to_string();
            CoTaskMemFree(Some(path.as_ptr().cast()));
            text
        })
    };
    match known {
        Ok(Ok(path)) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(r"C:\ProgramData"),
    }
}

#[cfg(not(windows))]
fn program_data() -> PathBuf {
    PathBuf::from(r"C:\ProgramData") // only ever joined into Windows paths, never used here
}

#[cfg(unix)]
fn is_root() -> bool {
    // /proc/self is owned by the process's effective user.
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// The installer's registry values (`HKLM\SOFTWARE\GuruConnect`: Server, ApiKey, AgentId).
#[cfg(windows)]
#[allow(unsafe_code)] // RegGetValueW into local buffers of the sizes passed.
pub fn from_registry() -> Settings {
    use windows::core::{HSTRING, PCWSTR};
    use windows::Win32::System::Registry::{RegGetValueW, HKEY_LOCAL_MACHINE, RRF_RT_REG_SZ};
    let read = |name: &str| -> Option<String> {
        let mut buffer = [0u16; 1024];
        let mut bytes = (buffer.len() * 2) as u32;
        let key = HSTRING::from(r"SOFTWARE\GuruConnect");
        let value = HSTRING::from(name);
        // SAFETY: `buffer` holds `bytes` bytes and RegGetValueW writes at most that many.
        let status = unsafe {
            RegGetValueW(
                HKEY_LOCAL_MACHINE,
                PCWSTR(key.as_ptr()),
                PCWSTR(value.as_ptr()),
                RRF_RT_REG_SZ,
                None,
                Some(buffer.as_mut_ptr().cast()),
                Some(&mut bytes),
            )
        };
        if status.is_err() {
            return None;
        }
        let len = buffer.iter().position(|c| *c == 0).unwrap_or(buffer.len());
        Some(String::from_utf16_lossy(&buffer[..len])).filter(|s| !s.is_empty())
    };
    Settings {
        server: read("Server"),
        key: read("ApiKey"),
        agent_id: read("AgentId"),
        ..Settings::default()
    }
}

#[cfg(not(windows))]
pub fn from_registry() -> Settings {
    Settings::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_override_field_by_field() {
        let file: Settings = toml::from_str(
            r#"
            server = "wss://relay.example"
            api_key = "from-file"
            [labels]
            site = "HQ"
            tags = ["a", "b"]
            "#,
        )
        .expect("parse");
        let flags = Settings {
            key: Some("from-flag".into()),
            ..Settings::default()
        };
        let merged = Settings::default().overlay(file).overlay(flags);
        assert_eq!(merged.server.as_deref(), Some("wss://relay.example"));
        assert_eq!(merged.key.as_deref(), Some("from-flag"));
        assert_eq!(merged.labels().site, "HQ");
        assert_eq!(merged.labels().tags, ["a", "b"]);
        assert!(
            !format!("{merged:?}").contains("from-flag"),
            "Debug hides the key"
        );
    }

    #[test]
    fn unknown_settings_are_errors_not_silently_ignored() {
        let err = toml::from_str::<Settings>("sever = \"typo\"").expect_err("typo refused");
        assert!(err.to_string().contains("sever"));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("agent.toml");
        std::fs::write(&path, "key = \"k\"\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = load(Some(&path)).expect_err("refused");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(load(Some(&path)).expect("ok").key.as_deref(), Some("k"));
        // Without a key anywhere, a readable file (a server URL, labels) is fine.
        std::fs::write(&path, "server = \"wss://relay.example\"\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(
            load(Some(&path))
                .expect("no key, no secret")
                .server
                .as_deref(),
            Some("wss://relay.example")
        );
    }
}
