//! Command delivery to live agents, for everything that sends: the API, the legacy polling
//! path's results, remote-control starts, the agent's reconnect and the reaper. A delivery first claims the command (pending -> running on
//! this connection) and only then queues it, so each command is handed to exactly one socket
//! even when an API send races the agent's reconnect flush or the reaper's sweep. If the queue
//! is full or closed the claim is undone at once, and the sweep ([`redeliver`]) sends it again
//! while the agent stays connected.

use crate::app::AppState;
use crate::db::{self, commands::CommandRow};
use crate::model::AgentId;
use crate::ws::registry::{LiveAgent, Outbound};
use gururmm_protocol::{encode, CommandKind, CommandPayload, CommandType, ServerMessage};

/// The wire form of a stored command. A `remote_control_launch` gets its parameters, with its
/// sealed secret opened only here, on the way to the socket.
pub fn payload(state: &AppState, row: &CommandRow) -> anyhow::Result<CommandPayload> {
    let command_type = CommandType::from(row.command_type.clone());
    let kind = match CommandKind::plain(command_type, row.command.clone()) {
        Some(kind) => kind,
        None => {
            let launch = crate::connect::launch::restore(&state.sealer, &row.command)?;
            let summary = format!(
                "launch guruconnect-agent {} ({}) for session {}",
                launch.release.version,
                launch.mode.as_str(),
                launch.session_id
            );
            CommandKind::RemoteControlLaunch {
                summary,
                launch: Box::new(launch),
            }
        }
    };
    Ok(CommandPayload {
        id: row.id.as_str().parse()?,
        timeout_seconds: u64::try_from(row.timeout_seconds).ok(),
        elevated: row.elevated,
        kind,
    })
}

/// What one delivery attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Claimed and queued on the socket.
    Queued,
    /// Not pending (any more): another deliverer won, or it was cancelled.
    NotPending,
    /// The socket's queue was full or closed; the command was not claimed and stays pending.
    Refused,
    /// The stored command could not be prepared; it is marked failed.
    Failed,
}

/// Claims and queues one command on `live`. True when this call delivered it.
pub async fn deliver(state: &AppState, live: &LiveAgent, row: &CommandRow) -> anyhow::Result<bool> {
    Ok(attempt(state, live, row).await? == Delivery::Queued)
}

async fn attempt(state: &AppState, live: &LiveAgent, row: &CommandRow) -> anyhow::Result<Delivery> {
    // Room on the socket first, then the claim: a full (or closed) queue refuses without
    // touching the row, so a command beyond it never shows `running` for a moment, and is not
    // claimed and handed back on every sweep. The reserved slot is freed if the claim loses.
    let Ok(permit) = live.tx.try_reserve() else {
        tracing::warn!(command_id = %row.id, "agent queue full or closed; command stays pending");
        return Ok(Delivery::Refused);
    };
    let grace = i64::try_from(state.config.limits.command_grace_secs).unwrap_or(i64::MAX);
    if !db::commands::claim(&state.db, &row.id, &live.connection_id, grace).await? {
        return Ok(Delivery::NotPending);
    }
    state.command_feed.changed(&row.id, &row.agent_id);
    let message = match payload(state, row) {
        Ok(message) => message,
        Err(e) => {
            // Undeliverable as stored (e.g. a launch secret sealed by another install's key):
            // it fails now instead of being retried on every reconnect.
            tracing::error!(command_id = %row.id, error = %e, "command cannot be delivered; marking it failed");
            let reason = format!("server could not prepare the command: {e}");
            db::commands::complete(
                &state.db,
                &row.id,
                &row.agent_id,
                &db::commands::Outcome {
                    exit_code: i64::from(gururmm_protocol::EXIT_EXECUTOR_ERROR),
                    stdout: "",
                    stderr: &reason,
                    duration_ms: 0,
                    truncated: false,
                    timed_out: false,
                },
            )
            .await?;
            state.command_feed.changed(&row.id, &row.agent_id);
            return Ok(Delivery::Failed);
        }
    };
    let text = encode(&ServerMessage::Command(message));
    permit.send(Outbound::command(text, row.id.clone()));
    Ok(Delivery::Queued)
}

/// Delivers everything queued for the agent, oldest first (right after it connects, and on
/// every sweep). Stops at the first refusal: a full queue refuses the rest too, and the next
/// sweep resumes in order.
pub async fn flush(
    state: &AppState,
    agent_id: &AgentId,
    live: &LiveAgent,
) -> anyhow::Result<usize> {
    let mut delivered = 0;
    for row in db::commands::pending_for_agent(&state.db, agent_id).await? {
        match attempt(state, live, &row).await? {
            Delivery::Queued => delivered += 1,
            Delivery::Refused => break,
            Delivery::NotPending | Delivery::Failed => {}
        }
    }
    Ok(delivered)
}

/// Sends what is still pending for agents whose socket is open. Without it, a command refused
/// by a full queue — or returned to pending by a socket that was being superseded — would wait
/// for the agent's next reconnect while the agent shows online (the earlier system's "online
/// but sends fail", `tests/it/known_issues.rs`). The
/// reaper calls it on every pass; claims keep it exactly-once against the other deliverers.
pub async fn redeliver(state: &AppState) -> anyhow::Result<usize> {
    let mut delivered = 0;
    for agent_id in db::commands::agents_with_pending_online(&state.db).await? {
        if let Some(live) = state.registry.get(&agent_id) {
            delivered += flush(state, &agent_id, &live).await?;
        }
    }
    Ok(delivered)
}

/// Delivers `row` now if its agent is connected; otherwise it waits in the queue.
pub async fn deliver_if_online(state: &AppState, row: &CommandRow) -> anyhow::Result<bool> {
    match state.registry.get(&row.agent_id) {
        Some(live) => deliver(state, &live, row).await,
        None => Ok(false),
    }
}
