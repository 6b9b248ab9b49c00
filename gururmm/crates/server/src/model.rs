//! States the database, the API and the background tasks share, read from their stored text at
//! the database edge so code above it compares variants, never strings: whether an agent is
//! online ([`AgentStatus`]), where a command is in its life ([`CommandStatus`]), how a
//! remote-control session is joined ([`RemoteControlMode`]) and where it stands
//! ([`RemoteControlState`]), and where an alert stands ([`AlertStatus`]); and the ids that
//! must not be mixed up ([`AgentId`], [`CommandId`], [`ClientId`], [`SiteId`], [`UserId`],
//! [`AlertId`], [`PolicyId`], [`TokenId`], [`RemoteControlId`], [`ConnectSessionId`],
//! [`SignInId`]).

server_kit::id_type! {
    /// A managed machine's agent (`agents.id`).
    pub struct AgentId;
}

server_kit::id_type! {
    /// A command sent to an agent (`commands.id`).
    pub struct CommandId;
}

server_kit::id_type! {
    /// A customer (`clients.id`).
    pub struct ClientId;
}

server_kit::id_type! {
    /// One of a customer's locations, which agents enrol into (`sites.id`).
    pub struct SiteId;
}

server_kit::id_type! {
    /// A technician's or admin's account (`users.id`).
    pub struct UserId;
}

server_kit::id_type! {
    /// An alert (`alerts.id`).
    pub struct AlertId;
}

server_kit::id_type! {
    /// A settings policy (`policies.id`).
    pub struct PolicyId;
}

server_kit::id_type! {
    /// A registration token's row, never the token itself (`registration_tokens.id`).
    pub struct TokenId;
}

server_kit::id_type! {
    /// One sign-in: the family its access tokens share (`sign_ins.id`, the tokens' `fam`).
    pub struct SignInId;
}

server_kit::id_type! {
    /// A remote-control session's row in GuruRMM, not GuruConnect's session id
    /// (`remote_control_sessions.id`).
    pub struct RemoteControlId;
}

server_kit::id_type! {
    /// GuruConnect's id of a session GuruRMM started there, as GuruConnect names it
    /// (`remote_control_sessions.connect_session_id`).
    pub struct ConnectSessionId;
}

server_kit::stored_enum! {
    /// Whether the agent's socket (or its polling) is live.
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum AgentStatus as "agent status" {
        Online = "online",
        Offline = "offline",
    }
}

server_kit::stored_enum! {
    /// Where a command is: `db::commands` moves it only by compare-and-set
    /// (pending → running → completed | failed | timed_out, pending → cancelled).
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum CommandStatus as "command status" {
        Pending = "pending",
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        TimedOut = "timed_out",
        Cancelled = "cancelled",
    }
}

server_kit::stored_enum! {
    /// A `remote_control_sessions` row's state.
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum RemoteControlState as "remote-control state" {
        /// Started and not yet over: the launch may still be on its way.
        Started = "started",
        /// Over: ended by a technician or by GuruConnect.
        Ended = "ended",
        /// Over before it began: the launch or the start failed.
        Failed = "failed",
    }
}

server_kit::stored_enum! {
    /// How a remote-control session is joined (CONTRACT.md): with the machine's own key, or
    /// with a support code the end user accepts first.
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum RemoteControlMode as "remote-control mode" {
        Unattended = "unattended",
        Attended = "attended",
    }
}

server_kit::stored_enum! {
    /// Where an alert stands: a technician acknowledges it, a cleared condition or a
    /// technician resolves it, and a resolved alert stays resolved.
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum AlertStatus as "alert status" {
        Open = "open",
        Acknowledged = "acknowledged",
        Resolved = "resolved",
    }
}

impl CommandStatus {
    /// Over without having run to completion.
    pub fn is_unsuccessful_end(self) -> bool {
        matches!(
            self,
            CommandStatus::Failed | CommandStatus::TimedOut | CommandStatus::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use server_kit::stored::schema_values as documented;

    #[test]
    fn the_api_document_lists_exactly_the_words_sent_and_stored() {
        let agents: Vec<_> = AgentStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(documented::<AgentStatus>(), agents);
        let commands: Vec<_> = CommandStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(documented::<CommandStatus>(), commands);
        let sessions: Vec<_> = RemoteControlState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(documented::<RemoteControlState>(), sessions);
        let modes: Vec<_> = RemoteControlMode::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(documented::<RemoteControlMode>(), modes);
        let alerts: Vec<_> = AlertStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(documented::<AlertStatus>(), alerts);
    }
}
