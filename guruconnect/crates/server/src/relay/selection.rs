//! Which session an agent's connection joins, decided from what its credential says and what is
//! live: no socket and no database, so every case is a row of the table test below. `agent.rs`
//! does the I/O around it (resolving the agent id, registering the machine, creating sessions).

/// What the connection's credential says about the session it came for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A machine key (or the shared key): the machine's own unattended session.
    MachineKey,
    /// A support code made for a visit of its own.
    SupportCode,
    /// A support code minted for a pre-created session (the integration's attended mode), and
    /// whether that session is still live.
    SupportCodeForSession { session_live: bool },
}

/// The session the connection binds to, and so the agent id it may speak for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The pre-created session the code was minted for, as the machine it was created for.
    PreCreated,
    /// A new attended session, as the machine its hardware id names (or a new machine).
    NewAttended,
    /// The machine's live session when it has one (viewers waiting, a reconnect), else a new
    /// unattended one, as the machine its key names.
    MachineSession,
}

/// Why no session can be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The code's pre-created session ended before the agent came.
    SessionEnded,
}

impl Credential {
    /// What a support code row says: made for a session (`session_id`) or not, and whether that
    /// session is live.
    pub fn of_code(for_session: bool, session_live: bool) -> Self {
        if for_session {
            Self::SupportCodeForSession { session_live }
        } else {
            Self::SupportCode
        }
    }
}

pub fn select(credential: Credential) -> Result<Selection, Refusal> {
    match credential {
        Credential::SupportCodeForSession { session_live: true } => Ok(Selection::PreCreated),
        Credential::SupportCodeForSession {
            session_live: false,
        } => Err(Refusal::SessionEnded),
        Credential::SupportCode => Ok(Selection::NewAttended),
        Credential::MachineKey => Ok(Selection::MachineSession),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_credential_has_one_answer() {
        let table = [
            (Credential::MachineKey, Ok(Selection::MachineSession)),
            (
                Credential::of_code(false, false),
                Ok(Selection::NewAttended),
            ),
            (Credential::of_code(false, true), Ok(Selection::NewAttended)),
            (Credential::of_code(true, true), Ok(Selection::PreCreated)),
            (Credential::of_code(true, false), Err(Refusal::SessionEnded)),
        ];
        for (credential, want) in table {
            assert_eq!(select(credential), want, "{credential:?}");
        }
    }
}
