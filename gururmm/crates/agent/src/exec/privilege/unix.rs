//! Unix side of running unelevated: the account is looked up by name, and the child is started
//! with its uid, primary gid and no supplementary groups (std clears them when root sets a
//! uid), with `HOME`, `USER` and `LOGNAME` naming it.

use std::path::{Path, PathBuf};

/// `commands.unelevated_user` when agent.toml names none.
pub const DEFAULT_UNELEVATED_USER: &str = "nobody";

/// An unprivileged account commands can run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

impl Account {
    /// The named account; root or a missing account is an error naming the config key.
    pub fn lookup(name: &str) -> Result<Self, String> {
        let user = nix::unistd::User::from_name(name)
            .map_err(|e| format!("looking up commands.unelevated_user '{name}': {e}"))?
            .ok_or_else(|| {
                format!("commands.unelevated_user '{name}' does not exist on this machine")
            })?;
        if user.uid.is_root() || user.gid.as_raw() == 0 {
            return Err(format!(
                "commands.unelevated_user '{name}' is root or in group root; name an unprivileged account"
            ));
        }
        Ok(Self {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
            home: user.dir,
        })
    }

    /// Sets up `command` to start as this account. Without a `cwd` of its own the command
    /// starts in the account's home, or `/` when the home does not exist (nobody's).
    pub fn apply(&self, command: &mut tokio::process::Command, has_cwd: bool) {
        command
            .uid(self.uid)
            .gid(self.gid)
            .env("HOME", &self.home)
            .env("USER", &self.name)
            .env("LOGNAME", &self.name);
        if !has_cwd {
            let dir = if self.home.is_dir() {
                self.home.as_path()
            } else {
                Path::new("/")
            };
            command.current_dir(dir);
        }
    }

    /// Hands a file the agent wrote (a script) to this account so it can read it.
    pub fn give(&self, path: &Path) -> std::io::Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_looked_up_and_root_is_refused() {
        let nobody = Account::lookup("nobody").expect("nobody exists on Debian");
        assert_ne!(nobody.uid, 0);
        let missing = Account::lookup("no-such-user-gururmm").expect_err("missing");
        assert!(missing.contains("does not exist"), "{missing}");
        let root = Account::lookup("root").expect_err("root refused");
        assert!(root.contains("unprivileged"), "{root}");
    }
}
