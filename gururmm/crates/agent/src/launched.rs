//! The GuruConnect agents this RMM agent started, remembered across its own restarts: each
//! unattended launch leaves `<cache>/running/<agent id>.pid`, and a later launch (by this
//! process or by the next one after a restart) first asks whether that process still runs a
//! build from the cache. Without this, a restarted RMM agent started a second GuruConnect agent
//! for the same machine and the two superseded each other at the relay in a loop.
//!
//! Attended agents are not remembered (each support code is its own short session) but are
//! waited for, so none is left a zombie.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Mutex;

#[derive(Debug)]
pub struct Launched {
    /// Where verified builds live: a remembered pid counts only if it runs one of them.
    cache_dir: PathBuf,
    /// Children this process started, by GuruConnect agent id.
    children: Mutex<HashMap<String, Child>>,
}

impl Launched {
    pub fn new(cache_dir: &Path) -> Self {
        Self {
            cache_dir: cache_dir.to_path_buf(),
            children: Mutex::new(HashMap::new()),
        }
    }

    fn children(&self) -> std::sync::MutexGuard<'_, HashMap<String, Child>> {
        self.children.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn pid_file(&self, agent_id: &str) -> PathBuf {
        let name: String = agent_id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.cache_dir.join("running").join(format!("{name}.pid"))
    }

    /// The pid of the unattended agent running for `agent_id`, started by this process or an
    /// earlier run of it, while it runs.
    pub fn running_pid(&self, agent_id: &str) -> Option<u32> {
        {
            let mut children = self.children();
            if let Some(child) = children.get_mut(agent_id) {
                match child.try_wait() {
                    Ok(None) => return Some(child.id()),
                    _ => {
                        children.remove(agent_id);
                    }
                }
            }
        }
        let file = self.pid_file(agent_id);
        let pid = std::fs::read_to_string(&file)
            .ok()?
            .trim()
            .parse::<u32>()
            .ok();
        match pid.filter(|pid| runs_a_cached_build(*pid, &self.cache_dir)) {
            Some(pid) => Some(pid),
            None => {
                let _ = std::fs::remove_file(&file);
                None
            }
        }
    }

    /// Remembers an unattended agent: in memory and in its pid file.
    pub fn unattended(&self, agent_id: &str, child: Child) {
        let file = self.pid_file(agent_id);
        let written = file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&file, child.id().to_string()));
        if let Err(e) = written {
            // Only costs a duplicate after a restart; the launch itself worked.
            tracing::warn!(path = %file.display(), error = %e, "cannot record the GuruConnect agent's pid");
        }
        self.children().insert(agent_id.to_owned(), child);
    }

    /// Waits for an attended agent in the background, so its exit leaves no zombie.
    pub fn attended(&self, mut child: Child) {
        let spawned = std::thread::Builder::new()
            .name("guruconnect-attended".into())
            .spawn(move || {
                let _ = child.wait();
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot wait for the attended GuruConnect agent");
        }
    }

    /// Stops every agent this process started (tests; an agent uninstall).
    pub fn stop_all(&self) {
        for (agent_id, mut child) in self.children().drain() {
            kill_group(&child);
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(self.pid_file(&agent_id));
        }
    }
}

/// Each agent runs in its own process group (see `remote_control::detach`): stopping it stops
/// whatever it started too.
#[cfg(unix)]
fn kill_group(child: &Child) {
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_child: &Child) {}

/// Whether `pid` is alive and runs a program from `cache_dir` (directly, or as the script an
/// interpreter runs): a reused pid of some other program does not count.
fn runs_a_cached_build(pid: u32, cache_dir: &Path) -> bool {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};
    let pid = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing()
            .with_exe(UpdateKind::Always)
            .with_cmd(UpdateKind::Always),
    );
    let Some(process) = system
        .process(pid)
        .filter(|p| p.status() != sysinfo::ProcessStatus::Zombie)
    else {
        return false;
    };
    let cache = std::fs::canonicalize(cache_dir).unwrap_or_else(|_| cache_dir.to_path_buf());
    let inside = |path: &Path| {
        std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .starts_with(&cache)
    };
    process.exe().is_some_and(inside)
        || process
            .cmd()
            .iter()
            .take(2)
            .any(|arg| inside(Path::new(arg)))
}
