//! What people see of a `remote_control_launch` command. Its `commands` row holds the launch
//! as the agent needs it (relay URL, release URL, signature, the sealed key or support code;
//! `connect::launch`), and every technician can list commands, so the API never returns that
//! text: a launch is shown as a remote-control event instead, built here from the few fields a
//! technician needs (mode, GuruConnect version, session). Anything else in the stored form,
//! known now or added later, stays out because only these fields are read.

use crate::model::ConnectSessionId;
use gururmm_protocol::CommandType;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A remote-control launch as the command list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LaunchSummary {
    /// unattended or attended.
    pub mode: String,
    /// GuruConnect's session id.
    pub connect_session_id: ConnectSessionId,
    /// The GuruConnect agent release the machine was told to run.
    pub version: String,
    /// linux-x86_64 or windows-x86_64.
    pub platform: String,
}

/// The only fields read from the stored launch.
#[derive(Deserialize)]
struct Stored {
    session_id: ConnectSessionId,
    mode: String,
    release: StoredRelease,
}

#[derive(Deserialize)]
struct StoredRelease {
    version: String,
    platform: String,
}

/// Characters of the session id the one-line description shows (enough to tell sessions apart).
const SHORT_SESSION: usize = 8;

/// What the API says instead of a command's stored text: the text itself for every command a
/// technician typed; for a launch, a one-line description and its summary (None when the
/// stored form cannot be read, which the description then says).
pub fn public_view(command_type: &str, stored: String) -> (String, Option<LaunchSummary>) {
    if CommandType::from(command_type.to_owned()) != CommandType::RemoteControlLaunch {
        return (stored, None);
    }
    match serde_json::from_str::<Stored>(&stored) {
        Ok(s) => {
            let summary = LaunchSummary {
                mode: s.mode,
                connect_session_id: s.session_id,
                version: s.release.version,
                platform: s.release.platform,
            };
            (describe(&summary), Some(summary))
        }
        Err(_) => (
            "Remote control (launch details unreadable)".to_owned(),
            None,
        ),
    }
}

/// "Remote control (unattended) – GuruConnect 0.1.0 – session 1a2b3c4d".
fn describe(s: &LaunchSummary) -> String {
    let short: String = s
        .connect_session_id
        .as_str()
        .chars()
        .take(SHORT_SESSION)
        .collect();
    format!(
        "Remote control ({}) – GuruConnect {} – session {short}",
        s.mode, s.version
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored form as `connect::launch::store` writes it (a launch flattened with its
    /// sealed secret).
    const STORED: &str = r#"{"session_id":"0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b","mode":"unattended",
        "server_url":"wss://connect.example.com","agent_id":"dev-1",
        "release":{"version":"0.1.0","platform":"linux-x86_64",
            "download_url":"https://connect.example.com/api/releases/linux-x86_64/0.1.0/download",
            "sha256":"abab","signature":"c2lnbmF0dXJl","size":4096},
        "sealed_secret":"v1.sealed-bytes"}"#;

    #[test]
    fn a_launch_is_described_without_its_stored_form() {
        let (text, summary) = public_view("remote_control_launch", STORED.to_owned());
        assert_eq!(
            text,
            "Remote control (unattended) – GuruConnect 0.1.0 – session 0f1e2d3c"
        );
        assert_eq!(
            summary,
            Some(LaunchSummary {
                mode: "unattended".into(),
                connect_session_id: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b".into(),
                version: "0.1.0".into(),
                platform: "linux-x86_64".into(),
            })
        );
        let shown = format!("{text} {}", serde_json::to_string(&summary).expect("json"));
        for hidden in [
            "sealed",
            "signature",
            "c2lnbmF0dXJl",
            "download",
            "wss://",
            "abab",
        ] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }

    #[test]
    fn an_unreadable_launch_is_still_not_shown() {
        let broken = r#"{"sealed_secret":"v1.sealed-bytes","mode":"attended"}"#;
        let (text, summary) = public_view("remote_control_launch", broken.to_owned());
        assert_eq!(text, "Remote control (launch details unreadable)");
        assert_eq!(summary, None);
    }

    #[test]
    fn typed_commands_are_shown_as_typed() {
        let (text, summary) = public_view("shell", "echo {\"a\": 1}".to_owned());
        assert_eq!(text, "echo {\"a\": 1}");
        assert_eq!(summary, None);
    }
}
