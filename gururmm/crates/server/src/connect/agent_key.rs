//! The machine's GuruConnect key for unattended sessions: the stored one, or a new one minted
//! once through the integration contract and stored sealed (bound to the agent id), so a
//! database dump alone holds no usable key.

use super::Connect;
use crate::app::AppState;
use crate::db::{self, agents::AgentRow, remote_control as rc};
use crate::http::error::{ApiError, ApiResult};

pub async fn ensure(
    state: &AppState,
    connect: &Connect,
    agent: &AgentRow,
    actor: &str,
) -> ApiResult<String> {
    let context = format!("connect-agent-key:{}", agent.id);
    if let Some(sealed) = rc::sealed_key(&state.db, &agent.id).await? {
        return state.sealer.open(&context, &sealed).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "the stored GuruConnect key of agent {} does not open with this install's key",
                agent.id
            ))
        });
    }
    let label = format!("gururmm:{}", agent.hostname);
    let minted = connect
        .client
        .mint_agent_key(&agent.device_id, &label)
        .await?;
    let sealed = state.sealer.seal(&context, minted.key.expose())?;
    let prefix = minted.key_prefix.clone().unwrap_or_default();
    if rc::store_key(&state.db, &agent.id, &minted.id, &prefix, &sealed).await? {
        db::audit::record(
            &state.db,
            actor,
            "connect_agent_key_minted",
            &format!("agent:{}", agent.id),
            serde_json::json!({"connect_key_id": minted.id, "key_prefix": prefix}),
        )
        .await;
        return Ok(minted.key.expose().to_owned());
    }
    // A concurrent start stored its key first: use that one (ours stays unused on GuruConnect).
    let sealed = rc::sealed_key(&state.db, &agent.id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored key vanished")))?;
    state
        .sealer
        .open(&context, &sealed)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored key does not open")))
}
