//! Environment overrides. Each variable is named once here, always `GURUCONNECT_*`; the bare
//! names earlier releases also read are refused with their replacement named.

use super::{Config, ConfigError, LogFormat, SecretString, TlsConfig};
use server_kit::{renamed_message, still_relied_on};
use std::path::PathBuf;

fn first(
    get: &impl Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<(&'static str, String)> {
    names
        .iter()
        .find_map(|name| get(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn boolean(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Env {
            var,
            message: format!("`{value}` is not a boolean (true/false)"),
        }),
    }
}

/// Bare names earlier releases also read, and their replacements (server-kit's env.rs: why).
pub(super) const RENAMED: &[(&str, &str)] = &[
    ("BIND_ADDRESS", "GURUCONNECT_BIND"),
    ("DATABASE_URL", "GURUCONNECT_DATABASE_URL"),
    ("JWT_SECRET", "GURUCONNECT_JWT_SECRET"),
    ("TLS_CERT", "GURUCONNECT_TLS_CERT"),
    ("TLS_KEY", "GURUCONNECT_TLS_KEY"),
    (
        "CONNECT_EMBED_ALLOWED_ORIGINS",
        "GURUCONNECT_EMBED_ALLOWED_ORIGINS",
    ),
    ("AGENT_API_KEY", "GURUCONNECT_AGENT_API_KEY"),
    ("CONNECT_INTEGRATION_KEY", "GURUCONNECT_INTEGRATION_KEY"),
];

/// Applies every override that `get` knows about. `get` is `std::env::var` in production and a
/// map in tests.
pub fn apply_overrides(
    config: &mut Config,
    get: impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    if let Some(stale) = still_relied_on(&get, RENAMED) {
        return Err(ConfigError::Env {
            var: stale.old,
            message: renamed_message(stale),
        });
    }
    if let Some((var, v)) = first(&get, &["GURUCONNECT_BIND"]) {
        config.bind = v.parse().map_err(|_| ConfigError::Env {
            var,
            message: format!("`{v}` is not an address like 127.0.0.1:8443"),
        })?;
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_PUBLIC_URL"]) {
        config.public_url = Some(v);
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_DATA_DIR"]) {
        config.data_dir = PathBuf::from(v);
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_DATABASE_URL"]) {
        config.database_url = Some(SecretString::new(v));
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_JWT_SECRET"]) {
        config.jwt_secret = Some(SecretString::new(v));
    }
    let cert = first(&get, &["GURUCONNECT_TLS_CERT"]);
    let key = first(&get, &["GURUCONNECT_TLS_KEY"]);
    match (cert, key) {
        (Some((_, cert)), Some((_, key))) => {
            config.tls = Some(TlsConfig {
                cert: cert.into(),
                key: key.into(),
            })
        }
        (Some((var, _)), None) | (None, Some((var, _))) => {
            return Err(ConfigError::Env {
                var,
                message: "TLS needs both a certificate and a key".into(),
            })
        }
        (None, None) => {}
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_CORS_ALLOWED_ORIGINS"]) {
        config.cors_allowed_origins = list(&v);
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_VIEWER_ALLOWED_ORIGINS"]) {
        config.viewer_allowed_origins = list(&v);
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_EMBED_ALLOWED_ORIGINS"]) {
        config.embed_allowed_origins = list(&v);
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_WEB_DIR"]) {
        config.web_dir = Some(PathBuf::from(v));
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_AGENT_API_KEY"]) {
        config.agent_api_key = Some(SecretString::new(v));
    }
    if let Some((var, v)) = first(&get, &["GURUCONNECT_ALLOW_SHARED_AGENT_KEY"]) {
        config.allow_shared_agent_key = boolean(var, &v)?;
    }
    if let Some((_, v)) = first(&get, &["GURUCONNECT_INTEGRATION_KEY"]) {
        config.integration_key = Some(SecretString::new(v));
    }
    if let Some((var, v)) = first(&get, &["GURUCONNECT_ATTENDED_CONSENT"]) {
        config.attended_consent = boolean(var, &v)?;
    }
    if let Some((var, v)) = first(&get, &["GURUCONNECT_TRUST_FORWARDED_FOR"]) {
        config.trust_forwarded_for = boolean(var, &v)?;
    }
    if let Some((var, v)) = first(&get, &["GURUCONNECT_BOOTSTRAP_ADMIN"]) {
        config.bootstrap_admin = boolean(var, &v)?;
    }
    if let Some((var, v)) = first(&get, &["GURUCONNECT_LOG_FORMAT"]) {
        config.log_format = match v.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => {
                return Err(ConfigError::Env {
                    var,
                    message: format!("`{v}` is not text or json"),
                })
            }
        };
    }
    Ok(())
}
