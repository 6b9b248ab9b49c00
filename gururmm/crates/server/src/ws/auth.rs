//! Authenticating an agent's `auth` message: a per-agent key (`grmm_…`, looked up by SHA-256)
//! or a site code plus `device_id` (registers the device in that site, or matches it). Nothing
//! else authenticates here; a technician JWT is just an unknown key.

use crate::app::AppState;
use crate::auth::secrets::{hmac_hex, normalize_site_code, sha256_hex, AGENT_KEY_PREFIX};
use crate::db::{self, agents::Identity, agents::PENDING_DEVICE};
use gururmm_protocol::AuthPayload;
use std::net::IpAddr;

/// Why authentication failed. The agent hears a generic message; the cause goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("malformed identity: {0}")]
    Malformed(&'static str),
    #[error("unknown agent key")]
    BadKey,
    #[error("agent key is bound to another device")]
    KeyForOtherDevice,
    #[error("unknown site code")]
    BadSiteCode,
    #[error("device is registered elsewhere or has its own key")]
    DeviceClaimed,
    #[error("too many failed site codes from this address")]
    RateLimited,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AuthFailure {
    fn from(e: sqlx::Error) -> Self {
        AuthFailure::Internal(e.into())
    }
}

impl AuthFailure {
    /// What the agent is told.
    pub fn public_message(&self) -> &'static str {
        match self {
            AuthFailure::RateLimited => "too many attempts; retry later",
            AuthFailure::Internal(_) => "server error",
            _ => "authentication failed",
        }
    }
}

/// Checks and normalises what the agent says about itself.
pub fn identity(auth: &AuthPayload) -> Result<Identity, AuthFailure> {
    let field = |v: &str, max: usize| v.trim().chars().take(max).collect::<String>();
    let device_id = auth.device_id.trim();
    if device_id.is_empty() || device_id.len() > 128 || device_id.starts_with(PENDING_DEVICE) {
        return Err(AuthFailure::Malformed("device_id"));
    }
    Ok(Identity {
        device_id: device_id.to_owned(),
        hostname: field(&auth.hostname, 255),
        os_type: field(&auth.os_type, 32),
        os_version: field(&auth.os_version, 128),
        arch: field(&auth.arch, 32),
        agent_version: field(&auth.agent_version, 64),
    })
}

/// Returns the agent id for valid credentials.
pub async fn authenticate(
    state: &AppState,
    auth: &AuthPayload,
    ip: Option<IpAddr>,
) -> Result<String, AuthFailure> {
    let identity = identity(auth)?;
    if auth.api_key.starts_with(AGENT_KEY_PREFIX) {
        return by_key(state, &auth.api_key, &identity).await;
    }
    let site_id = site_for_code(state, &auth.api_key, ip).await?;
    by_device(state, &site_id, &identity).await
}

async fn by_key(state: &AppState, key: &str, identity: &Identity) -> Result<String, AuthFailure> {
    let agent = db::agents::find_by_key_hash(&state.db, &sha256_hex(key))
        .await?
        .ok_or(AuthFailure::BadKey)?;
    // A key is bound to the first device that uses it: copied to another machine it is refused.
    if !agent.device_id.starts_with(PENDING_DEVICE) && agent.device_id != identity.device_id {
        return Err(AuthFailure::KeyForOtherDevice);
    }
    if let Err(e) = db::agents::update_identity(&state.db, &agent.id, identity).await {
        return Err(if db::is_unique_violation(&e) {
            AuthFailure::DeviceClaimed
        } else {
            e.into()
        });
    }
    Ok(agent.id)
}

/// The site a code opens. Failures count per address; at the limit even a valid code is
/// refused until the window slides, so codes cannot be guessed at speed.
pub async fn site_for_code(
    state: &AppState,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<String, AuthFailure> {
    let throttle = &state.throttles.site_code_ip;
    if ip.is_some_and(|ip| throttle.blocked(&ip).is_some()) {
        return Err(AuthFailure::RateLimited);
    }
    let hash = normalize_site_code(code).map(|c| hmac_hex(&state.code_key, &c));
    let site = match hash {
        Some(hash) => db::sites::find_by_code_hash(&state.db, &hash).await?,
        None => None,
    };
    match site {
        Some(site) => Ok(site.id),
        None => {
            if let Some(ip) = ip {
                throttle.record(ip);
            }
            Err(AuthFailure::BadSiteCode)
        }
    }
}

/// Site code + device id: registers a new device in the site, or matches the device already
/// there. A device in another site, or one that has its own key, cannot be claimed by code:
/// a site code must not let one customer's installer take over another's machine.
async fn by_device(
    state: &AppState,
    site_id: &str,
    identity: &Identity,
) -> Result<String, AuthFailure> {
    match db::agents::find_by_device(&state.db, &identity.device_id).await? {
        Some(agent) if agent.site_id.as_deref() == Some(site_id) && agent.has_key == 0 => {
            db::agents::update_identity(&state.db, &agent.id, identity).await?;
            Ok(agent.id)
        }
        Some(_) => Err(AuthFailure::DeviceClaimed),
        None => match db::agents::insert(&state.db, Some(site_id), identity, None).await {
            Ok(id) => {
                db::audit::record(
                    &state.db,
                    "system",
                    "agent_registered",
                    &format!("agent:{id}"),
                    serde_json::json!({"site_id": site_id, "hostname": identity.hostname}),
                )
                .await;
                Ok(id)
            }
            // Two sockets of one new device raced; the loser matches the winner's row.
            Err(e) if db::is_unique_violation(&e) => {
                Box::pin(by_device(state, site_id, identity)).await
            }
            Err(e) => Err(e.into()),
        },
    }
}
