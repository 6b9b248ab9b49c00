//! The HTTP calls of the integration contract, one method per route, with the integration key
//! as the only credential. Responses are parsed into the few fields GuruRMM uses; everything
//! else GuruConnect adds is ignored (compatibility promise). Errors keep GuruConnect's
//! `detail`, `error_code` and `correlation_id` so RMM's own envelope can carry them.

use super::capabilities::{Capabilities, Mode};
use crate::config::SecretString;
use crate::model::ConnectSessionId;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// A call to GuruConnect that did not give what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("GuruConnect is unreachable: {0}")]
    Unreachable(String),
    /// GuruConnect answered with its error envelope (or at least a non-success status).
    #[error("GuruConnect refused ({status} {error_code}): {detail}")]
    Upstream {
        status: u16,
        error_code: String,
        detail: String,
        correlation_id: Option<String>,
    },
    #[error("GuruConnect sent an unexpected answer: {0}")]
    BadResponse(String),
}

/// GuruConnect's error envelope (CONTRACT.md "Error envelope").
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(default)]
    detail: String,
    #[serde(default)]
    error_code: String,
    #[serde(default)]
    correlation_id: Option<String>,
}

/// `POST /agents/{agent_id}/keys` → the key, shown this once.
#[derive(Debug, Deserialize)]
pub struct MintedKey {
    pub key: SecretString,
    pub id: String,
    #[serde(default)]
    pub key_prefix: Option<String>,
}

/// `POST /sessions` → a session (plus, attended, its support code).
#[derive(Debug, Deserialize)]
pub struct CreatedSession {
    pub id: ConnectSessionId,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub support_code: Option<SecretString>,
    #[serde(default)]
    pub support_code_expires_at: Option<String>,
}

/// `GET /sessions/{id}`: where a GuruConnect session stands.
#[derive(Debug, Clone, Deserialize)]
pub struct SessionState {
    pub id: ConnectSessionId,
    /// `waiting`, `active`, `agent_offline` or `ended`.
    pub status: String,
    #[serde(default)]
    pub agent_online: bool,
    #[serde(default)]
    pub end_reason: Option<String>,
    /// Since contract 1.1.0: why GuruConnect turned the machine's agent away.
    #[serde(default)]
    pub agent_refused: Option<AgentRefusal>,
}

impl SessionState {
    /// Over for good. The other words pass through to the dashboard as GuruConnect sent them
    /// (a later contract 1.x may add some), so only this one is interpreted here.
    pub fn has_ended(&self) -> bool {
        self.status == "ended"
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AgentRefusal {
    pub cause: String,
    #[serde(default)]
    pub at: Option<String>,
}

/// `POST /sessions/{id}/viewer-token`.
#[derive(Debug, Deserialize)]
pub struct ViewerToken {
    pub token: SecretString,
    pub session_id: ConnectSessionId,
    #[serde(default)]
    pub expires_at: serde_json::Value,
}

/// `GET /agent-releases/latest?platform=…`.
#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    pub version: String,
    pub platform: String,
    pub sha256: String,
    pub signature: String,
    pub download_url: String,
    #[serde(default)]
    pub size: Option<u64>,
}

/// What the broker asks for when it creates a session.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub agent_id: &'a str,
    pub mode: Mode,
    pub technician_name: &'a str,
    pub reason: &'a str,
}

/// The integration client: base URL + integration key.
#[derive(Debug, Clone)]
pub struct ConnectClient {
    http: reqwest::Client,
    base: Url,
    key: SecretString,
}

