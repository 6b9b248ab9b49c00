//! What the provider publishes: its discovery document and its signing keys (JWKS), read with
//! a size bound and checked to belong to the configured issuer.

use super::config::check_provider_url;
use super::SsoError;
use jsonwebtoken::jwk::JwkSet;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// The most a provider's answer may hold; discovery documents and key sets are a few KiB.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Unknown key ids fetch the key set again at most this often (providers rotate keys rarely).
const KEYS_REFETCH_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

impl Metadata {
    /// `<issuer>/.well-known/openid-configuration`, whose `issuer` must be the configured one
    /// exactly and whose endpoints must be HTTPS (or loopback HTTP) too.
    pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Self, SsoError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let found: Metadata = get_json(http.get(&url)).await?;
        if found.issuer != issuer {
            return Err(SsoError::ProviderUnavailable(format!(
                "the discovery document names issuer `{}`, not `{issuer}`",
                found.issuer
            )));
        }
        let endpoints = [
            Some(&found.authorization_endpoint),
            Some(&found.token_endpoint),
            Some(&found.jwks_uri),
            found.userinfo_endpoint.as_ref(),
        ];
        for endpoint in endpoints.into_iter().flatten() {
            check_provider_url(endpoint).map_err(SsoError::ProviderUnavailable)?;
        }
        Ok(found)
    }
}

/// The provider's signing keys as last fetched.
#[derive(Debug, Default)]
pub(super) struct Keys {
    pub set: Option<JwkSet>,
    pub fetched: Option<Instant>,
}

impl Keys {
    /// Whether a fetch now would be allowed: never fetched, or long enough ago.
    pub fn may_refetch(&self) -> bool {
        self.fetched
            .is_none_or(|at| at.elapsed() >= KEYS_REFETCH_AFTER)
    }

    pub async fn fetch(&mut self, http: &reqwest::Client, jwks_uri: &str) -> Result<(), SsoError> {
        self.fetched = Some(Instant::now());
        self.set = Some(get_json(http.get(jwks_uri)).await?);
        Ok(())
    }
}

/// Sends `request` and reads a JSON answer of at most [`MAX_ANSWER_BYTES`], which must be a
/// 2xx.
pub(super) async fn get_json<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, SsoError> {
    let (status, body) = send(request).await?;
    if !status.is_success() {
        return Err(SsoError::ProviderUnavailable(format!("answered {status}")));
    }
    serde_json::from_slice(&body)
        .map_err(|e| SsoError::ProviderUnavailable(format!("unreadable answer: {e}")))
}

/// Sends `request`; the status and at most [`MAX_ANSWER_BYTES`] of body.
pub(super) async fn send(
    request: reqwest::RequestBuilder,
) -> Result<(reqwest::StatusCode, Vec<u8>), SsoError> {
    let unavailable = |e: reqwest::Error| SsoError::ProviderUnavailable(with_causes(&e));
    let mut response = request.send().await.map_err(unavailable)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unavailable)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(SsoError::ProviderUnavailable("answer too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// An error and its causes, one line: reqwest's own message omits why a request failed.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
