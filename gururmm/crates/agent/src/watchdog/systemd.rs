//! The watchdog's systemd side: `systemctl is-active` read word for word, so "inactive" and
//! "failed" mean stopped while a missing systemd (a container, a chroot) is an error the
//! server hears about instead of a stream of failed restarts; `systemctl restart` failures
//! carry systemctl's own message.

use super::ServiceManager;
use crate::exec::process::is_text_busy;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

/// systemd through `systemctl`.
#[derive(Debug, Clone)]
pub struct Systemd {
    systemctl: PathBuf,
}

impl Default for Systemd {
    fn default() -> Self {
        Self::with_program("systemctl")
    }
}

impl Systemd {
    /// Another `systemctl` (tests use a stand-in script: no systemd runs here).
    pub fn with_program(systemctl: impl Into<PathBuf>) -> Self {
        Self {
            systemctl: systemctl.into(),
        }
    }

    fn systemctl(&self, verb: &str, unit: &str) -> std::io::Result<Output> {
        let mut attempt = 0;
        loop {
            // Names are validated at load (no leading '-'); "--" makes sure anyway.
            match Command::new(&self.systemctl)
                .args([verb, "--", unit])
                .output()
            {
                Err(e) if is_text_busy(&e) && attempt < 10 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }
}

/// What systemctl said, for an error message.
fn said(output: &Output) -> String {
    let err = String::from_utf8_lossy(&output.stderr);
    let text = if err.trim().is_empty() {
        String::from_utf8_lossy(&output.stdout)
    } else {
        err
    };
    let text = text.trim();
    if text.is_empty() {
        format!("exited with {}", output.status)
    } else {
        text.lines().next().unwrap_or(text).to_owned()
    }
}

impl ServiceManager for Systemd {
    fn is_running(&self, name: &str) -> std::io::Result<bool> {
        let output = self.systemctl("is-active", name)?;
        match String::from_utf8_lossy(&output.stdout).trim() {
            "active" | "reloading" | "activating" | "deactivating" | "refreshing" => Ok(true),
            "inactive" | "failed" => Ok(false),
            _ => Err(std::io::Error::other(format!(
                "systemctl is-active {name}: {}",
                said(&output)
            ))),
        }
    }

    fn restart(&self, name: &str) -> std::io::Result<()> {
        let output = self.systemctl("restart", name)?;
        if output.status.success() {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "systemctl restart {name}: {}",
                said(&output)
            )))
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in systemctl: the unit's state lives in a file, `restart` makes it active
    /// unless the state is "broken", and every call is recorded.
    fn standin(dir: &std::path::Path, script_body: &str) -> Systemd {
        let path = dir.join("systemctl");
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho \"$@\" >> {0}/calls\n{script_body}",
                dir.display()
            ),
        )
        .expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Systemd::with_program(path)
    }

    const UNIT_IN_A_FILE: &str = r#"state=$(cat "$(dirname "$0")/state")
case "$1" in
  is-active) echo "$state"; [ "$state" = active ] ;;
  restart) [ "$state" = broken ] && { echo "Job for $3.service failed." >&2; exit 1; }
           echo active > "$(dirname "$0")/state" ;;
esac
"#;

    #[test]
    fn states_are_read_word_for_word_and_restarts_reach_systemctl() {
        let dir = tempfile::tempdir().expect("dir");
        let systemd = standin(dir.path(), UNIT_IN_A_FILE);
        let state = dir.path().join("state");
        for (word, running) in [
            ("active", true),
            ("activating", true),
            ("failed", false),
            ("inactive", false),
        ] {
            std::fs::write(&state, word).expect("state");
            assert_eq!(systemd.is_running("nginx").expect(word), running, "{word}");
        }
        systemd.restart("nginx").expect("restart");
        assert!(systemd.is_running("nginx").expect("state"));
        let calls = std::fs::read_to_string(dir.path().join("calls")).expect("calls");
        assert!(calls.lines().any(|l| l == "restart -- nginx"), "{calls}");

        std::fs::write(&state, "broken").expect("state");
        let failed = systemd.restart("nginx").expect_err("restart fails");
        assert!(
            failed.to_string().contains("Job for nginx.service failed."),
            "{failed}"
        );
        // "broken" is no word systemctl uses: an error, not "stopped".
        assert!(systemd.is_running("nginx").is_err());
    }

    #[test]
    fn no_systemd_is_an_error_not_a_stopped_service() {
        let dir = tempfile::tempdir().expect("dir");
        let systemd = standin(
            dir.path(),
            "echo 'System has not been booted with systemd as init system (PID 1).' >&2\nexit 1\n",
        );
        let e = systemd.is_running("nginx").expect_err("no systemd");
        assert!(
            e.to_string().contains("not been booted with systemd"),
            "{e}"
        );
        let missing = Systemd::with_program(dir.path().join("absent"));
        assert!(missing.is_running("nginx").is_err());
    }
}