impl ConnectClient {
    /// `ca_pem`: a private CA GuruConnect's certificate chains to, trusted besides the public
    /// roots.
    pub fn new(
        base: &str,
        key: SecretString,
        timeout: Duration,
        ca_pem: Option<&str>,
    ) -> anyhow::Result<Self> {
        let base = Url::parse(base.trim_end_matches('/'))?;
        let mut http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem.as_bytes())? {
                http = http.add_root_certificate(cert);
            }
        }
        Ok(Self {
            http: http.build()?,
            base,
            key,
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn v1(&self, rest: &[&str]) -> Url {
        let mut segments = vec!["api", "integration", "v1"];
        segments.extend_from_slice(rest);
        self.url(&segments)
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
        authenticated: bool,
    ) -> Result<reqwest::Response, ConnectError> {
        let mut request = self.http.request(method, url);
        if authenticated {
            request = request.bearer_auth(self.key.expose());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            // Without the URL: it names nothing secret, but the message stays short.
            .map_err(unreachable)?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(upstream_error(response).await)
    }

    async fn json<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, ConnectError> {
        let text = response.text().await.map_err(unreachable)?;
        serde_json::from_str(&text).map_err(|e| ConnectError::BadResponse(e.to_string()))
    }

    /// The public capability probe (no key).
    pub async fn capabilities(&self) -> Result<Capabilities, ConnectError> {
        let response = self
            .send(Method::GET, self.v1(&["capabilities"]), None, false)
            .await?;
        let text = response.text().await.map_err(unreachable)?;
        Capabilities::parse(&text).map_err(ConnectError::BadResponse)
    }

    /// Mints a per-machine key for `agent_id`.
    pub async fn mint_agent_key(
        &self,
        agent_id: &str,
        label: &str,
    ) -> Result<MintedKey, ConnectError> {
        let response = self
            .send(
                Method::POST,
                self.v1(&["agents", agent_id, "keys"]),
                Some(json!({"label": label})),
                true,
            )
            .await?;
        Self::json(response).await
    }

    pub async fn create_session(
        &self,
        new: &NewSession<'_>,
    ) -> Result<CreatedSession, ConnectError> {
        let mut body = json!({"agent_id": new.agent_id, "mode": new.mode.as_str()});
        if !new.technician_name.is_empty() {
            body["technician_name"] = json!(new.technician_name);
        }
        if !new.reason.is_empty() {
            body["reason"] = json!(new.reason);
        }
        let response = self
            .send(Method::POST, self.v1(&["sessions"]), Some(body), true)
            .await?;
        Self::json(response).await
    }

    pub async fn viewer_token(
        &self,
        session_id: &ConnectSessionId,
        technician_name: &str,
        technician_id: &str,
    ) -> Result<ViewerToken, ConnectError> {
        let response = self
            .send(
                Method::POST,
                self.v1(&["sessions", session_id.as_str(), "viewer-token"]),
                Some(json!({"technician_name": technician_name, "technician_id": technician_id})),
                true,
            )
            .await?;
        Self::json(response).await
    }

    pub async fn session(
        &self,
        session_id: &ConnectSessionId,
    ) -> Result<SessionState, ConnectError> {
        let response = self
            .send(
                Method::GET,
                self.v1(&["sessions", session_id.as_str()]),
                None,
                true,
            )
            .await?;
        Self::json(response).await
    }

    /// Ends a session; one already ended (409) counts as done.
    pub async fn end_session(&self, session_id: &ConnectSessionId) -> Result<(), ConnectError> {
        match self
            .send(
                Method::POST,
                self.v1(&["sessions", session_id.as_str(), "end"]),
                None,
                true,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(ConnectError::Upstream { status: 409, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The newest GuruConnect agent for `platform`; None when nothing is published (404).
    pub async fn latest_release(&self, platform: &str) -> Result<Option<Release>, ConnectError> {
        let mut url = self.v1(&["agent-releases", "latest"]);
        url.query_pairs_mut().append_pair("platform", platform);
        match self.send(Method::GET, url, None, true).await {
            Ok(response) => Self::json(response).await.map(Some),
            Err(ConnectError::Upstream { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A failed call as text: without the URL (short, and nothing in it is needed), with its
/// causes, which name what failed (refused connection, TLS, timeout).
fn unreachable(e: reqwest::Error) -> ConnectError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    ConnectError::Unreachable(text)
}

async fn upstream_error(response: reqwest::Response) -> ConnectError {
    let status = response.status();
    let header_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap_or_default();
    let envelope: Option<Envelope> = serde_json::from_str(&text).ok();
    let (detail, error_code, correlation_id) = match envelope {
        Some(e) => (e.detail, e.error_code, e.correlation_id.or(header_id)),
        None => (text.chars().take(200).collect(), String::new(), header_id),
    };
    ConnectError::Upstream {
        status: status.as_u16(),
        error_code: if error_code.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase()
                .replace(' ', "_")
        } else {
            error_code
        },
        detail: if detail.is_empty() {
            status.to_string()
        } else {
            detail
        },
        correlation_id,
    }
}

impl ConnectError {
    /// GuruConnect's answer status, when it gave one.
    pub fn upstream_status(&self) -> Option<StatusCode> {
        match self {
            ConnectError::Upstream { status, .. } => StatusCode::from_u16(*status).ok(),
            _ => None,
        }
    }
}
