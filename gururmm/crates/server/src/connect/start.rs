//! Starting remote control of an agent (NRC-8), as one operation that undoes itself. In order:
//! 1. checks with no effect (integration configured, agent online on its socket, a GuruConnect
//!    build for its platform, the mode offered) and the technician's start budget;
//! 2. the machine's key (unattended) and the release to run;
//! 3. the GuruConnect session is created: from here on a failure ends it again, and the work
//!    runs in a task of its own, so a caller that goes away cannot stop it halfway;
//! 4. the technician's viewer token;
//! 5. the remote-control row is recorded, naming its launch before the launch exists, so no
//!    launch can reach the agent without its row;
//! 6. the launch command is stored, pending, and audited as a command: from here another
//!    deliverer (a reconnect's flush, the reaper's sweep) may send it too;
//! 7. the launch is delivered, or found already sent; one that could not be sent fails the
//!    start.
//!
//! A failure in 4–7 cancels the launch if it is still pending, marks the row failed with the
//! reason, ends the GuruConnect session, and is audited as `remote_control_start_failed` with
//! the step that failed, so no GuruConnect session or agent launch outlives a failed start
//! unrecorded.

use super::capabilities::{Capabilities, Mode};
use super::client::{CreatedSession, NewSession, Release};
use super::{agent_key, Connect};
use crate::app::AppState;
use crate::auth::Principal;
use crate::db::{self, agents::AgentRow, commands::NewCommand, remote_control as rc};
use crate::delivery;
use crate::http::error::{ApiError, ApiResult, UpstreamError};
use crate::model::{
    AgentId, AgentStatus, CommandId, ConnectSessionId, RemoteControlId, RemoteControlState,
};
use gururmm_protocol::{CommandType, ConnectRelease, RemoteControlLaunch, RemoteControlMode};
use std::sync::Arc;

/// What a successful start hands the caller.
#[derive(Debug)]
pub struct Started {
    pub session_id: ConnectSessionId,
    pub remote_control_id: RemoteControlId,
    pub command_id: CommandId,
    /// Opens this session's viewer only; expires in minutes.
    pub viewer_token: String,
    pub mode: Mode,
    pub capabilities: Capabilities,
    /// GuruConnect's browser-facing base URL.
    pub gc_public: String,
}

/// Why remote control cannot be used at all on this server.
pub fn not_configured() -> String {
    "remote control is not configured: set connect.url and connect.integration_key \
     (GURURMM_CONNECT_URL / GURURMM_CONNECT_INTEGRATION_KEY) on the GuruRMM server"
        .into()
}

/// `linux-x86_64` / `windows-x86_64` for the agent's OS and architecture.
pub fn platform_of(agent: &AgentRow) -> Option<&'static str> {
    let arch = agent.arch.to_ascii_lowercase();
    if arch != "x86_64" && arch != "amd64" && arch != "x64" {
        return None;
    }
    match agent.os_type.to_ascii_lowercase().as_str() {
        "linux" => Some("linux-x86_64"),
        "windows" => Some("windows-x86_64"),
        _ => None,
    }
}

/// Everything step 1 established.
struct Plan {
    connect: Arc<Connect>,
    gc_public: String,
    server_url: String,
    agent: AgentRow,
    capabilities: Capabilities,
    platform: &'static str,
}

pub async fn start(
    state: &AppState,
    me: &Principal,
    agent_id: &AgentId,
    mode: Mode,
    reason: &str,
) -> ApiResult<Started> {
    let plan = preflight(state, me, agent_id, mode).await?;
    let actor = format!("user:{}", me.user_id);
    let agent_key = match mode {
        Mode::Unattended => {
            Some(agent_key::ensure(state, &plan.connect, &plan.agent, &actor).await?)
        }
        Mode::Attended => None,
    };
    let release = plan
        .connect
        .client
        .latest_release(plan.platform)
        .await?
        .ok_or_else(|| {
            ApiError::Unavailable(format!(
                "GuruConnect has no agent release published for {}",
                plan.platform
            ))
        })?;
    let task = tokio::spawn(from_session(
        state.clone(),
        me.clone(),
        plan,
        mode,
        reason.to_owned(),
        agent_key,
        release,
    ));
    task.await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the start task failed: {e}")))?
}

/// Steps 3–7, and the undo of what they did when one fails.
async fn from_session(
    state: AppState,
    me: Principal,
    plan: Plan,
    mode: Mode,
    reason: String,
    agent_key: Option<String>,
    release: Release,
) -> ApiResult<Started> {
    let session = plan
        .connect
        .client
        .create_session(&NewSession {
            agent_id: &plan.agent.device_id,
            mode,
            technician_name: &me.email,
            reason: &reason,
        })
        .await?;
    let mut progress = Progress {
        step: "viewer_token",
        command_id: None,
        remote_control_id: None,
        launch_cancelled: false,
    };
    let launch = Launch {
        me: &me,
        plan: &plan,
        mode,
        session: &session,
        agent_key,
        release,
    };
    match launch.run(&state, &mut progress).await {
        Ok(started) => Ok(started),
        Err(error) => {
            let actor = format!("user:{}", me.user_id);
            undo(&state, &plan, &actor, &session.id, &progress, &error).await;
            Err(error)
        }
    }
}

