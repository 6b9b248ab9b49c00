//! Authenticating an agent's first message: a per-machine key (unattended), a support code
//! (attended), or — only when explicitly enabled — the deprecated shared key. There is no
//! other path: a technician JWT is just an unknown key here.

use crate::app::AppState;
use crate::auth::secrets::{constant_time_eq, hmac_hex, normalize_support_code, sha256_hex};
use crate::db::{self, codes::CodeRow};
use crate::model::{AgentId, KeyId};
use guruconnect_proto::{agent_hello::Credential, AgentHello, AgentMode};
use server_kit::throttle::source_of;
use std::net::IpAddr;

/// Who an authenticated agent is.
#[derive(Debug, Clone)]
pub struct AgentIdentity {
    pub agent_id: AgentId,
    pub key_id: Option<KeyId>,
    pub attended: Option<CodeRow>,
}

/// Why authentication failed. The agent hears only "authentication failed" (or the rate
/// limit); the precise cause goes to the log and the audit trail.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("no credential")]
    NoCredential,
    #[error("unknown or revoked agent key")]
    BadKey,
    #[error("agent key belongs to another machine")]
    KeyForOtherAgent,
    #[error("unknown, used or expired support code")]
    BadCode,
    #[error("too many failed support codes")]
    RateLimited { retry_after_secs: u64 },
    #[error("mode does not match credential")]
    ModeMismatch,
    #[error("machine identity does not match this agent")]
    MachineMismatch,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AuthFailure {
    fn from(e: sqlx::Error) -> Self {
        AuthFailure::Internal(e.into())
    }
}

pub async fn authenticate(
    state: &AppState,
    hello: &AgentHello,
    ip: Option<IpAddr>,
) -> Result<AgentIdentity, AuthFailure> {
    let mode = AgentMode::try_from(hello.mode).unwrap_or(AgentMode::Unspecified);
    match (&hello.credential, mode) {
        (Some(Credential::AgentKey(key)), AgentMode::Unattended) => by_key(state, hello, key).await,
        (Some(Credential::SupportCode(code)), AgentMode::Attended) => {
            by_code(state, code, ip).await
        }
        (None, _) => Err(AuthFailure::NoCredential),
        _ => Err(AuthFailure::ModeMismatch),
    }
}

async fn by_key(
    state: &AppState,
    hello: &AgentHello,
    key: &str,
) -> Result<AgentIdentity, AuthFailure> {
    if let Some(row) = db::keys::find_active_by_hash(&state.db, &sha256_hex(key)).await? {
        // A key is bound to one agent_id: it cannot speak for another machine.
        if !hello.agent_id.is_empty() && hello.agent_id != row.agent_id.as_str() {
            return Err(AuthFailure::KeyForOtherAgent);
        }
        db::keys::touch(&state.db, &row.id).await?;
        return Ok(AgentIdentity {
            agent_id: row.agent_id,
            key_id: Some(row.id),
            attended: None,
        });
    }
    if let Some(shared) = state.config.shared_agent_key() {
        if constant_time_eq(shared.expose(), key) && !hello.agent_id.is_empty() {
            tracing::warn!(
                agent_id = %hello.agent_id,
                "agent authenticated with the DEPRECATED shared AGENT_API_KEY; mint a per-machine key"
            );
            return Ok(AgentIdentity {
                agent_id: hello.agent_id.as_str().into(),
                key_id: None,
                attended: None,
            });
        }
    }
    Err(AuthFailure::BadKey)
}

/// Redeems a support code. Every attempt costs the same — one keyed hash and one indexed
/// lookup — whether the code is unknown, used or valid; failures count against the caller's
/// address and the whole server. Once the server's budget is spent only addresses that have
/// failed wait: an end user typing the code they were given, from an address that never
/// failed, still gets through a flood of junk codes from elsewhere.
async fn by_code(
    state: &AppState,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<AgentIdentity, AuthFailure> {
    let throttles = &state.throttles;
    let ip = ip.map(source_of);
    let failed_before = ip.is_none_or(|ip| throttles.code_ip.count(&ip) > 0);
    let blocked = ip
        .and_then(|ip| throttles.code_ip.blocked(&ip))
        .or_else(|| throttles.code_global.blocked(&()).filter(|_| failed_before));
    if let Some(wait) = blocked {
        return Err(AuthFailure::RateLimited {
            retry_after_secs: server_kit::http::retry_after_secs(wait),
        });
    }
    let normalized = normalize_support_code(code).unwrap_or_default();
    let hash = hmac_hex(&state.code_key, &normalized);
    match db::codes::claim(&state.db, &hash).await? {
        Some(row) if !normalized.is_empty() => Ok(AgentIdentity {
            agent_id: AgentId::from(""),
            key_id: None,
            attended: Some(row),
        }),
        _ => {
            if let Some(ip) = ip {
                throttles.code_ip.record(ip);
            }
            throttles.code_global.record(());
            Err(AuthFailure::BadCode)
        }
    }
}
