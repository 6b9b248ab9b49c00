//! The vocabulary the database, the relay and the API share: how a session was made ([`Mode`])
//! and where it stands ([`SessionStatus`]), whether a machine is connected ([`MachineStatus`])
//! and where a support code stands ([`CodeStatus`]). Each is stored as text and read back at
//! the database edge (`db::*`), so code above it compares variants, never strings. And
//! the ids that must not be mixed up: a machine's [`AgentId`], an account's [`UserId`], a
//! [`SessionId`], an agent key's row ([`KeyId`]) and a support code's row ([`CodeId`]).

server_kit::id_type! {
    /// A machine's agent, as the agent names itself (`machines.agent_id`, `sessions.agent_id`).
    pub struct AgentId;
}

server_kit::id_type! {
    /// A technician's or admin's account (`users.id`).
    pub struct UserId;
}

server_kit::id_type! {
    /// A session (`sessions.id`).
    pub struct SessionId;
}

server_kit::id_type! {
    /// A per-machine agent key's row, never the key (`connect_agent_keys.id`).
    pub struct KeyId;
}

server_kit::id_type! {
    /// A support code's row, never the code (`connect_support_codes.id`).
    pub struct CodeId;
}

server_kit::stored_enum! {
    /// How a session is joined: a machine's own key, or a support code the end user accepts.
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum Mode as "mode" {
        Unattended = "unattended",
        Attended = "attended",
    }
}

server_kit::stored_enum! {
    /// Where a session stands.
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "snake_case")]
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

server_kit::stored_enum! {
    /// Whether a machine's agent is connected to the relay now.
    pub enum MachineStatus as "machine status" {
        Online = "online",
        Offline = "offline",
    }
}

server_kit::stored_enum! {
    /// Where a support code stands: redeemable once, until it expires or is cancelled.
    #[derive(utoipa::ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum CodeStatus as "support code status" {
        Pending = "pending",
        Used = "used",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

impl SessionStatus {
    /// Waiting for its agent, the first time or again.
    pub fn awaits_agent(self) -> bool {
        matches!(self, SessionStatus::Waiting | SessionStatus::AgentOffline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use server_kit::stored::schema_values as documented;

    #[test]
    fn the_api_document_lists_exactly_the_words_sent_and_stored() {
        let modes: Vec<_> = Mode::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(documented::<Mode>(), modes);
        let statuses: Vec<_> = SessionStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(documented::<SessionStatus>(), statuses);
        let codes: Vec<_> = CodeStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(documented::<CodeStatus>(), codes);
    }
}
