//! The stored form of a `remote_control_launch` command. The `commands` row keeps the launch
//! parameters in clear (what the agent needs; technicians see only a summary of them,
//! `api/launch_summary.rs`) and the one secret — the per-machine key or the support code —
//! sealed, bound to the agent and session.
//! The secret is opened only when the command is handed to the agent's socket.

use crate::auth::seal::Sealer;
use anyhow::Context;
use gururmm_protocol::{RemoteControlLaunch, RemoteControlMode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct StoredLaunch {
    #[serde(flatten)]
    launch: RemoteControlLaunch,
    sealed_secret: String,
}

fn context(launch: &RemoteControlLaunch) -> String {
    format!("rc-launch:{}:{}", launch.agent_id, launch.session_id)
}

/// The `command` column for `launch`, its secret sealed.
pub fn store(sealer: &Sealer, launch: &RemoteControlLaunch) -> anyhow::Result<String> {
    let secret = match launch.mode {
        RemoteControlMode::Unattended => launch.agent_key.as_deref(),
        RemoteControlMode::Attended => launch.support_code.as_deref(),
    }
    .context("a launch needs its key (unattended) or support code (attended)")?;
    let mut public = launch.clone();
    public.agent_key = None;
    public.support_code = None;
    let stored = StoredLaunch {
        sealed_secret: sealer.seal(&context(launch), secret)?,
        launch: public,
    };
    Ok(serde_json::to_string(&stored)?)
}

/// The launch to send, its secret opened.
pub fn restore(sealer: &Sealer, command: &str) -> anyhow::Result<RemoteControlLaunch> {
    let stored: StoredLaunch =
        serde_json::from_str(command).context("stored remote_control_launch is malformed")?;
    let mut launch = stored.launch;
    let secret = sealer
        .open(&context(&launch), &stored.sealed_secret)
        .context("the launch secret does not open with this install's key")?;
    match launch.mode {
        RemoteControlMode::Unattended => launch.agent_key = Some(secret),
        RemoteControlMode::Attended => launch.support_code = Some(secret),
    }
    Ok(launch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::ConnectRelease;

    #[test]
    fn the_stored_form_holds_no_secret_and_restores_whole() {
        let sealer = Sealer::derive(b"master", "p").expect("key");
        let launch = RemoteControlLaunch {
            session_id: "s1".into(),
            mode: RemoteControlMode::Unattended,
            server_url: "wss://c".into(),
            agent_id: "dev1".into(),
            agent_key: Some("gc-secret-key".into()),
            support_code: None,
            release: ConnectRelease {
                version: "1".into(),
                platform: "linux-x86_64".into(),
                download_url: "http://c/d".into(),
                sha256: "00".into(),
                signature: "s".into(),
                size: None,
            },
        };
        let text = store(&sealer, &launch).expect("store");
        assert!(!text.contains("gc-secret-key"), "{text}");
        assert_eq!(restore(&sealer, &text).expect("restore"), launch);
        // Re-targeted at another machine, the secret no longer opens.
        let moved = text.replace("\"dev1\"", "\"dev2\"");
        assert!(restore(&sealer, &moved).is_err());
    }
}
