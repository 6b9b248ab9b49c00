//! The session vocabulary the database, the relay and the API share: how a session was made
//! ([`Mode`]) and where it stands ([`SessionStatus`]). Both are stored as text and read back at
//! the database edge (`db::sessions`), so code above it compares variants, never strings.

server_kit::stored_enum! {
    /// How a session is joined: a machine's own key, or a support code the end user accepts.
    pub enum Mode as "mode" {
        Unattended = "unattended",
        Attended = "attended",
    }
}

server_kit::stored_enum! {
    /// Where a session stands.
    pub enum SessionStatus as "session status" {
        /// Created; its agent has not come yet.
        Waiting = "waiting",
        /// Its agent is connected.
        Active = "active",
        /// Its agent was connected and left; an unattended machine may come back.
        AgentOffline = "agent_offline",
        /// Over for good, with a reason.
        Ended = "ended",
    }
}

impl SessionStatus {
    /// Waiting for its agent, the first time or again.
    pub fn awaits_agent(self) -> bool {
        matches!(self, SessionStatus::Waiting | SessionStatus::AgentOffline)
    }
}
