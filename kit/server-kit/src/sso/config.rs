//! The `[sso]` settings: which provider, and this server's client registration there.

use crate::config::{ConfigError, Env};
use crate::SecretString;
use reqwest::Url;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SsoConfig {
    /// The provider's issuer URL, exactly as its discovery document states it, e.g.
    /// `https://login.microsoftonline.com/<tenant>/v2.0`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// What the sign-in button names, e.g. `Microsoft`. Default: `single sign-on`.
    #[serde(default)]
    pub name: Option<String>,
}

impl SsoConfig {
    /// Refuses an issuer that is not HTTPS (plain HTTP only on this machine's loopback) and an
    /// empty client.
    pub fn check(&self) -> Result<(), ConfigError> {
        check_provider_url(&self.issuer).map_err(|message| ConfigError::Invalid {
            key: "sso.issuer",
            message,
        })?;
        if self.client_id.trim().is_empty() {
            return Err(invalid("sso.client_id", "must not be empty"));
        }
        if self.client_secret.expose().is_empty() {
            return Err(invalid("sso.client_secret", "must not be empty"));
        }
        Ok(())
    }

    pub fn display_name(&self) -> &str {
        match self.name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => name,
            _ => "single sign-on",
        }
    }

    /// `{PREFIX}_SSO_ISSUER`, `_SSO_CLIENT_ID`, `_SSO_CLIENT_SECRET` (all three or none) and
    /// `_SSO_NAME`.
    pub fn from_env<G: Fn(&str) -> Option<String>>(
        env: &Env<G>,
        prefix: &str,
    ) -> Result<Option<Self>, ConfigError> {
        let var = |name: &str| format!("{prefix}_SSO_{name}");
        let issuer = env.text(&var("ISSUER"));
        let client_id = env.text(&var("CLIENT_ID"));
        let client_secret = env.secret(&var("CLIENT_SECRET"));
        let name = env.text(&var("NAME"));
        match (issuer, client_id, client_secret) {
            (Some(issuer), Some(client_id), Some(client_secret)) => Ok(Some(Self {
                issuer,
                client_id,
                client_secret,
                name,
            })),
            (None, None, None) if name.is_none() => Ok(None),
            _ => Err(ConfigError::Invalid {
                key: "sso",
                message: format!(
                    "set all of {0}_SSO_ISSUER, {0}_SSO_CLIENT_ID and {0}_SSO_CLIENT_SECRET, or none",
                    prefix
                ),
            }),
        }
    }
}

fn invalid(key: &'static str, message: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

/// HTTPS, or HTTP to a loopback host (a provider on this machine, as in tests): anything else
/// would send codes and tokens in the clear.
pub(super) fn check_provider_url(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(format!(
            "`{url}` must be https:// (http:// only on loopback)"
        )),
    }
}
