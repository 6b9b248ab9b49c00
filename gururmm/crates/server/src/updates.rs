//! Auto-update on connect (RMM-7): close the update record when the agent comes back on the
//! version it was offered, and offer the newest active release for its OS/arch when it runs an
//! older one. The agent verifies the SHA-256 and an ed25519 signature before installing; when
//! it refuses, it says why (`update_result`), the record becomes `failed` with that reason,
//! and the same release is not offered to it again for `limits.update_retry_secs`.

use crate::app::AppState;
use crate::db::{self, releases::ReleaseRow};
use crate::model::AgentId;
use crate::ws::{LiveAgent, Outbound};
use gururmm_protocol::{
    encode, short_ascii, AuthPayload, ServerMessage, UpdatePayload, UpdateResult,
};
use std::cmp::Ordering;

/// Compares dotted versions numerically (`0.10.0` > `0.9.3`); a non-numeric part compares as
/// text, and a pre-release suffix (`1.0.0-rc1`) sorts before its release.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let split = |v: &str| -> (Vec<String>, bool) {
        let (core, pre) = match v.trim().trim_start_matches('v').split_once('-') {
            Some((core, _)) => (core.to_owned(), true),
            None => (v.trim().trim_start_matches('v').to_owned(), false),
        };
        (core.split('.').map(str::to_owned).collect(), pre)
    };
    let ((pa, pre_a), (pb, pre_b)) = (split(a), split(b));
    for i in 0..pa.len().max(pb.len()) {
        let x = pa.get(i).map(String::as_str).unwrap_or("0");
        let y = pb.get(i).map(String::as_str).unwrap_or("0");
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    // Same core: the release sorts after its pre-release.
    pre_b.cmp(&pre_a)
}

fn newest(releases: Vec<ReleaseRow>) -> Option<ReleaseRow> {
    releases
        .into_iter()
        .max_by(|a, b| compare_versions(&a.version, &b.version))
}

pub async fn on_connect(
    state: &AppState,
    agent_id: &AgentId,
    auth: &AuthPayload,
    live: &LiveAgent,
) -> anyhow::Result<()> {
    if auth.previous_version.is_some() {
        let closed =
            db::releases::complete_offers(&state.db, agent_id, &auth.agent_version).await?;
        if closed > 0 {
            tracing::info!(%agent_id, version = %auth.agent_version, previous = ?auth.previous_version, "agent update completed");
        }
    }
    let candidates = db::releases::active_for(&state.db, &auth.os_type, &auth.arch).await?;
    let Some(release) = newest(candidates) else {
        return Ok(());
    };
    if compare_versions(&release.version, &auth.agent_version) != Ordering::Greater {
        return Ok(());
    }
    let retry_ms = i64::try_from(state.config.limits.update_retry_secs.saturating_mul(1000))
        .unwrap_or(i64::MAX);
    let since = db::now_ms().saturating_sub(retry_ms);
    if retry_ms > 0 && db::releases::refused_since(&state.db, agent_id, &release.id, since).await? {
        tracing::info!(%agent_id, version = %release.version, "update not offered again: the agent refused this release recently");
        return Ok(());
    }
    let update_id =
        db::releases::record_offer(&state.db, agent_id, &release, &auth.agent_version).await?;
    let message = ServerMessage::Update(UpdatePayload {
        update_id: update_id.parse().ok(),
        version: release.version.clone(),
        download_url: release.download_url.clone(),
        sha256: release.sha256.clone(),
        signature: release.signature.clone(),
    });
    let _ = live.tx.try_send(Outbound::message(encode(&message)));
    tracing::info!(%agent_id, from = %auth.agent_version, to = %release.version, "update offered");
    Ok(())
}

/// Longest refusal code kept; anything longer or not `[a-z0-9_]` is stored as `unknown`.
const MAX_REASON_CHARS: usize = 40;

/// An agent's `update_result`. A refusal closes the agent's own open offer with that id as
/// `failed` and is audited; a result for an offer that is not open on this agent (unknown,
/// another agent's, already closed) changes nothing. Success is not taken from the agent's
/// word: the offer completes when the agent reconnects on the new version.
pub async fn on_result(
    state: &AppState,
    agent_id: &AgentId,
    result: &UpdateResult,
) -> anyhow::Result<()> {
    if result.ok {
        tracing::debug!(%agent_id, update_id = %result.update_id, "agent reports an update as applied; waiting for it to reconnect on the new version");
        return Ok(());
    }
    let reason = if !result.reason.is_empty()
        && result.reason.len() <= MAX_REASON_CHARS
        && result
            .reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        result.reason.as_str()
    } else {
        "unknown"
    };
    // The agent's text is data: printable ASCII, bounded, before it reaches a row or a log.
    let message = short_ascii(&result.message, UpdateResult::MAX_MESSAGE_CHARS);
    let update_id = result.update_id.to_string();
    let Some(version) =
        db::releases::fail_offer(&state.db, &update_id, agent_id, reason, &message).await?
    else {
        tracing::warn!(%agent_id, %update_id, "update result for an offer that is not open on this agent was ignored");
        return Ok(());
    };
    tracing::warn!(%agent_id, %update_id, %version, reason, %message, "agent refused the update");
    db::audit::record(
        &state.db,
        &format!("agent:{agent_id}"),
        "agent_update_failed",
        &format!("agent:{agent_id}"),
        serde_json::json!({"update_id": update_id, "version": version, "reason": reason,
            "message": message}),
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("0.10.0", "0.9.3"), Ordering::Greater);
        assert_eq!(compare_versions("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(compare_versions("1.0.0-rc1", "1.0.0"), Ordering::Less);
        assert_eq!(compare_versions("v2.0.0", "1.9.9"), Ordering::Greater);
    }
}