async fn preflight(
    state: &AppState,
    me: &Principal,
    agent_id: &AgentId,
    mode: Mode,
) -> ApiResult<Plan> {
    let unconfigured = || ApiError::Unavailable(not_configured());
    let connect = state.connect.clone().ok_or_else(unconfigured)?;
    let gc_public = state
        .config
        .connect
        .public_base()
        .ok_or_else(unconfigured)?;
    let server_url = state
        .config
        .connect
        .agent_server()
        .ok_or_else(unconfigured)?;
    let agent = db::agents::find(&state.db, agent_id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    let capabilities = connect
        .capabilities()
        .await
        .map_err(|e| ApiError::Unavailable(format!("remote control is unavailable: {e}")))?;
    if let Some(why) = capabilities.unavailable_reason() {
        return Err(ApiError::Unavailable(why));
    }
    if let Some(why) = capabilities.refuses(mode) {
        return Err(ApiError::Validation(why));
    }
    if agent.status != AgentStatus::Online {
        return Err(ApiError::Conflict(format!(
            "agent {} is offline; remote control needs its RMM agent connected",
            agent.hostname
        )));
    }
    if state.registry.get(&agent.id).is_none() {
        return Err(ApiError::Conflict(format!(
            "agent {} polls in legacy mode and cannot receive a launch; remote control needs \
             its WebSocket connection",
            agent.hostname
        )));
    }
    let platform = platform_of(&agent).ok_or_else(|| {
        ApiError::Validation(format!(
            "GuruConnect has no agent for {}/{} (linux-x86_64 and windows-x86_64 only)",
            agent.os_type, agent.arch
        ))
    })?;
    if let Err(wait) = state
        .throttles
        .remote_control_user
        .try_acquire(me.user_id.clone())
    {
        return Err(ApiError::rate_limited(wait));
    }
    Ok(Plan {
        connect,
        gc_public,
        server_url,
        agent,
        capabilities,
        platform,
    })
}

/// How far a start got: what the undo must take back.
struct Progress {
    step: &'static str,
    command_id: Option<CommandId>,
    remote_control_id: Option<RemoteControlId>,
    /// The launch was cancelled while still pending (it never reached the agent).
    launch_cancelled: bool,
}

/// Steps 4–7, once the GuruConnect session exists.
struct Launch<'a> {
    me: &'a Principal,
    plan: &'a Plan,
    mode: Mode,
    session: &'a CreatedSession,
    agent_key: Option<String>,
    release: Release,
}

impl Launch<'_> {
    async fn run(self, state: &AppState, progress: &mut Progress) -> ApiResult<Started> {
        let (me, plan, session) = (self.me, self.plan, self.session);
        let support_code = self.support_code()?;
        let token = plan
            .connect
            .client
            .viewer_token(&session.id, &me.email, me.user_id.as_str())
            .await?;
        progress.step = "session_recorded";
        let command_id = CommandId::new();
        let rc_id = rc::insert(
            &state.db,
            &rc::NewSession {
                agent_id: &plan.agent.id,
                technician_id: &me.user_id,
                technician_email: &me.email,
                connect_session_id: &session.id,
                mode: self.mode,
                command_id: Some(&command_id),
            },
        )
        .await?;
        progress.remote_control_id = Some(rc_id.clone());
        progress.step = "launch_stored";
        let launch = self.launch(support_code);
        let stored = super::launch::store(&state.sealer, &launch)?;
        db::commands::insert_as(
            &state.db,
            &command_id,
            &NewCommand {
                agent_id: &plan.agent.id,
                created_by: Some(&me.user_id),
                command_type: CommandType::RemoteControlLaunch.as_str(),
                command: &stored,
                timeout_seconds: i64::try_from(state.config.connect.launch_timeout_secs)
                    .unwrap_or(i64::MAX),
                elevated: false,
            },
        )
        .await?;
        progress.command_id = Some(command_id.clone());
        state.command_feed.changed(&command_id, &plan.agent.id);
        let actor = format!("user:{}", me.user_id);
        let target = format!("agent:{}", plan.agent.id);
        // Audited like every command, by what it is rather than its stored form, whose sealed
        // secret and URLs are for the agent alone.
        db::audit::record(
            &state.db,
            &actor,
            "command_sent",
            &target,
            serde_json::json!({"command_id": command_id,
                "command_type": CommandType::RemoteControlLaunch.as_str(),
                "connect_session_id": session.id, "mode": self.mode.as_str(),
                "release": launch.release.version}),
        )
        .await;
        progress.step = "delivery";
        deliver(state, &command_id, &plan.agent, progress).await?;
        db::audit::record(
            &state.db,
            &actor,
            "remote_control_started",
            &target,
            serde_json::json!({"remote_control_id": rc_id, "connect_session_id": session.id,
                "mode": self.mode.as_str(), "command_id": command_id,
                "release": launch.release.version}),
        )
        .await;
        tracing::info!(agent_id = %plan.agent.id, connect_session_id = %session.id,
            mode = self.mode.as_str(), technician = %me.user_id, "remote control started");
        Ok(Started {
            session_id: session.id.clone(),
            remote_control_id: rc_id,
            command_id,
            viewer_token: token.token.expose().to_owned(),
            mode: self.mode,
            capabilities: plan.capabilities.clone(),
            gc_public: plan.gc_public.clone(),
        })
    }

    /// An attended session's code, which GuruConnect must have created with it.
    fn support_code(&self) -> ApiResult<Option<String>> {
        if self.mode == Mode::Unattended {
            return Ok(None);
        }
        let code = self
            .session
            .support_code
            .as_ref()
            .ok_or_else(|| ApiError::Upstream {
                detail: "GuruConnect created an attended session without a support code".into(),
                upstream: UpstreamError {
                    service: "guruconnect".into(),
                    error_code: "bad_response".into(),
                    status_code: 201,
                    correlation_id: None,
                },
            })?;
        Ok(Some(code.expose().to_owned()))
    }

    fn launch(&self, support_code: Option<String>) -> RemoteControlLaunch {
        let release = &self.release;
        RemoteControlLaunch {
            session_id: self.session.id.to_string(),
            mode: match self.mode {
                Mode::Unattended => RemoteControlMode::Unattended,
                Mode::Attended => RemoteControlMode::Attended,
            },
            server_url: self.plan.server_url.clone(),
            agent_id: self.plan.agent.device_id.clone(),
            agent_key: self.agent_key.clone(),
            support_code,
            release: ConnectRelease {
                version: release.version.clone(),
                platform: release.platform.clone(),
                download_url: release.download_url.clone(),
                sha256: release.sha256.clone(),
                signature: release.signature.clone(),
                size: release.size,
            },
        }
    }
}

