//! Environment overrides. Each variable is named once here, always `GURURMM_*`; the bare names
//! earlier releases also read are refused with their replacement named.

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

/// A comma-separated list, blanks dropped.
fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Bare names earlier releases also read, and their replacements (server-kit's env.rs: why).
pub(super) const RENAMED: &[(&str, &str)] = &[
    ("DATABASE_URL", "GURURMM_DATABASE_URL"),
    ("JWT_SECRET", "GURURMM_JWT_SECRET"),
    ("CONNECT_SERVER_URL", "GURURMM_CONNECT_URL"),
    ("CONNECT_INTEGRATION_KEY", "GURURMM_CONNECT_INTEGRATION_KEY"),
];

/// Applies every override `get` knows: `std::env::var` in production, a map in tests.
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
    if let Some((var, v)) = first(&get, &["GURURMM_BIND"]) {
        config.bind = v.parse().map_err(|_| ConfigError::Env {
            var,
            message: format!("`{v}` is not an address like 127.0.0.1:3001"),
        })?;
    }
    if let Some((_, v)) = first(&get, &["GURURMM_PUBLIC_URL"]) {
        config.public_url = Some(v);
    }
    if let Some((_, v)) = first(&get, &["GURURMM_DATA_DIR"]) {
        config.data_dir = PathBuf::from(v);
    }
    if let Some((_, v)) = first(&get, &["GURURMM_DASHBOARD_DIR"]) {
        config.dashboard_dir = PathBuf::from(v);
    }
    if let Some((_, v)) = first(&get, &["GURURMM_DASHBOARD_FRAME_SRC"]) {
        config.dashboard_frame_src = list(&v);
    }
    if let Some((_, v)) = first(&get, &["GURURMM_DATABASE_URL"]) {
        config.database_url = Some(SecretString::new(v));
    }
    if let Some((_, v)) = first(&get, &["GURURMM_JWT_SECRET"]) {
        config.jwt_secret = Some(SecretString::new(v));
    }
    let cert = first(&get, &["GURURMM_TLS_CERT"]);
    let key = first(&get, &["GURURMM_TLS_KEY"]);
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
    if let Some((_, v)) = first(&get, &["GURURMM_CORS_ALLOWED_ORIGINS"]) {
        config.cors_allowed_origins = list(&v);
    }
    for (names, field) in [
        (
            &["GURURMM_TRUST_FORWARDED_FOR"][..],
            &mut config.trust_forwarded_for,
        ),
        (
            &["GURURMM_BOOTSTRAP_ADMIN"][..],
            &mut config.bootstrap_admin,
        ),
        (
            &["GURURMM_ALLOW_REGISTRATION"][..],
            &mut config.allow_registration,
        ),
    ] {
        if let Some((var, v)) = first(&get, names) {
            *field = boolean(var, &v)?;
        }
    }
    if let Some((_, v)) = first(&get, &["GURURMM_CONNECT_URL"]) {
        config.connect.url = Some(v);
    }
    if let Some((_, v)) = first(&get, &["GURURMM_CONNECT_INTEGRATION_KEY"]) {
        config.connect.integration_key = Some(SecretString::new(v));
    }
    if let Some((_, v)) = first(&get, &["GURURMM_CONNECT_PUBLIC_URL"]) {
        config.connect.public_url = Some(v);
    }
    if let Some((_, v)) = first(&get, &["GURURMM_CONNECT_AGENT_SERVER_URL"]) {
        config.connect.agent_server_url = Some(v);
    }
    if let Some((_, v)) = first(&get, &["GURURMM_CONNECT_RELEASE_PUBLIC_KEY"]) {
        config.connect.release_public_key = Some(v.trim().to_owned());
    }
    if let Some((_, v)) = first(&get, &["GURURMM_CONNECT_CA_CERT"]) {
        config.connect.ca_cert = Some(PathBuf::from(v));
    }
    if let Some((var, v)) = first(&get, &["GURURMM_LOG_FORMAT"]) {
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
