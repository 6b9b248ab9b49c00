//! Authenticating an agent's `auth` message: a per-agent key (`grmm_…`, looked up by SHA-256),
//! or an enrolment credential plus `device_id` — a site code or a registration token
//! (`grmt_…`) — which registers the device in that site or matches it. Nothing else
//! authenticates here; a technician JWT is just an unknown key.

use crate::app::AppState;
use crate::auth::secrets::{
    hmac_hex, new_agent_key, normalize_site_code, sha256_hex, AGENT_KEY_PREFIX,
};
use crate::db::{self, agents::Identity, agents::PENDING_DEVICE};
use crate::model::{AgentId, SiteId, TokenId};
use gururmm_protocol::AuthPayload;
use gururmm_protocol::REGISTRATION_TOKEN_PREFIX;
use server_kit::throttle::source_of;
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
    #[error("unknown, revoked, expired or used-up registration token")]
    BadToken,
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

/// Who authenticated, and the key issued to them when they enrolled just now.
#[derive(Debug)]
pub struct Authenticated {
    pub agent_id: AgentId,
    /// Set when a site code or registration token was used: the agent's new `grmm_` key,
    /// to be sent once in `auth_response`.
    pub issued_key: Option<String>,
    /// SHA-256 of the key this socket speaks with (the one it presented, or the one just
    /// issued), so the connection can tell when an admin has rotated or revoked it.
    pub key_hash: String,
}

/// Checks the credentials of an `auth` message.
pub async fn authenticate(
    state: &AppState,
    auth: &AuthPayload,
    ip: Option<IpAddr>,
) -> Result<Authenticated, AuthFailure> {
    let identity = identity(auth)?;
    if auth.api_key.starts_with(AGENT_KEY_PREFIX) {
        let key_hash = sha256_hex(&auth.api_key);
        let agent_id = by_key(state, &key_hash, &identity).await?;
        return Ok(Authenticated {
            agent_id,
            issued_key: None,
            key_hash,
        });
    }
    let enrolment = enrolment(state, &auth.api_key, ip).await?;
    let agent_id = by_device(state, &enrolment, &identity).await?;
    // From now on this device authenticates with its own key; the enrolment credential can no
    // longer speak for it (see `by_device`).
    let key = new_agent_key();
    let key_hash = sha256_hex(&key);
    db::agents::set_key_hash(&state.db, &agent_id, &key_hash).await?;
    db::audit::record(
        &state.db,
        "system",
        "agent_key_issued",
        &format!("agent:{agent_id}"),
        serde_json::json!({"via": "enrolment"}),
    )
    .await;
    Ok(Authenticated {
        agent_id,
        issued_key: Some(key),
        key_hash,
    })
}

/// Where an enrolment credential places new devices.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub site_id: SiteId,
    /// Set for a registration token: one use is spent per new device.
    pub token_id: Option<TokenId>,
}

/// Resolves a site code or a registration token.
pub async fn enrolment(
    state: &AppState,
    credential: &str,
    ip: Option<IpAddr>,
) -> Result<Enrolment, AuthFailure> {
    if credential.starts_with(REGISTRATION_TOKEN_PREFIX) {
        // 256 random bits: nothing to throttle against guessing.
        let token = db::registration_tokens::find_usable(&state.db, &sha256_hex(credential))
            .await?
            .ok_or(AuthFailure::BadToken)?;
        return Ok(Enrolment {
            site_id: token.site_id,
            token_id: Some(token.id),
        });
    }
    let site_id = site_for_code(state, credential, ip).await?;
    Ok(Enrolment {
        site_id,
        token_id: None,
    })
}

async fn by_key(
    state: &AppState,
    key_hash: &str,
    identity: &Identity,
) -> Result<AgentId, AuthFailure> {
    let agent = db::agents::find_by_key_hash(&state.db, key_hash)
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
    db::agents::confirm_key(&state.db, &agent.id).await?;
    Ok(agent.id)
}

/// The site a code opens. Failures count per address; at the limit even a valid code is
/// refused until the window slides, so codes cannot be guessed at speed.
pub async fn site_for_code(
    state: &AppState,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<SiteId, AuthFailure> {
    let throttle = &state.throttles.site_code_ip;
    let ip = ip.map(source_of);
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

/// Enrolment + device id: registers a new device in the site, or matches the device already
/// there. A device in another site, or one that has its own key, cannot be claimed this way:
/// one customer's installer must not take over another's machine.
async fn by_device(
    state: &AppState,
    enrolment: &Enrolment,
    identity: &Identity,
) -> Result<AgentId, AuthFailure> {
    let site_id = &enrolment.site_id;
    match db::agents::find_by_device(&state.db, &identity.device_id).await? {
        Some(agent)
            if agent.site_id.as_ref() == Some(site_id) && db::agents::enrollable(&agent) =>
        {
            db::agents::update_identity(&state.db, &agent.id, identity).await?;
            Ok(agent.id)
        }
        Some(_) => Err(AuthFailure::DeviceClaimed),
        None => {
            spend_token(state, enrolment).await?;
            match db::agents::insert(&state.db, Some(site_id), identity, None).await {
                Ok(id) => {
                    db::audit::record(
                        &state.db,
                        "system",
                        "agent_registered",
                        &format!("agent:{id}"),
                        serde_json::json!({"site_id": site_id, "hostname": identity.hostname,
                                           "registration_token": enrolment.token_id}),
                    )
                    .await;
                    Ok(id)
                }
                // Two sockets of one new device raced; the loser matches the winner's row.
                Err(e) if db::is_unique_violation(&e) => {
                    Box::pin(by_device(state, enrolment, identity)).await
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Spends one use of the enrolment's registration token, if it has one.
pub async fn spend_token(state: &AppState, enrolment: &Enrolment) -> Result<(), AuthFailure> {
    match &enrolment.token_id {
        Some(id) if !db::registration_tokens::consume(&state.db, id).await? => {
            Err(AuthFailure::BadToken)
        }
        _ => Ok(()),
    }
}
