//! Small files the agent keeps beside its config: the version it updated from (reported once as
//! `previous_version`) and the per-agent key issued at enrolment (socket or polling mode) or
//! sent after an admin rotated it (`key_rotated`).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory itself (beside agent.toml).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn previous_version(&self) -> Option<String> {
        read(&self.file("previous-version"))
    }

    pub fn set_previous_version(&self, version: &str) -> std::io::Result<()> {
        write_private(&self.file("previous-version"), version)
    }

    /// Called once the server has seen the new version.
    pub fn clear_previous_version(&self) {
        let _ = std::fs::remove_file(self.file("previous-version"));
    }

    pub fn agent_key(&self) -> Option<String> {
        read(&self.file("agent.key"))
    }

    pub fn set_agent_key(&self, key: &str) -> std::io::Result<()> {
        write_private(&self.file("agent.key"), key)
    }
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Writes via a temp file and rename, readable by the owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(&tmp)?.write_all(contents.as_bytes())?;
    std::fs::rename(tmp, path)
}
