//! The `claude_task` executor (RMM-9): runs a configured AI CLI under restrictions, all checked
//! before anything starts. Off unless enabled. Input may not contain shell metacharacters
//! (`& | ; $ ( ) < > \`` and newlines) even though no shell is involved, the working directory
//! must resolve inside the configured root (symlinks included), at most `max_concurrent` tasks
//! run at once and at most `max_tasks_per_hour` start per sliding hour. Exit codes: 0 done,
//! 1 failed, 124 timed out, -1 refused by the executor. Time comes from a [`Clock`] so tests
//! can move the hour along instead of waiting it out.

use super::{process, refused, result_of};
use crate::config::ClaudeConfig;
use gururmm_protocol::{CommandKind, CommandPayload, CommandResult};
use std::collections::VecDeque;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

const FORBIDDEN: &[char] = &['&', '|', ';', '$', '(', ')', '<', '>', '`', '\n', '\r'];
const MAX_TASK_CHARS: usize = 10_000;
const WINDOW: Duration = Duration::from_secs(3600);
/// The seed's ceiling on a task's timeout, whatever the configuration or the task asks.
pub const MAX_TIMEOUT_SECS: u64 = 600;

/// Where the rate window reads the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Instant;
}

/// The real clock (monotonic, so a changed wall clock neither frees nor blocks slots).
#[derive(Debug)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// The starts inside the last hour: a sliding window, so a slot frees exactly an hour after the
/// task that took it started, one at a time, never all at once on a boundary.
#[derive(Debug)]
pub struct RateWindow {
    limit: usize,
    started: VecDeque<Instant>,
}

impl RateWindow {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            started: VecDeque::new(),
        }
    }

    /// Takes a slot at `now`, or says how long until the oldest start leaves the window.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        while self
            .started
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            self.started.pop_front();
        }
        if self.started.len() >= self.limit {
            let oldest = self.started.front().copied().unwrap_or(now);
            return Err(WINDOW.saturating_sub(now.saturating_duration_since(oldest)));
        }
        self.started.push_back(now);
        Ok(())
    }
}

#[derive(Debug)]
pub struct ClaudeExecutor {
    config: ClaudeConfig,
    slots: Semaphore,
    window: Mutex<RateWindow>,
    clock: Arc<dyn Clock>,
}

/// Rejects text carrying any forbidden character, naming it.
pub fn sanitize(text: &str) -> Result<&str, String> {
    if let Some(c) = text.chars().find(|c| FORBIDDEN.contains(c)) {
        return Err(format!("input contains the forbidden character {c:?}"));
    }
    if text.chars().count() > MAX_TASK_CHARS {
        return Err(format!("input is longer than {MAX_TASK_CHARS} characters"));
    }
    Ok(text)
}

/// Resolves `relative` inside `root`: relative paths only, no `..`, and the resolved path
/// (after following symlinks) must still be inside the resolved root.
pub fn confine(root: &Path, relative: &str) -> Result<PathBuf, String> {
    let rel = Path::new(relative);
    let plain = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !plain || relative.contains(':') || relative.starts_with('\\') {
        return Err(format!(
            "path '{relative}' must be relative to the allowed directory, without '..'"
        ));
    }
    let root = root
        .canonicalize()
        .map_err(|e| format!("allowed directory {}: {e}", root.display()))?;
    let resolved = root
        .join(rel)
        .canonicalize()
        .map_err(|e| format!("path '{relative}': {e}"))?;
    if !resolved.starts_with(&root) {
        return Err(format!("path '{relative}' leaves the allowed directory"));
    }
    Ok(resolved)
}

impl ClaudeExecutor {
    pub fn new(config: ClaudeConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// An executor whose rate window reads `clock`.
    pub fn with_clock(config: ClaudeConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            slots: Semaphore::new(config.max_concurrent),
            window: Mutex::new(RateWindow::new(config.max_tasks_per_hour)),
            clock,
            config,
        }
    }

    /// Takes a slot in the hourly window, or says when one frees.
    fn take_rate_slot(&self) -> Result<(), Duration> {
        let now = self.clock.now();
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        window.take(now)
    }

    /// A task's timeout: its own, else the configured default, never above the configured
    /// maximum nor the seed's 600 s (a config built in code skips validation).
    pub fn timeout_for(&self, requested: Option<u64>) -> Duration {
        let max = self.config.max_timeout_secs.clamp(1, MAX_TIMEOUT_SECS);
        let secs = requested.unwrap_or(self.config.default_timeout_secs);
        Duration::from_secs(secs.clamp(1, max))
    }

    pub async fn run(&self, cmd: &CommandPayload) -> CommandResult {
        let CommandKind::ClaudeTask(spec) = &cmd.kind else {
            return refused(cmd.id, "not a claude_task command");
        };
        let c = &self.config;
        if !c.enabled {
            return refused(
                cmd.id,
                "claude_task is disabled on this agent (claude.enabled)",
            );
        }
        let task = match sanitize(spec.task.trim()) {
            Ok(task) if !task.is_empty() => task.to_owned(),
            Ok(_) => return refused(cmd.id, "the task is empty"),
            Err(reason) => return refused(cmd.id, reason),
        };
        let rel = spec.working_directory.as_deref().unwrap_or(".");
        let dir = match confine(&c.working_directory, rel) {
            Ok(dir) if dir.is_dir() => dir,
            Ok(_) => return refused(cmd.id, "the working directory is not a directory"),
            Err(reason) => return refused(cmd.id, reason),
        };
        let mut files = Vec::new();
        for file in &spec.context_files {
            match sanitize(file).and_then(|f| confine(&dir, f)) {
                Ok(path) if path.is_file() => files.push(path.to_string_lossy().into_owned()),
                Ok(_) => return refused(cmd.id, format!("context file '{file}' is not a file")),
                Err(reason) => return refused(cmd.id, reason),
            }
        }
        let Ok(_slot) = self.slots.try_acquire() else {
            return refused(
                cmd.id,
                format!("{} claude tasks are already running", c.max_concurrent),
            );
        };
        if let Err(wait) = self.take_rate_slot() {
            return refused(
                cmd.id,
                format!(
                    "rate limit: {} tasks per hour; next slot in {} s",
                    c.max_tasks_per_hour,
                    wait.as_secs()
                ),
            );
        }
        let timeout = self.timeout_for(cmd.timeout_seconds);
        let mut args = c.args.clone();
        args.push(task);
        args.extend(files);
        // claude_task's limits are its own (working directory, rate, input rules) and its CLI
        // needs the agent account's configuration, so it runs as the agent whatever `elevated`.
        match process::run(
            &super::privilege::Identity::Agent,
            &c.cli,
            &super::privilege::Args::List(args),
            Some(&dir),
            timeout,
            gururmm_protocol::MAX_OUTPUT_BYTES,
        )
        .await
        {
            Ok(mut outcome) => {
                // The seed's contract: 0, 1, 124 or -1, whatever the CLI itself returned.
                if !outcome.timed_out && outcome.exit_code != 0 {
                    outcome.exit_code = 1;
                }
                result_of(cmd.id, outcome)
            }
            Err(e) => refused(cmd.id, format!("could not start {}: {e}", c.cli)),
        }
    }
}
