//! Linux: a systemd unit that starts the agent at boot and restarts it if it dies. `install`
//! and `uninstall` are idempotent; systemctl is run through `Systemctl` so the file handling is
//! tested here, where no systemd runs.

use super::{Change, ServiceSpec, DESCRIPTION};
use anyhow::Context;
use std::path::PathBuf;

pub const UNIT_NAME: &str = "guruconnect-agent.service";

/// Runs `systemctl ARGS`.
pub trait Systemctl {
    fn run(&self, args: &[&str]) -> anyhow::Result<()>;
}

/// The real systemctl.
#[derive(Debug)]
pub struct RealSystemctl;

impl Systemctl for RealSystemctl {
    fn run(&self, args: &[&str]) -> anyhow::Result<()> {
        let status = std::process::Command::new("systemctl")
            .args(args)
            .status()
            .context("running systemctl (is this a systemd system?)")?;
        anyhow::ensure!(
            status.success(),
            "systemctl {} failed: {status}",
            args.join(" ")
        );
        Ok(())
    }
}

pub struct Systemd<S> {
    pub unit_dir: PathBuf,
    pub systemctl: S,
}

impl Systemd<RealSystemctl> {
    pub fn system() -> Self {
        Self {
            unit_dir: PathBuf::from("/etc/systemd/system"),
            systemctl: RealSystemctl,
        }
    }
}

/// The unit file for `spec`. Arguments are quoted for systemd's command-line parser.
pub fn unit_file(spec: &ServiceSpec) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut exec = quote(&spec.executable.to_string_lossy());
    for arg in &spec.arguments {
        exec.push(' ');
        exec.push_str(&quote(arg));
    }
    format!(
        "# Written by `guruconnect-agent install`; `guruconnect-agent uninstall` removes it.\n\
         [Unit]\n\
         Description={DESCRIPTION}\n\
         After=network-online.target graphical.target\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         ExecStart={exec}\n\
         Restart=always\n\
         RestartSec=5\n\
         \n\
         [Install]\n\
         WantedBy=graphical.target\n"
    )
}

impl<S: Systemctl> Systemd<S> {
    fn path(&self) -> PathBuf {
        self.unit_dir.join(UNIT_NAME)
    }

    /// Writes (or rewrites) the unit, then enables and (re)starts it.
    pub fn install(&self, spec: &ServiceSpec) -> anyhow::Result<Change> {
        let wanted = unit_file(spec);
        let change = match std::fs::read_to_string(self.path()) {
            Ok(existing) if existing == wanted => Change::Unchanged,
            Ok(_) => Change::Updated,
            Err(_) => Change::Installed,
        };
        if change != Change::Unchanged {
            std::fs::create_dir_all(&self.unit_dir)?;
            std::fs::write(self.path(), wanted)
                .with_context(|| format!("writing {}", self.path().display()))?;
            self.systemctl.run(&["daemon-reload"])?;
        }
        self.systemctl.run(&["enable", UNIT_NAME])?;
        let verb = if change == Change::Updated {
            "restart"
        } else {
            "start"
        };
        self.systemctl.run(&[verb, UNIT_NAME])?;
        Ok(change)
    }

    /// Starts the installed unit; safe to repeat (systemd ignores a start of a running unit).
    pub fn start(&self) -> anyhow::Result<Change> {
        anyhow::ensure!(
            self.path().exists(),
            "{UNIT_NAME} is not installed: run `guruconnect-agent install` first"
        );
        self.systemctl.run(&["start", UNIT_NAME])?;
        Ok(Change::Started)
    }

    /// Stops and disables the unit and removes its file; nothing to do when it is absent.
    pub fn uninstall(&self) -> anyhow::Result<Change> {
        if !self.path().exists() {
            return Ok(Change::Absent);
        }
        // A unit that is already stopped or disabled is fine: removal is what matters.
        let _ = self.systemctl.run(&["disable", "--now", UNIT_NAME]);
        std::fs::remove_file(self.path())
            .with_context(|| format!("removing {}", self.path().display()))?;
        self.systemctl.run(&["daemon-reload"])?;
        Ok(Change::Removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Recorded(RefCell<Vec<String>>);

    impl Systemctl for &Recorded {
        fn run(&self, args: &[&str]) -> anyhow::Result<()> {
            self.0.borrow_mut().push(args.join(" "));
            Ok(())
        }
    }

    fn spec(config: &str) -> ServiceSpec {
        ServiceSpec {
            executable: "/opt/guru connect/guruconnect-agent".into(),
            arguments: vec!["run".into(), "--config".into(), config.into()],
        }
    }

    #[test]
    fn install_and_uninstall_are_idempotent() {
        let dir = tempfile::tempdir().expect("dir");
        let calls = Recorded::default();
        let systemd = Systemd {
            unit_dir: dir.path().to_path_buf(),
            systemctl: &calls,
        };
        assert_eq!(
            systemd.install(&spec("/etc/a.toml")).expect("install"),
            Change::Installed
        );
        let unit = std::fs::read_to_string(dir.path().join(UNIT_NAME)).expect("unit");
        assert!(unit.contains(
            "ExecStart=\"/opt/guru connect/guruconnect-agent\" \"run\" \"--config\" \"/etc/a.toml\""
        ));
        assert!(unit.contains("Restart=always"));
        assert_eq!(
            systemd.install(&spec("/etc/a.toml")).expect("again"),
            Change::Unchanged
        );
        assert_eq!(
            systemd.install(&spec("/etc/b.toml")).expect("change"),
            Change::Updated
        );
        assert_eq!(systemd.start().expect("start"), Change::Started);
        assert_eq!(systemd.uninstall().expect("uninstall"), Change::Removed);
        assert!(!dir.path().join(UNIT_NAME).exists());
        assert_eq!(systemd.uninstall().expect("again"), Change::Absent);
        let error = systemd.start().expect_err("not installed").to_string();
        assert!(
            error.contains("run `guruconnect-agent install` first"),
            "{error}"
        );
        assert_eq!(
            *calls.0.borrow(),
            [
                "daemon-reload",
                "enable guruconnect-agent.service",
                "start guruconnect-agent.service",
                "enable guruconnect-agent.service",
                "start guruconnect-agent.service",
                "daemon-reload",
                "enable guruconnect-agent.service",
                "restart guruconnect-agent.service",
                "start guruconnect-agent.service",
                "disable --now guruconnect-agent.service",
                "daemon-reload",
            ]
        );
    }
}
