//! Auto-update on connect (RMM-7): close the update record when the agent comes back on the
//! version it was offered, and offer the newest active release for its OS/arch when it runs an
//! older one. The agent verifies the SHA-256 and an ed25519 signature before installing.

use crate::app::AppState;
use crate::db::{self, releases::ReleaseRow};
use crate::ws::{LiveAgent, Outbound};
use gururmm_protocol::{encode, AuthPayload, ServerMessage, UpdatePayload};
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
    agent_id: &str,
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
    db::releases::record_offer(&state.db, agent_id, &release, &auth.agent_version).await?;
    let message = ServerMessage::Update(UpdatePayload {
        version: release.version.clone(),
        download_url: release.download_url.clone(),
        sha256: release.sha256.clone(),
        signature: release.signature.clone(),
    });
    let _ = live.tx.try_send(Outbound {
        text: encode(&message),
        command_id: None,
    });
    tracing::info!(%agent_id, from = %auth.agent_version, to = %release.version, "update offered");
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
