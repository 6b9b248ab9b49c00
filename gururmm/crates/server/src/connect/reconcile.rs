//! Keeps each remote-control row true to what happened, whoever ended it: a launch the agent
//! failed fails the row (and ends the GuruConnect session nobody will join); a session
//! GuruConnect ended (the user declined, a GuruConnect technician ended it, the attended agent
//! closed) ends the row with that reason. Runs on every read of a started row, and from the
//! reaper for the rows nobody is looking at.

use crate::app::AppState;
use crate::connect::client::SessionState;
use crate::db::{self, remote_control as rc};
use crate::model::{CommandStatus, RemoteControlState};

/// How often the reaper reconciles started rows with GuruConnect.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(15);
/// Started rows looked at per sweep (the oldest first would starve new ones: newest first).
const SWEEP_LIMIT: i64 = 200;

/// GuruConnect's side of a started session, as last read.
#[derive(Debug, Clone, Default)]
pub struct ConnectSide {
    pub status: Option<String>,
    pub agent_online: bool,
    pub agent_refused: Option<String>,
    /// Why GuruConnect could not be asked (unreachable, refused).
    pub error: Option<String>,
}

/// Brings `row` up to date and returns GuruConnect's side when the row is still started.
pub async fn refresh(state: &AppState, row: &rc::SessionRow) -> Option<ConnectSide> {
    if row.status != RemoteControlState::Started {
        return None;
    }
    if let Some(why) = failed_launch(row) {
        fail(state, row, &why).await;
        return None;
    }
    let connect = state.connect.as_ref()?;
    match connect.client.session(&row.connect_session_id).await {
        Ok(session) if session.has_ended() => {
            ended_in_guruconnect(state, row, &session).await;
            None
        }
        Ok(session) => Some(ConnectSide {
            status: Some(session.status),
            agent_online: session.agent_online,
            agent_refused: session.agent_refused.map(|r| r.cause),
            error: None,
        }),
        Err(e) => Some(ConnectSide {
            error: Some(e.to_string()),
            ..ConnectSide::default()
        }),
    }
}

/// One reaper pass: every started row, newest first.
pub async fn sweep(state: &AppState) {
    if state.connect.is_none() {
        return;
    }
    match rc::started(&state.db, SWEEP_LIMIT).await {
        Ok(rows) => {
            for row in rows {
                refresh(state, &row).await;
            }
        }
        Err(e) => tracing::error!(error = %e, "listing started remote-control sessions failed"),
    }
}

/// Why the launch failed, when its command reached a failed end.
fn failed_launch(row: &rc::SessionRow) -> Option<String> {
    let status = CommandStatus::parse(row.launch_status.as_deref()?)?;
    if !status.is_unsuccessful_end() {
        return None;
    }
    Some(match row.launch_error.as_deref().map(str::trim) {
        Some(error) if !error.is_empty() => error.to_owned(),
        _ if status == CommandStatus::TimedOut => {
            "the agent did not start GuruConnect within the launch timeout".into()
        }
        _ => format!("the launch command ended {status}"),
    })
}

async fn fail(state: &AppState, row: &rc::SessionRow, why: &str) {
    if !finish(
        state,
        row,
        RemoteControlState::Failed,
        why,
        "remote_control_failed",
    )
    .await
    {
        return;
    }
    // Nobody will join that session now: GuruConnect can stop waiting for the machine.
    if let Some(connect) = &state.connect {
        if let Err(e) = connect.client.end_session(&row.connect_session_id).await {
            tracing::warn!(connect_session_id = %row.connect_session_id, error = %e,
                "ending the GuruConnect session of a failed launch failed");
        }
    }
}

async fn ended_in_guruconnect(state: &AppState, row: &rc::SessionRow, session: &SessionState) {
    let reason = describe_end(session.end_reason.as_deref().unwrap_or_default());
    finish(
        state,
        row,
        RemoteControlState::Ended,
        &reason,
        "remote_control_ended",
    )
    .await;
}

/// Records the end once (the row must still be started) with an audit row; true when this
/// call ended it.
async fn finish(
    state: &AppState,
    row: &rc::SessionRow,
    status: RemoteControlState,
    reason: &str,
    event: &str,
) -> bool {
    match rc::finish(&state.db, &row.id, status, reason).await {
        Ok(true) => {
            db::audit::record(
                &state.db,
                "system:guruconnect",
                event,
                &format!("agent:{}", row.agent_id),
                serde_json::json!({"remote_control_id": row.id,
                    "connect_session_id": row.connect_session_id, "reason": reason}),
            )
            .await;
            tracing::info!(remote_control_id = %row.id, %status, reason, "remote control session closed");
            true
        }
        Ok(false) => false,
        Err(e) => {
            tracing::error!(remote_control_id = %row.id, error = %e, "recording the end failed");
            false
        }
    }
}

/// GuruConnect's `end_reason` in words, for the dashboard and the audit trail.
pub fn describe_end(code: &str) -> String {
    match code {
        "consent_declined" => "the user at the machine declined the session".into(),
        "consent_timed_out" => "the user at the machine did not answer in time".into(),
        "agent_disconnected" => "the GuruConnect agent on the machine closed".into(),
        "ended_by_technician" => "ended by a technician in GuruConnect".into(),
        "ended_by_integration" => "ended from GuruRMM".into(),
        "machine_removed" => "the machine was removed from GuruConnect".into(),
        "server_restart" => "GuruConnect restarted".into(),
        "" => "ended in GuruConnect".into(),
        other => format!("ended in GuruConnect ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(launch_status: Option<&str>, launch_error: Option<&str>) -> rc::SessionRow {
        rc::SessionRow {
            id: "r".into(),
            agent_id: "a".into(),
            technician_id: "t".into(),
            technician_email: "t@example.com".into(),
            connect_session_id: "s".into(),
            mode: crate::model::RemoteControlMode::Unattended,
            status: RemoteControlState::Started,
            command_id: Some("c".into()),
            started_at: 0,
            ended_at: None,
            end_reason: None,
            launch_status: launch_status.map(str::to_owned),
            launch_error: launch_error.map(str::to_owned),
        }
    }

    #[test]
    fn only_a_failed_launch_fails_the_row_and_its_reason_is_kept() {
        assert_eq!(failed_launch(&row(Some("running"), None)), None);
        assert_eq!(failed_launch(&row(Some("completed"), None)), None);
        assert_eq!(
            failed_launch(&row(
                Some("failed"),
                Some("no GuruConnect release public key is pinned")
            )),
            Some("no GuruConnect release public key is pinned".into())
        );
        assert!(failed_launch(&row(Some("timed_out"), None))
            .is_some_and(|why| why.contains("launch timeout")));
    }

    #[test]
    fn end_reasons_read_as_words() {
        assert!(describe_end("consent_declined").contains("declined"));
        assert_eq!(
            describe_end("new_reason"),
            "ended in GuruConnect (new_reason)"
        );
    }
}
