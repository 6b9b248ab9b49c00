//! What both servers' configurations share: the error that names the key or variable at
//! fault, reading the TOML file, the environment reader, TLS files, the log format and the
//! checks of origins, URLs and secret lengths.

mod env;

pub use env::{overwrite, renamed_message, renames_not_refused, still_relied_on, Env, Renamed};

use crate::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A configuration problem, naming the key or variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
    #[error("config key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

/// A value of `key` its type alone does not rule out, refused with `message`.
pub fn invalid(key: &'static str, message: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.to_owned(),
    }
}

/// Parses the TOML file at `path`; the error names the file (and, from the parser, the key).
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// A PEM certificate chain and its private key: the server then speaks only HTTPS and `wss://`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(()),
        }
    }
}

impl LogFormat {
    /// Installs the process's log subscriber: `RUST_LOG` when set, else `info` (sqlx at `warn`).
    pub fn init_logging(self) {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        let _ = match self {
            Self::Json => builder.json().try_init(),
            Self::Text => builder.try_init(),
        };
    }
}

/// Refuses any of `origins` that is not `scheme://host[:port]`: a path or a wildcard would
/// widen what `key` allows beyond what its operator can read off the list.
pub fn check_origins(key: &'static str, origins: &[String]) -> Result<(), ConfigError> {
    match origins.iter().find(|origin| !is_origin(origin)) {
        Some(origin) => Err(ConfigError::Invalid {
            key,
            message: format!(
                "`{origin}` is not an origin like https://host:port (no path, no wildcard)"
            ),
        }),
        None => Ok(()),
    }
}

fn is_origin(origin: &str) -> bool {
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    host.is_some_and(|h| {
        !h.is_empty() && !h.contains(['/', '*']) && !h.contains(char::is_whitespace)
    })
}

/// Refuses a `url` that is not `http://` or `https://`.
pub fn check_http_url(key: &'static str, url: Option<&str>) -> Result<(), ConfigError> {
    match url {
        Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
            Err(invalid(key, "must start with http:// or https://"))
        }
        _ => Ok(()),
    }
}

/// Refuses a secret shorter than 32 characters: a key an attacker could guess offline.
pub fn check_secret_length(
    key: &'static str,
    secret: Option<&SecretString>,
) -> Result<(), ConfigError> {
    match secret {
        Some(secret) if secret.expose().len() < 32 => {
            Err(invalid(key, "must be at least 32 characters"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