/// Sends the stored launch now. Not delivered by this call may still mean delivered: a
/// reconnect's queue flush can claim it first. A command still pending (cancelled here, so it
/// cannot go out later as a stale launch) means the agent is gone; one that ended unsent means
/// it could not be prepared.
async fn deliver(
    state: &AppState,
    command_id: &CommandId,
    agent: &AgentRow,
    progress: &mut Progress,
) -> ApiResult<()> {
    let find = || async {
        db::commands::find(&state.db, command_id)
            .await?
            .ok_or(ApiError::NotFound("command"))
    };
    if delivery::deliver_if_online(state, &find().await?).await? {
        return Ok(());
    }
    if db::commands::cancel(&state.db, command_id).await? {
        progress.launch_cancelled = true;
        state.command_feed.changed(command_id, &agent.id);
        return Err(ApiError::Conflict(format!(
            "agent {} went offline before the launch command could be sent",
            agent.hostname
        )));
    }
    let now = find().await?;
    if now.status.is_unsuccessful_end() && now.sent_at.is_none() {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "the launch could not be sent: {}",
            now.stderr.unwrap_or_default()
        )));
    }
    Ok(())
}

/// Takes back what a failed start left: the pending launch, the row, the GuruConnect session.
async fn undo(
    state: &AppState,
    plan: &Plan,
    actor: &str,
    session_id: &ConnectSessionId,
    progress: &Progress,
    error: &ApiError,
) {
    let reason = format!("the start failed ({}): {error}", progress.step);
    let mut cancelled = progress.launch_cancelled;
    if let (Some(command_id), false) = (&progress.command_id, cancelled) {
        match db::commands::cancel(&state.db, command_id).await {
            Ok(done) => {
                cancelled = done;
                if done {
                    state.command_feed.changed(command_id, &plan.agent.id);
                }
            }
            // The launch stays pending and could still go out: say so loudly.
            Err(e) => tracing::error!(%command_id, error = %e,
                "cancelling the launch of a failed start failed; it may still reach the agent"),
        }
    }
    if let Some(rc_id) = &progress.remote_control_id {
        if let Err(e) = rc::finish(&state.db, rc_id, RemoteControlState::Failed, &reason).await {
            tracing::warn!(remote_control_id = %rc_id, error = %e, "failing the row failed");
        }
    }
    let ended = match plan.connect.client.end_session(session_id).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(%session_id, error = %e, "ending the unused GuruConnect session failed");
            false
        }
    };
    db::audit::record(
        &state.db,
        actor,
        "remote_control_start_failed",
        &format!("agent:{}", plan.agent.id),
        serde_json::json!({"connect_session_id": session_id, "step": progress.step,
            "reason": error.to_string(), "command_id": progress.command_id,
            "remote_control_id": progress.remote_control_id,
            "launch_cancelled": cancelled, "connect_session_ended": ended}),
    )
    .await;
}
